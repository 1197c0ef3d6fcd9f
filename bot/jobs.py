"""Background work, all as jobs of the one JobQueue. Features add theirs with `job()`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.runtime import Runtime
from storage import updates as updates_repo

log = logging.getLogger(__name__)

JobFn = Callable[[Any, Runtime], Awaitable[None]]
_jobs: list[tuple[str, float, float, JobFn]] = []


def job(name: str, every_seconds: float, first: float = 1.0) -> Callable[[JobFn], JobFn]:
    """Register `fn(bot, runtime)` to run every `every_seconds` (first run after `first`)."""

    def deco(fn: JobFn) -> JobFn:
        _jobs.append((name, every_seconds, first, fn))
        return fn

    return deco


@job("housekeeping", every_seconds=3600, first=5)
async def housekeeping(bot: Any, runtime: Runtime) -> None:
    """Forget expired drafts/sessions and update ids older than Telegram's 24 h redelivery."""
    await runtime.sessions.purge_expired()
    await updates_repo.prune(runtime.db, runtime.clock.timestamp() - 2 * 24 * 3600)
    await runtime.db.checkpoint()


def schedule_all(app: Any, runtime: Runtime) -> None:
    if app.job_queue is None:
        return
    for name, every, first, fn in _jobs:

        async def run(context: Any, fn: JobFn = fn, name: str = name) -> None:
            try:
                await fn(context.bot, runtime)
            except Exception as exc:  # one failing job must not stop the others
                log.error("job %s failed: %s", name, type(exc).__name__)

        app.job_queue.run_repeating(run, interval=timedelta(seconds=every), first=first, name=name)
