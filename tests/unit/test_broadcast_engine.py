"""The broadcast engine without Telegram: pacing, quiet hours, a crash mid-campaign."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast import (
    BLOCKED,
    RETRY,
    SENT,
    TRANSIENT,
    BroadcastService,
    Content,
    OutMessage,
    SendResult,
    Target,
    in_quiet_hours,
    plain_length,
)
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.pacing import Pacer, effective_rate
from bot.screens import Screen
from storage import broadcasts as repo
from storage import subscriptions as subs_repo
from storage.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)


class FakeTransport:
    def __init__(self, delay: float = 0.0, script: dict[int, list[SendResult]] | None = None) -> None:
        self.delay = delay
        self.sent: Counter[int] = Counter()
        self.attempts: Counter[int] = Counter()
        self.script = script or {}
        self.screens: list[Screen] = []
        self.closed = False

    async def send(self, chat_id: int, message: OutMessage) -> SendResult:
        self.attempts[chat_id] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script.get(chat_id):
            return self.script[chat_id].pop(0)
        self.sent[chat_id] += 1
        return SendResult(SENT, message_id=self.sent.total())

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        self.screens.append(screen)
        return message_id or 1

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = await Database(tmp_path / "t.sqlite3").open()
    yield database
    await database.close()


async def add_subscribers(db: Database, n: int, province: str = "79", start: int = 1) -> list[int]:
    ids = list(range(start, start + n))
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO users(user_id, locale) VALUES (?, 'vi')", [(i,) for i in ids])
        await conn.executemany(
            "INSERT INTO subscriptions(user_id, province_code, ward_code, topics, active, created_at,"
            " updated_at) VALUES (?, ?, NULL, 7, 1, 0, 0)",
            [(i, province) for i in ids],
        )
    return ids


def make_service(db: Database, transport: FakeTransport, clock: FrozenClock, **kw: Any) -> BroadcastService:
    settings = dataclasses.replace(load_settings({}), admin_ids=frozenset({1}))
    svc = BroadcastService(db, settings, clock, **kw)

    async def make() -> FakeTransport:
        return transport

    svc.attach(make, keep_going=lambda: True)
    return svc


# -- pacing -----------------------------------------------------------------------------------
def test_effective_rate_caps_to_telegram_limits() -> None:
    assert effective_rate(25, False) == 25
    assert effective_rate(100, False) == 30
    assert effective_rate(5000, True) == 1000


async def test_pacer_holds_the_global_rate() -> None:
    pacer = Pacer(50)
    start = time.monotonic()
    for chat in range(1, 51):
        pacer.done(await pacer.acquire(chat))
    elapsed = time.monotonic() - start
    assert 0.95 <= elapsed <= 1.3  # 50 slots at ~50/s


async def test_pacer_one_per_second_per_chat_and_twenty_per_minute_per_group() -> None:
    now = [0.0]
    pacer = Pacer(1000, monotonic=lambda: now[0])
    pacer._chat_last[7] = 0.0
    assert pacer._chat_ready_at(7, 0.2) == pytest.approx(1.0)
    for i in range(20):
        pacer._note_chat(-100, i * 0.1)
    assert pacer._chat_ready_at(-100, 2.5) == pytest.approx(60.0)
    assert pacer._chat_ready_at(-100, 61.0) <= 61.0


async def test_pacer_pause_stops_every_sender() -> None:
    pacer = Pacer(1000)
    pacer.pause(0.3)
    start = time.monotonic()
    await asyncio.gather(*(pacer.acquire(c) for c in range(1, 6)))
    assert time.monotonic() - start >= 0.3
    assert pacer.pauses == 1


def test_quiet_hours_wrap_midnight() -> None:
    def at(hour: int) -> datetime:
        return datetime(2026, 6, 10, hour, 0, tzinfo=TZ).astimezone(UTC)

    assert in_quiet_hours(at(23), (22, 7), TZ) == datetime(2026, 6, 11, 7, 0, tzinfo=TZ)
    assert in_quiet_hours(at(3), (22, 7), TZ) == datetime(2026, 6, 10, 7, 0, tzinfo=TZ)
    assert in_quiet_hours(at(7), (22, 7), TZ) is None
    assert in_quiet_hours(at(12), (22, 7), TZ) is None
    assert in_quiet_hours(at(13), (12, 14), TZ) is not None


def test_plain_length_counts_like_telegram() -> None:
    assert plain_length("<b>Xin chào</b> &amp; 👋") == len("Xin chào & ") + 2


# -- the engine ---------------------------------------------------------------------------------
async def test_campaign_reaches_each_recipient_once(db: Database) -> None:
    ids = await add_subscribers(db, 120)
    transport = FakeTransport()
    svc = make_service(db, transport, FrozenClock(DAY), rate=2000, materialise_batch=50)
    cid = await svc.create(Content({"vi": "x"}), Target(), check_permission=False)
    await svc.tick(wait=True)
    assert transport.sent == Counter({i: 1 for i in ids})
    assert await repo.counts(db, cid) == {"sent": 120}
    assert transport.closed


async def test_results_map_to_statuses(db: Database) -> None:
    await add_subscribers(db, 4)
    transport = FakeTransport(script={
        2: [SendResult(BLOCKED)],
        3: [SendResult(RETRY, retry_after=0.2)],
        4: [SendResult(TRANSIENT), SendResult(TRANSIENT), SendResult(TRANSIENT)],
    })
    svc = make_service(db, transport, FrozenClock(DAY), rate=1000)
    cid = await svc.create(Content({"vi": "x"}), Target(), check_permission=False)
    await svc.tick(wait=True)
    assert await repo.counts(db, cid) == {"sent": 2, "blocked": 1, "failed": 1}
    assert transport.sent == Counter({1: 1, 3: 1})
    assert transport.attempts[4] == 3  # gave up after three network failures
    assert svc.pacer.pauses == 1
    row = await subs_repo.get(db, 2)
    assert row is not None and row["active"] == 0


async def test_crash_mid_campaign_repeats_at_most_the_in_flight(db: Database) -> None:
    ids = await add_subscribers(db, 300)
    clock = FrozenClock(DAY)
    first = FakeTransport(delay=0.005)
    svc = make_service(db, first, clock, rate=1000, flush_interval=0.05)
    cid = await svc.create(Content({"vi": "x"}), Target(), check_permission=False)
    await svc.tick()
    while first.sent.total() < 100:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    assert svc._runner is not None
    svc._runner.cancel()  # an abrupt stop in the middle of sending
    await asyncio.gather(svc._runner, return_exceptions=True)
    recorded = (await repo.counts(db, cid)).get("sent", 0)
    in_flight_bound = first.sent.total() - recorded
    second = FakeTransport()
    svc2 = make_service(db, second, clock, rate=1000)
    await svc2.tick(wait=True)
    both = first.sent + second.sent
    assert set(both) == set(ids)  # everyone got it
    duplicates = sum(v - 1 for v in both.values())
    assert duplicates <= in_flight_bound
    assert duplicates <= 0.2 * 1000 + svc.workers  # flush window × rate + senders
    assert await repo.counts(db, cid) == {"sent": 300}


async def test_expired_campaign_is_not_sent(db: Database) -> None:
    await add_subscribers(db, 3)
    clock = FrozenClock(DAY)
    transport = FakeTransport()
    svc = make_service(db, transport, clock, rate=1000)
    cid = await svc.create(
        Content({"vi": "x"}), Target(), check_permission=False,
        scheduled_at=datetime(2026, 6, 9, tzinfo=UTC), expires_at=datetime(2026, 6, 10, tzinfo=UTC),
    )
    await svc.tick(wait=True)
    assert transport.sent.total() == 0
    assert (await svc.get(cid)).status == "expired"


async def test_keyed_campaign_is_created_once(db: Database) -> None:
    svc = make_service(db, FakeTransport(), FrozenClock(DAY))
    a = await svc.create(Content({"vi": "x"}), Target(), key="cal:x:2026", check_permission=False)
    b = await svc.create(Content({"vi": "x"}), Target(), key="cal:x:2026", check_permission=False)
    assert a is not None and b is None
