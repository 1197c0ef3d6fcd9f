"""Tips, their thread, attachments, cards, outbox, opt-in watchers, rate counters and audit:
SQL only. Content arrives here already sealed; nothing here names a tipster."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite

from storage.db import Database

Conn = aiosqlite.Connection


# -- tips ------------------------------------------------------------------------------------
async def insert_tip(conn: Conn, **f: Any) -> int:
    cur = await conn.execute(
        "INSERT INTO tips(code, lookup, receipt_hash, category, ward_code, province_code,"
        " when_code, body, unit_id, created_at, routed_at)"
        " VALUES (:code, :lookup, :receipt_hash, :category, :ward_code, :province_code,"
        " :when_code, :body, :unit_id, :created_at, :routed_at)",
        f,
    )
    return int(cur.lastrowid or 0)


async def get(db: Database, tip_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM tips WHERE id = ?", (tip_id,))


async def get_by_code(db: Database, code: str) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM tips WHERE code = ?", (code,))


async def by_lookup(db: Database, lookup: bytes) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT id, receipt_hash FROM tips WHERE lookup = ?", (lookup,))


async def code_exists(db: Database, code: str) -> bool:
    return await db.fetchone("SELECT 1 FROM tips WHERE code = ?", (code,)) is not None


async def update(conn: Conn, tip_id: int, where: str = "", params: Iterable[Any] = (), **f: Any) -> int:
    """UPDATE tips SET f... WHERE id = tip_id [AND where]; returns rowcount (0 = condition failed)."""
    sets = ", ".join(f"{k} = ?" for k in f)
    sql = f"UPDATE tips SET {sets} WHERE id = ?" + (f" AND ({where})" if where else "")
    cur = await conn.execute(sql, (*f.values(), tip_id, *params))
    return cur.rowcount


async def due_reminders(db: Database, before: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM tips WHERE status = 'new' AND reminded_at IS NULL AND routed_at <= ?",
        (before,),
    )


async def due_escalations(db: Database, before: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM tips WHERE status = 'new' AND escalated_at IS NULL AND routed_at <= ?",
        (before,),
    )


async def closed_before(db: Database, before: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM tips WHERE status = 'closed' AND closed_at <= ?", (before,)
    )
    return [int(r["id"]) for r in rows]


async def delete_tips(conn: Conn, ids: list[int]) -> None:
    for tip_id in ids:
        # Children first (explicitly, in case foreign keys are off on some connection).
        for table in ("tip_attachments", "tip_messages", "tip_cards", "tip_outbox", "tip_watchers"):
            await conn.execute(f"DELETE FROM {table} WHERE tip_id = ?", (tip_id,))
        await conn.execute("DELETE FROM tips WHERE id = ?", (tip_id,))


# -- attachments and thread --------------------------------------------------------------------
async def add_attachment(conn: Conn, tip_id: int, data: bytes, now: int) -> int:
    cur = await conn.execute(
        "INSERT INTO tip_attachments(tip_id, data, added_at) VALUES (?, ?, ?)", (tip_id, data, now)
    )
    return int(cur.lastrowid or 0)


async def attachments(db: Database, tip_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, data, added_at FROM tip_attachments WHERE tip_id = ? ORDER BY id", (tip_id,)
    )


async def attachment(db: Database, att_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM tip_attachments WHERE id = ?", (att_id,))


async def attachment_count(db: Database, tip_id: int) -> int:
    row = await db.fetchone("SELECT COUNT(*) AS n FROM tip_attachments WHERE tip_id = ?", (tip_id,))
    return int(row["n"]) if row else 0


async def add_message(
    conn: Conn, tip_id: int, author: str, body: bytes, now: int, officer_id: int | None = None
) -> int:
    cur = await conn.execute(
        "INSERT INTO tip_messages(tip_id, author, officer_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (tip_id, author, officer_id, body, now),
    )
    return int(cur.lastrowid or 0)


async def messages(db: Database, tip_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM tip_messages WHERE tip_id = ? ORDER BY id", (tip_id,)
    )


async def count_messages(db: Database, tip_id: int, author: str, since: int = 0) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM tip_messages WHERE tip_id = ? AND author = ? AND created_at >= ?",
        (tip_id, author, since),
    )
    return int(row["n"]) if row else 0


async def message(db: Database, msg_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM tip_messages WHERE id = ?", (msg_id,))


# -- cards and outbox ------------------------------------------------------------------------
async def enqueue(
    conn: Conn, tip_id: int, kind: str, chat_id: int | None, now: int, *,
    unit_id: int | None = None, role: str = "", ref: int = 0, channel: str = "telegram",
) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO tip_outbox(tip_id, kind, chat_id, unit_id, role, ref, created_at,"
        " channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (tip_id, kind, chat_id, unit_id, role, ref, now, channel),
    )


async def pending(db: Database, limit: int = 1000) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM tip_outbox WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,)
    )


async def pending_for(db: Database, chat_id: int | None) -> list[sqlite3.Row]:
    """One destination's pending rows in queue order (None: the tipster pings, whose
    destinations are sealed in each row's watcher)."""
    if chat_id is None:
        return await db.fetchall(
            "SELECT * FROM tip_outbox WHERE state = 'pending' AND kind = 'ping' ORDER BY id"
        )
    return await db.fetchall(
        "SELECT * FROM tip_outbox WHERE state = 'pending' AND chat_id = ? ORDER BY id", (chat_id,)
    )


