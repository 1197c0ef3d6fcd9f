"""The broadcast engine without Telegram: pacing, quiet hours, a crash mid-campaign."""

from __future__ import annotations

import asyncio
import bisect
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
    BroadcastError,
    BroadcastService,
    Content,
    OutMessage,
    SendResult,
    Target,
    in_quiet_hours,
    link_url_ok,
    parse_link_buttons,
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

    async def prefetch(self, user_ids: list[int]) -> None:
        pass

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


async def test_exact_pacer_never_hands_over_more_than_the_rate_in_any_second() -> None:
    last = [0.0]

    def clock() -> float:  # the pacer's clock; `last` is the moment it decided to let go
        last[0] = time.monotonic()
        return last[0]

    pacer = Pacer(200, exact=True, monotonic=clock)
    handed: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat in range(1, 451):
        queue.put_nowait(chat)

    async def sender() -> None:
        while not queue.empty():
            chat = queue.get_nowait()
            ticket = await pacer.acquire(chat)
            handed.append(last[0])  # no await since the pacer recorded it
            await asyncio.sleep(0.03 if chat % 7 else 0.2)  # uneven answers
            pacer.done(ticket)

    await asyncio.gather(*(sender() for _ in range(20)))
    handed.sort()
    assert len(handed) == 450
    worst = max(bisect.bisect_left(handed, t + 1.0) - i for i, t in enumerate(handed))
    assert worst <= 200


def test_exact_mode_is_for_paid_broadcasts_only() -> None:
    settings = load_settings({})
    paid = BroadcastService(None, dataclasses.replace(settings, paid_broadcast=True, broadcast_rate=5000),  # type: ignore[arg-type]
                            FrozenClock(DAY))
    free = BroadcastService(None, settings, FrozenClock(DAY))  # type: ignore[arg-type]
    assert (paid.rate, paid.pacer.exact, paid.pacer.interval) == (1000, True, 0.001)
    assert (free.rate, free.pacer.exact) == (25, False)
    assert free.pacer.interval > 1 / 25


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


def test_link_buttons_accept_only_links_telegram_takes() -> None:
    rows = parse_link_buttons(" Đăng ký  ngay | https://example.org/a?b=1 \n\nKênh | tg://resolve?domain=x")
    assert [(r[0].text["vi"], r[0].text["en"], r[0].url) for r in rows] == [
        ("Đăng ký ngay", "Đăng ký ngay", "https://example.org/a?b=1"),
        ("Kênh", "Kênh", "tg://resolve?domain=x"),
    ]
    for url in ("https://example.org", "http://a.vn/x", "tg://join?invite=abc"):
        assert link_url_ok(url), url
    for url in ("example.org", "ftp://example.org", "javascript:alert(1)", "https://localhost",
                "https://exa mple.org", "https://.org", "tg://", "https://" + "a" * 1100 + ".vn"):
        assert not link_url_ok(url), url
    for bad in ("", "No link here", "| https://example.org", "A | B | not-a-link"):
        with pytest.raises(BroadcastError):
            parse_link_buttons(bad)


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
