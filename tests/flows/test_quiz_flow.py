"""The quiz through the stub: practice, joining contests (codes, links, names, the guessing
limit), answering on the server's clock, the teacher's wizard and screens, group rounds where
the channel has no native polls, forged presses, and the re-send of owed questions through
the Messenger port."""

from __future__ import annotations

from typing import Any

from bot.clock import FrozenClock
from bot.engine.inputs import Command
from bot.engine.messenger import SendOutcome
from bot.i18n import translator
from bot.quiz import JOIN_FAILURES_MAX, LETTERS, QuizService, load_session
from bot.quiz_logic import ShuffledQuestion
from bot.screens import Screen
from handlers.quiz import resend_owed_questions
from handlers.quiz_group import round_args
from handlers.quiz_teacher import send_final_rankings
from storage.quiz import Contest
from tests.flows.conftest import Flow
from tests.flows.stub import STUB, StubChat

GONE = "This button is no longer available."


def svc(flow: Flow) -> QuizService:
    service: QuizService = flow.runtime.services.quiz
    return service


def clock(flow: Flow) -> FrozenClock:
    assert isinstance(flow.runtime.clock, FrozenClock)
    return flow.runtime.clock


async def uid(flow: Flow, chat: StubChat) -> int:
    found = await flow.runtime.accounts.user_id("stub", chat.person.external_id)
    assert found is not None
    return found


async def practice_letter(flow: Flow, chat: StubChat, correct: bool = True) -> str:
    loaded = load_session(await flow.runtime.sessions.get(chat.chat.key))
    assert loaded is not None
    session, _topic = loaded
    pos = session.position
    sq = ShuffledQuestion(svc(flow).bank.get(session.question_ids[pos]),
                          tuple(session.option_orders[pos]))
    right = sq.correct_displayed[0]
    return LETTERS[right] if correct else LETTERS[(right + 1) % len(sq.order)]


async def contest_letter(flow: Flow, contest: Contest, chat: StubChat,
                         correct: bool = True) -> str:
    entry = await svc(flow).entry(contest, await uid(flow, chat))
    assert entry is not None
    qid, order = entry.plan[entry.position]
    sq = ShuffledQuestion(svc(flow).bank.get(qid), order)
    right = sq.correct_displayed[0]
    return LETTERS[right] if correct else LETTERS[(right + 1) % len(order)]


async def make_contest(flow: Flow, teacher: StubChat, *, seconds: str = "20 s",
                       start: str = "Now", duration: str = "1 h") -> Contest:
    await teacher.command("newcontest")
    await teacher.text("Lớp 9A")
    await teacher.press("5")
    await teacher.press("All topics")
    await teacher.press("Mixed")
    await teacher.press(seconds)
    await teacher.press("Correct answers only")
    await teacher.press(start)
    await teacher.press(duration)
    await teacher.press("Skip ▶")  # the optional province of the school
    await teacher.press("✅ Create")
    [contest] = await svc(flow).my_contests(await uid(flow, teacher))
    return contest


async def joined(flow: Flow, chat: StubChat, contest: Contest, name: str = "An") -> None:
    [ask] = await chat.command("join", contest.code)
    assert "display name" in ask.text
    [ready] = await chat.text(name)
    assert f"Welcome, <b>{name}</b>!" in ready.text


# -- practice -----------------------------------------------------------------------------------


