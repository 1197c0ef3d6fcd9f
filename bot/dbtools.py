"""`python -m bot db backup PATH [--parents]` and `python -m bot db restore PATH`.

A backup is an SQLite online backup (consistent while the bot runs), written 0600 through a
temporary file and renamed into place, so a half-written file never carries the backup's name.
It is useless without `master.key`, which is backed up separately and stored apart.

A restore refuses while the bot runs (it takes the bot's lock, `bot.instance_lock`), checks that
the file is a sound database of this project whose sealed data the current `master.key` opens,
keeps the current database as a timestamped 0600 copy, and swaps the files with one rename.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.config import ConfigError, Settings, ensure_data_dir
from bot.crypto import KEY_FILE, KeyError_, Keyring
from bot.instance_lock import InstanceLock
from storage.db import SIDECARS, Database, inspect_file, make_private

KEY_REMINDER = (
    "Reminder: the backup is unreadable without {key}. Back that file up separately (it does "
    "not change) and store it apart from the database backups."
)


def _fsync(path: Path) -> None:
    """Flush a file's data, or a folder's entries (after a rename), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    for suffix in SIDECARS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def backup(settings: Settings, target: Path, *, parents: bool = False) -> Path:
    """Write a 0600 backup of the live database to `target`; returns the path written."""
    db_path = settings.db_path
    if not db_path.exists():
        raise ConfigError(f"no database at {db_path}; check BOT_DATA_DIR")
    target = target.expanduser()
    if target.exists() and target.resolve() == db_path.resolve():
        raise ConfigError("the backup path must differ from the live database")
    if target.is_dir():
        raise ConfigError(f"{target} is a folder; give the backup a file name")
    folder = target.parent
    if not folder.is_dir():
        if not parents:
            raise ConfigError(f"the folder {folder} does not exist; create it or add --parents")
        folder.mkdir(parents=True, mode=0o700)
    partial = folder / f".{target.name}.partial"
    _remove(partial)
    try:
        async with Database(db_path) as db:
            await db.backup(partial)
        _fsync(partial)
        os.replace(partial, target)
    finally:
        _remove(partial)
    _fsync(folder)
    return target


def _check_file(path: Path) -> None:
    """A sound SQLite database whose applied migrations are this project's (read-only)."""
    try:
        integrity, applied = inspect_file(path)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a usable database ({exc})") from None
    if integrity != "ok":
        raise ConfigError(f"{path} is damaged (integrity_check: {integrity})")
    if applied is None:
        raise ConfigError(f"{path} is not a database of this bot (no schema_migrations)")
    known = {version: name for version, name, _ in Database.migration_files()}
    if 1 not in applied:
        raise ConfigError(f"{path} is not a database of this bot (its migrations: none of ours)")
    foreign = [f"{v} {n}" for v, n in sorted(applied.items()) if known.get(v) != n]
    if foreign:
        raise ConfigError(
            f"{path} has migrations this version does not know ({', '.join(foreign)}); "
            "restore it with the version of the bot that made it"
        )


async def _check_key(path: Path, data_dir: Path) -> None:
    """The current master.key opens the sealed data of the (copied, migrated) database."""
    from bot.keycheck import holds_sealed_data, key_opens, mismatch_message

    key_path = data_dir / KEY_FILE
    async with Database(path) as db:
        if not key_path.exists():
            if await holds_sealed_data(db):
                raise ConfigError(
                    f"{key_path} is missing: put the master.key that belongs to this backup there "
                    "first (the backup's sealed data cannot be opened without it)"
                )
            return
        try:
            keyring = Keyring.load(data_dir)
        except KeyError_ as exc:
            raise ConfigError(str(exc)) from None
        if not await key_opens(db, keyring):
            raise ConfigError(mismatch_message(key_path, "the backup"))
        await db.checkpoint()  # everything in the main file before it is renamed


async def _keep_current(db_path: Path) -> Path | None:
    """Copy the current database (with its WAL) to a timestamped 0600 file, then fold the WAL in
    so no frame of it can be applied to the restored file."""
    if not db_path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    try:
        async with Database(db_path) as db:
            await db.backup(kept)
            await db.checkpoint()
    except sqlite3.DatabaseError:
        # A damaged database (often the reason for a restore) cannot be opened: keep its files
        # byte for byte, WAL included, under the kept name.
        for suffix in ("", *SIDECARS):
            source = Path(f"{db_path}{suffix}")
            if source.exists():
                make_private(f"{kept}{suffix}")
                shutil.copyfile(source, f"{kept}{suffix}")
    _fsync(kept)
    return kept


async def restore(settings: Settings, source: Path) -> Path | None:
    """Replace the database with the backup at `source`; returns the copy kept of the old one."""
    source = source.expanduser()
    if not source.is_file():
        raise ConfigError(f"no backup file at {source}")
    data_dir = ensure_data_dir(settings)
    db_path = settings.db_path
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise ConfigError("the backup path must differ from the live database")
    with InstanceLock(data_dir):
        _check_file(source)
        staged = data_dir / f".{db_path.name}.restoring"
        _remove(staged)
        try:
            make_private(staged)
            src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
            dst = sqlite3.connect(staged)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            await _check_key(staged, data_dir)  # opening it applies newer migrations: fine
            _fsync(staged)
            kept = await _keep_current(db_path)
            for suffix in SIDECARS:  # empty after the checkpoint; stale for the restored file
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            os.replace(staged, db_path)
            _fsync(data_dir)
        finally:
            _remove(staged)
    return kept


async def backup_command(settings: Settings, target: Path, *, parents: bool) -> int:
    written = await backup(settings, target, parents=parents)
    print(f"backup written to {written} (mode 0600)")
    print(KEY_REMINDER.format(key=settings.data_dir / KEY_FILE))
    return 0


async def restore_command(settings: Settings, source: Path) -> int:
    kept = await restore(settings, source)
    print(f"restored {settings.db_path} from {source}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept} (mode 0600); delete it when sure")
    return 0
