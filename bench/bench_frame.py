"""Benchmark (issue 2): updates through the fake Bot API — the real bot vs a bare PTB echo bot.

    .venv/bin/python bench/bench_frame.py [--users 200 --actions 10 --repeats 2]
    .venv/bin/python bench/bench_frame.py --users 1000 --actions 10 --repeats 1
    .venv/bin/python bench/bench_frame.py --profile      # + cProfile of the real bot's process

Many simulated users (fakegram `FakeUser`s) act concurrently, each doing its `--actions`
one after another (closed loop: the next action starts when the bot's reaction to the previous
one has been observed). The action cycle (10 steps) mixes commands and button presses:

    /start, [📚 Learn], [⬅️ Main menu], /language, [English|Tiếng Việt], [❓ Help],
    [⬅️ Main menu], [📚 Learn], [⬅️ Main menu], [❓ Help]

Buttons are pressed by callback_data (m:learn, m:home, m:help, lang:en / lang:vi), so the same
script drives both bots:

* real: the application (`bot.app.running`, temp data dir, jobs off, production wiring:
  ChatOrderedProcessor with the update-id claim, AIORateLimiter, HTTPXRequest);
* echo: a bare python-telegram-bot Application (default builder) that echoes text with one
  sendMessage (carrying a keyboard with the same callback_data) and answers a callback query
  with answerCallbackQuery + editMessageText.

By default each bot runs in a child process (the same script with `--child`), so the bot has its
own interpreter and the fake server + simulated users (this process) do not share its GIL;
`--inprocess` runs everything on one event loop like the tests do. Latency = from the user's
action (update enqueued in the fake) to the fake server receiving the bot's last request that
completes it (sendMessage for a text; answerCallbackQuery *and* editMessageText for a press);
completion is detected by hooking the fake's event recorder, so the fake's 50 ms quiet period
is never measured. Bot CPU = utime+stime of the bot's process (all threads) during the phase.
Only 127.0.0.1 is used; everything is bounded by timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACTION_TIMEOUT = 30.0
CYCLE = (
    ("send", "/start"),
    ("press", "m:learn"),
    ("press", "m:home"),
    ("send", "/language"),
    ("press", "lang:*"),
    ("press", "m:help"),
    ("press", "m:home"),
    ("press", "m:learn"),
    ("press", "m:home"),
    ("press", "m:help"),
)
DEADLINE = [float("inf")]  # perf_counter() after which phases stop (set from --max-seconds)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def proc_cpu(pid: int) -> float:
    """utime + stime (seconds) of a process, all threads included."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ====================================================================== the two bots
ECHO_KEYBOARD_ROWS = (
    (("📚 Learn", "m:learn"), ("❓ Help", "m:help")),
    (("⬅️ Main menu", "m:home"),),
    (("🇻🇳 Tiếng Việt", "lang:vi"), ("🇬🇧 English", "lang:en")),
)


@contextlib.asynccontextmanager
async def echo_bot(token: str, base_url: str, file_url: str, concurrent: bool = False
                   ) -> AsyncIterator[Any]:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in ECHO_KEYBOARD_ROWS])

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        assert msg is not None and msg.text is not None
        await context.bot.send_message(msg.chat_id, msg.text, reply_markup=keyboard)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"pressed {query.data}", reply_markup=keyboard)

    builder = ApplicationBuilder().token(token).base_url(base_url).base_file_url(file_url)
    if concurrent:
        builder = builder.concurrent_updates(True)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(on_press))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@contextlib.asynccontextmanager
async def real_bot(token: str, base_url: str, file_url: str) -> AsyncIterator[Any]:
    from bot.app import running
    from bot.config import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(
            load_settings({}), token=token, api_base_url=base_url, api_file_url=file_url,
            data_dir=Path(tmp) / "data")
        async with running(settings, poll_timeout=5, jobs=False) as app:
            yield app


