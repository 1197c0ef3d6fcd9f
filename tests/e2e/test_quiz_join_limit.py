"""Contest join codes cannot be guessed without limit (issue 11, item 12)."""

from __future__ import annotations

from typing import Any

from bot.quiz import JOIN_FAILURES_MAX
from tests.e2e.test_quiz import create_contest

WRONG = ["ZZZZZ" + c for c in "ABCDEFGHJK"]


async def test_wrong_codes_are_limited_per_chat_then_allowed_again(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4001, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, duration="1 day")
    guesser = tg.user(id=4901, first_name="G", language_code="en")
    for code in WRONG[:JOIN_FAILURES_MAX]:
        reply = await guesser.send(f"/join {code}")
        assert "No contest has the code" in reply.text
    reply = await guesser.send(f"/join {WRONG[JOIN_FAILURES_MAX]}")
    assert "Too many wrong join codes" in reply.text
    # While limited even the right code is refused, by command, link or typed alone.
    for attempt in (f"/join {contest.code}", f"/start c_{contest.code}", contest.code):
        reply = await guesser.send(attempt)
        assert "Too many wrong join codes" in reply.text, attempt
        assert "display name" not in reply.text
    assert await bot.service("quiz").entry(contest, guesser.id) is None

    # Another chat is not affected; Vietnamese speakers are told in Vietnamese.
    lan = tg.user(id=4902, first_name="Lan", language_code="vi")
    for code in WRONG[:JOIN_FAILURES_MAX]:
        await lan.send(code)  # bare codes count too
    reply = await lan.send(f"/join {contest.code}")
    assert "nhập sai mã tham gia quá nhiều lần" in reply.text
    other = tg.user(id=4903, first_name="O", language_code="en")
    reply = await other.send(f"/join {contest.code}")
    assert "display name" in reply.text

    # The counter names no one: no user or chat id in its rows.
    rows = await bot.rt.db.fetchall("SELECT key FROM quiz_join_failures")
    assert len(rows) >= 2 * JOIN_FAILURES_MAX
    for row in rows:
        assert str(guesser.id).encode() not in bytes(row["key"])

    bot.clock.advance(minutes=61)
    reply = await guesser.send(f"/join {contest.code}")
    assert "display name" in reply.text


async def test_the_guess_counter_key_rotates_daily(bot: Any) -> None:
    svc = bot.service("quiz")
    today = svc._guess_key(4901)
    assert svc._guess_key(4901) == today and svc._guess_key(4902) != today
    bot.clock.advance(hours=24)
    assert svc._guess_key(4901) != today
