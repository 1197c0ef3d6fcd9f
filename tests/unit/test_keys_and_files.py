"""master.key and the data files: private modes, a key that belongs to its database, one bot per
data directory (issue 11, items 15 and 16)."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import Settings, load_settings
from bot.crypto import KEY_FILE, KeyError_, Keyring
from bot.instance_lock import InUse
from bot.runtime import Runtime
from bot.sessions import SessionStore
from bot.tips import P_BODY
from storage.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask: files 0644, folders 0755 unless the code says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _settings(data_dir: Path) -> Settings:
    return dataclasses.replace(load_settings({}), data_dir=data_dir)


async def test_data_dir_database_and_key_are_private(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # an operator made it beforehand
    runtime = await Runtime.open(_settings(data))
    try:
        await SessionStore(runtime.db, runtime.keyring, FrozenClock()).set(7, {"flow": "x"})
        files = [data / "bot.sqlite3", data / "bot.sqlite3-wal", data / "bot.sqlite3-shm"]
        assert all(p.exists() for p in files)
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(data) == 0o700
        assert _mode(data / KEY_FILE) == 0o600
        assert _mode(data / "bot.lock") == 0o600
    finally:
        await runtime.close()


async def test_existing_loose_database_files_are_made_private(
    tmp_path: Path, loose_umask: None
) -> None:
    db_path = tmp_path / "x.db"
    sqlite3.connect(db_path).close()
    os.chmod(db_path, 0o644)
    async with Database(db_path):
        assert _mode(db_path) == 0o600
        assert _mode(Path(f"{db_path}-wal")) == 0o600


async def test_backup_file_is_private(tmp_path: Path, loose_umask: None) -> None:
    async with Database(tmp_path / "x.db") as db:
        await db.backup(tmp_path / "b.db")
    assert _mode(tmp_path / "b.db") == 0o600


def test_key_file_is_fsynced_with_its_folder_and_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    keyring = Keyring.create(tmp_path)
    assert synced == [str(tmp_path / KEY_FILE), str(tmp_path)]
    with pytest.raises(FileExistsError):
        Keyring.create(tmp_path)
    assert Keyring.load(tmp_path).master == keyring.master


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    Keyring.create(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(KeyError_) as err:
        Keyring.load(tmp_path)
    assert "readable by other users (mode 0644)" in str(err.value)
    assert f"chmod 600 {tmp_path / KEY_FILE}" in str(err.value)


async def test_lost_key_is_refused_and_not_replaced(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await (await Runtime.open(settings)).close()  # makes the key and records the key check
    (tmp_path / KEY_FILE).unlink()
    with pytest.raises(KeyError_) as err:
        await Runtime.open(settings)
    assert "is missing but" in str(err.value) and "restore master.key" in str(err.value)
    assert not (tmp_path / KEY_FILE).exists()  # no new key that could seal new data


async def test_replaced_key_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await (await Runtime.open(settings)).close()
    key = tmp_path / KEY_FILE
    original = key.read_bytes()
    key.unlink()
    Keyring.create(tmp_path)  # someone "fixed" the missing key with a new one
    with pytest.raises(KeyError_) as err:
        await Runtime.open(settings)
    assert "does not open the data sealed in" in str(err.value)
    # Lock and database were released on the way out: with the right key the bot starts again.
    key.write_bytes(original)
    await (await Runtime.open(settings)).close()


async def _database_before_the_key_check(settings: Settings, lost: Keyring) -> None:
    """A database with a tip sealed by `lost`, as it was before migration 008 existed."""
    async with Database(settings.db_path) as db:
        await db.execute(
            "INSERT INTO tips(code, lookup, receipt_hash, category, ward_code, province_code,"
            " when_code, body, created_at, routed_at) VALUES ('K7Q2', x'00', 'h', 'dealing',"
            " '26740', '79', 'now', ?, 0, 0)", (lost.seal(P_BODY, b"{}", aad=b"K7Q2"),))
        await db.execute("DROP TABLE key_check")
        await db.execute("DELETE FROM schema_migrations WHERE name = '008_secops.sql'")


async def test_database_older_than_the_key_check_is_checked_against_its_newest_tip(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    lost = Keyring.create(tmp_path)
    await _database_before_the_key_check(settings, lost)
    (tmp_path / KEY_FILE).unlink()
    with pytest.raises(KeyError_, match="is missing but"):
        await Runtime.open(settings)
    Keyring.create(tmp_path)  # not the key that sealed the tip
    with pytest.raises(KeyError_, match="does not open"):
        await Runtime.open(settings)
    (tmp_path / KEY_FILE).unlink()
    (tmp_path / KEY_FILE).write_bytes(lost.master)
    (tmp_path / KEY_FILE).chmod(0o600)
    await (await Runtime.open(settings)).close()  # the right key: the check is recorded now
    (tmp_path / KEY_FILE).unlink()
    Keyring.create(tmp_path)
    with pytest.raises(KeyError_, match="does not open"):
        await Runtime.open(settings)


async def test_operator_can_accept_a_lost_key_on_purpose(tmp_path: Path) -> None:
    """The recipe of docs/TIPS.md: delete the check (and what only the old key opens)."""
    settings = _settings(tmp_path)
    await _database_before_the_key_check(settings, Keyring.ephemeral())  # key lost for good
    async with Database(settings.db_path) as db:  # the migration marks the tips to check
        assert (await db.fetchone("SELECT sealed FROM key_check"))[0] is None  # type: ignore[index]
    with pytest.raises(KeyError_, match="is missing but"):
        await Runtime.open(settings)
    with sqlite3.connect(settings.db_path) as con:
        for table in ("key_check", "session_restart", "update_inbox", "tip_draft_photos"):
            con.execute(f"DELETE FROM {table}")
    con.close()
    await (await Runtime.open(settings)).close()
    assert (tmp_path / KEY_FILE).exists()


async def test_second_bot_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = await Runtime.open(settings)
    try:
        with pytest.raises(InUse) as err:
            await Runtime.open(settings)
        assert f"pid {os.getpid()}" in str(err.value)
    finally:
        await first.close()
    await (await Runtime.open(settings)).close()  # free again once the first has stopped
