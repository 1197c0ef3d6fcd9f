"""Benchmark the broadcast engine against the fake Bot API (in its own process).

    .venv/bin/python bench/bench_broadcast.py [--subscribers 100000] [--paced-seconds 100]

1. Paced: the fake server enforces Telegram's 30 messages/second (sliding window), the engine
   runs at its free-tier rate (30/s); it sends for `--paced-seconds` and we report the achieved
   rate over the steady part and the number of 429 answers.
2. Paid broadcast: limits lifted, `paid_broadcast` on (engine at 1,000/s) to all subscribers:
   sustained rate, the most messages in any one-second window (as handed to the network by the
   bot, and as accepted by the server), duplicates (messages per chat > 1, counted by the
   server), peak RSS of the bot process.
3. Uncapped: the same with the pacer set far above 1,000/s, to show the client's ceiling.

The subscribers (100,000 by default) are inserted straight into the database. The fake server
runs in a separate process so that its CPU time and memory are not the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.broadcast import SENT, BroadcastService, Content, OutMessage, SendResult, Target
from bot.clock import FrozenClock
from bot.config import load_settings
from storage import broadcasts as repo
from storage.db import Database


# -- the fake server process ------------------------------------------------------------------
def _serve(conn: Any, users: int, flood: bool) -> None:
    async def main() -> None:
        from fakegram import FakeTelegram

        tg = FakeTelegram(record_requests=False, self_check=False)
        await tg.start()
        for uid in range(1, users + 1):
            tg.user(id=uid, first_name="U", language_code="vi", started=True)
        if flood:
            tg.set_flood_limits(global_per_second=30)
        # When each accepted message arrived (the server's side of the one-second windows).
        arrivals: list[float] = []
        check = tg._apply_flood_limits

        def counting(method: str, params: Any) -> None:
            check(method, params)
            if method in ("sendMessage", "sendPhoto"):
                arrivals.append(time.monotonic())

        tg._apply_flood_limits = counting  # type: ignore[method-assign]
        conn.send((tg.token, tg.base_url, tg.base_file_url))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        per_chat = [
            sum(1 for m in chat.messages.values() if m.from_bot)
            for chat in tg.chats.values()
        ]
        conn.send({
            "429": tg.stats.get("429", 0),
            "flood_429": tg.stats.get("flood_429", 0),
            "delivered": sum(per_chat),
            "chats_reached": sum(1 for n in per_chat if n),
            "duplicates": sum(n - 1 for n in per_chat if n > 1),
            "max_in_1s": max_in_window(arrivals),
        })
        await tg.stop()

    asyncio.run(main())


class FakeServer:
    def __init__(self, users: int, flood: bool) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, users, flood), daemon=True)
        self.proc.start()
        self.token, self.base_url, self.file_url = self.conn.recv()

    def finish(self) -> dict[str, int]:
        self.conn.send("stop")
        stats: dict[str, int] = self.conn.recv()
        self.proc.join(10)
        return stats


# -- the bot side ---------------------------------------------------------------------------
def max_in_window(times: list[float], span: float = 1.0) -> int:
    """The most events in any window [t, t + span)."""
    times = sorted(times)
    worst, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span:
            lo += 1
        worst = max(worst, hi - lo + 1)
    return worst


class TimedTransport:
    """The Telegram channel sender behind the delivery port (bot/delivery.py), noting when each
    send was handed over and when each confirmed send finished."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.times: list[float] = []
        self.handed: list[float] = []
        self.results: dict[str, int] = {}

    async def send(self, external_id: str, message: OutMessage) -> SendResult:
        self.handed.append(time.monotonic())
        result: SendResult = await self.inner.send(external_id, message)
        self.results[result.kind] = self.results.get(result.kind, 0) + 1
        if result.kind == SENT:
            self.times.append(time.monotonic())
        return result

    async def show(self, *args: Any) -> int | None:
        return None

    async def close(self) -> None:
        await self.inner.close()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def populate(db: Database, n: int) -> float:
    start = time.perf_counter()
    batch = 10_000
    for lo in range(1, n + 1, batch):
        ids = range(lo, min(n, lo + batch - 1) + 1)
        async with db.transaction() as conn:
            await conn.executemany("INSERT INTO users(user_id, locale) VALUES (?, 'vi')", [(i,) for i in ids])
            await conn.executemany(
                "INSERT INTO subscriptions(user_id, province_code, ward_code, topics, active,"
                " created_at, updated_at) VALUES (?, '79', NULL, 7, 1, 0, 0)",
                [(i,) for i in ids],
            )
    return time.perf_counter() - start


def steady_rate(times: list[float], skip: float = 2.0) -> float:
    """Messages/second after the first `skip` seconds (start-up) until the last message."""
    if len(times) < 2:
        return 0.0
    t0 = times[0] + skip if times[-1] - times[0] > 3 * skip else times[0]
    window = [t for t in times if t >= t0]
    return (len(window) - 1) / (window[-1] - window[0]) if len(window) > 1 else 0.0


