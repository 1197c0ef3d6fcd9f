"""Campaigns and their per-recipient deliveries: SQL only.

Recipients are copied from subscriptions into `deliveries` in batches (keyset over user_id), so
a campaign's audience is fixed and durable; each row is marked only after Telegram answered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.db import Database
from storage.subscriptions import target_where

Row = sqlite3.Row
_COLUMNS = (
    "id, key, kind, content, target, status, scheduled_at, expires_at, created_by, created_at,"
    " started_at, finished_at, cursor, materialised, progress_chat, progress_msg"
)
OPEN = ("scheduled", "running")


async def create(
    db: Database, *, key: str | None, kind: str, content: str, target: str, scheduled_at: int,
    expires_at: int | None, created_by: int | None, progress_chat: int | None, now: int,
) -> int | None:
    """Insert a campaign; with a key, only once (returns None if that key exists)."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO campaigns(key, kind, content, target, scheduled_at, expires_at,"
            " created_by, created_at, progress_chat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, kind, content, target, scheduled_at, expires_at, created_by, now, progress_chat),
        )
        return int(cur.lastrowid) if cur.rowcount and cur.lastrowid else None


async def get(db: Database, campaign_id: int) -> Row | None:
    return await db.fetchone(f"SELECT {_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,))


async def by_key(db: Database, key: str) -> Row | None:
    return await db.fetchone(f"SELECT {_COLUMNS} FROM campaigns WHERE key = ?", (key,))


async def due(db: Database, now: int) -> list[Row]:
    """Open campaigns whose time has come, running ones first, then oldest schedule."""
    return await db.fetchall(
        f"SELECT {_COLUMNS} FROM campaigns WHERE status IN ('scheduled', 'running')"
        " AND scheduled_at <= ? ORDER BY status = 'running' DESC, scheduled_at, id",
        (now,),
    )


async def open_campaigns(db: Database, limit: int = 20) -> list[Row]:
    return await db.fetchall(
        f"SELECT {_COLUMNS} FROM campaigns WHERE status IN ('scheduled', 'running')"
        " ORDER BY scheduled_at, id LIMIT ?",
        (limit,),
    )


async def recent(db: Database, limit: int = 10) -> list[Row]:
    return await db.fetchall(
        f"SELECT {_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT ?", (limit,)
    )


async def set_status(
    db: Database, campaign_id: int, status: str, now: int, *, only_open: bool = True
) -> int:
    finished = status in ("done", "cancelled", "expired")
    cond = " AND status IN ('scheduled', 'running')" if only_open else ""
    return await db.execute(
        "UPDATE campaigns SET status = ?,"
        " started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?) ELSE started_at END,"
        " finished_at = CASE WHEN ? THEN ? ELSE finished_at END"
        f" WHERE id = ?{cond}",
        (status, status, now, int(finished), now, campaign_id),
    )


async def set_progress_message(db: Database, campaign_id: int, chat_id: int, message_id: int) -> None:
    await db.execute(
        "UPDATE campaigns SET progress_chat = ?, progress_msg = ? WHERE id = ?",
        (chat_id, message_id, campaign_id),
    )


async def cancel_by_key_prefix(db: Database, prefix: str, now: int) -> int:
    return await db.execute(
        "UPDATE campaigns SET status = 'cancelled', finished_at = ?"
        " WHERE key LIKE ? AND status IN ('scheduled', 'running')",
        (now, prefix.replace("%", "") + "%"),
    )


async def open_ids_by_key_prefix(db: Database, prefix: str) -> list[int]:
    """Open (scheduled or running) campaigns whose key starts with `prefix`."""
    rows = await db.fetchall(
        "SELECT id FROM campaigns WHERE key LIKE ? AND status IN ('scheduled', 'running')",
        (prefix.replace("%", "") + "%",),
    )
    return [int(r["id"]) for r in rows]


async def materialise_batch(
    db: Database, campaign_id: int, cursor: int, batch: int, *, province: str | None,
    ward: str | None, topic: int | None, locale: str | None, default_locale: str,
) -> tuple[int, int]:
    """Copy the next `batch` recipients (user_id > cursor) into deliveries.

    Returns (rows considered, new cursor); 0 rows means every recipient is in. The copy and the
    cursor move commit together, so a crash never loses or doubles a recipient.
    """
    where, params = target_where(province, ward, topic, locale, default_locale)
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT s.user_id, COALESCE(u.locale, ?) FROM subscriptions s JOIN users u"
            f" USING (user_id) WHERE s.user_id > ? AND {where} ORDER BY s.user_id LIMIT ?",
            (default_locale, cursor, *params, batch),
        ) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            await conn.execute(
                "UPDATE campaigns SET materialised = 1 WHERE id = ?", (campaign_id,)
            )
            return 0, cursor
        await conn.executemany(
            "INSERT OR IGNORE INTO deliveries(campaign_id, user_id, locale) VALUES (?, ?, ?)",
            [(campaign_id, r[0], r[1]) for r in rows],
        )
        new_cursor = int(rows[-1][0])
        await conn.execute(
            "UPDATE campaigns SET cursor = ? WHERE id = ?", (new_cursor, campaign_id)
        )
        return len(rows), new_cursor


