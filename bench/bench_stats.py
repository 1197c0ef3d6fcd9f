"""Reports over a year of a province's data: figures, XLSX, charts and PDF.

    .venv/bin/python bench/bench_stats.py [--tips 50000] [--answers 200000] [--campaigns 2000]
                                          [--runs 5]

Seeds a temporary database (local file, nothing on the network) with, for Ho Chi Minh City
(province 79), a year of tips spread over its wards, months, categories and outcomes, contests
whose entries give `--answers` quiz answers (4 per participant), `--campaigns` broadcast
campaigns with 50 deliveries each, subscribers and events; plus as many tips again in other
provinces so that the area filter has work to do. Then times, `--runs` times each (median and
max, after one warm-up run that includes the imports): the province's figures for the year,
the figures + XLSX (the issue's goal: under 2 s), the four chart PNGs, the one-page PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import directory  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.crypto import Keyring  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.stats import Period, StatsService  # noqa: E402
from bot.tips import CATEGORIES, OUTCOMES  # noqa: E402
from bot.units import UnitService  # noqa: E402
from storage.db import Database  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = 2026
ADMIN = 900001
START = int(datetime(YEAR, 1, 1, tzinfo=TZ).timestamp())
SPAN = int(datetime(YEAR, 12, 1, tzinfo=TZ).timestamp()) - START


async def seed(db: Database, tips: int, answers: int, campaigns: int) -> None:
    rng = random.Random(17)
    hcm = [f"{w.code:05d}" for w in directory.wards_of(79)]
    others = [(f"{w.code:05d}", f"{p.code:02d}") for p in directory.provinces() if p.code != 79
              for w in directory.wards_of(p.code)[:5]]
    cats = [k for k, _ in CATEGORIES]
    outs = [k for k, _ in OUTCOMES]
    conn = db.conn
    await conn.execute("BEGIN")
    await conn.executemany(
        "INSERT INTO police_units(id, kind, code, province_code, created_at) VALUES (?, 'ward', ?, '79', 0)",
        [(i + 1, w) for i, w in enumerate(hcm)])
    unit_of = {w: i + 1 for i, w in enumerate(hcm)}

    def tip_rows(n: int, local: bool, base: int) -> list[tuple[Any, ...]]:
        rows = []
        for i in range(n):
            ward, province = (rng.choice(hcm), "79") if local else rng.choice(others)
            created = START + rng.randrange(SPAN) // 60 * 60
            status = rng.choices(["new", "acknowledged", "closed"], [1, 2, 7])[0]
            ack = None if status == "new" else created + rng.randrange(60, 72 * 3600)
            closed = created + rng.randrange(3600, 30 * 86400) if status == "closed" else None
            rows.append((f"T{base + i:07d}", b"l%d" % (base + i), rng.choice(cats), ward, province,
                         unit_of.get(ward), status, rng.choice(outs) if closed else None, created,
                         created, ack, closed, created + 43200 if rng.random() < 0.2 else None,
                         created + 172800 if rng.random() < 0.05 else None))
        return rows

    sql = ("INSERT INTO tips(code, lookup, receipt_hash, category, ward_code, province_code,"
           " when_code, body, unit_id, status, outcome, created_at, routed_at, acknowledged_at,"
           " closed_at, reminded_at, escalated_at) VALUES (?, ?, 'x', ?, ?, ?, 'today', x'00',"
           " ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    await conn.executemany(sql, tip_rows(tips, True, 0))
    await conn.executemany(sql, tip_rows(tips, False, tips))
    # Contests: 4 answers per participant, 50 participants per contest.
    participants = answers // 4
    n_contests = max(1, participants // 50)
    await conn.executemany(
        "INSERT INTO quiz_contests(id, code, owner_id, title, question_ids, seconds_per_question,"
        " starts_at, ends_at, created_at, province_code) VALUES (?, ?, 1, ?, '[]', 20, ?, ?, 0, '79')",
        [(c + 1, f"C{c}", f"Trường THCS số {c}", START + rng.randrange(SPAN), START + SPAN, )
         for c in range(n_contests)])
    await conn.executemany("INSERT INTO users(user_id) VALUES (?)",
                           [(100_000 + i,) for i in range(participants)])
    await conn.executemany(
        "INSERT INTO quiz_entries(id, contest_id, user_id, display_name, plan, score, correct,"
        " answered, joined_at) VALUES (?, ?, ?, 'HS', '[]', ?, ?, 4, 0)",
        [(i + 1, i // 50 + 1 if i // 50 < n_contests else n_contests, 100_000 + i,
          (c := rng.randrange(5)) * 100, c) for i in range(participants)])
    await conn.executemany(
        "INSERT INTO quiz_answers VALUES (?, ?, ?, '0', ?, 0, 1.5, 'on_time', 0)",
        [(i // 4 + 1, i % 4, f"q{rng.randrange(120)}", int(rng.random() < 0.6))
         for i in range(answers)])
    # Campaigns with 50 deliveries each; subscribers; events.
    await conn.executemany(
        "INSERT INTO campaigns(id, content, target, status, scheduled_at, created_at)"
        " VALUES (?, '{}', ?, 'done', ?, 0)",
        [(c + 1, json.dumps({"province": "79", "ward": rng.choice([None, *hcm[:20]])}),
          START + rng.randrange(SPAN)) for c in range(campaigns)])
    await conn.executemany(
        "INSERT INTO deliveries(campaign_id, user_id, locale, status) VALUES (?, ?, 'vi', ?)",
        [(c + 1, 100_000 + j, rng.choices(["sent", "failed", "blocked"], [95, 2, 3])[0])
         for c in range(campaigns) for j in range(50)])
    await conn.executemany(
        "INSERT INTO subscriptions(user_id, province_code, ward_code, created_at, updated_at)"
        " VALUES (?, '79', ?, ?, 0)",
        [(100_000 + i, rng.choice([None, *hcm]), START + rng.randrange(SPAN))
         for i in range(min(participants, 20_000))])
    await conn.executemany(
        "INSERT INTO events(title, starts_at, ends_at, scope, province_code, ward_code, created_at,"
        " updated_at) VALUES ('Sự kiện', ?, ?, 'ward', '79', ?, 0, 0)",
        [(t := START + rng.randrange(SPAN), t + 3600, rng.choice(hcm)) for _ in range(500)])
    await conn.execute("COMMIT")
    await conn.execute("ANALYZE")


def timed(samples: list[float], start: float) -> None:
    samples.append(time.perf_counter() - start)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tips", type=int, default=50_000)
    ap.add_argument("--answers", type=int, default=200_000)
    ap.add_argument("--campaigns", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    runs = max(1, min(args.runs, 20))
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "bench.sqlite3").open()
        t0 = time.perf_counter()
        await seed(db, args.tips, args.answers, args.campaigns)
        seeded = time.perf_counter() - t0
        settings = dataclasses.replace(Settings(), admin_ids=frozenset({ADMIN}))
        clock = FrozenClock(datetime(YEAR, 12, 1, 3, tzinfo=UTC))
        svc = StatsService(db, clock, settings, UnitService(db, settings, clock, Keyring.ephemeral()))
        t = translator("vi")
        period = Period("year", date(YEAR, 1, 1), date(YEAR, 11, 30))
        from bot import stats_charts, stats_export

        first = time.perf_counter()
        fig = await svc.figures(ADMIN, "p79", period, t)
        stats_export.xlsx(fig, t)
        stats_charts.report_charts(fig, t)
        stats_export.pdf(fig, t)
        cold = time.perf_counter() - first
        figures: list[float] = []
        report: list[float] = []
        charts: list[float] = []
        pdfs: list[float] = []
        size = 0
        for _ in range(runs):
            s = time.perf_counter()
            fig = await svc.figures(ADMIN, "p79", period, t)
            timed(figures, s)
            size = len(stats_export.xlsx(fig, t))
            timed(report, s)
            s = time.perf_counter()
            stats_charts.report_charts(fig, t)
            timed(charts, s)
            s = time.perf_counter()
            stats_export.pdf(fig, t)
            timed(pdfs, s)
        received = fig.table("summary").rows[0].values[0]
        await db.close()

    def show(name: str, xs: list[float]) -> str:
        return f"{name}: median {statistics.median(xs):.3f} s, max {max(xs):.3f} s"

    print(f"seeded in {seeded:.1f} s: {args.tips} tips in province 79 (+{args.tips} elsewhere), "
          f"{args.answers} quiz answers, {args.campaigns} campaigns x 50 deliveries")
    print(f"province 79, {period.start}..{period.end}: {received} tips received")
    print(f"first run incl. imports (figures+xlsx+charts+pdf): {cold:.3f} s")
    print(show("figures", figures))
    print(show("figures + XLSX (goal < 2 s)", report) + f", xlsx {size} bytes")
    print(show("4 chart PNGs", charts))
    print(show("one-page PDF", pdfs))


if __name__ == "__main__":
    asyncio.run(main())
