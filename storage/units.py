"""Police units, officers, province admins, invite codes and their audit trail: SQL only.

Reads take the `Database`; writes take the connection of an open `db.transaction()` so that a
change and its audit row commit together (the database's write lock is not re-entrant).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import aiosqlite

from storage.db import Database

Row = sqlite3.Row

_UNIT_COLUMNS = ("id, kind, code, province_code, name, hotline, group_chat_id, group_channel,"
                 " group_key, created_at")
TELEGRAM = "telegram"  # group_chat_id holds a Telegram group's chat id (tip deliveries)


# -- units -------------------------------------------------------------------------------------
async def get_unit(db: Database, unit_id: int) -> Row | None:
    return await db.fetchone(f"SELECT {_UNIT_COLUMNS} FROM police_units WHERE id = ?", (unit_id,))


async def find_unit(db: Database, kind: str, code: str) -> Row | None:
    return await db.fetchone(
        f"SELECT {_UNIT_COLUMNS} FROM police_units WHERE kind = ? AND code = ?", (kind, code)
    )


async def unit_by_group(db: Database, chat_id: int) -> Row | None:
    """The unit whose bound Telegram group has this chat id."""
    return await db.fetchone(
        f"SELECT {_UNIT_COLUMNS} FROM police_units WHERE group_chat_id = ?", (chat_id,)
    )


async def unit_by_chat(db: Database, channel: str, key: str) -> Row | None:
    """The unit whose bound group is this chat of this channel."""
    return await db.fetchone(
        f"SELECT {_UNIT_COLUMNS} FROM police_units WHERE group_channel = ? AND group_key = ?",
        (channel, key),
    )


async def units_in_province(db: Database, province_code: str) -> list[Row]:
    return await db.fetchall(
        f"SELECT {_UNIT_COLUMNS} FROM police_units WHERE province_code = ? ORDER BY kind, code",
        (province_code,),
    )


async def all_units(db: Database) -> list[Row]:
    return await db.fetchall(
        f"SELECT {_UNIT_COLUMNS} FROM police_units ORDER BY province_code, kind, code"
    )


async def units_of_officer(db: Database, user_id: int) -> list[Row]:
    cols = ", ".join(f"u.{c.strip()}" for c in _UNIT_COLUMNS.split(","))
    return await db.fetchall(
        f"SELECT {cols} FROM police_units u JOIN unit_officers o ON o.unit_id = u.id"
        " WHERE o.user_id = ? ORDER BY u.province_code, u.kind, u.code",
        (user_id,),
    )


async def insert_unit(
    conn: aiosqlite.Connection, kind: str, code: str, province_code: str, now: int
) -> int:
    """Create the unit if it does not exist; return its id either way."""
    await conn.execute(
        "INSERT INTO police_units(kind, code, province_code, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(kind, code) DO NOTHING",
        (kind, code, province_code, now),
    )
    async with conn.execute(
        "SELECT id FROM police_units WHERE kind = ? AND code = ?", (kind, code)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def set_details(
    conn: aiosqlite.Connection, unit_id: int, name: str | None, hotline: str | None
) -> None:
    await conn.execute(
        "UPDATE police_units SET name = ?, hotline = ? WHERE id = ?", (name, hotline, unit_id)
    )


async def set_group(
    conn: aiosqlite.Connection, unit_id: int, channel: str | None = None, key: str | None = None
) -> None:
    """Bind the unit to the group (channel, key), or unbind it (None)."""
    if channel is None or key is None:
        channel = key = None
    chat_id = int(key) if channel == TELEGRAM and key is not None else None
    await conn.execute(
        "UPDATE police_units SET group_chat_id = ?, group_channel = ?, group_key = ? WHERE id = ?",
        (chat_id, channel, key, unit_id),
    )


async def move_group(conn: aiosqlite.Connection, old_chat_id: int, new_chat_id: int) -> int:
    """A Telegram group got a new chat id (upgraded to a supergroup)."""
    cur = await conn.execute(
        "UPDATE police_units SET group_chat_id = ?, group_key = ? WHERE group_chat_id = ?",
        (new_chat_id, str(new_chat_id), old_chat_id),
    )
    return cur.rowcount


async def reachable_ward_counts(db: Database) -> dict[str, int]:
    """{province_code: ward units with a bound group or at least one officer}."""
    rows = await db.fetchall(
        "SELECT province_code, COUNT(*) AS n FROM police_units u WHERE kind = 'ward' AND"
        " (group_chat_id IS NOT NULL OR EXISTS (SELECT 1 FROM unit_officers o WHERE o.unit_id = u.id))"
        " GROUP BY province_code"
    )
    return {row["province_code"]: int(row["n"]) for row in rows}


# -- officers ----------------------------------------------------------------------------------
async def officers(db: Database, unit_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM unit_officers WHERE unit_id = ? ORDER BY enrolled_at, user_id",
        (unit_id,),
    )
    return [int(r["user_id"]) for r in rows]


async def officer_counts(db: Database, unit_ids: Iterable[int]) -> dict[int, int]:
    ids = list(unit_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(
        f"SELECT unit_id, COUNT(*) AS n FROM unit_officers WHERE unit_id IN ({marks})"
        " GROUP BY unit_id",
        ids,
    )
    return {int(r["unit_id"]): int(r["n"]) for r in rows}


async def is_officer(db: Database, user_id: int, unit_id: int) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM unit_officers WHERE unit_id = ? AND user_id = ?", (unit_id, user_id)
    )
    return row is not None


async def add_officer(conn: aiosqlite.Connection, unit_id: int, user_id: int, now: int) -> bool:
    """True if newly enrolled, False if already an officer of that unit."""
    cur = await conn.execute(
        "INSERT INTO unit_officers(unit_id, user_id, enrolled_at) VALUES (?, ?, ?)"
        " ON CONFLICT(unit_id, user_id) DO NOTHING",
        (unit_id, user_id, now),
    )
    return cur.rowcount > 0


async def remove_officer(conn: aiosqlite.Connection, unit_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "DELETE FROM unit_officers WHERE unit_id = ? AND user_id = ?", (unit_id, user_id)
    )
    return cur.rowcount > 0


async def remove_officer_everywhere(conn: aiosqlite.Connection, user_id: int) -> int:
    cur = await conn.execute("DELETE FROM unit_officers WHERE user_id = ?", (user_id,))
    return cur.rowcount


# -- province admins ---------------------------------------------------------------------------
async def provinces_of_admin(db: Database, user_id: int) -> set[str]:
    rows = await db.fetchall(
        "SELECT province_code FROM province_admins WHERE user_id = ?", (user_id,)
    )
    return {str(r["province_code"]) for r in rows}


async def admins_of_province(db: Database, province_code: str) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM province_admins WHERE province_code = ? ORDER BY added_at, user_id",
        (province_code,),
    )
    return [int(r["user_id"]) for r in rows]


async def all_province_admins(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT province_code, user_id FROM province_admins ORDER BY province_code, user_id"
    )


async def add_province_admin(
    conn: aiosqlite.Connection, province_code: str, user_id: int, added_by: int | None, now: int
) -> bool:
    cur = await conn.execute(
        "INSERT INTO province_admins(province_code, user_id, added_by, added_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(province_code, user_id) DO NOTHING",
        (province_code, user_id, added_by, now),
    )
    return cur.rowcount > 0


async def remove_province_admin(
    conn: aiosqlite.Connection, province_code: str | None, user_id: int
) -> int:
    """Remove one role (province given) or every province role of the user (None)."""
    if province_code is None:
        cur = await conn.execute("DELETE FROM province_admins WHERE user_id = ?", (user_id,))
    else:
        cur = await conn.execute(
            "DELETE FROM province_admins WHERE province_code = ? AND user_id = ?",
            (province_code, user_id),
        )
    return cur.rowcount


# -- invite codes ------------------------------------------------------------------------------
async def insert_invite(
    conn: aiosqlite.Connection,
    code_hash: bytes,
    unit_id: int,
    purpose: str,
    created_by: int,
    now: int,
    expires_at: int,
) -> None:
    await conn.execute(
        "INSERT INTO unit_invites(code_hash, unit_id, purpose, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (code_hash, unit_id, purpose, created_by, now, expires_at),
    )


async def get_invite(db: Database, code_hash: bytes) -> Row | None:
    return await db.fetchone(
        "SELECT code_hash, unit_id, purpose, created_by, created_at, expires_at, used_at,"
        " revoked_at FROM unit_invites WHERE code_hash = ?",
        (code_hash,),
    )


async def mark_invite_used(conn: aiosqlite.Connection, code_hash: bytes, now: int) -> bool:
    """Atomically claim an unused, unrevoked, unexpired code; False if someone was faster."""
    cur = await conn.execute(
        "UPDATE unit_invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
        " AND revoked_at IS NULL AND expires_at > ?",
        (now, code_hash, now),
    )
    return cur.rowcount > 0


async def revoke_invites(
    conn: aiosqlite.Connection, unit_id: int, now: int, purpose: str | None = None
) -> int:
    """Revoke the unit's unused codes (of one purpose, or all); returns how many."""
    sql = (
        "UPDATE unit_invites SET revoked_at = ? WHERE unit_id = ? AND used_at IS NULL"
        " AND revoked_at IS NULL AND expires_at > ?"
    )
    params: tuple[object, ...] = (now, unit_id, now)
    if purpose is not None:
        sql += " AND purpose = ?"
        params += (purpose,)
    cur = await conn.execute(sql, params)
    return cur.rowcount


