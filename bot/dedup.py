"""Telegram delivers updates at least once: remember processed update ids cheaply.

Update ids only grow. At start the highest stored id is the high-water mark: a newer id cannot
have been processed before the restart, so it is checked in memory only; an id at or below the
mark (a redelivery after restart) is looked up in the database. New ids are written in batches
(every `flush_interval` seconds and at shutdown) instead of one write transaction per update.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from bot.clock import Clock
from storage import updates as repo
from storage.db import Database

RECENT = 100_000  # ids kept in memory; far more than arrive between two flushes


class UpdateDeduplicator:
    def __init__(self, db: Database, clock: Clock, flush_interval: float = 0.1) -> None:
        self.db = db
        self.clock = clock
        self.flush_interval = flush_interval
        self.high_water = 0
        self._recent: set[int] = set()
        self._order: deque[int] = deque()
        self._pending: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.high_water = await repo.highest(self.db)
        self._task = asyncio.create_task(self._flush_loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def is_duplicate(self, update_id: int) -> bool:
        """True when this id was processed before; otherwise records it."""
        if update_id in self._recent:
            return True
        if update_id <= self.high_water and await repo.seen(self.db, update_id):
            return True
        self._recent.add(update_id)
        self._order.append(update_id)
        if len(self._order) > RECENT:
            self._recent.discard(self._order.popleft())
        self._pending.append(update_id)
        return False

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        await repo.claim_many(self.db, batch, self.clock.timestamp())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()
