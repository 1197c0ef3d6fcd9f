"""Processed update ids, so a redelivered update has no second effect: SQL only."""

from __future__ import annotations

from storage.db import Database


async def claim_many(db: Database, update_ids: list[int], now: int) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO processed_updates(update_id, seen_at) VALUES (?, ?)",
            [(uid, now) for uid in update_ids],
        )


async def seen(db: Database, update_id: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
    return row is not None


async def highest(db: Database) -> int:
    row = await db.fetchone("SELECT COALESCE(MAX(update_id), 0) FROM processed_updates")
    return int(row[0]) if row else 0


async def prune(db: Database, older_than: int) -> int:
    # Telegram keeps undelivered updates for 24 hours; ids older than that cannot come back.
    return await db.execute("DELETE FROM processed_updates WHERE seen_at < ?", (older_than,))


async def forget_all(db: Database) -> int:
    """For a new Bot API server whose update ids start again (the playground's fake)."""
    return await db.execute("DELETE FROM processed_updates")
