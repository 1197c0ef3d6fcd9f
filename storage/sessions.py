"""Sealed per-chat flow state, keyed by a pseudonym: SQL only."""

from __future__ import annotations

from storage.db import Database


async def load(db: Database, key: bytes, now: int) -> bytes | None:
    row = await db.fetchone(
        "SELECT value FROM sessions WHERE key = ? AND expires_at > ?", (key, now)
    )
    return bytes(row["value"]) if row else None


async def save(db: Database, key: bytes, value: bytes, expires_at: int, *,
               replaces: bytes | None = None) -> None:
    """Upsert a row; `replaces` (the chat's row under its other pseudonym) is deleted with it."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO sessions(key, value, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " expires_at = excluded.expires_at",
            (key, value, expires_at),
        )
        if replaces is not None:
            await conn.execute("DELETE FROM sessions WHERE key = ?", (replaces,))


async def delete(db: Database, *keys: bytes) -> int:
    async with db.transaction() as conn:
        n = 0
        for key in keys:
            cur = await conn.execute("DELETE FROM sessions WHERE key = ?", (key,))
            n += cur.rowcount
        return n


async def purge_expired(db: Database, now: int) -> int:
    return await db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))


async def any_live(db: Database, now: int) -> bool:
    return await db.fetchone("SELECT 1 FROM sessions WHERE expires_at > ? LIMIT 1", (now,)) is not None


# -- the restart copy of the in-memory session key ---------------------------------------------
async def save_restart_key(db: Database, sealed: bytes) -> None:
    await db.execute(
        "INSERT INTO session_restart(id, key) VALUES (1, ?)"
        " ON CONFLICT(id) DO UPDATE SET key = excluded.key",
        (sealed,),
    )


async def take_restart_key(db: Database) -> bytes | None:
    """Read and delete the restart copy (it exists only while the bot is stopped)."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT key FROM session_restart WHERE id = 1") as cur:
            row = await cur.fetchone()
        await conn.execute("DELETE FROM session_restart")
    return bytes(row[0]) if row else None
