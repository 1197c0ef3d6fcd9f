"""Subscriptions (explicit opt-in to broadcasts): SQL only."""

from __future__ import annotations

import sqlite3

from storage.db import Database

Row = sqlite3.Row
_COLUMNS = "s.user_id, s.province_code, s.ward_code, s.topics, s.active, s.created_at, u.locale"


async def get(db: Database, user_id: int) -> Row | None:
    return await db.fetchone(
        f"SELECT {_COLUMNS} FROM subscriptions s JOIN users u USING (user_id) WHERE s.user_id = ?",
        (user_id,),
    )


async def upsert(
    db: Database,
    user_id: int,
    locale: str,
    province_code: str,
    ward_code: str | None,
    topics: int,
    now: int,
) -> None:
    """Create the user record (if needed) and the subscription, in one transaction."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users(user_id, locale) VALUES (?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET locale = excluded.locale",
            (user_id, locale),
        )
        await conn.execute(
            "INSERT INTO subscriptions(user_id, province_code, ward_code, topics, active,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET province_code = excluded.province_code,"
            " ward_code = excluded.ward_code, topics = excluded.topics, active = 1,"
            " updated_at = excluded.updated_at",
            (user_id, province_code, ward_code, topics, now, now),
        )


async def set_topics(db: Database, user_id: int, topics: int, now: int) -> int:
    return await db.execute(
        "UPDATE subscriptions SET topics = ?, updated_at = ? WHERE user_id = ?",
        (topics, now, user_id),
    )


async def delete(db: Database, user_id: int) -> int:
    return await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))


async def set_active(db: Database, user_id: int, active: bool, now: int) -> int:
    return await db.execute(
        "UPDATE subscriptions SET active = ?, updated_at = ? WHERE user_id = ? AND active != ?",
        (int(active), now, user_id, int(active)),
    )


async def set_inactive_many(db: Database, user_ids: list[int], now: int) -> None:
    if not user_ids:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE subscriptions SET active = 0, updated_at = ? WHERE user_id = ?",
            [(now, uid) for uid in user_ids],
        )


def target_where(
    province: str | None, ward: str | None, topic: int | None, locale: str | None,
    default_locale: str,
) -> tuple[str, list[object]]:
    """SQL condition (over `s` subscriptions joined with `u` users) for a campaign target.

    A ward target reaches the subscribers of that ward *and* the province-wide subscribers of
    its province (a subscription with the province and no ward follows the whole province);
    subscribers of the province's other wards are not reached.
    """
    clauses = ["s.active = 1"]
    params: list[object] = []
    if ward and province:
        clauses.append("(s.ward_code = ? OR (s.province_code = ? AND s.ward_code IS NULL))")
        params += [ward, province]
    elif ward:
        clauses.append("s.ward_code = ?")
        params.append(ward)
    elif province:
        clauses.append("s.province_code = ?")
        params.append(province)
    if topic:
        clauses.append("(s.topics & ?) != 0")
        params.append(topic)
    if locale:
        clauses.append("COALESCE(u.locale, ?) = ?")
        params += [default_locale, locale]
    return " AND ".join(clauses), params


async def count(
    db: Database, province: str | None, ward: str | None, topic: int | None,
    locale: str | None, default_locale: str,
) -> int:
    where, params = target_where(province, ward, topic, locale, default_locale)
    row = await db.fetchone(
        f"SELECT COUNT(*) FROM subscriptions s JOIN users u USING (user_id) WHERE {where}", params
    )
    return int(row[0]) if row else 0


async def totals(db: Database) -> tuple[int, int]:
    row = await db.fetchone("SELECT COUNT(*), COALESCE(SUM(active), 0) FROM subscriptions")
    return (int(row[0]), int(row[1])) if row else (0, 0)
