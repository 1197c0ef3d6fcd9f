"""Report figures (issue 17): they match data seeded here, permissions hold, small counts are
suppressed so that no hidden cell can be worked out, exports and charts carry the same numbers,
and the automatic reports are created once."""

from __future__ import annotations

import csv
import dataclasses
import io
import statistics
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import FrozenClock
from bot.config import Settings, TipSettings
from bot.crypto import Keyring
from bot.i18n import translator
from bot.stats import (
    Period,
    Row,
    StatsError,
    StatsService,
    parse_period,
    period_for,
    suppress_line,
)
from bot.units import UnitService
from content.topics import topic_title
from storage.db import Database
from tests.stats_seed import (
    BEN_THANH,
    HANOI,
    HCM,
    HOAN_KIEM,
    OFFICER_BT,
    OFFICER_HK,
    OFFICER_SG,
    PROVINCE_ADMIN_HCM,
    PROVINCE_ADMIN_HN,
    SAI_GON,
    Seed,
    seed,
    ts,
)

ADMIN = 900001
H1 = Period("custom", date(2026, 1, 1), date(2026, 6, 30))
VI = translator("vi")
TOPICS = {"q0": "law", "q1": "law", "q2": "saying-no", "q3": "getting-help"}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "s.sqlite3").open()
    yield database
    await database.close()


def make(db: Database, min_count: int = 1) -> StatsService:
    settings = dataclasses.replace(
        Settings(), admin_ids=frozenset({ADMIN}),
        tips=dataclasses.replace(TipSettings(), stats_min_count=min_count))
    clock = FrozenClock(datetime.fromtimestamp(ts(2026, 7, 5), UTC))
    units = UnitService(db, settings, clock, Keyring.ephemeral())
    return StatsService(db, clock, settings, units, TOPICS.get,
                        lambda qid, locale: f"Câu hỏi {qid}" if qid != "q3" else None)


def rows(fig: Any, key: str) -> dict[str, Any]:
    return {r.label: r.values[0] for r in fig.table(key).rows}


def head(fig: Any, key: str) -> Any:
    from bot.stats import headline

    return headline(fig, VI, key)


