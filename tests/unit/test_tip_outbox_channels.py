"""Tip notifications carry their channel (migration 018): each outbox row goes through its own
channel's chat port; officers on Zalo are destinations (their account id), web-only officers
are not; rows written before 018 are Telegram's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.accounts import AccountService
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.crypto import Keyring
from bot.engine.chat_port import Destination, RetryLater
from bot.screens import Screen
from bot.tip_outbox import OutboxWorker
from bot.units import UnitService
from storage import tips as repo
from storage.db import Database
from tests.unit.test_tip_outbox_priority import GROUP, Renderer, _tip

ZALO_OFFICER = 2**53 + 5  # an allocated account id


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "o.sqlite3") as database:
        yield database


class Port:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.sent: list[tuple[Destination, str]] = []

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> int:
        self.sent.append((to, screen.text))
        return 0


async def test_each_row_goes_through_its_own_channels_port(db: Database) -> None:
    tip = await _tip(db, "AAAAAA")
    async with db.transaction() as conn:
        await repo.enqueue(conn, tip, "card", GROUP, 0)  # the default: Telegram
        await repo.enqueue(conn, tip, "card", ZALO_OFFICER, 0, channel="zalo")
    telegram, zalo = Port("telegram"), Port("zalo")
    worker = OutboxWorker(db, Renderer(), lambda: 0)
    worker.ports = {"telegram": telegram, "zalo": zalo}  # type: ignore[dict-item]
    await worker.drain()
    await worker.wait_idle(timeout=5)
    assert telegram.sent == [(Destination("telegram", GROUP), f"card:{tip}")]
    assert zalo.sent == [(Destination("zalo", ZALO_OFFICER), f"card:{tip}")]
    assert {r["state"] for r in await repo.outbox_rows(db)} == {"sent"}


async def test_a_row_for_a_channel_not_running_stays_pending(db: Database) -> None:
    tip = await _tip(db, "AAAAAA")
    async with db.transaction() as conn:
        await repo.enqueue(conn, tip, "card", ZALO_OFFICER, 0, channel="zalo")
    telegram = Port("telegram")
    worker = OutboxWorker(db, Renderer(), lambda: 0)
    worker.ports = {"telegram": telegram}  # type: ignore[dict-item]
    [row] = await repo.pending(db)
    with pytest.raises(RetryLater):
        await worker._send_row(row)
    assert telegram.sent == []
    assert [r["state"] for r in await repo.outbox_rows(db)] == ["pending"]


async def test_zalo_officers_are_destinations_web_only_ones_are_not(
        db: Database, tmp_path: Path) -> None:
    accounts = AccountService(db)
    on_zalo = await accounts.user_id("zalo", "z-officer")
    web_only = await accounts.user_id("web", "w-officer")
    assert on_zalo is not None and web_only is not None
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO police_units(id, kind, code, province_code, created_at)"
                           " VALUES (1, 'ward', '26740', '79', 0)")
        for user in (7, on_zalo, web_only):
            await conn.execute("INSERT INTO unit_officers(unit_id, user_id, enrolled_at)"
                               " VALUES (1, ?, 0)", (user,))
    svc = UnitService(db, load_settings({}), FrozenClock(), Keyring.load_or_create(tmp_path))
    assert sorted(await svc.destinations(1)) == sorted([7, on_zalo])
    assert await svc.chat_channel(7) == "telegram"
    assert await svc.chat_channel(on_zalo) == "zalo"


async def test_rows_written_before_migration_018_are_telegrams(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    every = Database.migration_files()
    before = [m for m in every if not m[1].endswith("_zalopolice.sql")]
    assert len(before) == len(every) - 1
    monkeypatch.setattr(Database, "migration_files", staticmethod(lambda: before))
    async with Database(tmp_path / "bot.db") as db:  # the schema before 018
        tip = await _tip(db, "AAAAAA")
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO tip_outbox(tip_id, kind, chat_id, unit_id, role, ref, created_at)"
                " VALUES (?, 'card', ?, NULL, 'primary', 0, 0)", (tip, GROUP))
    monkeypatch.undo()
    async with Database(tmp_path / "bot.db") as db:  # opening applies 018
        assert await db.pending_migrations() == []
        [row] = await repo.pending(db)
        assert (row["chat_id"], row["channel"]) == (GROUP, "telegram")
