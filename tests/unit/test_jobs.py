"""The one job list: every background job is listed once, and exactly those are scheduled."""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from typing import Any

from bot.jobs import schedule_all
from bot.wiring import JOBS


class _Queue:
    def __init__(self) -> None:
        self.scheduled: list[tuple[str, float, float]] = []

    def run_repeating(self, callback: Any, *, interval: timedelta, first: float, name: str) -> None:
        assert inspect.iscoroutinefunction(callback)
        self.scheduled.append((name, interval.total_seconds(), first))


class _App:
    def __init__(self) -> None:
        self.job_queue = _Queue()


def test_every_job_is_listed_once_with_sane_timing() -> None:
    names = [j.name for j in JOBS]
    assert len(names) == len(set(names))
    assert all(j.every_seconds > 0 and j.first >= 0 for j in JOBS)
    assert all(inspect.iscoroutinefunction(j.fn) for j in JOBS)


def test_exactly_the_listed_jobs_are_scheduled() -> None:
    app = _App()
    schedule_all(app, runtime=None, jobs=JOBS)  # type: ignore[arg-type]
    assert app.job_queue.scheduled == [(j.name, j.every_seconds, j.first) for j in JOBS]


def test_a_failing_job_does_not_stop_the_others(caplog: Any) -> None:
    from bot.jobs import Job

    async def boom(bot: Any, runtime: Any) -> None:
        raise ValueError("secret words")

    callbacks: list[Any] = []

    class Queue(_Queue):
        def run_repeating(self, callback: Any, **kw: Any) -> None:
            callbacks.append(callback)

    app = _App()
    app.job_queue = Queue()
    schedule_all(app, runtime=None, jobs=[Job("boom", 1, 0, boom)])  # type: ignore[arg-type]

    class Ctx:
        bot = None

    asyncio.run(callbacks[0](Ctx()))  # logged, not raised
    assert "job boom failed: ValueError" in caplog.text
    assert "secret words" not in caplog.text


async def test_without_telegram_the_neutral_jobs_run_as_tasks() -> None:
    from bot.jobs import Job, run_without_telegram

    ran: list[str] = []

    async def neutral(bot: Any, runtime: Any) -> None:
        assert bot is None  # no Telegram bot on web or Zalo alone
        ran.append("neutral")

    async def polls(bot: Any, runtime: Any) -> None:
        ran.append("polls")

    tasks = run_without_telegram(None, [Job("n", 0.01, 0, neutral),  # type: ignore[arg-type]
                                        Job("p", 0.01, 0, polls, telegram_only=True)])
    await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    assert len(tasks) == 1
    assert ran.count("neutral") >= 2 and "polls" not in ran  # it repeats; Telegram's is left


def test_only_native_quiz_polls_need_telegram() -> None:
    assert {j.name for j in JOBS if j.telegram_only} == {"quiz_group_rounds"}