async def test_practice_start_answer_and_finish(flow: Flow) -> None:
    chat = flow.chat(1, "en")
    [menu] = await chat.command("quiz")
    assert "⬅️ Main menu" in menu.labels
    [question] = await chat.press("🎲 Practice: mixed")
    assert "question 1/10" in question.text and question.labels[:2] == ["A", "B"]
    right = 0
    for n in range(10):
        wrong = n % 4 == 3
        [feedback] = await chat.press(await practice_letter(flow, chat, correct=not wrong))
        assert feedback.replaced
        if wrong:
            assert "❌ Not quite. The right answer:" in feedback.text
        else:
            right += 1
            assert "✅ Correct!" in feedback.text
        [shown] = await chat.press("🏁 See my result" if n == 9 else "Next question ▶")
    assert f"Practice finished: {right}/10 correct." in shown.text
    assert await flow.runtime.sessions.get(chat.chat.key) == {}  # the round is over
    # One anonymous row for the reports: the local day, topic and score, nothing of the person.
    rows = await flow.runtime.db.fetchall("SELECT * FROM quiz_practice_rounds")
    assert [(r["topic"], r["questions"], r["correct"]) for r in rows] == [("mix", 10, right)]
    assert set(rows[0].keys()) == {"day", "topic", "questions", "correct"}
    day = flow.runtime.clock.now().astimezone(flow.runtime.settings.tz)
    assert rows[0]["day"] == int(day.replace(hour=0, minute=0, second=0, microsecond=0)
                                 .timestamp())
    assert await chat.press_data("quiz:pn") == []  # "See my result" again: not counted twice
    assert len(await flow.runtime.db.fetchall("SELECT * FROM quiz_practice_rounds")) == 1
    # A stale answer button after the round: refused, nothing shown.
    assert await chat.press_data("quiz:p:3:0") == []
    assert chat.notices[-1][0] == "This practice round is over. Start a new one with /quiz."


async def test_practice_double_tap_and_forged_presses(flow: Flow) -> None:
    chat = flow.chat(2, "en")
    await chat.command("quiz")
    await chat.press("📚 Practice by topic")
    [question] = await chat.press("Laughing gas (N₂O)")
    assert "question 1/10" in question.text
    letter = await practice_letter(flow, chat)
    await chat.press(letter)
    assert await chat.press_data(f"quiz:p:0:{LETTERS.index(letter)}") == []  # a double tap
    assert chat.notices[-1][0] == "You already answered this question."
    assert await chat.press_data("quiz:p:7:0") == []  # a position not asked yet
    assert chat.notices[-1][0] == "You already answered this question."
    assert await chat.press_data("quiz:pt:no-such-topic") != []  # unknown topic: mixed
    assert await chat.press_data("quiz:p:-1:0") == []  # does not even parse
    assert await chat.press_data("quiz:a:1:0") == []  # wrong field count: does not parse


# -- joining --------------------------------------------------------------------------------------


async def test_join_by_command_link_and_bare_code(flow: Flow) -> None:
    teacher = flow.chat(10, "en")
    contest = await make_contest(flow, teacher)
    a, b, c = flow.chat(11, "en"), flow.chat(12, "en"), flow.chat(13, "en")
    await joined(flow, a, contest, "An")
    [ask] = await b.command("start", f"c_{contest.code}")
    assert "display name" in ask.text
    [ask] = await c.text(f" {contest.code.lower()} ")
    assert "display name" in ask.text
    [ask] = await c.text("Chi")
    assert "Welcome, <b>Chi</b>!" in ask.text
    # /join without a code asks for it; the typed code then joins.
    d = flow.chat(14, "en")
    [prompt] = await d.command("join")
    assert "Type the join code" in prompt.text
    [shown] = await d.photo(b"not a code")
    assert shown.text == "Please type the join code (6 letters and digits), or /cancel."
    [ask] = await d.text(contest.code)
    assert "display name" in ask.text
    # Joining again resumes, it does not make a second entry.
    [again] = await a.command("join", contest.code)
    assert "Welcome, <b>An</b>!" in again.text


async def test_wrong_ended_and_malformed_codes(flow: Flow) -> None:
    st = flow.chat(20, "en")
    [shown] = await st.command("join", "ZZZZZZ")
    assert "No contest has the code <code>ZZZZZZ</code>" in shown.text
    [shown] = await st.text("<b>nope</b>")  # still in the code step: escaped, refused
    assert "&lt;b&gt;nope&lt;/b&gt;" in shown.text
    assert await st.command("cancel")
    # A bare word that is not shaped like a code goes to the frame, uncounted.
    [shown] = await st.text("hello!")
    assert shown.text.startswith("I did not understand that.")
    teacher = flow.chat(21, "en")
    contest = await make_contest(flow, teacher, duration="15 min")
    clock(flow).advance(minutes=16)
    [shown] = await st.command("join", contest.code)
    assert "has ended: it no longer takes new players" in shown.text
    assert await svc(flow).entry(contest, await uid(flow, st)) is None


