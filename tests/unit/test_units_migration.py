"""Migration 016 on a database made before it: Telegram groups bound the old way (only
group_chat_id) keep working and get their (channel, key); new bindings fill both."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.crypto import Keyring
from bot.units import GroupRef, UnitService
from storage.db import Database

OLD_GROUP = -1001234567890


async def test_old_telegram_bindings_survive_migration_016(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = Database.migration_files()
    before = [m for m in every if not m[1].endswith("_engunits.sql")]
    assert len(before) == len(every) - 1
    monkeypatch.setattr(Database, "migration_files", staticmethod(lambda: before))
    async with Database(tmp_path / "bot.db") as db:  # the schema as the code before 016 left it
        async with db.transaction() as conn:
            # What the earlier storage.units.set_group wrote for a bound Telegram group.
            await conn.execute(
                "INSERT INTO police_units(id, kind, code, province_code, group_chat_id, created_at)"
                " VALUES (1, 'ward', '26740', '79', ?, 0)", (OLD_GROUP,))
            await conn.execute(
                "INSERT INTO police_units(id, kind, code, province_code, created_at)"
                " VALUES (2, 'ward', '00004', '01', 0)")
            await conn.execute("INSERT INTO unit_officers(unit_id, user_id, enrolled_at) VALUES (1, 7, 0)")
    monkeypatch.undo()

    async with Database(tmp_path / "bot.db") as db:  # opening applies 016
        assert await db.pending_migrations() == []
        svc = UnitService(db, load_settings({}), FrozenClock(), Keyring.load_or_create(tmp_path))
        unit = await svc.unit_for_group(OLD_GROUP)
        assert unit is not None and unit.id == 1
        assert unit.group == GroupRef.telegram(OLD_GROUP) and unit.group_chat_id == OLD_GROUP
        assert await svc.unit_for_chat(GroupRef("telegram", str(OLD_GROUP))) == unit
        assert await svc.destinations(1) == [OLD_GROUP]
        assert (await svc.get(2)).group is None  # type: ignore[union-attr]

        # The supergroup upgrade moves both names of the group.
        assert await svc.group_migrated(OLD_GROUP, -100999)
        moved = await svc.unit_for_chat(GroupRef.telegram(-100999))
        assert moved is not None and moved.group_chat_id == -100999
        assert await svc.unit_for_group(OLD_GROUP) is None
        # The bot removed from the group: unbound on both.
        await svc.group_lost(-100999)
        lost = await svc.get(1)
        assert lost is not None and lost.group is None and lost.group_chat_id is None
        assert await svc.destinations(1) == [7]
