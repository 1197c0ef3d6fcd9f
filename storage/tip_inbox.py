"""The officer console's inbox: tips a set of units holds now (the ward unit, or the unit a tip
was escalated to), and for national admins the tips no unit holds. Open ones first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.db import Database

_COLUMNS = "id, code, category, ward_code, status, routed_at, unit_id, escalated_to"


async def held_by(db: Database, unit_ids: Iterable[int], *, admins: bool = False,
                  limit: int = 100) -> list[sqlite3.Row]:
    ids = sorted({int(u) for u in unit_ids})
    marks = ",".join("?" * len(ids)) or "NULL"
    where = [f"(escalated_to IN ({marks})) OR (escalated_to IS NULL AND unit_id IN ({marks}))"]
    params: list[object] = [*ids, *ids]
    if admins:
        where.append("(escalated_to = -1) OR (escalated_to IS NULL AND unit_id IS NULL)")
    sql = (f"SELECT {_COLUMNS} FROM tips WHERE {' OR '.join(where)} "
           "ORDER BY status = 'closed', routed_at DESC LIMIT ?")
    return list(await db.fetchall(sql, (*params, limit)))
