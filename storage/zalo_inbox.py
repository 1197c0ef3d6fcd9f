"""The Zalo update inbox (migration 015): store, find leftovers, mark handled, purge. SQL only."""

from __future__ import annotations

from storage.db import Database


async def keep(db: Database, key: bytes, body: bytes, now: int) -> bool:
    """Store an update; False when one with this key was seen before (a duplicate)."""
    changed = await db.execute(
        "INSERT OR IGNORE INTO zalo_inbox(key, body, received_at) VALUES (?, ?, ?)",
        (key, body, now),
    )
    return changed > 0


async def handled(db: Database, key: bytes) -> None:
    await db.execute("UPDATE zalo_inbox SET body = NULL WHERE key = ?", (key,))


async def unhandled(db: Database) -> list[tuple[bytes, bytes]]:
    rows = await db.fetchall(
        "SELECT key, body FROM zalo_inbox WHERE body IS NOT NULL ORDER BY seq"
    )
    return [(bytes(r["key"]), bytes(r["body"])) for r in rows]


async def purge(db: Database, before: int) -> int:
    """Forget keys (and any body that could never be handled) older than `before`."""
    return await db.execute("DELETE FROM zalo_inbox WHERE received_at < ?", (before,))
