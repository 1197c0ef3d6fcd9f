"""Tip rules without Telegram: draft validation, submit + routing + outbox in one transaction,
receipts (argon2id + keyed lookup), daily-rotating abuse limits, permissions, retention."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.config import Settings, TipSettings
from bot.crypto import Keyring
from bot.tip_police import PoliceError, TipPolice
from bot.tips import MAX_TEXT, TipError, TipService, check_text, draft_missing, normalise_receipt
from bot.units import GROUP, WARD, UnitService
from storage import tips as repo
from storage.db import Database

ADMIN = 900001
OFFICER = 42
STRANGER = 43
GROUP_CHAT = -100777
SAI_GON = 26740
TIPSTER = 123456789


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "t.sqlite3").open()
    yield database
    await database.close()


def make(db: Database, clock: FrozenClock | None = None, **tips: Any) -> tuple[TipService, TipPolice, UnitService]:
    settings = dataclasses.replace(Settings(), admin_ids=frozenset({ADMIN}),
                                   tips=dataclasses.replace(TipSettings(), **tips))
    clock = clock or FrozenClock()
    keyring = Keyring.ephemeral()
    units = UnitService(db, settings, clock, keyring)
    police = TipPolice(db, keyring, clock, settings, units)
    return TipService(db, keyring, clock, settings, police), police, units


def draft(text: str = "Điểm bán ở hẻm 5") -> dict[str, Any]:
    return {"category": "spot", "ward": SAI_GON, "text": text, "when": "today", "photos": []}


async def bind(units: UnitService) -> None:
    invite = await units.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    assert (await units.redeem(OFFICER, invite.code, GROUP_CHAT)).status == "bound"


def test_draft_validation() -> None:
    assert draft_missing({}) == ["category", "place", "text", "when"]
    assert draft_missing(draft()) == []
    with pytest.raises(TipError):
        check_text(" ")
    with pytest.raises(TipError):
        check_text("x" * (MAX_TEXT + 1))
    assert check_text("x" * MAX_TEXT)
    assert normalise_receipt("1234 5678-9012 3456") == "1234567890123456"
    assert normalise_receipt("1234") is None and normalise_receipt("1234567890123456a") is None


async def test_submit_stores_no_identity_and_queues_card_in_same_transaction(db: Database) -> None:
    tips, _police, units = make(db)
    await bind(units)
    sub = await tips.submit(TIPSTER, draft("secret words"))
    row = await repo.get(db, sub.tip_id)
    assert row is not None and row["unit_id"] is not None
    assert sub.receipt not in row["receipt_hash"] and row["receipt_hash"].startswith("$argon2id$")
    assert b"secret words" not in bytes(row["body"])
    out = await repo.outbox_rows(db, sub.tip_id)
    assert [(r["kind"], r["chat_id"], r["state"]) for r in out] == [("card", GROUP_CHAT, "pending")]
    for table in ("tips", "tip_rate", "tip_outbox", "tip_audit"):
        for r in await db.fetchall(f"SELECT * FROM {table}"):
            for value in tuple(r):
                assert str(TIPSTER) not in str(value)


async def test_receipt_finds_the_tip_and_wrong_ones_are_limited(db: Database) -> None:
    tips, _police, _units = make(db)
    sub = await tips.submit(TIPSTER, draft())
    assert await tips.find_by_receipt(999, sub.receipt) == sub.tip_id  # any account
    for _ in range(10):
        assert await tips.find_by_receipt(STRANGER, "0000000000000000") is None
    with pytest.raises(TipError):
        await tips.find_by_receipt(STRANGER, sub.receipt)


async def test_daily_and_burst_limits_with_forgotten_daily_key(db: Database) -> None:
    clock = FrozenClock()
    tips, _police, _units = make(db, clock, daily_limit=3, burst_limit=2, burst_minutes=10)
    await tips.submit(TIPSTER, draft())
    await tips.submit(TIPSTER, draft())
    with pytest.raises(TipError):
        await tips.submit(TIPSTER, draft())  # burst
    await tips.submit(STRANGER, draft())  # someone else is not affected
    clock.advance(minutes=11)
    await tips.submit(TIPSTER, draft())
    clock.advance(minutes=11)
    with pytest.raises(TipError):
        await tips.submit(TIPSTER, draft())  # daily
    key_before = await db.fetchall("SELECT * FROM tip_rate_keys")
    clock.advance(days=1)
    await tips.submit(TIPSTER, draft())
    keys = await db.fetchall("SELECT * FROM tip_rate_keys")
    assert len(keys) == 1 and keys[0]["day"] != key_before[0]["day"]
    assert len(await db.fetchall("SELECT * FROM tip_rate")) == 1  # yesterday's counters are gone


async def test_permissions_and_state_changes(db: Database) -> None:
    tips, police, units = make(db)
    await bind(units)
    sub = await tips.submit(TIPSTER, draft())
    for bad in ("999999", "abc", "-1", ""):
        with pytest.raises(PoliceError):
            await police.acknowledge(OFFICER, bad)
    with pytest.raises(PoliceError):
        await police.acknowledge(STRANGER, sub.tip_id)
    with pytest.raises(PoliceError):
        await police.close(OFFICER, sub.tip_id, "made-up")
    await police.acknowledge(OFFICER, sub.tip_id)
    with pytest.raises(PoliceError):
        await police.acknowledge(OFFICER, sub.tip_id)
    await police.ask(OFFICER, sub.tip_id, "Mấy giờ?")
    view = await tips.view(sub.tip_id)
    assert view is not None and view.thread[0].text == "Mấy giờ?"
    await tips.add_answer(sub.tip_id, "Khoảng 9 giờ tối")
    assert {r["kind"] for r in await repo.outbox_rows(db, sub.tip_id)} == {"card", "answer"}
    assert await tips.watch(sub.tip_id, 5551234)
    assert await tips.watcher_chat(sub.tip_id) == 5551234
    await police.close(OFFICER, sub.tip_id, "actioned")
    assert await tips.watcher_chat(sub.tip_id) is None  # the opt-in ends with the tip
    with pytest.raises(TipError):
        await tips.add_answer(sub.tip_id, "more")
    stats = await police.stats(await units.find(WARD, SAI_GON))
    assert (stats.received, stats.acknowledged, stats.closed) == (1, 1, 1)
    tip = await repo.get(db, sub.tip_id)
    assert tip is not None and tip["routed_at"] % 60 == 0  # a tip's times are whole minutes
    assert stats.outcomes == {"actioned": 1}
    assert stats.median_ack_seconds == tip["acknowledged_at"] - tip["routed_at"]
    actions = [r["action"] for r in await repo.audit_rows(db, sub.tip_id)]
    assert actions[:1] == ["routed"] and "refused" in actions and "close" in actions


async def test_national_admins_when_no_unit_and_retention(db: Database) -> None:
    clock = FrozenClock()
    tips, police, _units = make(db, clock, retention_days=180)
    sub = await tips.submit(TIPSTER, draft())
    out = await repo.outbox_rows(db, sub.tip_id)
    assert [r["chat_id"] for r in out] == [ADMIN]
    with pytest.raises(PoliceError):
        await police.acknowledge(OFFICER, sub.tip_id)
    await police.close(ADMIN, sub.tip_id, "duplicate")
    clock.advance(days=179)
    assert await tips.purge() == 0
    clock.advance(days=2)
    assert await tips.purge() == 1
    assert await repo.get(db, sub.tip_id) is None
    assert await repo.outbox_rows(db, sub.tip_id) == []
