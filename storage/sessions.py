"""Sealed per-chat flow state, keyed by a pseudonym: SQL only."""

from __future__ import annotations

from storage.db import Database


async def load(db: Database, key: bytes, now: int) -> bytes | None:
    row = await db.fetchone(
        "SELECT value FROM sessions WHERE key = ? AND expires_at > ?", (key, now)
    )
    return bytes(row["value"]) if row else None


async def save(db: Database, key: bytes, value: bytes, expires_at: int) -> None:
    await db.execute(
        "INSERT INTO sessions(key, value, expires_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        (key, value, expires_at),
    )


async def delete(db: Database, key: bytes) -> None:
    await db.execute("DELETE FROM sessions WHERE key = ?", (key,))


async def purge_expired(db: Database, now: int) -> int:
    return await db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