async def test_the_guessing_limit_counts_bare_codes_and_blocks_the_right_one(flow: Flow) -> None:
    teacher = flow.chat(30, "en")
    contest = await make_contest(flow, teacher, duration="1 day")
    guesser = flow.chat(31, "vi")
    for i in range(JOIN_FAILURES_MAX):
        wrong = "ZZZZZ" + "ABCDEFGHJK"[i]
        if i % 2:
            await guesser.text(wrong)  # a bare code counts as a guess too
        else:
            await guesser.command("join", wrong)
    for attempt in (("join", contest.code), ("start", f"c_{contest.code}")):
        [shown] = await guesser.command(*attempt)
        assert "nhập sai mã tham gia quá nhiều lần" in shown.text
    [shown] = await guesser.text(contest.code)
    assert "nhập sai mã tham gia quá nhiều lần" in shown.text
    assert await svc(flow).entry(contest, await uid(flow, guesser)) is None
    other = flow.chat(32, "en")
    [shown] = await other.command("join", contest.code)
    assert "display name" in shown.text
    clock(flow).advance(minutes=61)
    [shown] = await guesser.command("join", contest.code)
    assert "tên hiển thị" in shown.text


async def test_bad_display_names(flow: Flow) -> None:
    teacher = flow.chat(40, "en")
    contest = await make_contest(flow, teacher)
    st = flow.chat(41, "en")
    await st.command("join", contest.code)
    for bad in ("", "x", "y" * 33, "see t.me/spam", "@someone hi", "\u200b\u200b"):
        [shown] = await st.text(bad)
        assert "A display name has 2–32 characters and no links." in shown.text, bad
        assert "Type another display name, or /cancel." in shown.text
    [shown] = await st.photo(b"\xff\xd8")
    assert "2–32 characters" in shown.text
    assert await svc(flow).entry(contest, await uid(flow, st)) is None
    [ready] = await st.text("<b>Bold</b>")  # allowed, and always shown escaped
    assert "Welcome, <b>&lt;b&gt;Bold&lt;/b&gt;</b>!" in ready.text
    [board] = await teacher.command("leaderboard", contest.code)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in board.text and "<b>Bold</b>" not in board.text


# -- playing ----------------------------------------------------------------------------------


async def test_answers_on_the_server_clock(flow: Flow) -> None:
    teacher = flow.chat(50, "en")
    contest = await make_contest(flow, teacher, seconds="20 s")
    st = flow.chat(51, "en")
    await joined(flow, st, contest, "Binh")
    [q1] = await st.press("▶️ Start")
    assert "Question 1/5 · ⏱ 20 s" in q1.text and q1.replaced
    [verdict, q2] = await st.press(await contest_letter(flow, contest, st))
    assert "✅ Right!" in verdict.text and verdict.replaced
    assert "Question 2/5" in q2.text
    # A double tap on question 1: not counted again, and said so.
    assert await st.press_data(f"quiz:a:{contest.id}:0:0") == []
    assert "already answered" in (st.notices[-1][0] or "") and st.notices[-1][1]
    # A tap on a question not shown yet, or on someone else's contest: refused.
    assert await st.press_data(f"quiz:a:{contest.id}:3:0") == []
    assert st.notices[-1][0] == GONE
    assert await st.press_data(f"quiz:a:{contest.id + 99}:1:0") == []
    assert st.notices[-1][0] == GONE
    assert await st.press_data(f"quiz:a:{contest.id}:1:9") == []  # no such option
    assert st.notices[-1][0] == GONE
    # Time is up on question 2: not counted, the next one comes.
    clock(flow).advance(seconds=25)
    [late, q3] = await st.press(await contest_letter(flow, contest, st))
    assert "Time was up (20 seconds)" in late.text
    assert st.notices[-1] == ("⌛ Time was up (20 seconds): this answer was not counted.", True)
    assert "Question 3/5" in q3.text
    entry = await svc(flow).entry(contest, await uid(flow, st))
    assert entry is not None and (entry.correct, entry.answered, entry.position) == (1, 1, 2)
    # After the contest's end nothing counts.
    clock(flow).advance(hours=1)
    shown = await st.press(await contest_letter(flow, contest, st))
    assert "⏹ The contest has ended: this answer was not counted." in shown[0].text
    assert "has ended" in shown[-1].text