async def pending_invites(db: Database, unit_id: int, now: int) -> dict[str, int]:
    """{purpose: unused, valid codes} for a unit."""
    rows = await db.fetchall(
        "SELECT purpose, COUNT(*) AS n FROM unit_invites WHERE unit_id = ? AND used_at IS NULL"
        " AND revoked_at IS NULL AND expires_at > ? GROUP BY purpose",
        (unit_id, now),
    )
    return {str(r["purpose"]): int(r["n"]) for r in rows}


async def purge_invites(conn: aiosqlite.Connection, before: int) -> int:
    """Forget codes that expired, were used or were revoked before `before`."""
    cur = await conn.execute(
        "DELETE FROM unit_invites WHERE expires_at < ? OR used_at < ? OR revoked_at < ?",
        (before, before, before),
    )
    return cur.rowcount


# -- guessing limit ----------------------------------------------------------------------------
async def count_failures(db: Database, key: bytes, since: int) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM unit_invite_failures WHERE key = ? AND at > ?", (key, since)
    )
    return int(row["n"]) if row else 0


async def add_failure(conn: aiosqlite.Connection, key: bytes, now: int, forget_before: int) -> None:
    await conn.execute("DELETE FROM unit_invite_failures WHERE at <= ?", (forget_before,))
    await conn.execute("INSERT INTO unit_invite_failures(key, at) VALUES (?, ?)", (key, now))


async def delete_failures(conn: aiosqlite.Connection, key: bytes) -> None:
    await conn.execute("DELETE FROM unit_invite_failures WHERE key = ?", (key,))


# -- audit -------------------------------------------------------------------------------------
async def audit(
    conn: aiosqlite.Connection,
    now: int,
    actor_id: int | None,
    unit_id: int | None,
    action: str,
    detail: str = "",
) -> None:
    await conn.execute(
        "INSERT INTO unit_audit(at, actor_id, unit_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor_id, unit_id, action, detail),
    )


async def audit_of_unit(db: Database, unit_id: int, limit: int = 20) -> list[Row]:
    return await db.fetchall(
        "SELECT at, actor_id, action, detail FROM unit_audit WHERE unit_id = ?"
        " ORDER BY at DESC, id DESC LIMIT ?",
        (unit_id, limit),
    )