def nearest_rank(values: list[int], q: float) -> int:
    s = sorted(values)
    k = max(1, -(-int(q * 1000) * len(s) // 1000))
    return s[k - 1]


# -- figures match the seeded data ------------------------------------------------------------------
async def test_province_figures_match_seeded_data(db: Database) -> None:
    data: Seed = await seed(db)
    svc = make(db)
    fig = await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    mine = [t for t in data.tips if t["province"] == HCM and t["month"] <= 6]
    assert head(fig, "received") == len(mine) == 12
    assert head(fig, "acknowledged") == sum(t["ack"] is not None for t in mine)
    assert head(fig, "closed") == sum(t["status"] == "closed" for t in mine)
    assert head(fig, "reminded") == sum(t["reminded"] for t in mine)
    assert head(fig, "escalated") == sum(t["escalated"] for t in mine)
    acks = [t["ack"] for t in mine if t["ack"] is not None]
    closes = [t["close"] for t in mine if t["close"] is not None]
    assert head(fig, "ack_p50_h") == round(nearest_rank(acks, 0.5) / 3600, 1)
    assert head(fig, "ack_p90_h") == round(nearest_rank(acks, 0.9) / 3600, 1)
    assert head(fig, "close_p50_h") == round(nearest_rank(closes, 0.5) / 3600, 1)
    assert head(fig, "close_p90_h") == round(nearest_rank(closes, 0.9) / 3600, 1)
    closed = [t for t in mine if t["status"] == "closed"]
    prank = sum(t["outcome"] in ("spam", "unfounded") for t in closed)
    assert head(fig, "prank_share") == round(100 * prank / len(closed), 1)
    outcomes = Counter(t["outcome"] for t in closed)
    assert rows(fig, "tips_by_outcome") == {
        "Đã xử lý": outcomes["actioned"], "Không có căn cứ": outcomes["unfounded"],
        "Trùng lặp": outcomes["duplicate"], "Báo tin giả / quấy rối": outcomes["spam"]}
    months = Counter(t["month"] for t in mine)
    assert rows(fig, "tips_by_month") == {f"{m:02d}/2026": months[m] for m in range(1, 7)}
    assert rows(fig, "tips_by_ward") == {"Phường Sài Gòn": 9, "Phường Bến Thành": 3}
    cats = Counter(t["category"] for t in mine)
    assert sum(v for v in rows(fig, "tips_by_category").values()) == 12
    assert rows(fig, "tips_by_category")["🚚 Mua bán, vận chuyển ma túy"] == cats["trafficking"]
    assert sum(rows(fig, "ack_time").values()) == len(acks)
    # Contests of the province only (the national one is not the province's).
    entries = [e for e in data.entries if e["province"] == HCM]
    assert head(fig, "contests") == 2 and head(fig, "participants") == len(entries)
    contests = fig.table("quiz_contests").rows
    assert [(r.label, r.values[0]) for r in contests] == [("THCS Lê Lợi", 3), ('=HYPERLINK("x")', 5)]
    lele = [e["score"] for e in entries if e["contest"] == "THCS Lê Lợi"]
    assert contests[0].values[1] == round(statistics.mean(lele), 1)
    topics = {r.label: (r.values[0], r.values[1]) for r in fig.table("quiz_topics").rows}
    law_n = 2 * len(entries)
    law_ok = sum((e["correct"] > 0) + (e["correct"] > 1) for e in entries)
    assert topics[topic_title("law", "vi")] == (law_n, round(100 * law_ok / law_n, 1))
    # Item difficulty: hardest first, with the question's words where the bank has them.
    items = [(r.label, r.values[1]) for r in fig.table("quiz_items").rows]
    q3 = round(100 * sum(e["correct"] >= 4 for e in entries) / len(entries), 1)
    assert items[0] == ("q3", q3) and items[-1][0] == "q0: Câu hỏi q0"
    scores = Counter(min(4, (5 * e["correct"]) // 4) for e in entries)
    assert [r.values[0] for r in fig.table("quiz_scores").rows] == [scores[i] for i in range(5)]
    # Reach: both Ho Chi Minh City campaigns, not Ha Noi's.
    statuses = Counter(d["status"] for d in data.deliveries if d["province"] == HCM)
    assert rows(fig, "broadcasts")["Đã gửi tới"] == statuses["sent"]
    assert head(fig, "campaigns") == 2 and head(fig, "subscribers") == 6
    # Events: the cancelled one is not counted.
    assert head(fig, "events") == 3
    assert fig.summary.startswith("Từ 01/01/2026 đến 30/06/2026")


async def test_unit_and_national_scopes_and_purged_tips_still_count(db: Database) -> None:
    data = await seed(db)
    svc = make(db)
    unit = await svc.figures(OFFICER_SG, f"u{data.units[SAI_GON]}", H1, VI)
    assert head(unit, "received") == 9
    assert rows(unit, "tips_by_ward") == {"Phường Sài Gòn": 9}
    assert head(unit, "contests") == 0  # contests belong to provinces, not to ward units
    assert head(unit, "subscribers") == 4  # the ward's own subscribers
    everything = await svc.figures(ADMIN, "a", Period("custom", date(2026, 1, 1), date(2026, 7, 4)), VI)
    assert head(everything, "received") == len(data.tips) == 15
    assert head(everything, "contests") == 3
    # Purging closed tips (retention) keeps their figures.
    from storage import tips as tips_repo

    ids = await tips_repo.closed_before(db, ts(2026, 12, 31))
    async with db.transaction() as conn:
        await tips_repo.delete_tips(conn, ids)
    assert (await db.fetchone("SELECT COUNT(*) FROM tips"))[0] == 15 - len(ids)  # type: ignore[index]
    again = await svc.figures(ADMIN, "a", Period("custom", date(2026, 1, 1), date(2026, 7, 4)), VI)
    assert [t.rows for t in again.tables] == [t.rows for t in everything.tables]
    facts = await db.fetchall("SELECT * FROM tip_facts")
    assert len(facts) == len(ids) and all(r["created_at"] % 3600 == 0 for r in facts)
    assert "code" not in facts[0].keys() and "body" not in facts[0].keys()


# -- permissions -----------------------------------------------------------------------------------
async def test_officer_never_sees_another_units_figures(db: Database) -> None:
    data = await seed(db)
    svc = make(db)
    assert [s.token for s in await svc.scopes(OFFICER_SG)] == [f"u{data.units[SAI_GON]}"]
    for token in (f"u{data.units[BEN_THANH]}", f"u{data.units[HOAN_KIEM]}", f"p{HCM}", "a"):
        with pytest.raises(StatsError):
            await svc.figures(OFFICER_SG, token, H1, VI)
    with pytest.raises(StatsError):
        await svc.scopes(777)  # not police at all
    # In a group, only the unit bound to it, and only for its officers.
    with pytest.raises(StatsError):
        await svc.scopes(OFFICER_SG, -100, True)
    for bad in ("", "u", "uabc", "p", "p99", "x1", "u999999", "a"):
        with pytest.raises(StatsError):
            await svc.resolve(OFFICER_HK, bad)


async def test_province_admin_never_sees_another_province(db: Database) -> None:
    data = await seed(db)
    svc = make(db)
    assert [s.token for s in await svc.scopes(PROVINCE_ADMIN_HCM)] == [f"p{HCM}"]
    # Their own province's units are fine, another province's are not.
    await svc.figures(PROVINCE_ADMIN_HCM, f"u{data.units[BEN_THANH]}", H1, VI)
    for token in (f"p{HANOI}", f"u{data.units[HOAN_KIEM]}", "a"):
        with pytest.raises(StatsError):
            await svc.figures(PROVINCE_ADMIN_HCM, token, H1, VI)
    hn = await svc.figures(PROVINCE_ADMIN_HN, f"p{HANOI}", H1, VI)
    assert head(hn, "received") == 2 and head(hn, "contests") == 0
    assert (await svc.scopes(ADMIN))[0].token == "a"
    assert [s.token for s in await svc.scopes(OFFICER_BT)] == [f"u{data.units[BEN_THANH]}"]


# -- small counts ----------------------------------------------------------------------------------
def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def possible_values(values: list[int], k: int, total_shown: bool) -> list[set[int]]:
    """What a reader can work out about each hidden cell from what is shown: the shown cells,
    the total when shown, that counts are whole and not negative, and that a hidden cell of a
    line with shown cells left is not 0 (zeros are hidden only when a whole line is)."""
    mask = suppress_line(values, k, not total_shown)
    hidden = [i for i, h in enumerate(mask) if h]
    low = 0 if all(mask) else 1
    shown_sum = sum(v for v, h in zip(values, mask, strict=True) if not h)
    sums = [sum(values) - shown_sum] if total_shown else list(range(k))  # hidden total: < k
    out: list[set[int]] = [set() for _ in values]
    for s in sums:
        for combo in compositions(s, len(hidden)):
            if all(v >= low for v in combo):
                for i, v in zip(hidden, combo, strict=True):
                    out[i].add(v)
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=6), st.integers(3, 5))
def test_no_hidden_cell_can_be_recomputed(values: list[int], k: int) -> None:
    total = sum(values)
    total_shown = not 0 < total < k
    mask = suppress_line(values, k, not total_shown)
    assert all(mask[i] for i, v in enumerate(values) if 0 < v < k)  # every small cell is hidden
    for i, options in enumerate(possible_values(values, k, total_shown)):
        if mask[i]:
            assert values[i] in options and len(options) > 1, (values, k, mask)


def test_suppression_examples() -> None:
    assert suppress_line([10, 1, 20], 3) == [True, True, False]  # 1 alone: 10 hides it
    assert suppress_line([10, 1, 1, 20], 3) == [True, True, True, False]  # 1+1 < 3 is known
    assert suppress_line([10, 2, 1, 20], 3) == [False, True, True, False]  # 2+1 or 1+2
    assert suppress_line([10, 2, 2, 20], 3) == [True, True, True, False]  # 2+2: both at most 2
    assert suppress_line([10, 1, 1, 1, 20], 3) == [True, True, True, True, False]  # 1+1+1
    assert suppress_line([10, 0, 20], 3) == [False, False, False]
    assert suppress_line([2, 0], 3, total_hidden=True) == [True, True]  # zeros too


async def test_small_counts_are_hidden_everywhere(db: Database) -> None:
    data = await seed(db)
    svc = make(db, min_count=3)
    fig = await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    outcome = rows(fig, "tips_by_outcome")
    assert outcome["Đã xử lý"] == 5  # 5 actioned: shown
    # unfounded 1, duplicate 1, spam 2: hidden, and the total (9) leaves 4 for the three.
    assert [outcome[k] for k in ("Không có căn cứ", "Trùng lặp", "Báo tin giả / quấy rối")] == [None] * 3
    assert head(fig, "prank_share") is None  # would give spam + unfounded away
    assert head(fig, "escalated") is None  # 2 escalations
    # A unit with two tips in Ha Noi: the total itself is hidden, and so are the medians.
    hk = await svc.figures(OFFICER_HK, f"u{data.units[HOAN_KIEM]}", H1, VI)
    assert head(hk, "received") is None and head(hk, "ack_p50_h") is None
    assert all(v is None for v in rows(hk, "tips_by_month").values())
    # Every shown line of the report follows the rule.
    for table in fig.tables:
        if table.total is None or table.key in ("events", "quiz_items"):
            continue
        shown = [r.values[0] for r in table.rows]
        assert not any(isinstance(v, int) and 0 < v < 3 for v in shown), table.key
        if table.total.values[0] is not None:
            assert sum(v is None for v in shown) != 1, table.key
    assert "ẩn" in fig.summary


def test_periods() -> None:
    today = date(2026, 8, 3)
    assert period_for("half", today) == Period("half", date(2026, 7, 1), today)
    assert period_for("year", today) == Period("year", date(2026, 1, 1), today)
    assert period_for("action", today) == Period("action", date(2026, 6, 1), date(2026, 6, 30))
    assert period_for("action", date(2026, 5, 1)).start == date(2025, 6, 1)
    assert period_for("recent", today).start == date(2026, 3, 1)
    assert period_for("recent", date(2026, 2, 10)).start == date(2025, 9, 1)
    assert parse_period("1/2/2026 - 28/2/2026", today).end == date(2026, 2, 28)
    for bad in ("", "1/2/2026", "30/2/2026 - 1/3/2026", "1/3/2026 - 1/2/2026", "1/1/2027 - 2/2/2027"):
        with pytest.raises(StatsError):
            parse_period(bad, today)


# -- exports and charts ------------------------------------------------------------------------------
async def test_xlsx_and_csv_hold_the_same_numbers(db: Database) -> None:
    from openpyxl import load_workbook

    from bot import stats_export

    await seed(db)
    svc = make(db, min_count=3)
    fig = await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    wb = load_workbook(io.BytesIO(stats_export.xlsx(fig, VI)))
    assert len(wb.sheetnames) == 1 + len(fig.tables)
    info = wb.worksheets[0]
    assert info["B2"].value == datetime(2026, 1, 1) and info["B3"].value == datetime(2026, 6, 30)
    for ws, table in zip(wb.worksheets[1:], fig.tables, strict=True):
        assert tuple(c.value for c in ws[1]) == table.header
        body = list(ws.iter_rows(min_row=2, max_row=1 + len(table.rows), values_only=True))
        for got, row in zip(body, table.rows, strict=True):
            expected = tuple(fig.hidden_word if v is None else v for v in row.values)
            assert got[1:] == expected
            if row.when is not None:
                assert got[0] == datetime(row.when.year, row.when.month, 1)  # a real date
            else:
                assert got[0] == row.label
    contests = wb[fig.table("quiz_contests").title]
    title_cell = contests["A3"]
    assert title_cell.value == '=HYPERLINK("x")' and title_cell.data_type == "s"  # not a formula
    text = stats_export.csv_bytes(fig, VI).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert ["Cuộc thi trắc nghiệm", "'=HYPERLINK(\"x\")", "5", "200.0"] in lines
    received = next(r for r in lines if len(r) > 2 and r[1] == "Tổng số tin báo nhận được")
    assert received[2] == "12"


async def test_charts_are_pngs_of_the_figures_series(db: Database) -> None:
    from PIL import Image

    from bot.stats_charts import report_charts, series_of

    await seed(db)
    svc = make(db, min_count=3)
    fig = await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    charts = report_charts(fig, VI)
    assert [c.key for c in charts] == ["trend", "outcomes", "ack_time", "quiz_scores"]
    tables = {"trend": "tips_by_month", "outcomes": "tips_by_outcome", "ack_time": "ack_time",
              "quiz_scores": "quiz_scores"}
    for chart in charts:
        assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(chart.png)) as im:
            im.verify()
        table = fig.table(tables[chart.key])
        series = series_of(chart.png)
        assert series["labels"] == [r.label for r in table.rows]
        assert series["values"] == [r.values[0] for r in table.rows]
    assert series_of(charts[0].png)["values"] == [3, 3, None, None, None, None]


async def test_pdf_is_one_page(db: Database) -> None:
    from bot.stats_export import pdf

    await seed(db)
    svc = make(db, min_count=3)
    fig = await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    data = pdf(fig, VI)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type /Page>") == 1
    assert b"BeVietnamPro" in data  # the project font is embedded


# -- automatic reports ---------------------------------------------------------------------------
async def test_automatic_reports_are_created_once(db: Database) -> None:
    from bot import stats_reports
    from storage import stats as repo

    await seed(db)
    svc = make(db)
    assert stats_reports.due("half", "06-10", date(2026, 6, 9)) is None
    assert stats_reports.due("half", "06-10", date(2026, 6, 10)) == Period(
        "half", date(2026, 1, 1), date(2026, 6, 9))
    assert stats_reports.due("action", "07-01", date(2026, 7, 3)) == Period(
        "action", date(2026, 6, 1), date(2026, 6, 30))
    assert stats_reports.due("year", "12-10", date(2026, 6, 10)) is None
    assert await stats_reports.create_due(svc, date(2026, 6, 9), 1) == 0
    assert await stats_reports.create_due(svc, date(2026, 6, 10), 1) == 2  # two province admins
    assert await stats_reports.create_due(svc, date(2026, 6, 10), 2) == 0  # once
    assert await stats_reports.create_due(svc, date(2026, 7, 1), 3) == 2  # the action month
    assert await stats_reports.create_due(svc, date(2026, 7, 2), 4) == 0
    got = await repo.reports(db)
    assert sorted((r["kind"], r["scope"], r["recipient_id"], r["period_end"]) for r in got) == [
        ("action", f"p{HANOI}", PROVINCE_ADMIN_HN, "2026-06-30"),
        ("action", f"p{HCM}", PROVINCE_ADMIN_HCM, "2026-06-30"),
        ("half", f"p{HANOI}", PROVINCE_ADMIN_HN, "2026-06-09"),
        ("half", f"p{HCM}", PROVINCE_ADMIN_HCM, "2026-06-09")]
    # National admins get the country's report only when configured.
    svc.settings = dataclasses.replace(svc.settings, report_national=True)
    assert await stats_reports.create_due(svc, date(2026, 7, 3), 5) == 2  # half + action, "a"


# -- practice rounds and the reach of purged campaigns ------------------------------------------------
async def test_practice_rounds_are_national_figures_by_topic(db: Database) -> None:
    from storage.quiz import record_practice_round

    await seed(db)
    day = ts(2026, 3, 2)
    for topic, questions, correct in [("mix", 10, 7), ("mix", 10, 5), ("mix", 10, 9), ("mix", 10, 8),
                                      ("law", 10, 4), ("law", 10, 10), ("law", 10, 6),
                                      ("saying-no", 10, 8)]:
        await record_practice_round(db, day=day, topic=topic, questions=questions,
                                    correct=correct)
    await record_practice_round(db, day=ts(2026, 7, 2), topic="law", questions=10, correct=1)
    fig = await make(db, min_count=3).figures(ADMIN, "a", H1, VI)
    assert head(fig, "practice_rounds") == 8  # July's round is outside the period
    assert head(fig, "practice_percent") == round(100 * 57 / 80, 1)
    practice = {r.label: r.values for r in fig.table("quiz_practice").rows}
    assert practice["Trộn lẫn"] == (4, round(100 * 29 / 40, 1))
    # One round of a topic is a small count: hidden, and the next smallest cell (law's 3) too,
    # or the total would give it away.
    assert practice[topic_title("saying-no", "vi")] == (None, None)
    assert practice[topic_title("law", "vi")] == (None, None)
    assert fig.table("quiz_practice").total == Row("Tổng cộng", (8,))
    # A province cannot be told apart: practice is national only.
    prov = await make(db, min_count=3).figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI)
    assert head(prov, "practice_rounds") == "—" and head(prov, "practice_percent") == "—"
    assert prov.table("quiz_practice").rows == ()


