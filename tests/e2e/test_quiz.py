"""Quiz end to end through the fake Bot API: practice, contests (teacher and students), timing,
duplicates, leaderboards, CSV, names, certificates, restarts and erasure."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from bot.i18n import translator
from bot.quiz import LETTERS, QuizError, load_session
from bot.quiz_logic import ShuffledQuestion
from handlers.quiz_teacher import send_final_rankings
from storage import quiz as repo
from storage import users as users_repo

# -- helpers --------------------------------------------------------------------------------------


def edited(reply: Any) -> str:
    """The text of the message the press edited (the answered question with its verdict)."""
    return "\n".join(m.text for m in reply.edits)


async def practice_correct_letter(bot: Any, user: Any) -> str:
    loaded = load_session(await bot.rt.sessions.get(user.id))
    assert loaded is not None
    session, _topic = loaded
    bank = bot.service("quiz").bank
    pos = session.position
    sq = ShuffledQuestion(bank.get(session.question_ids[pos]), tuple(session.option_orders[pos]))
    return LETTERS[sq.correct_displayed[0]]


async def contest_letter(bot: Any, contest: Any, user: Any, correct: bool = True) -> str:
    svc = bot.service("quiz")
    entry = await svc.entry(contest, user.id)
    qid, order = entry.plan[entry.position]
    sq = ShuffledQuestion(svc.bank.get(qid), order)
    right = sq.correct_displayed[0]
    if correct:
        return LETTERS[right]
    return LETTERS[next(i for i in range(len(order)) if i != right)]


async def create_contest(bot: Any, teacher: Any, *, title: str = "Lớp 9A — Tháng 6",
                         count: str = "5", seconds: str = "20 s", bonus: bool = False,
                         start: str = "Now", duration: str = "1 h") -> Any:
    await teacher.send("/quiz")
    await teacher.press("👩‍🏫 Create a contest")
    reply = await teacher.send(title)
    assert "How many questions" in reply.text
    await teacher.press(count)
    reply = await teacher.press("The law for young people")
    assert "✅ The law for young people" in reply.last.button_texts
    await teacher.press("Done ▶")
    await teacher.press("Mixed")
    await teacher.press(seconds)
    await teacher.press("⚡ Speed bonus on" if bonus else "Correct answers only")
    await teacher.press(start)
    reply = await teacher.press(duration)
    assert "Province of your school" in teacher.last.text
    reply = await teacher.press("Skip ▶")
    assert "Check your contest" in teacher.last.text
    reply = await teacher.press("✅ Create")
    contests = await bot.service("quiz").my_contests(teacher.id)
    contest = contests[0]
    screen = next(m for m in teacher.messages if "Join code" in m.text)
    assert contest.code in screen.text
    assert f"https://t.me/{bot.rt.bot_username}?start=c_{contest.code}" in screen.text
    photo = next((m for m in reply.messages if m.photo is not None), None) or (
        await teacher.wait_for(lambda m: m.photo is not None))
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert reply is not None
    return contest


async def join(student: Any, how: str, contest: Any, name: str) -> Any:
    if how == "command":
        reply = await student.send(f"/join {contest.code}")
    elif how == "link":
        reply = await student.send(f"/start c_{contest.code}")
    else:
        reply = await student.send(contest.code.lower())
    assert "display name" in reply.text
    reply = await student.send(name)
    assert f"Welcome, {name}!" in reply.text
    return reply


# -- practice -------------------------------------------------------------------------------------


async def test_practice_round_feedback_score_try_again_and_restart(bot: Any, tg: Any) -> None:
    lan = tg.user(id=3001, first_name="Lan", language_code="en")
    await lan.send("/start")
    await lan.press("🧠 Quiz")
    reply = await lan.press("🎲 Practice: mixed")
    assert "question 1/10" in reply.text
    assert reply.last.button_texts[:2] == ["A", "B"]
    right = 0
    for n in range(10):
        if n == 4:
            await bot.restart()  # the round survives a restart (sealed session in the DB)
        letter = await practice_correct_letter(bot, lan)
        wrong = n % 3 == 2
        if wrong:
            letter = next(x for x in "ABCD" if x != letter)
        if n == 0:
            # A double tap: the second is refused, not scored again.
            question = lan.last
            await lan.press(letter, wait=False)
            again = await lan.press(letter, message=question)
            assert again.callback_answer.text == "You already answered this question."
            text = lan.last.text
        else:
            reply = await lan.press(letter)
            text = reply.text
        if wrong:
            assert "❌ Not quite. The right answer:" in text
        else:
            right += 1
            assert "✅ Correct!" in text
        assert f"Score: {right}/{n + 1}" in text
        label = "🏁 See my result" if n == 9 else "Next question ▶"
        reply = await lan.press(label)
        if n < 9:
            assert f"question {n + 2}/10" in reply.text
    assert f"Practice finished: {right}/10 correct." in reply.text
    assert right == 7
    reply = await lan.press("🔁 Try again")
    assert "question 1/10" in reply.text


async def test_practice_by_topic_stays_on_topic(bot: Any, tg: Any) -> None:
    tom = tg.user(id=3002, first_name="Tom", language_code="en")
    await tom.send("/quiz")
    await tom.press("📚 Practice by topic")
    reply = await tom.press("Laughing gas (N₂O)")
    assert "question 1/10" in reply.text
    loaded = load_session(await bot.rt.sessions.get(tom.id))
    assert loaded is not None
    bank = bot.service("quiz").bank
    assert {bank.get(q).topic for q in loaded[0].question_ids} == {"laughing-gas"}


async def test_practice_in_vietnamese(bot: Any, tg: Any) -> None:
    mai = tg.user(id=3003, first_name="Mai", language_code="vi")
    await mai.send("/quiz")
    reply = await mai.press("🎲 Luyện tập: trộn chủ đề")
    assert "câu 1/10" in reply.text
    letter = await practice_correct_letter(bot, mai)
    reply = await mai.press(letter)
    assert "✅ Chính xác!" in reply.text


# -- contests -------------------------------------------------------------------------------------


async def test_contest_join_three_ways_answer_duplicate_timeout_leaderboard_csv(
    bot: Any, tg: Any
) -> None:
    teacher = tg.user(id=4001, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="20 s")
    assert len(contest.question_ids) == 5
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", contest.code)

    an = tg.user(id=4101, first_name="An", language_code="en")
    binh = tg.user(id=4102, first_name="Binh", language_code="en")
    chi = tg.user(id=4103, first_name="Chi", language_code="en")
    await join(an, "command", contest, "An 9A")
    await join(binh, "link", contest, "Bình")
    await join(chi, "typed", contest, "Chi ⭐")

    # The question shows the options, never which one is right.
    reply = await an.press("▶️ Start")
    assert "Question 1/5" in reply.text
    assert "✅" not in reply.text and "correct" not in reply.text.lower()
    for i in range(5):
        letter = await contest_letter(bot, contest, an)
        if i == 0:
            # A double tap: the second answer is ignored, and said so.
            question = an.last
            await an.press(letter, wait=False)
            dup = await an.press(letter, message=question)
            assert "already answered" in dup.callback_answer.text
            assert dup.callback_answer.show_alert
            assert any("✅ Right!" in m.text for m in an.messages)
        else:
            reply = await an.press(letter)
            assert "✅ Right!" in edited(reply)
    assert "You have finished" in an.last.text
    assert "5/5 correct" in an.last.text
    entry = await bot.service("quiz").entry(contest, an.id)
    assert entry.correct == 5 and entry.answered == 5

    # Binh answers one right, one wrong, then waits too long on the third.
    await binh.press("▶️ Start")
    await binh.press(await contest_letter(bot, contest, binh))
    reply = await binh.press(await contest_letter(bot, contest, binh, correct=False))
    assert "❌ Not right." in edited(reply)
    bot.clock.advance(seconds=25)
    reply = await binh.press(await contest_letter(bot, contest, binh))
    assert "Time was up (20 seconds)" in reply.callback_answer.text
    assert "Question 4/5" in binh.last.text
    entry = await bot.service("quiz").entry(contest, binh.id)
    assert (entry.correct, entry.answered, entry.position) == (1, 2, 3)

    # Chi starts late: she missed nothing yet (her clock starts when she presses Start).
    reply = await chi.press("▶️ Start")
    assert "Question 1/5 · ⏱ 20 s" in reply.text

    # Teacher: live leaderboard by command and by button, display names only.
    reply = await teacher.send(f"/leaderboard {contest.code}")
    text = reply.text
    assert "Live leaderboard" in text
    assert text.index("An 9A") < text.index("Bình")
    assert "Participants: 3 · finished: 1" in text
    assert "4101" not in text and "Binh" not in text.replace("Bình", "")
    reply = await teacher.press("🔄 Refresh")
    # CSV export: results and item analysis.
    reply = await teacher.press("📥 CSV export")
    docs = [m for m in reply.messages if m.document is not None]
    assert len(docs) == 2
    results = list(csv.reader(io.StringIO(docs[0].document.decode("utf-8-sig"))))
    assert results[0][:4] == ["Rank", "Name", "Score", "Time (seconds)"]
    assert [row[1] for row in results[1:]] == ["An 9A", "Bình", "Chi ⭐"]
    assert results[1][2] == "5" and results[2][2] == "1"
    items = list(csv.reader(io.StringIO(docs[1].document.decode("utf-8-sig"))))
    assert items[0][:5] == ["Question id", "Topic", "Answered", "Correct", "Share correct"]
    assert len(items) == 1 + 5
    assert {row[0] for row in items[1:]} == set(contest.question_ids)

    # Someone else cannot see the teacher's leaderboard.
    reply = await an.send(f"/leaderboard {contest.code}")
    assert "not yours" in reply.text


async def test_speed_bonus_scores_faster_answers_higher(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4002, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="30 s", bonus=True)
    fast = tg.user(id=4201, first_name="F", language_code="en")
    slow = tg.user(id=4202, first_name="S", language_code="en")
    await join(fast, "command", contest, "Fast")
    await join(slow, "command", contest, "Slow")
    await fast.press("▶️ Start")
    reply = await fast.press(await contest_letter(bot, contest, fast))
    assert "✅ Right! +1,500" in edited(reply)
    await slow.press("▶️ Start")
    bot.clock.advance(seconds=15)
    reply = await slow.press(await contest_letter(bot, contest, slow))
    assert "✅ Right! +1,250" in edited(reply)


async def test_contest_end_rejects_answers_and_sends_final_ranking(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4003, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="60 s", duration="15 min")
    st = tg.user(id=4301, first_name="Dung", language_code="en")
    await join(st, "link", contest, "Dũng")
    await st.press("▶️ Start")
    await st.press(await contest_letter(bot, contest, st))
    bot.clock.advance(minutes=15, seconds=1)
    reply = await st.press(await contest_letter(bot, contest, st))
    assert "contest has ended" in reply.callback_answer.text
    assert "has ended" in st.last.text
    entry = await bot.service("quiz").entry(contest, st.id)
    assert entry.answered == 1
    # Nobody can join any more.
    late = tg.user(id=4302, first_name="Late", language_code="en")
    reply = await late.send(f"/join {contest.code}")
    assert "has ended" in reply.text
    # The job sends the final ranking to the teacher, once.
    await send_final_rankings(bot.app.bot, bot.rt)
    final = await teacher.wait_for("Final ranking")
    assert "Dũng" in final.text
    before = len(teacher.messages)
    await send_final_rankings(bot.app.bot, bot.rt)
    assert len(teacher.messages) == before


async def test_end_now_button_and_upcoming_contest(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4004, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, start="In 10 min")
    st = tg.user(id=4401, first_name="Em", language_code="en")
    await join(st, "command", contest, "Em")
    assert "starts at" in st.last.text
    reply = await st.press("▶️ Start")
    assert reply.callback_answer.text == "The contest has not started yet."
    bot.clock.advance(minutes=11)
    reply = await st.press("▶️ Start")
    assert "Question 1/5" in reply.text
    await teacher.send("/mycontests")
    await teacher.press(f"{contest.code} · {contest.title}")
    reply = await teacher.press("⏹ End the contest now")
    assert "Final ranking" in reply.text
    reply = await st.press(await contest_letter(bot, contest, st))
    assert "contest has ended" in reply.callback_answer.text


async def test_restart_mid_contest_keeps_answers_and_clock(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4005, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="20 s")
    st = tg.user(id=4501, first_name="Gia", language_code="en")
    await join(st, "command", contest, "Gia")
    await st.press("▶️ Start")
    await st.press(await contest_letter(bot, contest, st))
    await st.press(await contest_letter(bot, contest, st))
    await bot.restart()
    # Question 3 was shown before the restart: its clock kept running in the database.
    reply = await st.press(await contest_letter(bot, contest, st))
    assert "✅ Right!" in edited(reply)
    bot.clock.advance(seconds=30)
    await bot.restart()
    reply = await st.press(await contest_letter(bot, contest, st))
    assert "Time was up" in reply.callback_answer.text
    # Coming back by the link resumes where the student is.
    reply = await st.send(f"/start c_{contest.code}")
    assert "Question 5/5" in reply.text
    entry = await bot.service("quiz").entry(contest, st.id)
    assert (entry.correct, entry.answered, entry.position) == (3, 3, 4)


async def test_missed_question_is_closed_on_resume(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4006, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="10 s")
    st = tg.user(id=4601, first_name="Hai", language_code="en")
    await join(st, "command", contest, "Hải")
    await st.press("▶️ Start")
    bot.clock.advance(seconds=60)
    reply = await st.send(f"/join {contest.code}")
    assert "Time ran out for question 1." in reply.text
    assert "Question 2/5" in reply.text


async def test_teacher_renames_and_removes_display_names(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4007, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher)
    rude = tg.user(id=4701, first_name="R", language_code="en")
    other = tg.user(id=4702, first_name="O", language_code="en")
    await join(rude, "command", contest, "Rude Name")
    await join(other, "command", contest, "Other Name")
    await teacher.send("/mycontests")
    await teacher.press(f"{contest.code} · {contest.title}")
    await teacher.press("✏️ Display names")
    await teacher.press("Rude Name")
    await teacher.press("✏️ Rename")
    reply = await teacher.send("Nice Name")
    assert "Renamed to Nice Name." in reply.text
    names = next((m for m in reply.messages if "Choose a name" in m.text), None) or (
        await teacher.wait_for("Choose a name"))
    await teacher.press("Other Name", message=names)
    reply = await teacher.press("🚫 Remove name")
    assert "Name removed" in reply.callback_answer.text
    reply = await teacher.send(f"/leaderboard {contest.code}")
    assert "Nice Name" in reply.text and "Rude Name" not in reply.text
    assert "Participant " in reply.text and "Other Name" not in reply.text
    # A student cannot use the teacher's actions (the service checks ownership).
    entry = await bot.service("quiz").entry(contest, rude.id)
    with pytest.raises(QuizError, match="not yours"):
        await bot.service("quiz").owned(contest.id, rude.id)
    stored = await repo.get_entry_by_id(bot.rt.db, entry.id)
    assert stored is not None and stored.display_name == "Nice Name"


async def test_bad_codes_and_names(bot: Any, tg: Any) -> None:
    st = tg.user(id=4801, first_name="X", language_code="en")
    reply = await st.send("/join ZZZZZZ")
    assert "No contest has the code" in reply.text
    teacher = tg.user(id=4008, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher)
    reply = await st.send(contest.code)  # typed again after the failed try
    assert "display name" in reply.text
    reply = await st.send("x")
    assert "2–32 characters" in reply.text
    reply = await st.send("see t.me/spam")
    assert "2–32 characters" in reply.text
    reply = await st.send("Xuân")
    assert "Welcome, Xuân!" in reply.text
    # Joining again does not make a second entry.
    reply = await st.send(f"/join {contest.code}")
    assert "Welcome, Xuân!" in reply.text


async def test_certificate_for_80_percent(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4009, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5")
    good = tg.user(id=4901, first_name="G", language_code="vi")
    poor = tg.user(id=4902, first_name="P", language_code="en")
    await good.send(f"/join {contest.code}")
    await good.send("Giỏi Lắm")
    await good.press("▶️ Bắt đầu")
    for i in range(5):
        await good.press(await contest_letter(bot, contest, good, correct=i != 0))
    assert "4/5" in good.last.text
    reply = await good.press("🎓 Nhận giấy chứng nhận")
    doc = reply.last
    assert doc.document is not None and doc.document.startswith(b"\x89PNG")
    assert doc.filename == f"certificate-{contest.code}.png"
    await join(poor, "command", contest, "Poor")
    await poor.press("▶️ Start")
    for i in range(5):
        await poor.press(await contest_letter(bot, contest, poor, correct=i < 3))
    assert "🎓" not in " ".join(poor.last.button_texts)
    # A forged certificate request (no such button was shown) is refused by the service.
    with pytest.raises(QuizError, match="at least 80%"):
        await bot.service("quiz").certificate(contest.id, poor.id, translator("en"))


async def test_deleteme_erases_quiz_entries(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4010, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher)
    st = tg.user(id=4950, first_name="Del", language_code="en")
    await join(st, "command", contest, "Delete Me")
    assert await users_repo.exists(bot.rt.db, st.id)
    await st.send("/deleteme")
    await st.press("Yes, erase everything")
    assert await bot.service("quiz").entry(contest, st.id) is None
    assert not await users_repo.exists(bot.rt.db, st.id)
    await teacher.send("/deleteme")
    await teacher.press("Yes, erase everything")
    assert await bot.service("quiz").get(contest.id) is None


async def test_wizard_typed_times(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4011, first_name="Hoa", language_code="en")
    await teacher.send("/newcontest")
    await teacher.send("Typed times")
    await teacher.press("10")
    await teacher.press("All topics")
    await teacher.press("Easy")
    await teacher.press("30 s")
    await teacher.press("Correct answers only")
    reply = await teacher.send("not a time")
    assert "could not read" in reply.text
    await teacher.send("23:59")
    reply = await teacher.send("23:59 01/01/2020")  # before the start
    assert "after the start" in reply.text
    reply = await teacher.send("23:59 31/12/2099")  # more than 31 days: refused at creation
    assert "Province of your school" in reply.text
    reply = await teacher.press("Skip ▶")
    assert "Check your contest" in teacher.last.text
    reply = await teacher.press("✅ Create")
    assert "at most 31 days" in reply.callback_answer.text
