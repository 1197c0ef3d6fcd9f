"""Photos of tip drafts (sealed, keyed by the draft's random id): SQL only."""

from __future__ import annotations

from storage.db import Database
from storage.tips import Conn


async def add_photo(db: Database, draft: bytes, data: bytes, expires_at: int) -> int:
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO tip_draft_photos(draft, data, expires_at) VALUES (?, ?, ?)",
            (draft, data, expires_at),
        )
        return int(cur.lastrowid or 0)


async def photos(db: Database, draft: bytes) -> list[tuple[int, bytes]]:
    rows = await db.fetchall(
        "SELECT id, data FROM tip_draft_photos WHERE draft = ? ORDER BY id", (draft,)
    )
    return [(int(r["id"]), bytes(r["data"])) for r in rows]


async def count(db: Database, draft: bytes) -> int:
    row = await db.fetchone("SELECT COUNT(*) AS n FROM tip_draft_photos WHERE draft = ?", (draft,))
    return int(row["n"]) if row else 0


async def delete(conn: Conn, draft: bytes) -> int:
    cur = await conn.execute("DELETE FROM tip_draft_photos WHERE draft = ?", (draft,))
    return cur.rowcount


async def purge_expired(db: Database, now: int) -> int:
    return await db.execute("DELETE FROM tip_draft_photos WHERE expires_at <= ?", (now,))
