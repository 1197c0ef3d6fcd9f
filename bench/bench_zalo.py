"""Benchmark (issue 14): the Zalo channel through the fake Zalo Bot Platform (fakezalo).

    .venv/bin/python bench/bench_zalo.py [--users 1000 --steps 3 --concurrency 50]

Everything runs in one process on 127.0.0.1: the fake platform, the bot on Zalo alone in
webhook mode (`bot.channels.zalo.run.zalo_only`, its aiohttp server behind the fake's stand-in
for a TLS proxy), and `--users` simulated people, `--concurrency` of them at a time, each doing
`--steps` of a flow one after another (closed loop: the next step when the bot has handled the
previous one). The flow is the citizen flow available on the engine:

    /learn  ->  "18" (🔎 search, by number)  ->  "bóng cười" (typed query)

Then every update is delivered a second time (Zalo retries) and must change nothing.

A second, open-loop phase sends `/start` from `--rate` new people per second for `--seconds`
(a busy evening rather than a saturated bot) and reports the same figures.

Reported: webhook acknowledgement time (POST sent -> 200 received, per delivery; Zalo's limit
is 2 s), handling latency (delivery -> the bot reports the update handled, which is after its
last sendMessage), lost updates (delivered but never handled or never answered), duplicate
answers (replies caused by a second delivery), wall time and throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.channels.zalo.run import zalo_only  # noqa: E402
from bot.config import ZaloSettings, load_settings  # noqa: E402
from fakezalo import FakeZalo  # noqa: E402

STEPS = ("/learn", "18", "bóng cười")
SECRET = "bench-secret-0123"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main(users: int, steps: int, concurrency: int, rate: float, seconds: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    async with FakeZalo(reply_timeout=60) as zl:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            base = load_settings({})
            settings = dataclasses.replace(
                base, data_dir=Path(tmp) / "data",
                webhook=dataclasses.replace(base.webhook, listen="127.0.0.1", port=port),
                zalo=ZaloSettings(token=zl.token, api_base_url=zl.base_url,
                                  public_url="https://bot.example.vn", webhook_secret=SECRET),
            )
            zl.proxy_to = f"http://127.0.0.1:{port}"
            async with zalo_only(settings, webhook=True) as channel:
                channel.on_handled = zl.mark_handled
                latencies: list[float] = []
                answered = 0
                updates: list[dict[str, object]] = []
                gate = asyncio.Semaphore(concurrency)

                async def person(i: int) -> None:
                    nonlocal answered
                    user = zl.user(f"bench{i:05d}", f"Người {i}")
                    async with gate:
                        for text in STEPS[:steps]:
                            started = time.perf_counter()
                            reply = await user.send(text)
                            latencies.append(time.perf_counter() - started)
                            updates.append(zl.last_update)
                            answered += bool(reply.sent)

                started = time.perf_counter()
                await asyncio.gather(*(person(i) for i in range(users)))
                wall = time.perf_counter() - started
                handled_first = channel.handled
                acks = [seconds for _status, seconds in zl.deliveries]
                sent_before = len(zl.sent)
                for update in updates:  # Zalo delivers every one of them again
                    await zl.deliver_again(update)
                await asyncio.sleep(0.5)
                duplicates_answered = len(zl.sent) - sent_before
                total = users * steps
                print(f"users {users}, steps {steps}, concurrency {concurrency}")
                print(f"updates delivered {total}, handled {handled_first}, answered {answered}, "
                      f"lost {total - min(handled_first, answered)}")
                print(f"second deliveries {len(updates)}: recognised {channel.duplicates}, "
                      f"answers caused {duplicates_answered}")
                print(f"webhook ack (n={len(acks)}): p50 {pct(acks, 0.5):.1f} ms, "
                      f"p99 {pct(acks, 0.99):.1f} ms, max {max(acks) * 1000:.1f} ms")
                print(f"handling latency: p50 {pct(latencies, 0.5):.1f} ms, "
                      f"p99 {pct(latencies, 0.99):.1f} ms, mean "
                      f"{statistics.mean(latencies) * 1000:.1f} ms")
                print(f"wall {wall:.1f} s, {total / wall:.0f} updates/s")
                # Open loop: new people at a steady rate (a busy evening, not a saturated bot).
                zl.deliveries.clear()
                open_latencies: list[float] = []

                async def newcomer(i: int) -> None:
                    await asyncio.sleep(i / rate)
                    started = time.perf_counter()
                    await zl.user(f"open{i:05d}", "X").send("/start")
                    open_latencies.append(time.perf_counter() - started)

                await asyncio.gather(*(newcomer(i) for i in range(int(rate * seconds))))
                acks = [s for _status, s in zl.deliveries]
                print(f"open loop {rate:g} new people/s for {seconds:g} s (n={len(acks)}): "
                      f"ack p50 {pct(acks, 0.5):.1f} ms, p99 {pct(acks, 0.99):.1f} ms; "
                      f"handling p50 {pct(open_latencies, 0.5):.1f} ms, "
                      f"p99 {pct(open_latencies, 0.99):.1f} ms")
                print(f"violations {len(zl.violations)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.steps, args.concurrency, args.rate, args.seconds))