BOTS = {"echo": echo_bot, "real": real_bot}
# Experiments (`--bots echo,real,real+sniffio+c8,...`): modifiers applied inside the bot's
# process only, to size the suggested fixes without touching the application's files.
MODIFIERS = {
    "sniffio": "httpcore imports `sniffio` on every lock/event it creates; it is not installed, so "
               "each import fails after a sys.path scan: stub it (= `pip install sniffio`)",
    "cN": "ChatOrderedProcessor(max_concurrent_updates=N) instead of 256, e.g. +c8",
    "noclaim": "no update-id claim (no SQLite write transaction per update)",
    "norl": "no AIORateLimiter",
    "noinbox": "updates not stored in the update inbox before they are confirmed (issue 11/20's "
               "cost: the bot before that fix)",
    "concurrent": "echo bot with concurrent_updates(True)",
}


def bot_factory(name: str) -> Any:
    """'real+sniffio+c8' → an async context manager factory with the modifiers applied."""
    base, *mods = name.split("+")
    unknown = [m for m in mods if m not in MODIFIERS and not re.fullmatch(r"c\d+", m)]
    if base not in BOTS or unknown:
        raise SystemExit(f"unknown bot {name!r}; bases {list(BOTS)}, modifiers {list(MODIFIERS)}")
    if "sniffio" in mods and "sniffio" not in sys.modules:
        import types

        stub = types.ModuleType("sniffio")
        stub.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
        sys.modules["sniffio"] = stub
    if base == "real":
        import bot.app as bot_app
        import bot.channels.telegram.application as tg_app
        import storage.updates as updates_repo

        for m in mods:
            if re.fullmatch(r"c\d+", m):
                tg_app.ChatOrderedProcessor.__init__.__defaults__ = (int(m[1:]),)
        if "noclaim" in mods:
            async def claim(*_a: Any) -> bool:
                return True

            updates_repo.claim = claim  # type: ignore[assignment]
        if "noinbox" in mods:
            import asyncio as _asyncio

            from telegram.request import HTTPXRequest

            tg_app.DurableUpdateQueue.put = _asyncio.Queue.put  # type: ignore[method-assign]
            tg_app.InboxedGetUpdatesRequest.do_request = (  # type: ignore[method-assign]
                HTTPXRequest.do_request)
        if "norl" in mods:
            original = bot_app.build_application
            bot_app.build_application = (  # type: ignore[assignment]
                lambda runtime, rate_limit=True: original(runtime, rate_limit=False))
        return real_bot
    return functools.partial(echo_bot, concurrent="concurrent" in mods)


async def child_main(args: argparse.Namespace) -> None:
    """Run one bot until stdin closes (the parent's signal to stop)."""
    logging.disable(logging.WARNING)
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
    loop = asyncio.get_running_loop()
    async with bot_factory(args.child)(args.token, args.base_url, args.file_url):
        if profiler is not None:
            profiler.enable()
        print("READY", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile_out)


# ====================================================================== completion tracking
class Tracker:
    """Resolves one pending action per chat from the fake server's event stream."""

    def __init__(self, tg: Any) -> None:
        self.pending: dict[int, tuple[set[str], asyncio.Future[float]]] = {}
        self.errors = 0
        original = tg._event

        def hook(kind: str, method: str, **kw: Any) -> Any:
            ev = original(kind, method, **kw)
            waiting = self.pending.get(ev.chat_id)
            if waiting is not None:
                needed, fut = waiting
                if kind == "error":
                    self.errors += 1
                    needed.clear()
                needed.discard(kind)
                if not needed and not fut.done():
                    fut.set_result(time.perf_counter())
            return ev

        tg._event = hook  # the fake's one place where every bot reaction is recorded

    def expect(self, chat_id: int, kinds: set[str]) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[chat_id] = (set(kinds), fut)
        return fut


@dataclasses.dataclass
class Phase:
    users: int
    actions: int
    done: int = 0
    failed: int = 0
    wall: float = 0.0
    bot_cpu: float = float("nan")
    harness_cpu: float = 0.0
    latencies: list[float] = dataclasses.field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else float("nan")

    def summary(self) -> dict[str, Any]:
        lat = self.latencies
        return {
            "users": self.users, "actions": self.actions, "done": self.done, "failed": self.failed,
            "wall_s": self.wall, "updates_per_s": self.rate,
            "p50_ms": pct(lat, 0.5) * 1000, "p90_ms": pct(lat, 0.9) * 1000,
            "p99_ms": pct(lat, 0.99) * 1000, "max_ms": max(lat) * 1000 if lat else float("nan"),
            "mean_ms": statistics.mean(lat) * 1000 if lat else float("nan"),
            "bot_cpu_ms_per_update": self.bot_cpu / self.done * 1000 if self.done else float("nan"),
            "harness_cpu_ms_per_update": self.harness_cpu / self.done * 1000 if self.done else
            float("nan"),
        }


