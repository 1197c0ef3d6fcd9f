"""`db backup` and `db restore` as an operator uses them: backup → change → restore, and the
bot sees the old data; every unsafe restore is refused and changes nothing (issue 16)."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from bot import dbtools
from bot.config import ConfigError, load_settings
from bot.runtime import Runtime


async def _choose(person: Any, language: str) -> None:
    await person.send("/language")
    await person.press(language)


async def test_backup_change_restore_brings_the_old_data_back(
    bot: Any, tg: Any, tmp_path: Path
) -> None:
    lan = tg.user(id=1201, first_name="Lan", language_code="vi")
    await _choose(lan, "🇬🇧 English")
    backup = await dbtools.backup(bot.settings, tmp_path / "backups" / "b.sqlite3", parents=True)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    await _choose(lan, "🇻🇳 Tiếng Việt")
    assert "Quyền riêng tư" in (await lan.send("/privacy")).text

    with pytest.raises(ConfigError, match=r"the bot is running .* stop it first"):
        await dbtools.restore(bot.settings, backup)
    await bot.stop()
    kept = await dbtools.restore(bot.settings, backup)
    assert kept is not None and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.name.startswith("bot.sqlite3.before-restore-")
    await bot.start()
    assert "Privacy: what this bot keeps" in (await lan.send("/privacy")).text

    await bot.stop()  # and the copy kept is the database as it was just before the restore
    await dbtools.restore(bot.settings, kept)
    await bot.start()
    assert "Quyền riêng tư" in (await lan.send("/privacy")).text


async def test_restore_over_a_damaged_database_keeps_its_bytes(
    bot: Any, tg: Any, tmp_path: Path
) -> None:
    tom = tg.user(id=1202, first_name="Tom", language_code="vi")
    await _choose(tom, "🇬🇧 English")
    backup = await dbtools.backup(bot.settings, tmp_path / "b.sqlite3")
    await bot.stop()
    damaged = b"not a database any more " * 200
    bot.settings.db_path.write_bytes(damaged)
    kept = await dbtools.restore(bot.settings, backup)
    assert kept is not None and kept.read_bytes() == damaged
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    await bot.start()
    assert "Privacy: what this bot keeps" in (await tom.send("/privacy")).text


async def test_backup_needs_an_existing_folder_unless_asked(bot: Any, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "b.sqlite3"
    with pytest.raises(ConfigError, match="does not exist; create it or add --parents"):
        await dbtools.backup(bot.settings, target)
    assert not target.parent.exists()


async def _other_installation(tmp_path: Path) -> Path:
    """A backup of another bot's database (its own master.key)."""
    settings = dataclasses.replace(load_settings({}), data_dir=tmp_path / "other")
    await (await Runtime.open(settings)).close()
    return await dbtools.backup(settings, tmp_path / "other.sqlite3")


async def test_unsafe_restores_are_refused_and_change_nothing(bot: Any, tmp_path: Path) -> None:
    await bot.stop()
    db_path = bot.settings.db_path
    before = db_path.read_bytes()
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello " * 100)
    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE t(x)").connection.commit()
    good = await dbtools.backup(bot.settings, tmp_path / "good.sqlite3")
    newer = tmp_path / "newer.sqlite3"
    await dbtools.backup(bot.settings, newer)
    with sqlite3.connect(newer) as con:
        con.execute("INSERT INTO schema_migrations(version, name) VALUES (999, '999_future.sql')")
    cases = [
        (tmp_path / "absent.sqlite3", "no backup file"),
        (not_db, "not a usable database"),
        (foreign, "not a database of this bot"),
        (newer, "migrations this version does not know (999 999_future.sql)"),
        (await _other_installation(tmp_path), "does not open the data sealed in the backup"),
    ]
    for path, message in cases:
        with pytest.raises(ConfigError, match=re.escape(message)):
            await dbtools.restore(bot.settings, path)
    key = db_path.parent / "master.key"
    key_bytes = key.read_bytes()
    key.unlink()
    with pytest.raises(ConfigError, match=r"master\.key is missing: put the master\.key"):
        await dbtools.restore(bot.settings, good)
    key.write_bytes(key_bytes)
    key.chmod(0o600)
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == [
        "bot.lock", "bot.sqlite3", "master.key"]  # no half-restored or kept copies left
