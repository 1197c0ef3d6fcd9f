"""Benchmark (issue 14): the Zalo channel through the fake Zalo Bot Platform (fakezalo).

    .venv/bin/python bench/bench_zalo.py [--users 1000 --steps 3 --concurrency 50]
    .venv/bin/python bench/bench_zalo.py --inprocess     # the bot on the same event loop

By default the bot runs as its own process, exactly as deployed: `python -m bot webhook` with
only ZALO_BOT_TOKEN set (Zalo alone, webhook mode, its aiohttp server on 127.0.0.1 behind the
fake's stand-in for a TLS proxy); this process runs the fake platform and the simulated people.
`--inprocess` runs the bot on this process's event loop instead (like the tests).

Closed loop: `--users` people, `--concurrency` at a time, each doing `--steps` of a flow one
after another (the next step when the bot's answer has reached the fake). The flow is the
citizen flow available on the engine in `main`:

    /learn  ->  the number of 🔎 search  ->  "bóng cười" (typed query)

`--flow tip`: each person files an anonymous tip (12 steps, options chosen by number, the
ward typed); the database is then checked for exactly one tip per person and no Zalo account.

Then every update is delivered a second time (a Zalo retry) and must change nothing. An open
loop follows: `--rate` new people per second for `--seconds` send /start.

Reported: webhook acknowledgement time (POST sent -> answer received, per delivery; Zalo's
limit is 2 s), answer latency (delivery -> the bot's answer at the fake), lost updates
(delivered, never answered), answers caused by second deliveries, throughput. Only 127.0.0.1,
everything bounded by timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fakezalo import FakeZalo, free_port  # noqa: E402
from fakezalo import option_number as number_of  # noqa: E402

STEPS = ("/learn", "#Tìm kiếm", "bóng cười")
# The anonymous tip, step by step; "#label" chooses the numbered option with that label.
TIP_STEPS = ("/tip", "#Bắt đầu", "#Điểm, tụ điểm", "Hồ Chí Minh", "Sài Gòn", "#Phường Sài Gòn",
             "#Đúng", "#Bỏ qua", "Bán ma túy ở hẻm 12 gần chợ", "#Không có ảnh", "#Hôm nay",
             "#Gửi cho công an")


SECRET = "bench-secret-0123"
PUBLIC = "https://bot.example.vn"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@contextlib.asynccontextmanager
async def bot_process(zl: FakeZalo, data: Path, port: int) -> AsyncIterator[None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ZALO_"))}
    env.update({"ZALO_BOT_TOKEN": zl.token, "ZALO_API_BASE_URL": zl.base_url,
                "ZALO_WEBHOOK_SECRET": SECRET, "BOT_PUBLIC_URL": PUBLIC,
                "BOT_WEBHOOK_LISTEN": "127.0.0.1", "BOT_WEBHOOK_PORT": str(port),
                "BOT_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "webhook", env=env, cwd=data.parent,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    try:
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if not line:
                raise RuntimeError("the bot process ended")
            if b"Bot is running" in line:
                break
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


@contextlib.asynccontextmanager
async def bot_inprocess(zl: FakeZalo, data: Path, port: int) -> AsyncIterator[None]:
    from bot.channels.zalo.run import zalo_only
    from bot.config import ZaloSettings, load_settings

    base = load_settings({})
    settings = dataclasses.replace(
        base, data_dir=data,
        webhook=dataclasses.replace(base.webhook, listen="127.0.0.1", port=port),
        zalo=ZaloSettings(token=zl.token, api_base_url=zl.base_url, public_url=PUBLIC,
                          webhook_secret=SECRET))
    async with zalo_only(settings, webhook=True):
        yield


async def step(zl: FakeZalo, user: Any, text: str) -> tuple[float, bool]:
    if text.startswith("#"):
        last = [m for m in zl.sent if m.chat_id == user.id][-1]
        text = number_of(last.text or last.caption, text[1:])
    before = zl.count_to(user.id)
    started = time.perf_counter()
    await user.send(text, wait=False)
    ok = await zl.wait_count(user.id, before + 1, within=60)
    return time.perf_counter() - started, ok


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    async with FakeZalo() as zl:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            zl.proxy_to = f"http://127.0.0.1:{port}"
            runner = bot_inprocess if args.inprocess else bot_process
            flow = TIP_STEPS if args.flow == "tip" else STEPS
            args.steps = min(args.steps or len(flow), len(flow))
            async with runner(zl, Path(tmp) / "data", port):
                latencies: list[float] = []
                answered = 0
                updates: list[dict[str, object]] = []
                gate = asyncio.Semaphore(args.concurrency)

                async def person(i: int) -> None:
                    nonlocal answered
                    user = zl.user(f"bench{i:05d}", f"Người {i}")
                    async with gate:
                        for text in flow[:args.steps]:
                            seconds, ok = await step(zl, user, text)
                            latencies.append(seconds)
                            updates.append(zl.last_update)
                            answered += ok

                started = time.perf_counter()
                await asyncio.gather(*(person(i) for i in range(args.users)))
                wall = time.perf_counter() - started
                acks = [seconds for _status, seconds in zl.deliveries]
                refused = sum(status != 200 for status, _ in zl.deliveries)
                sent_before = len(zl.sent)
                for update in updates:  # Zalo delivers every one of them again
                    await zl.deliver_again(update)
                await asyncio.sleep(1.0)
                duplicates_answered = len(zl.sent) - sent_before
                total = args.users * args.steps
                print(f"bot {'in this process' if args.inprocess else 'in its own process'}; "
                      f"users {args.users}, steps {args.steps}, concurrency {args.concurrency}")
                print(f"updates delivered {total}, answered {answered}, lost {total - answered}, "
                      f"webhook answers other than 200: {refused}")
                print(f"second deliveries {len(updates)}: answers caused {duplicates_answered}")
                print(f"webhook ack (n={len(acks)}): p50 {pct(acks, 0.5):.1f} ms, "
                      f"p99 {pct(acks, 0.99):.1f} ms, max {max(acks) * 1000:.1f} ms")
                print(f"answer latency: p50 {pct(latencies, 0.5):.1f} ms, "
                      f"p99 {pct(latencies, 0.99):.1f} ms, mean "
                      f"{statistics.mean(latencies) * 1000:.1f} ms")
                print(f"wall {wall:.1f} s, {total / wall:.0f} updates/s")

                zl.deliveries.clear()
                open_latencies: list[float] = []

                async def newcomer(i: int) -> None:
                    await asyncio.sleep(i / args.rate)
                    seconds, ok = await step(zl, zl.user(f"open{i:05d}", "X"), "/start")
                    if ok:
                        open_latencies.append(seconds)

                count = int(args.rate * args.seconds)
                await asyncio.gather(*(newcomer(i) for i in range(count)))
                acks = [s for _status, s in zl.deliveries]
                print(f"open loop {args.rate:g} new people/s for {args.seconds:g} s (n={count}, "
                      f"answered {len(open_latencies)}): ack p50 {pct(acks, 0.5):.1f} ms, "
                      f"p99 {pct(acks, 0.99):.1f} ms; answer p50 "
                      f"{pct(open_latencies, 0.5):.1f} ms, p99 {pct(open_latencies, 0.99):.1f} ms")
                print(f"violations {len(zl.violations)}")
            if args.flow == "tip":
                import sqlite3

                con = sqlite3.connect(Path(tmp) / "data" / "bot.sqlite3")
                tips = con.execute("SELECT count(*) FROM tips").fetchone()[0]
                accounts = con.execute(
                    "SELECT count(*) FROM accounts WHERE channel = 'zalo'").fetchone()[0]
                con.close()
                print(f"tips stored {tips} (people {args.users}: lost {args.users - tips}, "
                      f"extra {max(0, tips - args.users)}); zalo accounts created {accounts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--flow", choices=("learn", "tip"), default="learn")
    parser.add_argument("--steps", type=int, default=0, help="0: the whole flow")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--inprocess", action="store_true")
    asyncio.run(main(parser.parse_args()))
