"""Accounts: (channel, external id) -> user id, and the migration that introduced them on a
database made before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.accounts import AccountService
from storage.accounts import FIRST_ALLOCATED_ID
from storage.db import Database


async def test_telegram_ids_are_user_ids_and_other_channels_get_their_own(tmp_path: Path) -> None:
    async with Database(tmp_path / "a.db") as db:
        accounts = AccountService(db)
        assert await accounts.user_id("telegram", "123456789") == 123456789
        assert await accounts.user_id("zalo", "6ede9afa66b88fe6d6a9", create=False) is None
        zalo = await accounts.user_id("zalo", "6ede9afa66b88fe6d6a9")
        web = await accounts.user_id("web", "s-1")
        assert zalo is not None and web is not None
        assert zalo >= FIRST_ALLOCATED_ID and web == zalo + 1
        assert await AccountService(db).user_id("zalo", "6ede9afa66b88fe6d6a9") == zalo  # stored
        assert await accounts.channels_of(zalo) == [("zalo", "6ede9afa66b88fe6d6a9")]
        assert await accounts.channels_of(42) == [("telegram", "42")]  # predates accounts
        await accounts.erase(zalo)
        assert await AccountService(db).user_id("zalo", "6ede9afa66b88fe6d6a9", create=False) is None


async def test_migration_keeps_every_existing_telegram_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = Database.migration_files()
    before = [m for m in every if m[0] < 12]
    monkeypatch.setattr(Database, "migration_files", staticmethod(lambda: before))
    async with Database(tmp_path / "bot.db") as db:  # a database of the release before accounts
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO users(user_id, locale) VALUES (1001, 'en')")
            await conn.execute(
                "INSERT INTO police_units(id, kind, code, province_code, created_at)"
                " VALUES (1, 'ward', '26740', '79', 0)")
            await conn.execute(
                "INSERT INTO unit_officers(unit_id, user_id, enrolled_at) VALUES (1, 2002, 0)")
            await conn.execute(
                "INSERT INTO province_admins(province_code, user_id, added_at) VALUES ('79', 3003, 0)")
    monkeypatch.undo()

    async with Database(tmp_path / "bot.db") as db:  # the current release migrates in place
        assert await db.pending_migrations() == []
        rows = await db.fetchall("SELECT channel, external_id, user_id FROM accounts ORDER BY user_id")
        assert [tuple(r) for r in rows] == [
            ("telegram", "1001", 1001), ("telegram", "2002", 2002), ("telegram", "3003", 3003)]
        accounts = AccountService(db)
        for person in (1001, 2002, 3003):
            assert await accounts.user_id("telegram", str(person), create=False) == person
        locale = await db.fetchone("SELECT locale FROM users WHERE user_id = 1001")
        assert locale is not None and locale["locale"] == "en"  # their data is where it was


async def test_feature_erasers_still_see_the_accounts_on_deleteme(tmp_path: Path) -> None:
    from bot.users import UserService

    async with Database(tmp_path / "e.db") as db:
        accounts = AccountService(db)
        users = UserService(db)
        users.register_eraser(accounts.erase, last=True)
        seen: list[list[tuple[str, str]]] = []

        async def feature_eraser(user_id: int) -> None:  # e.g. reply-ping opt-ins per channel
            seen.append(await accounts.channels_of(user_id))

        users.register_eraser(feature_eraser)  # registered after the accounts, runs before
        web = await accounts.user_id("web", "w-9")
        assert web is not None
        await users.erase(web)
        assert seen == [[("web", "w-9")]]
        assert await accounts.channels_of(web) == []
