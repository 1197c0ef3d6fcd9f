"""Accounts: (channel, external id) -> user id. SQL only."""

from __future__ import annotations

from storage.db import Database

FIRST_ALLOCATED_ID = 2**53  # above every Telegram user id


async def find(db: Database, channel: str, external_id: str) -> int | None:
    row = await db.fetchone(
        "SELECT user_id FROM accounts WHERE channel = ? AND external_id = ?",
        (channel, external_id),
    )
    return int(row["user_id"]) if row else None


async def add(db: Database, channel: str, external_id: str, user_id: int) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO accounts(channel, external_id, user_id) VALUES (?, ?, ?)",
        (channel, external_id, user_id),
    )


async def allocate(db: Database, channel: str, external_id: str) -> int:
    """A new user id for an account of a channel without its own numeric ids (one transaction,
    so two first messages at once still get one id)."""
    async with db.transaction() as tx:
        row = await (await tx.execute(
            "SELECT user_id FROM accounts WHERE channel = ? AND external_id = ?",
            (channel, external_id),
        )).fetchone()
        if row is not None:
            return int(row[0])
        row = await (await tx.execute(
            "SELECT MAX(user_id) FROM accounts WHERE user_id >= ?", (FIRST_ALLOCATED_ID,)
        )).fetchone()
        user_id = max(FIRST_ALLOCATED_ID, int(row[0] or 0) + 1 if row is not None else 0)
        await tx.execute(
            "INSERT INTO accounts(channel, external_id, user_id) VALUES (?, ?, ?)",
            (channel, external_id, user_id),
        )
        return user_id


async def of_user(db: Database, user_id: int) -> list[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT channel, external_id FROM accounts WHERE user_id = ? ORDER BY channel",
        (user_id,),
    )
    return [(r["channel"], r["external_id"]) for r in rows]


async def of_users(db: Database, user_ids: list[int]) -> list[tuple[int, str, str]]:
    """(user id, channel, external id) of many people at once (a broadcast page)."""
    if not user_ids:
        return []
    marks = ",".join("?" * len(user_ids))
    rows = await db.fetchall(
        "SELECT user_id, channel, external_id FROM accounts"
        f" WHERE user_id IN ({marks}) ORDER BY user_id, channel",
        tuple(user_ids),
    )
    return [(int(r["user_id"]), r["channel"], r["external_id"]) for r in rows]


async def delete_user(db: Database, user_id: int) -> None:
    await db.execute("DELETE FROM accounts WHERE user_id = ?", (user_id,))
