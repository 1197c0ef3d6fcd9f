"""Users who saved something (a language, a subscription, a quiz name): SQL only."""

from __future__ import annotations

from storage.db import Database


async def get_locale(db: Database, user_id: int) -> str | None:
    row = await db.fetchone("SELECT locale FROM users WHERE user_id = ?", (user_id,))
    return row["locale"] if row else None


async def set_locale(db: Database, user_id: int, locale: str) -> None:
    await db.execute(
        "INSERT INTO users(user_id, locale) VALUES (?, ?)"
        " ON CONFLICT(user_id) DO UPDATE SET locale = excluded.locale",
        (user_id, locale),
    )


async def exists(db: Database, user_id: int) -> bool:
    return await db.fetchone("SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is not None


async def delete(db: Database, user_id: int) -> int:
    """Erase the user row; tables that reference it cascade (subscriptions, quiz entries)."""
    return await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