async def test_upcoming_contest_and_forged_contest_buttons(flow: Flow) -> None:
    teacher = flow.chat(60, "en")
    contest = await make_contest(flow, teacher, start="In 10 min")
    st = flow.chat(61, "en")
    await joined(flow, st, contest, "Em")
    assert "starts at" in st.last.text
    assert await st.press("▶️ Start") == []
    assert st.notices[-1] == ("The contest has not started yet.", True)
    stranger = flow.chat(62, "en")
    for data in (f"quiz:go:{contest.id}", f"quiz:top:{contest.id}", f"quiz:cert:{contest.id}"):
        assert await stranger.press_data(data) == []
        assert stranger.notices[-1][0] == GONE, data
    clock(flow).advance(minutes=11)
    [q1] = await st.press("▶️ Start")
    assert "Question 1/5" in q1.text


async def test_finish_leaderboard_and_certificate(flow: Flow) -> None:
    teacher = flow.chat(70, "en")
    contest = await make_contest(flow, teacher)
    st = flow.chat(71, "en")
    await joined(flow, st, contest, "Giỏi")
    await st.press("▶️ Start")
    for _ in range(5):
        await st.press(await contest_letter(flow, contest, st))
    assert "You have finished" in st.last.text and "5/5 correct" in st.last.text
    [cert] = await st.press("🎓 Get my certificate")
    assert cert.screen.document is not None and cert.screen.document[1].startswith(b"\x89PNG")
    [top] = await st.press_data(f"quiz:top:{contest.id}")  # the result screen's button
    assert "Giỏi" in top.text and top.labels == []  # students get no teacher buttons


# -- the teacher --------------------------------------------------------------------------------


async def test_wizard_steps_refuse_bad_input(flow: Flow) -> None:
    teacher = flow.chat(80, "en")
    [title] = await teacher.command("newcontest")
    assert "(1/8)" in title.text
    [shown] = await teacher.text("ab")
    assert shown.text == "A title has at least 3 characters. Type it again:"
    [shown] = await teacher.photo(b"\xff\xd8")
    assert shown.text == "Please type it as text, or /cancel."
    [count] = await teacher.text("  Lớp\x00 9A  <i>x</i> ")
    assert "<b>Lớp 9A &lt;i&gt;x&lt;/i&gt;</b> (2/8)" in count.text
    [shown] = await teacher.text("10")  # typed where a button is expected
    assert shown.text == "Please choose one of the options above, or /cancel."
    assert await teacher.press_data("quiz_teacher:w:count:7") == []  # not an offered count
    assert teacher.notices[-1][0] == GONE
    assert await teacher.press_data("quiz_teacher:w:count:²") == []  # a digit int() refuses
    assert teacher.notices[-1][0] == GONE
    assert await teacher.press_data("quiz_teacher:w:sec:20") == []  # a later step's button
    assert teacher.notices[-1][0] == GONE
    await teacher.press_data("quiz_teacher:w:count:10")  # the count screen's "10"
    assert await teacher.press_data("quiz_teacher:w:tp:999") == []
    [topics] = await teacher.press("Laughing gas (N₂O)")
    assert "✅ Laughing gas (N₂O)" in topics.labels
    [topics] = await teacher.press("✅ Laughing gas (N₂O)")  # tapped again: unchosen
    assert "Laughing gas (N₂O)" in topics.labels
    await teacher.press("Done ▶")
    assert await teacher.press_data("quiz_teacher:w:diff:extreme") == []
    await teacher.press("Hard")
    await teacher.press("30 s")
    assert await teacher.press_data("quiz_teacher:w:bonus:2") == []
    await teacher.press("⚡ Speed bonus on")
    [shown] = await teacher.text("not a time")
    assert "could not read that time" in shown.text
    [end] = await teacher.text("23:59")
    assert "(8/8)" in end.text
    [shown] = await teacher.text("23:59 01/01/2020")
    assert shown.text == "The end must be after the start. Type another time:"
    [province] = await teacher.text("23:59 31/12/2099")
    assert "Province of your school" in province.text
    [check] = await teacher.press("Skip ▶")
    assert "Check your contest" in check.text and "Speed bonus: on" in check.text
    assert await teacher.press("✅ Create") == []
    assert "at most 31 days" in (teacher.notices[-1][0] or "") and teacher.notices[-1][1]
    assert await svc(flow).my_contests(await uid(flow, teacher)) == []
    [cancelled] = await teacher.press("✖️ Cancel")
    assert cancelled.text == "Cancelled. No contest was created."
    assert await teacher.press_data("quiz_teacher:w:create") == []  # after the wizard: stale
    assert teacher.notices[-1][0] == GONE


