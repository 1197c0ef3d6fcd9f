"""Fetched-but-unhandled updates (sealed) and processed update ids, so a crash loses no update
and a redelivered update has no second effect: SQL only."""

from __future__ import annotations

from storage.db import Database


async def keep_many(db: Database, rows: list[tuple[int, bytes]], now: int) -> None:
    """Store fetched updates (id, sealed body) before Telegram is told it may forget them, in
    one transaction. A second copy of an id still stored (a redelivery) is ignored."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO update_inbox(update_id, body, received_at) VALUES (?, ?, ?)",
            [(uid, body, now) for uid, body in rows],
        )


async def unhandled(db: Database) -> list[tuple[int, bytes]]:
    rows = await db.fetchall("SELECT update_id, body FROM update_inbox ORDER BY update_id")
    return [(int(r["update_id"]), bytes(r["body"])) for r in rows]


async def finish_many(db: Database, update_ids: list[int], now: int) -> int:
    """Remember these ids as processed and delete their stored bodies, in one transaction;
    returns how many bodies were deleted."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO processed_updates(update_id, seen_at) VALUES (?, ?)",
            [(uid, now) for uid in update_ids],
        )
        cur = await conn.executemany(
            "DELETE FROM update_inbox WHERE update_id = ?", [(uid,) for uid in update_ids]
        )
        return int(cur.rowcount)


async def seen(db: Database, update_id: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
    return row is not None


async def highest(db: Database) -> int:
    row = await db.fetchone("SELECT COALESCE(MAX(update_id), 0) FROM processed_updates")
    return int(row[0]) if row else 0


async def prune(db: Database, older_than: int) -> int:
    # Telegram keeps undelivered updates for 24 hours; ids older than that cannot come back.
    # A stored update that old was never handled (each start retries it, so it keeps killing
    # the process): it is dropped rather than kept, sealed, for ever.
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM update_inbox WHERE received_at < ?", (older_than,))
        cur = await conn.execute("DELETE FROM processed_updates WHERE seen_at < ?", (older_than,))
        return int(cur.rowcount)


async def forget_all(db: Database) -> int:
    """For a new Bot API server whose update ids start again (the playground's fake)."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM update_inbox")
        cur = await conn.execute("DELETE FROM processed_updates")
        return int(cur.rowcount)
