"""Report figures (issue 17): every count is aggregated here, in SQL, for one area and period.

An area is a police unit (tips it received; subscribers, broadcasts and events of its ward or
province), a province, or everything. A period is [start, end) in Unix seconds. Tips still in
`tips` and tips already purged (kept as `tip_facts` rows by a trigger) are counted together.
Months are local months: `offset` is the bot time zone's UTC offset in seconds (Vietnam keeps
one offset all year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class Area:
    unit_id: int | None = None  # tips held by this unit
    province: str | None = None  # 2-digit province code
    ward: str | None = None  # 5-digit ward code (a ward unit's own area)


# Time-to-acknowledge histogram edges, in hours (the last bucket is open-ended).
ACK_BUCKETS_H: tuple[float, ...] = (1, 4, 12, 24, 48)
SCORE_BUCKETS = 5  # quiz score distribution: 0-20 %, 20-40 %, … 80-100 %


def _tip_filter(area: Area) -> tuple[str, list[Any]]:
    if area.unit_id is not None:
        return "unit_id = ?", [area.unit_id]
    if area.ward is not None:
        return "ward_code = ?", [area.ward]
    if area.province is not None:
        return "province_code = ?", [area.province]
    return "1 = 1", []


def _tips_cte(area: Area, start: int, end: int) -> tuple[str, list[Any]]:
    """`t`: one row per tip of the area created in the period, live and purged alike."""
    where, params = _tip_filter(area)
    sql = (
        "WITH t AS ("
        " SELECT created_at, category, ward_code, status, outcome,"
        " CASE WHEN acknowledged_at IS NULL THEN NULL ELSE MAX(0, acknowledged_at - routed_at) END AS ack,"
        " CASE WHEN closed_at IS NULL THEN NULL ELSE MAX(0, closed_at - created_at) END AS close_s,"
        " reminded_at IS NOT NULL AS reminded, escalated_at IS NOT NULL AS escalated"
        f" FROM tips WHERE {where} AND created_at >= ? AND created_at < ?"
        " UNION ALL"
        " SELECT created_at, category, ward_code, status, outcome,"
        " MAX(0, ack_seconds), MAX(0, close_seconds), reminded, escalated"
        f" FROM tip_facts WHERE {where} AND created_at >= ? AND created_at < ?)"
    )
    return sql, [*params, start, end, *params, start, end]


def _month(column: str, offset: int) -> str:
    return f"strftime('%Y-%m', {column} + {int(offset)}, 'unixepoch')"


async def _pairs(db: Database, sql: str, params: list[Any]) -> dict[str, int]:  # one breakdown
    return {str(r[0]): int(r[1]) for r in await db.fetchall(sql, params)}


def _percentile_sql(column: str, label: str, num: int, den: int) -> str:
    """Rows (label, NULL, value) for the nearest-rank percentile num/den of a column of `t`:
    the value at rank ceil(n * num / den) in ascending order."""
    return (
        f" UNION ALL SELECT '{label}', NULL, {column} FROM (SELECT {column},"
        f" ROW_NUMBER() OVER (ORDER BY {column}) AS rn, COUNT(*) OVER () AS n"
        f" FROM t WHERE {column} IS NOT NULL) WHERE rn = MAX(1, (n * {num} + {den - 1}) / {den})"
    )


async def tip_figures(db: Database, area: Area, start: int, end: int, offset: int) -> dict[str, Any]:
    """All tip figures in one statement: the period's tips are read once (the CTE is
    materialised) and every count, breakdown and percentile is a pass over that."""
    cte, params = _tips_cte(area, start, end)
    cte = cte.replace("WITH t AS (", "WITH t AS MATERIALIZED (", 1)
    edges = " ".join(f"WHEN ack < {int(h * 3600)} THEN {i}" for i, h in enumerate(ACK_BUCKETS_H))
    sql = (
        f"{cte} SELECT 'received', NULL, COUNT(*) FROM t"
        " UNION ALL SELECT 'acknowledged', NULL, COUNT(ack) FROM t"
        " UNION ALL SELECT 'closed', NULL, COUNT(*) FROM t WHERE status = 'closed'"
        " UNION ALL SELECT 'close_n', NULL, COUNT(close_s) FROM t"
        " UNION ALL SELECT 'reminded', NULL, COALESCE(SUM(reminded), 0) FROM t"
        " UNION ALL SELECT 'escalated', NULL, COALESCE(SUM(escalated), 0) FROM t"
        " UNION ALL SELECT * FROM (SELECT 'outcomes', outcome, COUNT(*) FROM t"
        " WHERE status = 'closed' GROUP BY outcome)"
        " UNION ALL SELECT * FROM (SELECT 'categories', category, COUNT(*) FROM t GROUP BY category)"
        " UNION ALL SELECT * FROM (SELECT 'wards', ward_code, COUNT(*) FROM t GROUP BY ward_code)"
        f" UNION ALL SELECT * FROM (SELECT 'months', {_month('created_at', offset)} AS m, COUNT(*)"
        " FROM t GROUP BY m)"
        f" UNION ALL SELECT * FROM (SELECT 'ack_hist', CASE {edges} ELSE {len(ACK_BUCKETS_H)} END"
        " AS b, COUNT(*) FROM t WHERE ack IS NOT NULL GROUP BY b)"
        + _percentile_sql("ack", "ack_p50", 1, 2) + _percentile_sql("ack", "ack_p90", 9, 10)
        + _percentile_sql("close_s", "close_p50", 1, 2)
        + _percentile_sql("close_s", "close_p90", 9, 10)
    )
    out: dict[str, Any] = {
        "outcomes": {}, "categories": {}, "wards": {}, "months": {}, "ack_hist": {},
        "ack_p50": None, "ack_p90": None, "close_p50": None, "close_p90": None,
    }
    for kind, key, value in await db.fetchall(sql, params):
        if not isinstance(out.get(kind), dict):  # a single figure
            out[kind] = None if value is None else int(value)
        elif kind == "ack_hist":
            out[kind][int(key)] = int(value)
        else:
            out[kind][str(key)] = int(value)
    out["ack_n"] = out["acknowledged"]  # the percentiles' n: tips with that time
    return out


def _contest_filter(area: Area) -> tuple[str, list[Any]]:
    """Contests belong to a province when created for one; a ward unit's area has none."""
    if area.unit_id is not None or area.ward is not None:
        return "0 = 1", []
    if area.province is not None:
        return "c.province_code = ?", [area.province]
    return "1 = 1", []


