"""The sealed key-check value (bot.keycheck) and the probe of data sealed before it existed."""

from __future__ import annotations

from storage.db import Database


async def get(db: Database) -> tuple[bool, bytes | None]:
    """(whether there is a check to pass, the sealed value or None for a pre-check database)."""
    row = await db.fetchone("SELECT sealed FROM key_check WHERE id = 1")
    if row is None:
        return False, None
    return True, None if row[0] is None else bytes(row[0])


async def put(db: Database, sealed: bytes) -> None:
    """Record the check; a recorded one is never replaced."""
    await db.execute(
        "INSERT INTO key_check(id, sealed) VALUES (1, ?)"
        " ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed WHERE key_check.sealed IS NULL",
        (sealed,),
    )


async def legacy_sample(db: Database) -> tuple[bytes, bytes] | None:
    """A value sealed with master.key in a database made before the key check, as (blob, aad):
    the newest tip's body (aad = its code). Flow state is no probe: protected flows are sealed
    with a key that lives only in memory."""
    row = await db.fetchone("SELECT code, body FROM tips ORDER BY id DESC LIMIT 1")
    return None if row is None else (bytes(row[1]), str(row[0]).encode())