async def pending_page(db: Database, campaign_id: int, after_id: int, limit: int) -> list[Row]:
    return await db.fetchall(
        "SELECT id, user_id, locale, attempts FROM deliveries"
        " WHERE campaign_id = ? AND status = 'pending' AND id > ? ORDER BY id LIMIT ?",
        (campaign_id, after_id, limit),
    )


async def record_results(
    db: Database,
    done: Iterable[tuple[str, int | None, int, int]],
    retries: Iterable[int],
) -> None:
    """done: (status, message_id, done_at, delivery_id); retries: delivery ids to try again."""
    done = list(done)
    retries = list(retries)
    if not done and not retries:
        return
    async with db.transaction() as conn:
        if done:
            await conn.executemany(
                "UPDATE deliveries SET status = ?, message_id = ?, done_at = ?,"
                " attempts = attempts + 1 WHERE id = ? AND status IN ('pending', 'skipped')",
                done,
            )
        if retries:
            await conn.executemany(
                "UPDATE deliveries SET attempts = attempts + 1 WHERE id = ?",
                [(i,) for i in retries],
            )


async def skip_pending(db: Database, campaign_id: int, now: int) -> int:
    return await db.execute(
        "UPDATE deliveries SET status = 'skipped', done_at = ?"
        " WHERE campaign_id = ? AND status = 'pending'",
        (now, campaign_id),
    )


async def counts(db: Database, campaign_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM deliveries WHERE campaign_id = ? GROUP BY status",
        (campaign_id,),
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def delivered_message(db: Database, campaign_id: int, user_id: int) -> Row | None:
    return await db.fetchone(
        "SELECT status, message_id FROM deliveries WHERE campaign_id = ? AND user_id = ?",
        (campaign_id, user_id),
    )


async def forget_user(db: Database, user_id: int) -> int:
    return await db.execute("DELETE FROM deliveries WHERE user_id = ?", (user_id,))


async def purge_finished(db: Database, before: int) -> int:
    """Forget who received old campaigns. Their reach (sent, failed, blocked) is first kept on
    the campaign row, in the same transaction, so the reports still count it."""
    finished = ("SELECT id FROM campaigns WHERE status IN ('done', 'cancelled', 'expired')"
                " AND finished_at < ?")
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE campaigns SET"
            " sent_total = (SELECT COUNT(*) FROM deliveries d"
            " WHERE d.campaign_id = campaigns.id AND d.status = 'sent'),"
            " failed_total = (SELECT COUNT(*) FROM deliveries d"
            " WHERE d.campaign_id = campaigns.id AND d.status = 'failed'),"
            " blocked_total = (SELECT COUNT(*) FROM deliveries d"
            " WHERE d.campaign_id = campaigns.id AND d.status = 'blocked')"
            f" WHERE sent_total IS NULL AND id IN ({finished})",
            (before,),
        )
        cur = await conn.execute(
            f"DELETE FROM deliveries WHERE campaign_id IN ({finished})", (before,)
        )
        return cur.rowcount