async def quiz_figures(db: Database, area: Area, start: int, end: int) -> dict[str, Any]:
    where, params = _contest_filter(area)
    p = [*params, start, end]
    base = f"quiz_contests c WHERE {where} AND c.starts_at >= ? AND c.starts_at < ?"
    row = await db.fetchone(
        "SELECT COUNT(DISTINCT c.id), COUNT(e.id), AVG(e.score),"
        " AVG(CASE WHEN e.answered > 0 THEN 100.0 * e.correct / e.answered END)"
        f" FROM {base.replace(' WHERE ', ' LEFT JOIN quiz_entries e ON e.contest_id = c.id WHERE ', 1)}",
        p,
    )
    contests = await db.fetchall(
        "SELECT c.id, c.title, c.starts_at, COUNT(e.id) AS n, AVG(e.score) AS avg_score"
        f" FROM {base.replace(' WHERE ', ' LEFT JOIN quiz_entries e ON e.contest_id = c.id WHERE ', 1)}"
        " GROUP BY c.id ORDER BY c.starts_at, c.id", p,
    )
    questions = await db.fetchall(
        "SELECT a.question_id, COUNT(*) AS n, SUM(a.correct) AS ok FROM quiz_answers a"
        " JOIN quiz_entries e ON e.id = a.entry_id"
        " JOIN quiz_contests c ON c.id = e.contest_id"
        f" WHERE {where} AND c.starts_at >= ? AND c.starts_at < ?"
        " GROUP BY a.question_id", p,
    )
    scores = await db.fetchall(
        f"SELECT MIN({SCORE_BUCKETS - 1}, CAST(({SCORE_BUCKETS} * e.correct) / e.answered AS INTEGER))"
        " AS b, COUNT(*) FROM quiz_entries e JOIN quiz_contests c ON c.id = e.contest_id"
        f" WHERE {where} AND c.starts_at >= ? AND c.starts_at < ? AND e.answered > 0 GROUP BY b", p,
    )
    return {
        "contests": int(row[0] or 0) if row else 0,
        "participants": int(row[1] or 0) if row else 0,
        "avg_score": float(row[2]) if row and row[2] is not None else None,
        "avg_percent": float(row[3]) if row and row[3] is not None else None,
        "by_contest": [
            (int(r["id"]), str(r["title"]), int(r["starts_at"]), int(r["n"]),
             None if r["avg_score"] is None else float(r["avg_score"]))
            for r in contests
        ],
        "questions": {str(r[0]): (int(r[1]), int(r[2] or 0)) for r in questions},
        "score_hist": {int(r[0]): int(r[1]) for r in scores},
    }


