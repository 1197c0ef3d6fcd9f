"""A contest question is never lost (issue 11, item 21): its clock starts when it is delivered,
and after a restart every student whose next question was never delivered gets it."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_quiz import contest_letter, create_contest, edited, join


async def test_question_lost_before_a_restart_is_sent_again_with_its_full_time(
    bot: Any, tg: Any
) -> None:
    teacher = tg.user(id=4011, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, count="5", seconds="20 s")
    st = tg.user(id=4511, first_name="Gia", language_code="en")
    await join(st, "command", contest, "Gia")
    await st.press("▶️ Start")
    first = st.last
    # The answer is recorded, then sending question 2 fails (as if the bot died right then).
    tg.inject("sendMessage", 502, chat_id=st.id, times=None)
    reply = await st.press(await contest_letter(bot, contest, st))
    assert "✅ Right!" in edited(reply)
    tg.clear_injections()
    assert not any("Question 2/5" in m.text for m in st.messages)
    dup = await st.press_forged(f"quiz:a:{contest.id}:0:0", message=first)  # a stale tap
    assert "already answered" in dup.callback_answer.text

    bot.clock.advance(seconds=60)  # the bot was down a minute: the student loses no time
    await bot.restart()
    question = await st.wait_for("Question 2/5")
    assert "⏱ 20 s" in question.text
    await st.expect_no_reply(timeout=0.2)
    assert sum("Question 2/5" in m.text for m in st.messages) == 1
    bot.clock.advance(seconds=5)
    reply = await st.press(await contest_letter(bot, contest, st), message=question)
    assert "✅ Right!" in edited(reply)
    assert "Question 3/5" in reply.text
    entry = await bot.service("quiz").entry(contest, st.id)
    assert (entry.correct, entry.answered, entry.position) == (2, 2, 2)
    await bot.restart()  # nothing is owed any more: nothing is sent again
    await st.expect_no_reply(timeout=0.3)
