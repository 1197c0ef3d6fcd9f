"""The reply rate limiter: a sliding window per group, self-paced senders counted not held."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.channels.telegram.rate_limit import SELF_PACED, ReplyRateLimiter
from bot.sliding_window import SlidingWindow

GROUP = -1001234500001


async def test_sliding_window_never_lets_more_than_limit_through_in_any_period() -> None:
    window = SlidingWindow(3, 0.3)
    times: list[float] = []

    async def one() -> None:
        await window.acquire()
        times.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(7)))
    times.sort()
    assert len(times) == 7
    # the 4th acquisition of any run of four is a whole period after the first
    assert all(times[i + 3] - times[i] >= 0.3 for i in range(len(times) - 3))


async def _request(limiter: ReplyRateLimiter, chat_id: int, args: int | None, sent: list[int]) -> Any:
    async def callback() -> dict[str, Any]:
        sent.append(chat_id)
        return {"ok": True}

    return await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat_id}, args)


async def test_self_paced_sends_are_counted_but_not_held() -> None:
    limiter = ReplyRateLimiter(group_per_minute=20)
    sent: list[int] = []
    # 25 outbox cards into one group are not held for a minute (the outbox paces itself) ...
    await asyncio.wait_for(
        asyncio.gather(*(_request(limiter, GROUP, SELF_PACED, sent) for _ in range(25))), 5)
    assert len(sent) == 25
    # ... but they count: an ordinary reply into that group now waits for the window.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_request(limiter, GROUP, None, sent), 0.3)
    assert len(sent) == 25
    # Private chats are never held.
    await asyncio.wait_for(_request(limiter, 4242, None, sent), 5)
    assert sent[-1] == 4242