async def practice_figures(db: Database, area: Area, start: int, end: int) -> dict[str, Any]:
    """Practice rounds are stored without a person or a place: national figures only."""
    if area != Area():
        return {"rounds": 0, "questions": 0, "correct": 0, "by_topic": {}, "national": False}
    rows = await db.fetchall(
        "SELECT topic, COUNT(*), SUM(questions), SUM(correct) FROM quiz_practice_rounds"
        " WHERE day >= ? AND day < ? GROUP BY topic", [start, end],
    )
    by_topic = {str(r[0]): (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}
    return {
        "rounds": sum(v[0] for v in by_topic.values()),
        "questions": sum(v[1] for v in by_topic.values()),
        "correct": sum(v[2] for v in by_topic.values()),
        "by_topic": by_topic,
        "national": True,
    }


def _area_filter(area: Area, prov: str, ward: str) -> tuple[str, list[Any]]:
    """Subscribers, broadcasts and events of a ward (ward unit) or a province."""
    if area.ward is not None:
        return f"{ward} = ?", [area.ward]
    if area.province is not None:
        return f"{prov} = ?", [area.province]
    return "1 = 1", []


async def reach_figures(db: Database, area: Area, start: int, end: int) -> dict[str, Any]:
    where, params = _area_filter(area, "province_code", "ward_code")
    subs = await db.fetchone(
        f"SELECT COALESCE(SUM(active), 0), COALESCE(SUM(active = 0), 0),"
        f" COALESCE(SUM(created_at >= ? AND created_at < ?), 0) FROM subscriptions WHERE {where}",
        [start, end, *params],
    )
    cwhere, cparams = _area_filter(area, "json_extract(target, '$.province')",
                                   "json_extract(target, '$.ward')")
    camp = await db.fetchone(
        f"SELECT COUNT(*) FROM campaigns WHERE {cwhere} AND scheduled_at >= ? AND scheduled_at < ?"
        " AND status <> 'cancelled'", [*cparams, start, end],
    )
    deliveries = await _pairs(
        db,
        "SELECT d.status, COUNT(*) FROM deliveries d WHERE d.campaign_id IN (SELECT id FROM"
        f" campaigns WHERE {cwhere} AND scheduled_at >= ? AND scheduled_at < ?) GROUP BY d.status",
        [*cparams, start, end],
    )
    # Campaigns whose deliveries were purged keep their reach as totals on the campaign row.
    kept = await db.fetchone(
        "SELECT COALESCE(SUM(sent_total), 0), COALESCE(SUM(failed_total), 0),"
        f" COALESCE(SUM(blocked_total), 0) FROM campaigns WHERE {cwhere}"
        " AND scheduled_at >= ? AND scheduled_at < ? AND sent_total IS NOT NULL",
        [*cparams, start, end],
    )
    for status, n in zip(("sent", "failed", "blocked"), kept or (0, 0, 0), strict=True):
        if int(n):
            deliveries[status] = deliveries.get(status, 0) + int(n)
    ewhere, eparams = _area_filter(area, "province_code", "ward_code")
    events = await _pairs(
        db,
        "SELECT COALESCE(ward_code, province_code, 'national'), COUNT(*) FROM events"
        f" WHERE {ewhere} AND cancelled_at IS NULL AND starts_at >= ? AND starts_at < ?"
        " GROUP BY 1", [*eparams, start, end],
    )
    return {
        "subscribers": int(subs[0]) if subs else 0,
        "blocked_subscribers": int(subs[1]) if subs else 0,
        "new_subscribers": int(subs[2]) if subs else 0,
        "campaigns": int(camp[0]) if camp else 0,
        "deliveries": deliveries,
        "events": events,
    }


# -- automatic reports ---------------------------------------------------------------------------
async def create_report(conn: Any, *, key: str, kind: str, scope: str, period_start: str,
                        period_end: str, recipient_id: int, now: int) -> bool:
    """Insert a report row once: a second call with the same key changes nothing."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO stats_reports(key, kind, scope, period_start, period_end,"
        " recipient_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, kind, scope, period_start, period_end, recipient_id, now),
    )
    return bool(cur.rowcount)


async def pending_reports(db: Database, limit: int = 20) -> list[Any]:
    return await db.fetchall(
        "SELECT * FROM stats_reports WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,)
    )


async def report_step(db: Database, report_id: int, step: int) -> None:
    await db.execute("UPDATE stats_reports SET step = ? WHERE id = ?", (step, report_id))


async def report_attempt(db: Database, report_id: int, *, failed: bool) -> None:
    await db.execute(
        "UPDATE stats_reports SET attempts = attempts + 1,"
        " state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ?", (failed, report_id),
    )


async def report_sent(db: Database, report_id: int, now: int) -> None:
    await db.execute(
        "UPDATE stats_reports SET state = 'sent', sent_at = ? WHERE id = ?", (now, report_id)
    )


async def reports(db: Database) -> list[Any]:
    return await db.fetchall("SELECT * FROM stats_reports ORDER BY id")
