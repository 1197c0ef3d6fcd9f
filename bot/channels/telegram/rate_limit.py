"""The rate limiter for the bot's interactive requests.

Replies to one person are naturally slow (one per action), so private chats pass straight
through; group chats are held to Telegram's 20 messages a minute; a 429 anywhere is obeyed
(sleep retry_after, then retry) instead of failing the user's action. Bulk senders (tip
outbox, broadcasts) pace themselves. PTB's AIORateLimiter does the same with a
global limiter on every call, which measurably slowed every update (see BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.sliding_window import SlidingWindow

log = logging.getLogger(__name__)
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
# `rate_limit_args` of a sender that paces each group itself (the tip outbox): its messages are
# counted in the group's window, so replies account for them, but never held here.
SELF_PACED = 1


class ReplyRateLimiter(BaseRateLimiter[int]):
    def __init__(self, group_per_minute: int = 20, max_retries: int = 3) -> None:
        self.group_per_minute = group_per_minute
        self.max_retries = max_retries
        self._groups: dict[int | str, SlidingWindow] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _group_limiter(self, chat_id: object) -> SlidingWindow | None:
        # Private chats have positive ids; groups and channels negative ids or @usernames.
        if isinstance(chat_id, int) and chat_id > 0:
            return None
        if not isinstance(chat_id, int | str) or (isinstance(chat_id, str) and not chat_id.startswith(("@", "-"))):
            return None
        if chat_id not in self._groups:
            # a sliding minute, as Telegram counts: a leaky bucket (aiolimiter) let about 40 a
            # minute into a group after an idle spell
            self._groups[chat_id] = SlidingWindow(self.group_per_minute, 60.0)
        return self._groups[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        limiter = self._group_limiter(data.get("chat_id")) if endpoint.startswith("send") else None
        if limiter is not None and rate_limit_args == SELF_PACED:
            limiter.note()
            limiter = None
        for attempt in range(self.max_retries + 1):
            try:
                if limiter is not None:
                    await limiter.acquire()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                log.info("429 on %s: waiting %.1f s", endpoint, seconds)
                await asyncio.sleep(seconds + 0.1)
        raise AssertionError("unreachable")
