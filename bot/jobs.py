"""Background work, all as jobs of the one JobQueue. The list of jobs is `bot.wiring.JOBS`:
one place says everything that runs in the background and how often."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.runtime import Runtime
from storage import updates as updates_repo

log = logging.getLogger(__name__)

JobFn = Callable[[Any, Runtime], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """`fn(bot, runtime)` every `every_seconds`, the first run `first` seconds after start."""

    name: str
    every_seconds: float
    first: float
    fn: JobFn
    telegram_only: bool = False  # needs the Telegram bot (e.g. native quiz polls)


async def housekeeping(bot: Any, runtime: Runtime) -> None:
    """Forget expired drafts/sessions and update ids older than Telegram's 24 h redelivery."""
    await runtime.sessions.purge_expired()
    await updates_repo.prune(runtime.db, runtime.clock.timestamp() - 2 * 24 * 3600)
    await runtime.db.checkpoint()


def schedule_all(app: Any, runtime: Runtime, jobs: Iterable[Job]) -> None:
    if app.job_queue is None:
        return
    for name, every, first, fn in ((j.name, j.every_seconds, j.first, j.fn) for j in jobs):

        async def run(context: Any, fn: JobFn = fn, name: str = name) -> None:
            try:
                await fn(context.bot, runtime)
            except Exception as exc:  # one failing job must not stop the others
                log.error("job %s failed: %s", name, type(exc).__name__)

        app.job_queue.run_repeating(run, interval=timedelta(seconds=every), first=first, name=name)


def run_without_telegram(runtime: Runtime, jobs: Iterable[Job]) -> list[asyncio.Task[None]]:
    """Web or Zalo alone: no Telegram JobQueue, so the channel-neutral jobs run as asyncio
    tasks (the same list, minus what needs the Telegram bot). Cancel the tasks to stop."""

    async def loop(job: Job) -> None:
        await asyncio.sleep(job.first)
        while True:
            try:
                await job.fn(None, runtime)
            except Exception as exc:  # one failing job must not stop the others
                log.error("job %s failed: %s", job.name, type(exc).__name__)
            await asyncio.sleep(job.every_seconds)

    return [asyncio.create_task(loop(j), name=f"job-{j.name}")
            for j in jobs if not j.telegram_only]
