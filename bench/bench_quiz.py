"""Benchmark: one contest, 2,000 students answering the same question within 20 seconds.

    .venv/bin/python bench/bench_quiz.py [--students 2000] [--window 20] [--dup-share 0.1]

Two measurements:
1. service path: `QuizService.answer` called directly (arrivals spread over the window, run
   concurrently), against a real SQLite database in a temp directory;
2. end to end: the real application (PTB, ChatOrderedProcessor, handlers) polling the fakegram
   Bot API server over HTTP; every student presses an option button (a callback_query update),
   the bot answers the query, edits the question and sends the next one.

In both, a share of the students double-tap (a second answer to the same question right after
the first). Reported: answers lost (must be 0), duplicates accepted (must be 0), p50/p99
handling time, and peak memory (RSS of this process, which in run 2 also holds the fake server
and 2,000 fake chats; tracemalloc peak for run 1).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import FrozenClock  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.quiz import QuizService  # noqa: E402
from bot.quiz_logic import ShuffledQuestion  # noqa: E402
from content.quiz_bank import load_bank  # noqa: E402
from storage.db import Database  # noqa: E402

T0 = datetime(2026, 6, 26, 1, 0, tzinfo=UTC)
SECONDS_PER_QUESTION = 30


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _setup(svc: QuizService, students: int) -> Any:
    now = svc.clock.timestamp()
    contest = await svc.create_contest(
        1, title="Benchmark", count=5, topics=[], difficulty="", seconds=SECONDS_PER_QUESTION,
        speed_bonus=True, starts_at=now, ends_at=now + 3600, locale="vi")
    t = translator("vi")
    for i in range(students):
        entry = await svc.join(contest, 10_000 + i, f"HS {i}")
        await svc.current(contest, entry, t)  # question 1 …
        await svc.question_delivered(contest.id, entry.user_id)  # … delivered: its clock starts
    return contest


async def _right(svc: QuizService, contest: Any, uid: int) -> int:
    entry = await svc.entry(contest, uid)
    assert entry is not None
    qid, order = entry.plan[0]
    question = svc.bank.get(qid)
    assert question is not None
    return ShuffledQuestion(question, order).correct_displayed[0]


async def _verify(db: Database, contest_id: int, students: int) -> tuple[int, int]:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM quiz_answers a JOIN quiz_entries e ON e.id = a.entry_id"
        " WHERE e.contest_id = ? AND a.position = 0 AND a.outcome = 'on_time'", (contest_id,))
    answered = row["n"] if row else 0
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM quiz_entries WHERE contest_id = ? AND answered > 1",
        (contest_id,))
    over = row["n"] if row else 0
    return students - answered, over


async def service_path(students: int, window: float, dup_share: float,
                       paced: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(Path(tmp) / "bench.db") as db:
            clock = FrozenClock(T0)
            svc = QuizService(db, clock, load_bank())
            contest = await _setup(svc, students)
            t = translator("vi")
            rights = {uid: await _right(svc, contest, uid)
                      for uid in range(10_000, 10_000 + students)}
            timings: list[float] = []
            dup_accepted = 0
            dups = 0

            async def one(uid: int, double: bool) -> None:
                nonlocal dup_accepted, dups
                s = time.perf_counter()
                reply = await svc.answer(contest.id, uid, 0, rights[uid], t)
                timings.append(time.perf_counter() - s)
                assert reply.edit is not None, reply.toast
                if double:
                    dups += 1
                    again = await svc.answer(contest.id, uid, 0, rights[uid], t)
                    if again.edit is not None:
                        dup_accepted += 1

            tracemalloc.start()
            wall = time.perf_counter()
            tasks = []
            step = window / students
            every = max(1, round(1 / dup_share)) if dup_share > 0 else 0
            for i, uid in enumerate(rights):
                # Paced: arrivals spread evenly over the window in real time. Burst: all at
                # once (a stress case: every answer queues on the one database connection).
                if paced:
                    delay = wall + i * step - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                clock.advance(seconds=step)
                tasks.append(asyncio.create_task(one(uid, bool(every) and i % every == 0)))
                if not paced and i % 50 == 49:
                    await asyncio.sleep(0)
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - wall
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            lost, over = await _verify(db, contest.id, students)
            return {
                "answers": len(timings), "lost": lost, "duplicates": dups,
                "duplicates_accepted": dup_accepted + over, "p50_ms": pct(timings, 0.5) * 1000,
                "p99_ms": pct(timings, 0.99) * 1000, "max_ms": max(timings) * 1000,
                "mean_ms": statistics.mean(timings) * 1000, "wall_s": elapsed,
                "tracemalloc_peak_mib": peak / 2**20,
            }


async def fake_server_path(students: int, window: float, dup_share: float) -> dict[str, Any]:
    import logging

    from bot.app import running
    from bot.channels.telegram.render import markup
    from bot.config import load_settings
    from bot.quiz_actions import ContestAnswer
    from fakegram import FakeTelegram

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tg = FakeTelegram(record_requests=False, reply_timeout=60)
        await tg.start()
        base = load_settings({})
        settings = dataclasses.replace(
            base, token=tg.token, api_base_url=tg.base_url, api_file_url=tg.base_file_url,
            data_dir=Path(tmp) / "data")
        clock = FrozenClock(T0)
        try:
            async with running(settings, clock=clock, poll_timeout=5, jobs=False) as app:
                runtime = app.bot_data["rt"]
                svc: QuizService = runtime.services.quiz
                contest = await _setup(svc, students)
                t = translator("vi")
                users = {}
                setup_start = time.perf_counter()
                for i in range(students):
                    uid = 10_000 + i
                    users[uid] = tg.user(id=uid, first_name=f"HS{i}", language_code="vi",
                                         started=True)
                    entry = await svc.entry(contest, uid)
                    assert entry is not None
                    screen = await svc.current(contest, entry, t)
                    await app.bot.send_message(uid, screen.text,
                                               reply_markup=markup(screen.buttons))
                setup_s = time.perf_counter() - setup_start
                rights = {uid: await _right(svc, contest, uid) for uid in users}

                handled: list[float] = []
                queued: list[float] = []
                injected: dict[int, float] = {}
                # The engine's route for answer presses, wrapped to time each one.
                routes = runtime.engine.actions
                original = routes[ContestAnswer]

                async def timed(turn: Any, act: Any) -> None:
                    s = time.perf_counter()
                    uid = turn.person.telegram_id
                    if uid in injected:
                        queued.append(s - injected[uid])
                    await original(turn, act)
                    handled.append(time.perf_counter() - s)
                    if len(handled) >= expected:
                        done.set()

                step = window / students
                every = max(1, round(1 / dup_share)) if dup_share > 0 else 0
                expected = students + (len(range(0, students, every)) if every else 0)
                done = asyncio.Event()
                routes[ContestAnswer] = timed
                dups = 0
                wall = time.perf_counter()
                for i, (uid, user) in enumerate(users.items()):
                    target = wall + i * step
                    delay = target - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    clock.advance(seconds=step)
                    question = user.last
                    letter = "ABCDEF"[rights[uid]]
                    injected.setdefault(uid, time.perf_counter())
                    await user.press(letter, message=question, wait=False)
                    if every and i % every == 0:
                        dups += 1
                        await user.press(letter, message=question, wait=False)
                inject_s = time.perf_counter() - wall
                assert expected == students + dups
                try:
                    await asyncio.wait_for(done.wait(), timeout=120)
                except TimeoutError:
                    pass  # reported as fewer updates handled than sent
                drain_s = time.perf_counter() - wall
                routes[ContestAnswer] = original
                lost, over = await _verify(runtime.db, contest.id, students)
                answered_queries = sum(1 for e in tg.events if e.kind == "callback_answer")
                return {
                    "answers": students, "updates_handled": len(handled),
                    "callback_answers": answered_queries, "lost": lost, "duplicates": dups,
                    "duplicates_accepted": over,
                    "p50_ms": pct(handled, 0.5) * 1000, "p99_ms": pct(handled, 0.99) * 1000,
                    "max_ms": max(handled) * 1000 if handled else float("nan"),
                    "queue_p50_ms": pct(queued, 0.5) * 1000,
                    "queue_p99_ms": pct(queued, 0.99) * 1000,
                    "inject_s": inject_s, "all_handled_s": drain_s, "setup_s": setup_s,
                    "violations": len(tg.violations), "peak_rss_mib": rss_mib(),
                }
        finally:
            await tg.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--only", choices=("service", "e2e"), default=None)
    args = parser.parse_args()
    if args.only != "e2e":
        for paced in (True, False):
            result = asyncio.run(service_path(args.students, args.window, args.dup_share, paced))
            print("service path, " + ("paced:" if paced else "burst:"),
                  {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()})
    if args.only != "service":
        result = asyncio.run(fake_server_path(args.students, args.window, args.dup_share))
        print("through fakegram:", {k: round(v, 2) if isinstance(v, float) else v
                                    for k, v in result.items()})


if __name__ == "__main__":
    main()
