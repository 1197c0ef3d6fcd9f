"""Database set-up, migrations, sealed sessions and update de-duplication."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.crypto import Keyring
from bot.dedup import UpdateDeduplicator
from bot.sessions import SessionStore
from storage import updates
from storage.db import Database


async def test_pragmas_and_migrations_recorded(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        mode = await db.fetchone("PRAGMA journal_mode")
        fks = await db.fetchone("PRAGMA foreign_keys")
        secure = await db.fetchone("PRAGMA secure_delete")
        assert mode is not None and mode[0] == "wal"
        assert fks is not None and fks[0] == 1
        assert secure is not None and secure[0] == 1
        assert await db.pending_migrations() == []
        assert await db.migrate() == []  # running again applies nothing
    names = [r[0] for r in sqlite3.connect(tmp_path / "x.db").execute(
        "SELECT name FROM schema_migrations ORDER BY version")]
    assert names[0] == "001_core.sql"


async def test_session_is_sealed_pseudonymous_and_expires(tmp_path: Path) -> None:
    clock = FrozenClock()
    keyring = Keyring.load_or_create(tmp_path)
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, keyring, clock)
        await store.set(987654321, {"flow": "tip", "text": "secret draft"}, ttl=3600)
        assert (await store.get(987654321))["text"] == "secret draft"
        await db.checkpoint()
        raw = (tmp_path / "x.db").read_bytes()
        assert b"987654321" not in raw and b"secret draft" not in raw
        clock.advance(hours=2)
        assert await store.get(987654321) == {}
        assert await store.purge_expired() == 1


async def test_restart_keeps_session(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Database(tmp_path / "x.db") as db:
        await SessionStore(db, Keyring.load_or_create(tmp_path), clock).set(5, {"step": 3})
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        assert await store.get(5) == {"step": 3}


async def test_update_ids_remembered_across_restart(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Database(tmp_path / "x.db") as db:
        dedup = UpdateDeduplicator(db, clock)
        await dedup.start()
        assert not await dedup.is_duplicate(42)
        assert await dedup.is_duplicate(42)  # in memory
        dedup.finish(42)
        await dedup.stop()  # flushes
    async with Database(tmp_path / "x.db") as db:
        dedup = UpdateDeduplicator(db, clock)
        await dedup.start()
        assert dedup.high_water == 42
        assert await dedup.is_duplicate(42)  # from the database after a restart
        assert not await dedup.is_duplicate(43)
        dedup.finish(43)
        await dedup.stop()
        assert await updates.prune(db, clock.timestamp() + 1) == 2


async def test_inbox_keeps_sealed_bodies_until_handled(tmp_path: Path) -> None:
    """A fetched update stays (sealed) until its handling finished; a redelivered copy that
    arrives while the first copy runs must not delete it, one after that must."""
    from bot.inbox import UpdateInbox

    clock = FrozenClock()
    body = {"update_id": 7, "message": {"text": "secret 555123", "chat": {"id": 987654321}}}
    async with Database(tmp_path / "x.db") as db:
        keyring = Keyring.load_or_create(tmp_path)
        inbox, dedup = UpdateInbox(db, keyring, clock), UpdateDeduplicator(db, clock)
        await dedup.start()
        await inbox.keep(7, body)
        await inbox.keep(7, body)  # a redelivery before handling: one row
        raw = await db.fetchall("SELECT body FROM update_inbox")
        assert len(raw) == 1 and b"987654321" not in bytes(raw[0]["body"])
        assert not await dedup.is_duplicate(7)  # handling starts
        assert await dedup.is_duplicate(7)  # the redelivered copy, while the first runs
        await dedup.flush()
        assert await inbox.unhandled() == [(7, body)]  # a crash now: handled after restart
        dedup.finish(7)
        await dedup.flush()
        assert await inbox.unhandled() == []
        await inbox.keep(7, body)  # Telegram redelivers after the row was deleted
        assert await dedup.is_duplicate(7)
        await dedup.stop()
        assert await inbox.unhandled() == []
        assert await updates.seen(db, 7)
        await inbox.keep(8, body)  # never handled (it crashed the process every time) …
        clock.advance(hours=49)
        await updates.prune(db, clock.timestamp() - 48 * 3600)
        assert await inbox.unhandled() == []  # … dropped after two days, not kept for ever


async def test_transaction_cancelled_during_begin_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "c.db") as db:
        entered = asyncio.Event()

        async def write() -> None:
            entered.set()
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO users(user_id) VALUES (1)")

        task = asyncio.create_task(write())
        await entered.wait()  # the task now awaits BEGIN on the database thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Before the fix the connection was left inside BEGIN: this raised
        # "cannot start a transaction within a transaction".
        await db.execute("INSERT INTO users(user_id) VALUES (2)")
        rows = await db.fetchall("SELECT user_id FROM users")
        assert [r["user_id"] for r in rows] == [2]


async def test_open_on_a_damaged_file_leaves_no_connection_thread(tmp_path: Path) -> None:
    """aiosqlite's worker thread is not a daemon: a connection left open when open() fails
    keeps the process from exiting (a `db restore` over a damaged database hung)."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database " * 300)
    before = set(threading.enumerate())  # other tests' threads may come and go meanwhile

    def started_here() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and t.is_alive()]

    with pytest.raises(sqlite3.DatabaseError):
        await Database(bad).open()
    for _ in range(200):
        if not started_here():
            break
        await asyncio.sleep(0.01)
    assert started_here() == []
