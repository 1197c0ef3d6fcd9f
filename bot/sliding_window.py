"""At most `limit` events in any `period` seconds: how Telegram counts a group's 20 messages a
minute. One implementation for every sender that must respect it: the reply rate limiter
(`bot.channels.telegram.rate_limit`), the tip outbox (`bot.tip_outbox`) and the broadcast pacer (`bot.pacing`)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        # Only the newest `limit` events decide whether one more fits.
        self._times: deque[float] = deque(maxlen=limit)
        self._lock: asyncio.Lock | None = None

    def delay(self, now: float | None = None) -> float:
        """Seconds until one more event fits (0: it fits now)."""
        now = self.clock() if now is None else now
        if len(self._times) < self.limit:
            return 0.0
        return max(0.0, self._times[0] + self.period - now)

    def note(self, at: float | None = None) -> None:
        """Count an event (now, or at a planned moment no earlier than the last one)."""
        self._times.append(self.clock() if at is None else at)

    @property
    def latest(self) -> float | None:
        return self._times[-1] if self._times else None

    async def acquire(self) -> None:
        """Wait until one more fits, then count it; waiters go in arrival order."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while (wait := self.delay()) > 0:  # noqa: ASYNC110 (time passing is the event)
                await asyncio.sleep(wait + 0.01)
            self.note()