async def outbox_row(db: Database, row_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM tip_outbox WHERE id = ?", (row_id,))


async def forget_card_rows(conn: Conn, tip_id: int, chat_id: int) -> None:
    """Drop a tip's finished card rows for a chat, so the card can be queued there again (a
    tip transferred back to a unit that had it)."""
    await conn.execute(
        "DELETE FROM tip_outbox WHERE tip_id = ? AND kind = 'card' AND chat_id = ?"
        " AND state <> 'pending'", (tip_id, chat_id),
    )


async def outbox_rows(db: Database, tip_id: int | None = None) -> list[sqlite3.Row]:
    if tip_id is None:
        return await db.fetchall("SELECT * FROM tip_outbox ORDER BY id")
    return await db.fetchall("SELECT * FROM tip_outbox WHERE tip_id = ? ORDER BY id", (tip_id,))


async def failed_chats(db: Database, tip_id: int) -> set[int]:
    """Chats that Telegram said can never be reached for this tip (not those that refused one
    message for good: they are still reachable)."""
    rows = await db.fetchall(
        "SELECT DISTINCT chat_id FROM tip_outbox WHERE tip_id = ? AND state = 'failed'"
        " AND failure = '' AND chat_id IS NOT NULL", (tip_id,),
    )
    return {int(r["chat_id"]) for r in rows}


async def move_chat(conn: Conn, old_chat_id: int, new_chat_id: int) -> None:
    """A group got a new id (supergroup upgrade): its pending notifications and cards follow."""
    await conn.execute(
        "UPDATE OR IGNORE tip_outbox SET chat_id = ? WHERE chat_id = ? AND state = 'pending'",
        (new_chat_id, old_chat_id),
    )
    await conn.execute(
        "UPDATE OR IGNORE tip_cards SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
    )


async def set_step(db: Database, row_id: int, step: int) -> None:
    await db.execute("UPDATE tip_outbox SET step = ? WHERE id = ?", (step, row_id))


async def mark(db: Database, row_id: int, state: str, now: int) -> None:
    await db.execute(
        "UPDATE tip_outbox SET state = ?, sent_at = ? WHERE id = ?", (state, now, row_id)
    )


async def bump_attempts(db: Database, row_id: int) -> int:
    """Count one more failed attempt; returns the new count."""
    await db.execute("UPDATE tip_outbox SET attempts = attempts + 1 WHERE id = ?", (row_id,))
    row = await db.fetchone("SELECT attempts FROM tip_outbox WHERE id = ?", (row_id,))
    return int(row["attempts"]) if row else 0


async def mark_rejected(db: Database, row_id: int, now: int) -> None:
    """Telegram refused this message for good: failed, but the chat itself is fine."""
    await db.execute(
        "UPDATE tip_outbox SET state = 'failed', failure = 'rejected', sent_at = ? WHERE id = ?",
        (now, row_id),
    )


async def record_card(
    db: Database, tip_id: int, chat_id: int, unit_id: int | None, role: str, message_id: int | None
) -> None:
    await db.execute(
        "INSERT INTO tip_cards(tip_id, chat_id, unit_id, role, message_id) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(tip_id, chat_id) DO UPDATE SET unit_id = excluded.unit_id,"
        " role = excluded.role, message_id = excluded.message_id",
        (tip_id, chat_id, unit_id, role, message_id),
    )


async def skip_pending(conn: Conn, tip_id: int, chat_id: int, now: int) -> None:
    """Drop what is still queued for a chat about a tip (its unit no longer holds it)."""
    await conn.execute(
        "UPDATE tip_outbox SET state = 'skipped', sent_at = ? WHERE tip_id = ? AND chat_id = ?"
        " AND state = 'pending'", (now, tip_id, chat_id),
    )


async def revoke_cards(conn: Conn, tip_id: int, keep_units: set[int | None]) -> list[int]:
    """A transfer: every card of the tip outside `keep_units` loses read access (role
    'revoked'; the row stays so notices can still reply under the old card). Returns the chats."""
    rows = await (await conn.execute(
        "SELECT chat_id, unit_id FROM tip_cards WHERE tip_id = ? AND role <> 'revoked'", (tip_id,)
    )).fetchall()
    chats = [int(r[0]) for r in rows if (None if r[1] is None else int(r[1])) not in keep_units]
    for chat in chats:
        await conn.execute(
            "UPDATE tip_cards SET role = 'revoked' WHERE tip_id = ? AND chat_id = ?", (tip_id, chat)
        )
    return chats


async def cards(db: Database, tip_id: int) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT * FROM tip_cards WHERE tip_id = ?", (tip_id,))


async def card(db: Database, tip_id: int, chat_id: int) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT * FROM tip_cards WHERE tip_id = ? AND chat_id = ?", (tip_id, chat_id)
    )


