"""The one SQLite database: connection settings, numbered migrations, transactions, backup.

WAL lets readers run beside the single writer; `secure_delete` overwrites deleted content so a
purged tip or draft does not linger in free pages; a checkpoint after purges empties the WAL.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

MIGRATIONS_PACKAGE = "storage.migrations"
_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# The database's companion files: SQLite gives them the main file's permissions when it makes
# them, and they hold recent writes (tips, drafts) just as the main file does.
SIDECARS = ("-wal", "-shm", "-journal")


def make_private(path: Path | str) -> None:
    """Create `path` if missing as 0600 and take group/other access away if it has any.

    Done before SQLite opens a file, so the file never exists with the umask's 0644."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def private_files(path: Path | str) -> None:
    """make_private for the database and those of its companion files that exist."""
    make_private(path)
    for suffix in SIDECARS:
        side = f"{path}{suffix}"
        if os.path.exists(side) and os.stat(side).st_mode & 0o077:
            os.chmod(side, 0o600)


def inspect_file(path: Path) -> tuple[str, dict[int, str] | None]:
    """Read-only look at a database file (a backup to restore): the integrity check's first
    line and its applied migrations {version: name}, None without a schema_migrations table.
    Raises sqlite3.DatabaseError for a file that is not a database."""
    con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        row = con.execute("PRAGMA integrity_check").fetchone()
        integrity = str(row[0]) if row else "?"
        try:
            applied = dict(con.execute("SELECT version, name FROM schema_migrations").fetchall())
        except sqlite3.OperationalError:
            return integrity, None
        return integrity, applied
    finally:
        con.close()


class Database:
    """A single aiosqlite connection used by every repository.

    SQLite has one writer at a time; one connection with an asyncio lock around write
    transactions keeps writes serial without `database is locked` retries.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @property
    def on_disk(self) -> bool:
        return self.path != ":memory:" and not self.path.startswith("file:")

    async def open(self) -> Database:
        if self.on_disk:
            make_private(self.path)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            self._conn.row_factory = aiosqlite.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA secure_delete=ON",
            ):
                await self._conn.execute(pragma)
            if self.on_disk:  # -wal/-shm now exist; an older version may have left them 0644
                private_files(self.path)
            await self.migrate()
        except BaseException:
            # e.g. "file is not a database": close, or the connection's thread outlives us
            await self.close()
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- migrations ---------------------------------------------------------------------------
    @staticmethod
    def migration_files() -> list[tuple[int, str, str]]:
        found = []
        for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
            match = _MIGRATION_RE.match(entry.name)
            if match:
                found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
        return sorted(found)

    async def migrate(self) -> list[str]:
        """Apply every migration not yet recorded, each in its own transaction."""
        conn = self.conn
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
        )
        async with conn.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        applied = []
        for version, name, sql in self.migration_files():
            if version in done:
                continue
            async with self.transaction():
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (version, name)
                )
            applied.append(name)
        return applied

    async def applied_migrations(self) -> list[str]:
        rows = await self.fetchall("SELECT name FROM schema_migrations ORDER BY version")
        return [row["name"] for row in rows]

    async def integrity(self) -> str:
        """SQLite's integrity_check verdict ("ok" when the file is sound)."""
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row is not None else "?"

    async def pending_migrations(self) -> list[str]:
        async with self.conn.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        return [name for version, name, _ in self.migration_files() if version not in done]

    # -- queries --------------------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, serialised; rolls back on any exception."""
        async with self._write_lock:
            try:
                # Inside the try: a task cancelled while BEGIN is on its way still gets its
                # ROLLBACK (aiosqlite runs statements in order on one thread, so BEGIN has
                # run by then); otherwise the connection stayed in a transaction and every
                # later one failed with "cannot start a transaction within a transaction".
                await self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
            except BaseException:
                await self._rollback()
                raise
            else:
                await self.conn.execute("COMMIT")

    async def _rollback(self) -> None:
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError:  # BEGIN itself failed: nothing to roll back
            pass

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """A single write statement in its own transaction; returns rowcount."""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, tuple(params))
            return cur.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def checkpoint(self) -> bool:
        """Fold the WAL into the main file and truncate it, so deleted drafts, tips and opt-ins
        do not linger there. Taken under the write lock (a checkpoint inside another coroutine's
        open transaction on the shared connection fails) and without the busy timeout: if a
        read is in progress it returns False at once instead of stalling; call again later."""
        async with self._write_lock:
            try:
                await self.conn.execute("PRAGMA busy_timeout=0")
                async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                    row = await cur.fetchone()
                return row is not None and int(row[0]) == 0
            except sqlite3.OperationalError:
                return False
            finally:
                await self.conn.execute("PRAGMA busy_timeout=5000")

    async def backup(self, target: Path) -> None:
        """SQLite online backup: a consistent copy (0600) while the bot keeps running. The
        target's folder must exist: the caller decides whether to create it."""
        make_private(target)
        async with aiosqlite.connect(str(target)) as dest:
            await self.conn.backup(dest)


def _split_sql(sql: str) -> list[str]:
    # Migrations are plain statements separated by ';' at line ends (no triggers with bodies).
    return [s.strip() for s in re.split(r";\s*\n", sql) if s.strip() and s.strip() != ";"]