async def test_wizard_province_of_the_school_is_paged_and_stored(flow: Flow) -> None:
    teacher = flow.chat(91, "en")
    await teacher.command("newcontest")
    await teacher.text("Lớp 9A")
    for label in ("5", "All topics", "Mixed", "20 s", "Correct answers only", "Now"):
        await teacher.press(label)
    [first] = await teacher.press("1 h")
    assert "Province of your school" in first.text and "(page 1 of 3)" in first.text
    assert "Skip ▶" in first.labels and "Hồ Chí Minh" not in first.labels
    assert await teacher.press_data("quiz_teacher:w:prov:99") == []  # no such province
    assert teacher.notices[-1][0] == GONE
    assert await teacher.press_data("quiz_teacher:w:provpg:9") == []  # no such page
    page = first
    while "Hồ Chí Minh" not in page.labels:
        [page] = await teacher.press("▶")
    [check] = await teacher.press("Hồ Chí Minh")
    assert "Province: Thành phố Hồ Chí Minh" in check.text
    await teacher.press("✅ Create")
    [contest] = await svc(flow).my_contests(await uid(flow, teacher))
    row = await flow.runtime.db.fetchone(
        "SELECT province_code FROM quiz_contests WHERE id = ?", (contest.id,))
    assert row is not None and row[0] == "79"


async def test_contest_screen_link_qr_and_owner_checks(flow: Flow) -> None:
    teacher = flow.chat(90, "en")
    contest = await make_contest(flow, teacher)
    view = next(s for s in teacher.conv.shown if "Join code" in s.text)
    assert f"Link: stub://bot/c_{contest.code}" in view.text  # the channel's link
    qr = teacher.last
    assert qr.screen.photo is not None and qr.screen.photo.startswith(b"\x89PNG")
    assert f"stub://bot/c_{contest.code}" in qr.text
    [shown] = await teacher.command("leaderboard")
    assert "followed by the join code" in shown.text
    st = flow.chat(91, "en")
    await joined(flow, st, contest, "Rude")
    # Nobody but the owner may use the contest's buttons or its leaderboard.
    for data in (f"quiz_teacher:c:{contest.id}", f"quiz_teacher:lb:{contest.id}",
                 f"quiz_teacher:csv:{contest.id}", f"quiz_teacher:end:{contest.id}",
                 f"quiz_teacher:names:{contest.id}:0", f"quiz_teacher:rm:{contest.id}:1",
                 f"quiz_teacher:anx:{contest.id}:n"):
        assert await st.press_data(data) == [], data
        assert st.notices[-1] == ("This contest does not exist or is not yours.", True), data
    [shown] = await st.command("leaderboard", contest.code)
    assert "not yours" in shown.text
    # The owner: CSV exports as two documents.
    await teacher.command("mycontests")
    await teacher.press(f"{contest.code} · {contest.title}")
    docs = await teacher.press("📥 CSV export")
    assert [d.screen.document[0] for d in docs if d.screen.document] == [
        f"contest-{contest.code}-results.csv", f"contest-{contest.code}-questions.csv"]
    # Renaming: a bad name is refused, a good one saved; another contest's entry is refused.
    await teacher.command("mycontests")
    await teacher.press(f"{contest.code} · {contest.title}")
    await teacher.press("✏️ Display names")
    await teacher.press("Rude")
    await teacher.press("✏️ Rename")
    [shown] = await teacher.text("x")
    assert "2–32 characters" in shown.text
    [renamed, names] = await teacher.text("Nice")
    assert renamed.text == "Renamed to <b>Nice</b>." and "Nice" in names.labels
    assert await teacher.press_data(f"quiz_teacher:n:{contest.id}:99999") == []
    assert teacher.notices[-1] == ("This participant is no longer in the contest.", True)