# -- watchers (opt-in pings) ----------------------------------------------------------------
async def set_watcher(db: Database, tip_id: int, sealed_chat: bytes, now: int) -> None:
    await db.execute(
        "INSERT INTO tip_watchers(tip_id, chat, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT(tip_id) DO UPDATE SET chat = excluded.chat",
        (tip_id, sealed_chat, now),
    )


async def watcher(db: Database, tip_id: int) -> bytes | None:
    row = await db.fetchone("SELECT chat FROM tip_watchers WHERE tip_id = ?", (tip_id,))
    return bytes(row["chat"]) if row else None


async def all_watchers(db: Database) -> list[sqlite3.Row]:
    """Every opt-in with its tip's code (the sealed chat is bound to it)."""
    return await db.fetchall(
        "SELECT w.tip_id, w.chat, t.code FROM tip_watchers w JOIN tips t ON t.id = w.tip_id"
    )


async def delete_watcher(conn: Conn, tip_id: int) -> None:
    await conn.execute("DELETE FROM tip_watchers WHERE tip_id = ?", (tip_id,))


# -- rate limits (keyed by a pseudonym under a key of the day that lives in memory only) --------
async def delete_rates(conn: Conn, except_day: str | None = None) -> int:
    """Delete the counters of every day but `except_day` (None: all of them)."""
    if except_day is None:
        cur = await conn.execute("DELETE FROM tip_rate")
    else:
        cur = await conn.execute("DELETE FROM tip_rate WHERE day <> ?", (except_day,))
    return cur.rowcount


async def count_rate(db: Database, who: bytes, kind: str, since: int) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM tip_rate WHERE who = ? AND kind = ? AND at >= ?",
        (who, kind, since),
    )
    return int(row["n"]) if row else 0


async def add_rate(conn: Conn, day: str, who: bytes, kind: str, now: int) -> None:
    await conn.execute(
        "INSERT INTO tip_rate(day, who, kind, at) VALUES (?, ?, ?, ?)", (day, who, kind, now)
    )


# -- audit -----------------------------------------------------------------------------------
async def audit(
    conn: Conn, now: int, actor_id: int | None, tip_id: int | None, unit_id: int | None,
    action: str, detail: str = "",
) -> None:
    await conn.execute(
        "INSERT INTO tip_audit(at, actor_id, tip_id, unit_id, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (now, actor_id, tip_id, unit_id, action, detail),
    )


async def audit_id(
    conn: Conn, now: int, actor_id: int | None, tip_id: int | None, unit_id: int | None,
    action: str, detail: str = "",
) -> int:
    """`audit`, returning the new row's id."""
    cur = await conn.execute(
        "INSERT INTO tip_audit(at, actor_id, tip_id, unit_id, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (now, actor_id, tip_id, unit_id, action, detail),
    )
    return int(cur.lastrowid or 0)


async def count_refusal(
    conn: Conn, actor_id: int, window_start: int, now: int, tip_id: int | None,
    unit_id: int | None, action: str,
) -> int:
    """One more refused press by actor_id in this window; returns the window's count. The first
    writes the window's single audit row; later ones only update its count (a forged-press
    flood does not fill the audit log)."""
    row = await (await conn.execute(
        "SELECT count, action, audit_id FROM tip_refusals WHERE actor_id = ? AND window_start = ?",
        (actor_id, window_start),
    )).fetchone()
    if row is None:
        await conn.execute("DELETE FROM tip_refusals WHERE window_start < ?", (window_start - 86400,))
        audit_row = await audit_id(conn, now, actor_id, tip_id, unit_id, "refused", action)
        await conn.execute(
            "INSERT INTO tip_refusals(actor_id, window_start, count, action, audit_id)"
            " VALUES (?, ?, 1, ?, ?)", (actor_id, window_start, action, audit_row),
        )
        return 1
    count = int(row[0]) + 1
    await conn.execute(
        "UPDATE tip_refusals SET count = ? WHERE actor_id = ? AND window_start = ?",
        (count, actor_id, window_start),
    )
    await conn.execute(
        "UPDATE tip_audit SET detail = ? WHERE id = ?", (f"{row[1]} ×{count}", int(row[2]))
    )
    return count


async def audit_rows(db: Database, tip_id: int | None = None) -> list[sqlite3.Row]:
    if tip_id is None:
        return await db.fetchall("SELECT * FROM tip_audit ORDER BY id")
    return await db.fetchall("SELECT * FROM tip_audit WHERE tip_id = ? ORDER BY id", (tip_id,))


async def checkpoint(db: Database) -> bool:
    """See Database.checkpoint: deleted tip data must not linger in the WAL."""
    return await db.checkpoint()
