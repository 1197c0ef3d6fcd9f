"""Time in one place, so tests and jobs agree on "now" (UTC inside, Asia/Ho_Chi_Minh shown)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Wall clock; tests swap in a FrozenClock to jump hours ahead."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> int:
        return int(time.time())


class FrozenClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> int:
        return int(self._now.timestamp())

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._now += timedelta(**delta)
