"""Local events created by police units and admins: SQL only."""

from __future__ import annotations

import sqlite3
from typing import Any

from storage.db import Database

Row = sqlite3.Row
_COLUMNS = (
    "id, title, description, place, starts_at, ends_at, scope, province_code, ward_code,"
    " photo_file_id, photo_media, created_by, created_at, updated_at, cancelled_at"
)
EDITABLE = frozenset({"title", "description", "place", "starts_at", "ends_at", "photo_file_id",
                      "photo_media"})


async def create(
    db: Database, *, title: str, description: str, place: str, starts_at: int, ends_at: int,
    scope: str, province_code: str | None, ward_code: str | None, photo_media: str | None,
    created_by: int, now: int,
) -> int:
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO events(title, description, place, starts_at, ends_at, scope,"
            " province_code, ward_code, photo_media, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (title, description, place, starts_at, ends_at, scope, province_code, ward_code,
             photo_media, created_by, now, now),
        )
        return int(cur.lastrowid or 0)


async def get(db: Database, event_id: int) -> Row | None:
    return await db.fetchone(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,))


async def update(db: Database, event_id: int, fields: dict[str, Any], now: int) -> int:
    names = [k for k in fields if k in EDITABLE]
    if not names:
        return 0
    sets = ", ".join(f"{k} = ?" for k in names)
    return await db.execute(
        f"UPDATE events SET {sets}, updated_at = ? WHERE id = ? AND cancelled_at IS NULL",
        [*(fields[k] for k in names), now, event_id],
    )


async def cancel(db: Database, event_id: int, now: int) -> int:
    return await db.execute(
        "UPDATE events SET cancelled_at = ?, updated_at = ? WHERE id = ? AND cancelled_at IS NULL",
        (now, now, event_id),
    )


async def upcoming(db: Database, now: int, limit: int = 200) -> list[Row]:
    """Events not cancelled and not yet over, soonest first."""
    return await db.fetchall(
        f"SELECT {_COLUMNS} FROM events WHERE cancelled_at IS NULL AND ends_at > ?"
        " ORDER BY starts_at, id LIMIT ?",
        (now, limit),
    )


async def starting_between(db: Database, start: int, end: int) -> list[Row]:
    return await db.fetchall(
        f"SELECT {_COLUMNS} FROM events WHERE cancelled_at IS NULL AND starts_at > ?"
        " AND starts_at <= ? ORDER BY starts_at",
        (start, end),
    )


async def forget_creator(db: Database, user_id: int) -> int:
    return await db.execute("UPDATE events SET created_by = NULL WHERE created_by = ?", (user_id,))