async def test_purged_campaigns_keep_their_reach(db: Database) -> None:
    from storage.broadcasts import purge_finished

    data = await seed(db)
    svc = make(db)
    before = rows(await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI), "broadcasts")
    statuses = Counter(d["status"] for d in data.deliveries if d["province"] == HCM)
    assert (before["Đã gửi tới"], before["Gửi lỗi"], before["Đã chặn bot"]) == (
        statuses["sent"], statuses["failed"], statuses["blocked"])
    await db.execute("UPDATE campaigns SET finished_at = ? WHERE target LIKE ?",
                     (ts(2026, 4, 2), f'%"province": "{HCM}", "ward": null%'))
    assert await purge_finished(db, ts(2026, 6, 1)) == 8  # the province-wide campaign's rows
    assert await purge_finished(db, ts(2026, 6, 1)) == 0  # again: the kept totals stay
    left = await db.fetchone("SELECT COUNT(*) FROM deliveries")
    assert left is not None and left[0] == 8  # Ben Thanh's 4 and Ha Noi's 4
    after = rows(await svc.figures(PROVINCE_ADMIN_HCM, f"p{HCM}", H1, VI), "broadcasts")
    assert after == before
    national = rows(await svc.figures(ADMIN, "a", H1, VI), "broadcasts")
    assert national["Đã gửi tới"] == sum(d["status"] == "sent" for d in data.deliveries)
