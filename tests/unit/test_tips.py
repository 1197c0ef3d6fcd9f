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
    clock.advance(days=1)
    await tips.submit(TIPSTER, draft())
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
    tip = await repo.get(db, sub.tip_id)
    assert tip is not None and tip["routed_at"] % 60 == 0  # a tip's times are whole minutes
    assert (tip["status"], tip["outcome"]) == ("closed", "actioned")
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


# -- issue 11: the tipster side -----------------------------------------------------------------
def make_shared(db: Database, keyring: Keyring, clock: FrozenClock) -> TipService:
    settings = dataclasses.replace(Settings(), admin_ids=frozenset({ADMIN}))
    units = UnitService(db, settings, clock, keyring)
    return TipService(db, keyring, clock, settings, TipPolice(db, keyring, clock, settings, units))


async def test_rate_key_is_never_stored_so_db_and_master_key_cannot_test_an_id(db: Database) -> None:
    clock, keyring = FrozenClock(), Keyring.ephemeral()
    tips = make_shared(db, keyring, clock)
    await tips.submit(TIPSTER, draft())
    stored = {bytes(r["who"]) for r in await db.fetchall("SELECT who FROM tip_rate")}
    assert len(stored) == 1
    # Whoever holds the database and master.key (here: a second service on both, as a restart
    # is) derives no key that names the stored counters.
    thief = make_shared(db, keyring, clock)
    _day, who = await thief._who(TIPSTER)
    assert who not in stored
    assert await thief.limit_reason(TIPSTER) is None
    # The sealed copies of day keys are gone with their table.
    tables = [r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "tip_rate_keys" not in tables


async def test_past_days_counters_go_without_waiting_for_a_tip(db: Database) -> None:
    clock = FrozenClock()
    tips, _police, _units = make(db, clock)
    await tips.submit(TIPSTER, draft())
    assert await tips.find_by_receipt(STRANGER, "0000000000000000") is None
    assert len(await db.fetchall("SELECT * FROM tip_rate")) == 2
    assert await tips.forget_past_days() == 0  # today's stay
    clock.advance(days=1)
    assert await tips.forget_past_days() == 2
    assert await db.fetchall("SELECT * FROM tip_rate") == []
    assert tips._day is None  # yesterday's key is gone from memory too


async def test_answers_are_limited_per_tip_a_day_in_all_and_per_person(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.tips as rules

    monkeypatch.setattr(rules, "ANSWERS_PER_TIP_DAY", 3)
    monkeypatch.setattr(rules, "ANSWERS_PER_TIP", 5)
    monkeypatch.setattr(rules, "ANSWERS_PER_DAY", 4)
    clock = FrozenClock()
    tips, _police, units = make(db, clock)
    await bind(units)
    sub = await tips.submit(TIPSTER, draft())
    for i in range(3):
        await tips.add_answer(sub.tip_id, f"answer {i}")
    with pytest.raises(TipError) as exc:
        await tips.add_answer(sub.tip_id, "one too many today")
    assert "24 hours" in exc.value.message
    clock.advance(hours=25)
    await tips.add_answer(sub.tip_id, "next day")
    await tips.add_answer(sub.tip_id, "next day 2")
    with pytest.raises(TipError) as exc:
        await tips.add_answer(sub.tip_id, "over the tip's total")
    assert "new tip" in exc.value.message
    answers = [r for r in await repo.outbox_rows(db, sub.tip_id) if r["kind"] == "answer"]
    assert len(answers) == 5  # refused answers queue nothing
    # Per person a day, across tips (daily pseudonym).
    others = [await tips.submit(STRANGER + i, draft()) for i in range(3)]
    for i in range(4):
        await tips.add_answer(others[i % 3].tip_id, f"x{i}", requester=STRANGER)
    with pytest.raises(TipError) as exc:
        await tips.add_answer(others[1].tip_id, "fifth today", requester=STRANGER)
    assert "daily limit" in exc.value.message


async def test_image_decodes_are_limited_per_person_a_day(db: Database) -> None:
    from bot.tips import DECODES_PER_DAY

    clock = FrozenClock()
    tips, _police, _units = make(db, clock)
    for _ in range(DECODES_PER_DAY):
        await tips.count_decode(TIPSTER)
    with pytest.raises(TipError):
        await tips.count_decode(TIPSTER)
    await tips.count_decode(STRANGER)  # someone else is not affected
    assert all(r["at"] % 60 == 0 for r in await db.fetchall("SELECT at FROM tip_rate"))
    clock.advance(days=1)
    await tips.count_decode(TIPSTER)


async def test_draft_photos_are_sealed_rows_outside_the_session_and_go_with_the_draft(db: Database) -> None:
    from bot.tips import new_draft

    tips, _police, units = make(db)
    await bind(units)
    session = new_draft()
    d = session["d"]
    d.update(draft())
    d["photos"] = []
    assert await tips.add_draft_photo(d, b"\xff\xd8cleaned-photo-1") == 1
    assert await tips.add_draft_photo(d, b"\xff\xd8cleaned-photo-2") == 2
    assert all(isinstance(p, int) for p in d["photos"])  # the session holds row ids only
    assert len(str(session)) < 300
    rows = await db.fetchall("SELECT * FROM tip_draft_photos")
    assert len(rows) == 2 and all(b"cleaned-photo" not in bytes(r["data"]) for r in rows)
    # Redoing the photos deletes them.
    await tips.discard_draft_photos(d)
    assert d["photos"] == [] and await db.fetchall("SELECT * FROM tip_draft_photos") == []
    await tips.add_draft_photo(d, b"\xff\xd8cleaned-photo-3")
    sub = await tips.submit(TIPSTER, d)
    atts = await repo.attachments(db, sub.tip_id)
    assert [tips.open("tips/attachment/v1", sub.code, a["data"]) for a in atts] == [b"\xff\xd8cleaned-photo-3"]
    assert await db.fetchall("SELECT * FROM tip_draft_photos") == []  # moved into the tip


async def test_deleteme_eraser_ends_this_chats_opt_ins_only(db: Database) -> None:
    tips, _police, _units = make(db)
    mine1, mine2, theirs = [await tips.submit(TIPSTER + i, draft()) for i in range(3)]
    assert await tips.watch(mine1.tip_id, 5551234, "vi")
    assert await tips.watch(mine2.tip_id, 5551234, "en")
    assert await tips.watch(theirs.tip_id, 5559999)
    assert await tips.erase_watches(5551234) == 2
    assert await tips.watcher_chat(mine1.tip_id) is None
    assert await tips.watcher_chat(mine2.tip_id) is None
    assert await tips.watcher_chat(theirs.tip_id) == 5559999
    assert await tips.erase_watches(5551234) == 0


def test_watcher_payloads_old_and_new() -> None:
    from bot.tips import Watcher, watcher_payload

    assert watcher_payload(b"5551234") == Watcher("telegram", 5551234, "")  # the first rows
    assert watcher_payload(b'{"chat": 5551234, "lang": "vi"}') == Watcher("telegram", 5551234, "vi")
    assert watcher_payload(b'{"ch": "zalo", "chat": "zalo:99", "lang": "en"}') == \
        Watcher("zalo", "zalo:99", "en")
    assert watcher_payload(b'{"ch": "telegram", "chat": "77", "lang": ""}') == Watcher("telegram", 77, "")


async def test_requester_keys_of_two_channels_count_apart(db: Database) -> None:
    from bot.tips import requester_key

    tips, _police, _units = make(db, burst_limit=1)
    await tips.submit(requester_key("telegram", "5"), draft())
    assert await tips.limit_reason(requester_key("telegram", "5")) == "burst"
    assert await tips.limit_reason(requester_key("web", "5")) is None
