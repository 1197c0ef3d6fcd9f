"""Processed update ids, so a redelivered update has no second effect: SQL only."""

from __future__ import annotations

from storage.db import Database


async def claim(db: Database, update_id: int, now: int) -> bool:
    """Record the update id; False when it was already processed."""
    return (
        await db.execute(
            "INSERT OR IGNORE INTO processed_updates(update_id, seen_at) VALUES (?, ?)",
            (update_id, now),
        )
        == 1
    )


async def prune(db: Database, older_than: int) -> int:
    # Telegram keeps undelivered updates for 24 hours; ids older than that cannot come back.
    return await db.execute("DELETE FROM processed_updates WHERE seen_at < ?", (older_than,))


async def forget_all(db: Database) -> int:
    """For a new Bot API server whose update ids start again (the playground's fake)."""
    return await db.execute("DELETE FROM processed_updates")