async def test_final_ranking_and_owed_questions_go_through_the_messenger(flow: Flow) -> None:
    sent: list[tuple[int | str, Screen]] = []
    outcome = {"value": SendOutcome.SENT}

    class StubMessenger:
        channel = "stub"

        def private_chat(self, external_id: str) -> str:
            return f"stub:{external_id}"

        async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
            if outcome["value"] is SendOutcome.SENT:
                sent.append((chat_key, screen))
            return outcome["value"]

    flow.runtime.messengers["stub"] = StubMessenger()
    teacher = flow.chat(100, "en")
    contest = await make_contest(flow, teacher, duration="15 min")
    st = flow.chat(101, "en")
    await joined(flow, st, contest, "Dung")
    await st.press("▶️ Start")
    # The answer is recorded but the next question never reached the student.
    entry = await svc(flow).entry(contest, await uid(flow, st))
    assert entry is not None
    qid, order = entry.plan[0]
    right = ShuffledQuestion(svc(flow).bank.get(qid), order).correct_displayed[0]
    await svc(flow).answer(contest.id, entry.user_id, 0, right, translator("en"))
    outcome["value"] = SendOutcome.FAILED
    assert await resend_owed_questions(flow.runtime) == 0  # not delivered: still owed
    outcome["value"] = SendOutcome.SENT
    assert await resend_owed_questions(flow.runtime) == 1
    assert sent[-1][0] == st.chat.key and "Question 2/5 · ⏱ 20 s" in sent[-1][1].text
    assert await resend_owed_questions(flow.runtime) == 0  # delivered: nothing owed
    # The final ranking reaches the teacher once; a failed delivery is tried again.
    clock(flow).advance(minutes=16)
    outcome["value"] = SendOutcome.FAILED
    await send_final_rankings(None, flow.runtime)
    outcome["value"] = SendOutcome.SENT
    await send_final_rankings(None, flow.runtime)
    await send_final_rankings(None, flow.runtime)
    finals = [s for key, s in sent if "Final ranking" in s.text]
    assert len(finals) == 1 and "Dung" in finals[0].text
    assert [b.text for row in finals[0].buttons for b in row] == ["📥 CSV export", "⬅️ Contest"]


# -- group rounds -------------------------------------------------------------------------------


async def test_group_rounds_need_a_group_and_native_polls(flow: Flow) -> None:
    private = flow.chat(110, "en")
    [shown] = await private.command("groupquiz")
    assert "Add me to your class group" in shown.text
    # Digits int() refuses ("²".isdigit() is True) are not numbers here; they used to crash.
    assert round_args(Command("groupquiz", "² 7 ³ 30")) == (7, 30)
    group = flow.chat(111, "en", private=False)
    [shown] = await group.command("groupquiz", "3 15")
    assert shown.text.startswith("Quiz rounds in groups are not available here.")
    assert await group.command("stopquiz") != []


async def test_group_round_where_the_channel_has_native_polls(flow: Flow) -> None:
    import dataclasses

    posted: list[Any] = []

    async def poster() -> None:
        posted.extend(await svc(flow).due_rounds())

    svc(flow).add_poster(poster)
    caps = dataclasses.replace(STUB, native_polls=True, groups=True)
    teacher = StubChat(flow.runtime, 120, "en", private=False, capabilities=caps)
    teacher.chat = dataclasses.replace(teacher.chat, key=-100120)

    admin = {"value": False}

    async def is_admin() -> bool:
        return admin["value"]

    teacher.conv.is_admin = is_admin  # type: ignore[attr-defined]
    [shown] = await teacher.command("groupquiz")
    assert shown.text == "Only the group's admins can start a quiz round."
    admin["value"] = True
    [intro] = await teacher.command("groupquiz", "3 9999999999999999999999999999999999999999")
    assert "3 questions, 600 seconds each" in intro.text  # clamped to the channel's limit
    assert len(posted) == 1  # the channel was asked to post the first poll at once
    [shown] = await teacher.command("groupquiz")
    assert "already running" in shown.text
    [board] = await teacher.command("stopquiz")
    assert "Quiz round stopped" in board.text and "Nobody answered this time." in board.text
    [shown] = await teacher.command("stopquiz")
    assert shown.text == "No quiz round is running here."