async def run_phase(
    label: str, db_dir: Path, users: int, *, flood: bool, paid: bool, rate: float | None,
    seconds: float | None, workers: int | None = None, client: str = "aiohttp",
    gc_freeze: bool = False,
) -> dict[str, Any]:
    from bot.accounts import AccountService
    from bot.channels.telegram.broadcast import TelegramSender
    from bot.delivery import Delivery

    server = FakeServer(users, flood)
    settings = dataclasses.replace(
        load_settings({}), token=server.token, api_base_url=server.base_url,
        api_file_url=server.file_url, data_dir=db_dir, paid_broadcast=paid,
        broadcast_rate=30.0 if not paid else 1000.0,
    )
    db = await Database(db_dir / f"{label}.sqlite3").open()
    fill = await populate(db, users)
    clock = FrozenClock()
    clock._now = clock._now.replace(hour=5)  # 12:00 in Hồ Chí Minh: outside quiet hours
    svc = BroadcastService(db, settings, clock, rate=rate, workers=workers)
    deadline: list[float] = []
    timed: list[TimedTransport] = []

    async def make() -> Delivery:
        class _RT:
            pass

        rt: Any = _RT()
        rt.settings = settings
        if client == "httpx":  # PTB's default client, for the before/after comparison
            from telegram import Bot
            from telegram.request import HTTPXRequest

            bot = Bot(settings.token, base_url=settings.api_base_url,
                      request=HTTPXRequest(connection_pool_size=max(8, svc.workers)))
            await bot.initialize()
            transport = TimedTransport(TelegramSender(bot))
        else:
            transport = TimedTransport(await TelegramSender.open(rt, pool=max(8, svc.workers)))
        timed.append(transport)
        return Delivery(AccountService(db), {"telegram": transport})

    keep: Callable[[], bool] = lambda: not deadline or time.monotonic() < deadline[0]  # noqa: E731
    svc.attach(make, keep_going=keep)
    cid = await svc.create(Content({"vi": "Tháng hành động phòng, chống ma túy: <b>1–30/6</b>"}),
                           Target(), check_permission=False)
    assert cid is not None
    svc.pacer.log = [] if svc.pacer.exact else None
    if gc_freeze:
        gc.collect()
        gc.freeze()
    rss_before = rss_mb()
    start = time.monotonic()
    if seconds is not None:
        deadline.append(start + seconds)
    await svc.tick(wait=True)
    elapsed = time.monotonic() - start
    counts = await repo.counts(db, cid)
    stats = server.finish()
    await db.close()
    t = timed[0]
    out = {
        "label": label, "client": client, "subscribers": users, "engine_rate": svc.rate, "workers": svc.workers,
        "fill_s": round(fill, 1), "elapsed_s": round(elapsed, 1), "sent": len(t.times),
        "steady_rate": round(steady_rate(t.times), 2),
        "steady_rate_handed": round(steady_rate(t.handed), 2),
        "max_handed_in_1s": max_in_window(t.handed),
        "max_paced_in_1s": max_in_window(svc.pacer.log) if svc.pacer.log else None,
        "overall_rate": round(len(t.times) / (t.times[-1] - start), 1) if t.times else 0,
        "results": t.results, "db_counts": counts, "pacer_pauses": svc.pacer.pauses,
        "server": stats, "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(rss_mb(), 1),
    }
    print(out, flush=True)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--paced-seconds", type=float, default=100.0)
    parser.add_argument("--compare", type=int, default=20_000,
                        help="subscribers for the httpx vs aiohttp comparison (0: skip)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["paced", "paid", "uncapped"])
    parser.add_argument("--gc-freeze", action="store_true",
                        help="paid phase: gc.freeze() before sending (fewer, shorter GC pauses)")
    parser.add_argument("--paid-workers", type=int, default=None,
                        help="senders in the paid phase (default: the engine's own choice)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if "paced" not in args.skip:
            await run_phase("paced", d, args.subscribers, flood=True, paid=False, rate=None,
                            seconds=args.paced_seconds)
        if "paid" not in args.skip:
            await run_phase("paid", d, args.subscribers, flood=False, paid=True, rate=None,
                            seconds=None, workers=args.paid_workers, gc_freeze=args.gc_freeze)
        if "uncapped" not in args.skip:
            await run_phase("uncapped", d, args.subscribers, flood=False, paid=True,
                            rate=100_000, seconds=None, workers=64)
        if args.compare:
            for client in ("httpx", "aiohttp"):
                await run_phase(f"compare-{client}", d, args.compare, flood=False, paid=True,
                                rate=100_000, seconds=None, workers=64, client=client)


if __name__ == "__main__":
    asyncio.run(main())
