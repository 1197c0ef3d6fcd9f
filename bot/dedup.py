"""Telegram delivers updates at least once: remember processed update ids cheaply.

Update ids only grow. At start the highest stored id is the high-water mark: a newer id cannot
have been processed before the restart, so it is checked in memory only; an id at or below the
mark (a redelivery after restart) is looked up in the database.

An id is written as processed when its handling *finished* (`finish`), in the same transaction
that deletes its sealed body from the update inbox (`bot.inbox`): a crash while an update is
being handled leaves it in the inbox, unclaimed, so it is handled again after the restart.
Finished ids are written in batches (every `flush_interval` seconds and at shutdown) instead of
one write transaction per update. Deleted inbox bodies are then folded out of the WAL by a
checkpoint, at most every `checkpoint_interval` seconds (a checkpoint after every 0.1 s batch
cost a fifth of the bot's throughput under load) and at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from bot.clock import Clock
from storage import updates as repo
from storage.db import Database

RECENT = 100_000  # ids kept in memory; far more than arrive between two flushes


class UpdateDeduplicator:
    def __init__(self, db: Database, clock: Clock, flush_interval: float = 0.1,
                 checkpoint_interval: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.flush_interval = flush_interval
        self.checkpoint_interval = checkpoint_interval
        self._dirty = False  # inbox bodies deleted since the last successful checkpoint
        self._last_checkpoint = 0.0
        self.high_water = 0
        self._recent: set[int] = set()
        self._order: deque[int] = deque()
        self._in_flight: set[int] = set()
        self._finished: list[int] = []
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
        await self._checkpoint(force=True)

    async def is_duplicate(self, update_id: int) -> bool:
        """True when this id was processed (or is being processed) already; otherwise it is
        marked in flight until `finish`."""
        if update_id in self._recent:
            if update_id not in self._in_flight:
                # A redelivered copy may have been stored in the inbox again: drop it there too
                # (never while the first copy is still running: a crash then must replay it).
                self._finished.append(update_id)
            return True
        if update_id <= self.high_water and await repo.seen(self.db, update_id):
            self._finished.append(update_id)
            return True
        self._recent.add(update_id)
        self._order.append(update_id)
        if len(self._order) > RECENT:
            self._recent.discard(self._order.popleft())
        self._in_flight.add(update_id)
        return False

    def finish(self, update_id: int) -> None:
        """The update was handled: remember it and delete its stored body at the next flush."""
        self._in_flight.discard(update_id)
        self._finished.append(update_id)

    async def flush(self) -> None:
        if not self._finished:
            return
        batch, self._finished = self._finished, []
        if await repo.finish_many(self.db, batch, self.clock.timestamp()):
            self._dirty = True

    async def _checkpoint(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._dirty and (force or now - self._last_checkpoint >= self.checkpoint_interval):
            self._last_checkpoint = now
            if await self.db.checkpoint():
                self._dirty = False

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()
            await self._checkpoint()
