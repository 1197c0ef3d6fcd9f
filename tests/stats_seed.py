"""Seed data for the report tests: units, tips across units, months and outcomes, contests,
broadcasts, subscriptions and events, written with plain SQL and returned as Python lists so a
test can compute the expected figures itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HCM, HANOI = "79", "01"
SAI_GON, BEN_THANH = "26740", "26743"  # wards of Ho Chi Minh City
HOAN_KIEM = "00070"  # a ward of Ha Noi
OFFICER_SG, OFFICER_BT, OFFICER_HK = 4201, 4202, 4203
PROVINCE_ADMIN_HCM, PROVINCE_ADMIN_HN = 5101, 5102


def ts(y: int, m: int, d: int, h: int = 10) -> int:
    return int(datetime(y, m, d, h, tzinfo=TZ).timestamp())


@dataclass
class Seed:
    units: dict[str, int] = field(default_factory=dict)  # ward code -> unit id
    tips: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


# (ward, month, day, category, status, outcome, ack_hours, close_hours, reminded, escalated)
TIP_PLAN: list[tuple[str, int, int, str, str, str | None, float | None, float | None, bool, bool]] = [
    (SAI_GON, 1, 5, "spot", "closed", "actioned", 2, 30, False, False),
    (SAI_GON, 1, 9, "spot", "closed", "actioned", 5, 50, True, False),
    (SAI_GON, 2, 3, "trafficking", "closed", "spam", 0.5, 3, False, False),
    (SAI_GON, 2, 14, "spot", "acknowledged", None, 20, None, True, False),
    (SAI_GON, 3, 1, "spot", "new", None, None, None, True, True),
    (SAI_GON, 3, 20, "trafficking", "closed", "unfounded", 1, 10, False, False),
    (SAI_GON, 4, 2, "spot", "closed", "actioned", 3, 40, False, False),
    (SAI_GON, 5, 30, "online", "closed", "duplicate", 50, 60, True, True),
    (SAI_GON, 6, 26, "spot", "closed", "actioned", 8, 24, False, False),
    (BEN_THANH, 1, 15, "spot", "closed", "actioned", 4, 12, False, False),
    (BEN_THANH, 2, 15, "trafficking", "acknowledged", None, 6, None, False, False),
    (BEN_THANH, 6, 1, "spot", "closed", "spam", 1, 2, False, False),
    (BEN_THANH, 7, 2, "spot", "new", None, None, None, False, False),  # outside the first half
    (HOAN_KIEM, 3, 3, "spot", "closed", "actioned", 2, 5, False, False),
    (HOAN_KIEM, 4, 4, "trafficking", "closed", "actioned", 3, 6, False, False),
]


async def seed(db: Database, year: int = 2026) -> Seed:
    out = Seed()
    now = ts(year, 1, 1)
    async with db.transaction() as conn:
        for ward, province in ((SAI_GON, HCM), (BEN_THANH, HCM), (HOAN_KIEM, HANOI)):
            cur = await conn.execute(
                "INSERT INTO police_units(kind, code, province_code, created_at)"
                " VALUES ('ward', ?, ?, ?)", (ward, province, now))
            out.units[ward] = int(cur.lastrowid or 0)
        for ward, officer in ((SAI_GON, OFFICER_SG), (BEN_THANH, OFFICER_BT), (HOAN_KIEM, OFFICER_HK)):
            await conn.execute("INSERT INTO unit_officers VALUES (?, ?, ?)",
                               (out.units[ward], officer, now))
        await conn.execute("INSERT INTO province_admins(province_code, user_id, added_at)"
                           " VALUES (?, ?, ?)", (HCM, PROVINCE_ADMIN_HCM, now))
        await conn.execute("INSERT INTO province_admins(province_code, user_id, added_at)"
                           " VALUES (?, ?, ?)", (HANOI, PROVINCE_ADMIN_HN, now))
        for i, (ward, m, d, cat, status, outcome, ack_h, close_h, rem, esc) in enumerate(TIP_PLAN):
            created = ts(year, m, d)
            province = HANOI if ward == HOAN_KIEM else HCM
            ack = None if ack_h is None else created + int(ack_h * 3600)
            closed = None if close_h is None else created + int(close_h * 3600)
            row = {"ward": ward, "province": province, "unit": out.units[ward], "created": created,
                   "category": cat, "status": status, "outcome": outcome,
                   "ack": None if ack is None else ack - created,
                   "close": None if closed is None else closed - created,
                   "reminded": rem, "escalated": esc, "month": m}
            out.tips.append(row)
            await conn.execute(
                "INSERT INTO tips(code, lookup, receipt_hash, category, ward_code, province_code,"
                " when_code, body, unit_id, status, outcome, created_at, routed_at,"
                " acknowledged_at, closed_at, reminded_at, escalated_at)"
                " VALUES (?, ?, 'x', ?, ?, ?, 'today', x'00', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"T{i:04d}", b"l%d" % i, cat, ward, province, out.units[ward], status, outcome,
                 created, created, ack, closed, created + 3600 if rem else None,
                 created + 7200 if esc else None),
            )
        # Contests: two in Ho Chi Minh City, one without a province (national only).
        contests = [("THCS Lê Lợi", HCM, 3), ("=HYPERLINK(\"x\")", HCM, 5), ("Toàn quốc", None, 4)]
        for c, (title, province, n) in enumerate(contests):
            cur = await conn.execute(
                "INSERT INTO quiz_contests(code, owner_id, title, question_ids, seconds_per_question,"
                " starts_at, ends_at, created_at, province_code) VALUES (?, 77, ?, '[]', 20, ?, ?, ?, ?)",
                (f"C{c}", title, ts(year, 3, 10 + c), ts(year, 3, 11 + c), now, province))
            contest_id = int(cur.lastrowid or 0)
            for s in range(n):
                user = 10_000 + c * 100 + s
                await conn.execute("INSERT OR IGNORE INTO users(user_id) VALUES (?)", (user,))
                correct = (s + c) % 5
                cur = await conn.execute(
                    "INSERT INTO quiz_entries(contest_id, user_id, display_name, plan, score,"
                    " correct, answered, joined_at) VALUES (?, ?, 'HS', '[]', ?, ?, 4, ?)",
                    (contest_id, user, correct * 100, min(correct, 4), now))
                entry = int(cur.lastrowid or 0)
                out.entries.append({"contest": title, "province": province,
                                    "score": correct * 100, "correct": min(correct, 4)})
                for pos in range(4):
                    qid = f"q{pos}"
                    await conn.execute(
                        "INSERT INTO quiz_answers VALUES (?, ?, ?, '0', ?, 0, 1.0, 'on_time', 0)",
                        (entry, pos, qid, int(pos < min(correct, 4))))
        # Broadcasts: one to Ho Chi Minh City, one to Ben Thanh ward, one to Ha Noi.
        campaigns = [({"province": HCM, "ward": None}, ["sent"] * 6 + ["failed", "blocked"]),
                     ({"province": HCM, "ward": BEN_THANH}, ["sent"] * 3 + ["blocked"]),
                     ({"province": HANOI, "ward": None}, ["sent"] * 4)]
        for target, statuses in campaigns:
            cur = await conn.execute(
                "INSERT INTO campaigns(content, target, status, scheduled_at, created_at)"
                " VALUES ('{}', ?, 'done', ?, ?)", (json.dumps(target), ts(year, 4, 1), now))
            cid = int(cur.lastrowid or 0)
            for j, status in enumerate(statuses):
                await conn.execute("INSERT INTO deliveries(campaign_id, user_id, locale, status)"
                                   " VALUES (?, ?, 'vi', ?)", (cid, 20_000 + j, status))
                out.deliveries.append({**target, "status": status})
        for j, (province, ward) in enumerate([(HCM, SAI_GON)] * 4 + [(HCM, None)] * 2 + [(HANOI, None)] * 3):
            await conn.execute("INSERT OR IGNORE INTO users(user_id) VALUES (?)", (30_000 + j,))
            await conn.execute(
                "INSERT INTO subscriptions(user_id, province_code, ward_code, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)", (30_000 + j, province, ward, ts(year, 2, 1), now))
        for scope, province, ward, cancelled in (("ward", HCM, SAI_GON, None), ("ward", HCM, SAI_GON, None),
                                                 ("province", HCM, None, None),
                                                 ("ward", HCM, BEN_THANH, now), ("province", HANOI, None, None)):
            await conn.execute(
                "INSERT INTO events(title, starts_at, ends_at, scope, province_code, ward_code,"
                " created_at, updated_at, cancelled_at) VALUES ('Sự kiện', ?, ?, ?, ?, ?, ?, ?, ?)",
                (ts(year, 6, 20), ts(year, 6, 20, 12), scope, province, ward, now, now, cancelled))
    return out
