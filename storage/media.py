"""Stored media (campaign photos): content-addressed bytes. SQL only."""

from __future__ import annotations

from storage.db import Database


async def put(db: Database, media_id: str, mime: str, data: bytes, now: int) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO media(id, mime, data, created_at) VALUES (?, ?, ?, ?)",
        (media_id, mime, data, now),
    )


async def get(db: Database, media_id: str) -> tuple[str, bytes] | None:
    row = await db.fetchone("SELECT mime, data FROM media WHERE id = ?", (media_id,))
    return (str(row["mime"]), bytes(row["data"])) if row else None