async def drive(tg: Any, tracker: Tracker, first_uid: int, users: int, actions: int,
                bot_pid: int | None) -> Phase:
    phase = Phase(users, users * actions)
    people = [tg.user(id=first_uid + i, first_name=f"U{i}", language_code="vi", started=True)
              for i in range(users)]

    async def one(user: Any) -> None:
        for step in range(actions):
            kind, what = CYCLE[step % len(CYCLE)]
            if what == "lang:*":
                what = "lang:en" if (step // len(CYCLE)) % 2 == 0 else "lang:vi"
            if kind == "send":
                fut = tracker.expect(user.id, {"send"})
                start = time.perf_counter()
                await user.send(what, wait=False)
            else:
                fut = tracker.expect(user.id, {"callback_answer", "edit"})
                start = time.perf_counter()
                await user.press(callback_data=what, wait=False)
            try:
                end = await asyncio.wait_for(fut, ACTION_TIMEOUT)
            except TimeoutError:
                phase.failed += 1
                return  # the chat's state is unknown now; stop this user
            phase.latencies.append(end - start)
            phase.done += 1

    cpu0 = proc_cpu(bot_pid) if bot_pid else float("nan")
    hcpu0 = time.process_time()
    wall0 = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(u) for u in people)),
                               max(1.0, DEADLINE[0] - time.perf_counter()))
    except TimeoutError:
        phase.failed += phase.actions - phase.done - phase.failed  # cut off by --max-seconds
    phase.wall = time.perf_counter() - wall0
    phase.harness_cpu = time.process_time() - hcpu0
    if bot_pid:
        phase.bot_cpu = proc_cpu(bot_pid) - cpu0
    return phase


# ====================================================================== one bot, one server
async def run_bot(kind: str, args: argparse.Namespace, profile_out: str | None) -> dict[str, Any]:
    from fakegram import FakeTelegram

    tg = FakeTelegram(record_requests=False, reply_timeout=ACTION_TIMEOUT)
    await tg.start()
    tracker = Tracker(tg)
    proc = None
    inproc: Any = None
    try:
        if args.inprocess:
            inproc = bot_factory(kind)(tg.token, tg.base_url, tg.base_file_url)
            await inproc.__aenter__()
            pid = None
        else:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind,
                   "--token", tg.token, "--base-url", tg.base_url, "--file-url", tg.base_file_url]
            if profile_out:
                cmd += ["--profile-out", profile_out]
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if line.strip() != b"READY":
                raise RuntimeError(f"{kind} bot did not start: {line!r}")
            pid = proc.pid
        # Warm-up (first imports, caches, connection pools), then an unloaded latency probe.
        await drive(tg, tracker, 1_000_000, 20, 10, pid)
        idle = await drive(tg, tracker, 2_000_000, 1, 30, pid)
        loaded = await drive(tg, tracker, 3_000_000, args.users, args.actions, pid)
        return {"bot": kind, "idle": idle.summary(), "loaded": loaded.summary(),
                "fake_errors": tracker.errors, "violations": len(tg.violations),
                "internal_errors": len(tg.internal_errors)}
    finally:
        if inproc is not None:
            await inproc.__aexit__(None, None, None)
        if proc is not None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await tg.stop()


def fmt_row(r: dict[str, Any], phase: str) -> str:
    s = r[phase]
    return (f"| {r['bot']} | {phase} | {s['users']:5} × {s['actions'] // max(1, s['users']):<3}"
            f"| {s['done']:6} | {s['failed']:3} | {s['wall_s']:6.2f} | {s['updates_per_s']:7.0f} "
            f"| {s['p50_ms']:7.1f} | {s['p90_ms']:7.1f} | {s['p99_ms']:7.1f} | {s['max_ms']:7.1f} "
            f"| {s['bot_cpu_ms_per_update']:5.2f} | {s['harness_cpu_ms_per_update']:5.2f} |")


