"""Group quiz rounds with native quiz polls, end to end through the fake Bot API."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.channels.telegram.quiz_polls import advance
from bot.quiz_logic import ShuffledQuestion
from storage import quiz as repo


async def _scored(bot: Any, round_id: int, expected: int, within: float = 5.0) -> None:
    """Wait until the bot has scored `expected` votes of the round (poll answers get no reply)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = await repo.round_scores(bot.rt.db, round_id)
        if sum(int(r["answered"]) for r in rows) >= expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {rows!r} scored")


def _right_option(bot: Any, poll_msg: Any) -> int:
    data = poll_msg.poll
    assert data["type"] == "quiz" and data["is_anonymous"] is False
    return int(data["correct_option_ids"][0])


async def test_group_round_scores_polls_survives_restart_and_posts_leaderboard(
    bot: Any, tg: Any
) -> None:
    teacher = tg.user(id=5001, first_name="Cô Hoa", language_code="en")
    lan = tg.user(id=5101, first_name="Lan", language_code="en")
    minh = tg.user(id=5102, first_name="Minh", language_code="en")
    g = tg.group(id=-1005001, title="Lớp 9A", owner=teacher, members=[lan, minh])

    reply = await teacher.send("/groupquiz 3 15", chat=g)
    assert "Quiz round!" in reply.text
    assert "3 questions, 15 seconds each" in reply.text
    poll1 = g.last
    assert poll1.poll is not None and poll1.poll["open_period"] == 15
    assert poll1.poll["question"].startswith("[1/3] ")
    rnd = await bot.service("quiz").running_round(g.id)
    assert rnd is not None

    right = _right_option(bot, poll1)
    wrong = (right + 1) % len(poll1.poll["options"])
    await lan.answer_poll(poll1, option_ids=[right], wait=False)
    await minh.answer_poll(poll1, option_ids=[wrong], wait=False)
    await _scored(bot, rnd.id, 2)

    # Nothing moves before the poll closes.
    assert await advance(bot.app.bot, bot.rt) == 0
    bot.clock.advance(seconds=18)
    assert await advance(bot.app.bot, bot.rt) == 1
    poll2 = g.last
    assert poll2.poll is not None and poll2.poll["question"].startswith("[2/3] ")
    await lan.answer_poll(poll2, option_ids=[_right_option(bot, poll2)], wait=False)
    await _scored(bot, rnd.id, 3)

    # A restart in the middle: the round, its polls and its scores are in the database.
    await bot.restart()
    await minh.answer_poll(poll2, option_ids=[_right_option(bot, poll2)], wait=False)
    await _scored(bot, rnd.id, 4)
    bot.clock.advance(seconds=18)
    await advance(bot.app.bot, bot.rt)
    poll3 = g.last
    assert poll3.poll["question"].startswith("[3/3] ")
    bot.clock.advance(seconds=18)
    await advance(bot.app.bot, bot.rt)
    board = g.last
    assert "Quiz round over" in board.text
    text = board.text
    assert "3 questions asked · 2 players · 4 answers scored." in text
    assert text.index("Lan") < text.index("Minh")
    assert "🥇 Lan — 2/3 correct" in text
    assert "🥈 Minh — 1/3 correct" in text
    assert await bot.service("quiz").running_round(g.id) is None
    # A vote after the round is over is not scored.
    assert not await bot.service("quiz").on_poll_answer(poll3.poll["id"], 5101, "Lan", [0])


async def test_group_round_needs_an_admin_and_one_at_a_time(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=5002, first_name="Thầy Nam", language_code="en")
    kid = tg.user(id=5201, first_name="Kid", language_code="en")
    g = tg.group(id=-1005002, title="Lớp 8B", owner=teacher, members=[kid])
    reply = await kid.send("/groupquiz", chat=g)
    assert "Only the group's admins" in reply.text
    await teacher.send("/groupquiz 2", chat=g)
    reply = await teacher.send("/groupquiz", chat=g)
    assert "already running" in reply.text
    reply = await kid.send("/stopquiz", chat=g)
    assert "Only the group's admins" in reply.text
    reply = await teacher.send("/stopquiz", chat=g)
    assert "Quiz round stopped" in reply.text
    assert "Nobody answered this time." in reply.text
    reply = await teacher.send("/stopquiz", chat=g)
    assert "No quiz round is running here." in reply.text


async def test_groupquiz_in_private_chat_explains(bot: Any, tg: Any) -> None:
    tom = tg.user(id=5003, first_name="Tom", language_code="en")
    reply = await tom.send("/groupquiz")
    assert "Add me to your class group" in reply.text


async def test_group_poll_options_follow_the_stored_order(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=5004, first_name="Hoa", language_code="en")
    g = tg.group(id=-1005004, title="Lớp 7C", owner=teacher)
    await teacher.send("/groupquiz 1 10", chat=g)
    msg = g.last
    svc = bot.service("quiz")
    poll = await repo.get_poll(bot.rt.db, msg.poll["id"])
    assert poll is not None
    sq = ShuffledQuestion(svc.bank.get(poll.question_id), poll.option_order)
    assert [o["text"] for o in msg.poll["options"]] == sq.options("en")
    assert msg.poll["correct_option_ids"] == list(sq.correct_displayed)
