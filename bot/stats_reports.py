"""Report bundles (text, charts, XLSX, PDF, CSV) and the automatic reports to administrators.

The automatic reports (after the action month, six-monthly, yearly; dates in settings) are rows
of `stats_reports`, created once per report and recipient (a unique key) on or after their date,
and sent by a job part by part: a restart resumes at the part not yet confirmed. Whether the
recipient may still see the area is checked again right before sending.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot import directory
from bot.i18n import N_, Translator
from bot.stats import Figures, Period, StatsError, StatsService, report_text
from storage import stats as repo
from storage import units as units_repo

log = logging.getLogger(__name__)

KINDS = ("action", "half", "year")  # the order of settings.report_dates
CATCH_UP_DAYS = 30  # a report whose day passed while the bot was down is still created
PART_TEXT, PART_CHARTS, PART_XLSX, PART_PDF = range(4)
PARTS = 4

_render_lock = asyncio.Lock()  # matplotlib's pyplot is not thread-safe: one render at a time


@dataclass
class Bundle:
    figures: Figures
    text: str
    charts: list[Any] = field(default_factory=list)  # bot.stats_charts.Chart
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, content)


def _render(fig: Figures, t: Translator, with_files: bool) -> tuple[list[Any], list[tuple[str, bytes]]]:
    from bot import stats_charts, stats_export

    charts = stats_charts.report_charts(fig, t)
    files: list[tuple[str, bytes]] = []
    if with_files:
        files = [(stats_export.filename(fig, "xlsx"), stats_export.xlsx(fig, t)),
                 (stats_export.filename(fig, "pdf"), stats_export.pdf(fig, t))]
    return charts, files


async def bundle(svc: StatsService, actor_id: int | None, token: str, period: Period,
                 t: Translator, *, files: bool = True) -> Bundle:
    """Figures (permission checked by the service) rendered for a chat, off the event loop."""
    fig = await svc.figures(actor_id, token, period, t)
    async with _render_lock:
        charts, out = await asyncio.to_thread(_render, fig, t, files)
    return Bundle(fig, report_text(t, fig, short=True), charts, out)


async def csv_file(svc: StatsService, actor_id: int, token: str, period: Period,
                   t: Translator) -> tuple[str, bytes]:
    from bot import stats_export

    fig = await svc.figures(actor_id, token, period, t)
    return stats_export.filename(fig, "csv"), stats_export.csv_bytes(fig, t)


def parse_token(token: str, today: date) -> Period:
    """A period from callback data "YYYYMMDD-YYYYMMDD" (never trusted)."""
    try:
        a, b = str(token).split("-")
        start = date(int(a[:4]), int(a[4:6]), int(a[6:8]))
        end = date(int(b[:4]), int(b[4:6]), int(b[6:8]))
    except (ValueError, IndexError):
        raise StatsError(N_("Unknown period.")) from None
    if len(a) != 8 or len(b) != 8 or end < start or start.year < 2000 or start > today:
        raise StatsError(N_("Unknown period."))
    return Period("custom", start, min(end, today))


# -- automatic reports ---------------------------------------------------------------------------
def due(kind: str, when: str, today: date) -> Period | None:
    """The period of report `kind` if its day (MM-DD) is today or up to CATCH_UP_DAYS ago."""
    day = date(today.year, int(when[:2]), int(when[3:]))
    if not day <= today < day + timedelta(days=CATCH_UP_DAYS):
        return None
    if kind == "action":
        return Period(kind, date(today.year, 6, 1), date(today.year, 6, 30))
    # six-monthly and yearly: from 1 January up to the day before the report's day
    return Period(kind, date(today.year, 1, 1), day - timedelta(days=1))


async def create_due(svc: StatsService, today: date, now: int) -> int:
    """Create the rows of every report due today (each once). Returns how many were new."""
    settings = svc.settings
    created = 0
    admins = await units_repo.all_province_admins(svc.db)
    async with svc.db.transaction() as conn:
        for kind, when in zip(KINDS, settings.report_dates, strict=True):
            period = due(kind, when, today)
            if period is None or period.end < period.start:
                continue
            targets = [(f"p{r['province_code']}", int(r["user_id"])) for r in admins
                       if directory.get_province(str(r["province_code"])) is not None]
            if settings.report_national:
                targets += [("a", uid) for uid in sorted(settings.admin_ids)]
            for scope, uid in targets:
                key = f"{kind}:{period.start.year}:{scope}:{uid}"
                created += await repo.create_report(
                    conn, key=key, kind=kind, scope=scope, period_start=period.start.isoformat(),
                    period_end=period.end.isoformat(), recipient_id=uid, now=now)
    return created


async def still_allowed(svc: StatsService, row: Any) -> bool:
    scope, uid = str(row["scope"]), int(row["recipient_id"])
    if scope == "a":
        return svc.units.is_national_admin(uid)
    return scope.startswith("p") and await svc.units.can_manage_province(uid, scope[1:])


def row_period(row: Any) -> Period:
    return Period(str(row["kind"]), date.fromisoformat(str(row["period_start"])),
                  date.fromisoformat(str(row["period_end"])))


def report_title(t: Translator, kind: str) -> str:
    _ = t.gettext
    return {
        "action": _("📅 Automatic report: the drug-prevention action month (June)"),
        "half": _("📅 Automatic report: six months"),
        "year": _("📅 Automatic report: the year"),
    }.get(kind, "")


def local_today(svc: StatsService) -> tuple[date, int]:
    now = svc.clock.timestamp()
    return datetime.fromtimestamp(now, svc.settings.tz).date(), now