async def parent_main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    bots = [b.strip() for b in args.bots.split(",") if b.strip()]
    for name in bots:
        bot_factory(name)  # validate names before starting anything
    results = []
    t0 = time.perf_counter()
    DEADLINE[0] = t0 + args.max_seconds
    for rep in range(args.repeats):
        for kind in (bots if rep % 2 == 0 else bots[::-1]):
            if time.perf_counter() > DEADLINE[0] - 10:
                print(f"--max-seconds reached: {kind} rep {rep + 1} skipped")
                continue
            r = await run_bot(kind, args, None)
            r["rep"] = rep + 1
            results.append(r)
            print(f"rep {rep + 1} {kind}: {r['loaded']['updates_per_s']:.0f} updates/s, "
                  f"p50 {r['loaded']['p50_ms']:.1f} ms, p99 {r['loaded']['p99_ms']:.1f} ms "
                  f"(failed {r['loaded']['failed']}, fake errors {r['fake_errors']}, "
                  f"violations {r['violations']})", flush=True)
    print()
    mode = "in-process" if args.inprocess else "bot in a child process"
    print(f"bench_frame: {args.users} users × {args.actions} actions, {mode}, "
          f"{args.repeats} repeat(s), {time.perf_counter() - t0:.0f} s total")
    print("| bot | phase | users × act | updates | fail | wall s | upd/s | p50 ms | p90 ms "
          "| p99 ms | max ms | bot CPU ms/upd | harness CPU ms/upd |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for phase in ("idle", "loaded"):
        for r in results:
            print(fmt_row(r, phase))
    print()

    def med(name: str, key: str) -> float:
        return statistics.median(r["loaded"][key] for r in results if r["bot"] == name)

    base = bots[0]
    b_rate, b_p99 = med(base, "updates_per_s"), med(base, "p99_ms")
    for name in bots[1:]:
        if not any(r["bot"] == name for r in results) or not any(r["bot"] == base for r in results):
            continue
        rate, p99 = med(name, "updates_per_s"), med(name, "p99_ms")
        print(f"median of repeats: throughput {name}/{base} = {rate:.0f}/{b_rate:.0f} = "
              f"{rate / b_rate:.2f}× (goal ≥ 0.8×: {'met' if rate >= 0.8 * b_rate else 'MISSED'});"
              f" p99 {name}/{base} = {p99:.0f}/{b_p99:.0f} ms = {p99 / b_p99:.2f}× "
              f"(goal ≤ 1.5×: {'met' if p99 <= 1.5 * b_p99 else 'MISSED'})")
    if args.profile:
        prof = str(Path(tempfile.gettempdir()) / "bench_frame_real.prof")
        name = next((b for b in bots if b.startswith("real")), "real")
        r = await run_bot(name, args, prof)
        print(f"\nprofiled extra run of {name} (not in the table; cProfile slows it): "
              f"{r['loaded']['updates_per_s']:.0f} updates/s; stats of the bot's main thread "
              f"(warm-up + idle + loaded phases) in {prof}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--actions", type=int, default=10, help="actions per user")
    parser.add_argument("--repeats", type=int, default=2, help="echo/real pairs, order alternates")
    parser.add_argument("--inprocess", action="store_true",
                        help="run the bot on the harness's event loop instead of a child process")
    parser.add_argument("--profile", action="store_true",
                        help="after the comparison, one extra cProfiled run of the real bot")
    parser.add_argument("--max-seconds", type=float, default=170.0,
                        help="overall time bound; a phase still running then is cut off "
                             "(unfinished actions count as failed)")
    parser.add_argument("--json", help="also write the raw results here")
    # internal: child-process mode
    parser.add_argument("--bots", default="echo,real",
                        help="bots to compare; the first two decide the goal line. Modifiers: "
                             + "; ".join(f"+{k}: {v}" for k, v in MODIFIERS.items()))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--file-url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child_main(args))
    else:
        asyncio.run(parent_main(args))


if __name__ == "__main__":
    main()
