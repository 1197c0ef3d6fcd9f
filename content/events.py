"""The national calendar of the drug-prevention year (``content/events/calendar.yaml``).

Recurring dates that hold every year (the action month 1–30 June, the national day 26 June),
in Vietnamese and English, with their source. `occurrences(year)` turns them into dated
entries in local time; the broadcast engine announces each on its start date.

    python -m content.events   # validate the calendar (also run by `python -m bot doctor`)
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from content.problems import Problem

CALENDAR_PATH = Path(__file__).resolve().parent / "events" / "calendar.yaml"
LANGS = ("vi", "en")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MMDD_RE = re.compile(r"^(\d{2})-(\d{2})$")
HHMM_RE = re.compile(r"^(\d{2}):(\d{2})$")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class CalendarEntry:
    id: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]
    announce: tuple[int, int] | None  # (hour, minute) local on the start date
    title: dict[str, str]
    description: dict[str, str]
    source: str

    def text(self, field: str, lang: str) -> str:
        values: dict[str, str] = getattr(self, field)
        return values.get(lang) or values["vi"]


@dataclass(frozen=True)
class Occurrence:
    """One year's instance of a calendar entry (all-day, local dates, end inclusive)."""

    entry: CalendarEntry
    first_day: dt.date
    last_day: dt.date

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0, 0), TZ)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(0, 0), TZ)

    @property
    def announce_at(self) -> dt.datetime | None:
        if self.entry.announce is None:
            return None
        h, m = self.entry.announce
        return dt.datetime.combine(self.first_day, dt.time(h, m), TZ)


def _line_of(raw: str, needle: str) -> int:
    for no, line in enumerate(raw.splitlines(), 1):
        if needle in line:
            return no
    return 0


def _mmdd(value: Any) -> tuple[int, int] | None:
    match = MMDD_RE.match(str(value or ""))
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2024, month, day)  # a leap year accepts 02-29
    except ValueError:
        return None
    return month, day


def _hhmm(value: Any) -> tuple[int, int] | None:
    match = HHMM_RE.match(str(value or ""))
    if not match:
        return None
    h, m = int(match.group(1)), int(match.group(2))
    return (h, m) if h < 24 and m < 60 else None


def _parse(raw: str, path: str) -> tuple[list[CalendarEntry], list[Problem]]:
    problems: list[Problem] = []
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(path, (mark.line + 1) if mark else 0, f"invalid YAML: {exc}")]
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        return [], [Problem(path, 1, "expected a top-level `events:` list")]
    entries: list[CalendarEntry] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            problems.append(Problem(path, 0, "each event must be a mapping"))
            continue
        eid = str(item.get("id", ""))
        line = _line_of(raw, f"id: {eid}") if eid else 0

        def bad(message: str, line: int = line) -> None:
            problems.append(Problem(path, line, message))

        if not ID_RE.match(eid) or len(eid) > 30:
            bad(f"id {eid!r} must be lowercase words joined by '-' (at most 30 characters)")
        if eid in seen:
            bad(f"duplicate id {eid!r}")
        seen.add(eid)
        start, end = _mmdd(item.get("start")), _mmdd(item.get("end"))
        if start is None or end is None:
            bad(f"{eid}: start and end must be dates written MM-DD")
        elif end < start:
            bad(f"{eid}: end {item.get('end')} is before start {item.get('start')}")
        announce = None
        if item.get("announce") is not None:
            announce = _hhmm(item.get("announce"))
            if announce is None:
                bad(f"{eid}: announce must be a local time written HH:MM")
        texts: dict[str, dict[str, str]] = {}
        for field in ("title", "description"):
            value = item.get(field)
            if not isinstance(value, dict):
                bad(f"{eid}: {field} must have vi and en texts")
                texts[field] = {}
                continue
            for lang in LANGS:
                text = str(value.get(lang) or "").strip()
                if not text:
                    bad(f"{eid}: {field} has no {lang} text")
                if field == "title" and len(text) > 120:
                    bad(f"{eid}: {lang} title is longer than 120 characters")
                if any(c in text for c in "<>&"):
                    bad(f"{eid}: {field} ({lang}) must be plain text (no <, >, &)")
            texts[field] = {lang: str(value.get(lang) or "").strip() for lang in LANGS}
        source = str(item.get("source") or "").strip()
        if not source:
            bad(f"{eid}: every calendar entry needs a source (e.g. the decision that sets it)")
        if start and end and texts.get("title") and texts.get("description"):
            entries.append(
                CalendarEntry(eid, start, end, announce, texts["title"], texts["description"], source)
            )
    return entries, problems


def validate_calendar(path: Path = CALENDAR_PATH) -> list[Problem]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [Problem(str(path), 0, f"cannot read the calendar: {exc.strerror}")]
    return _parse(raw, str(path))[1]


@cache
def load_calendar(path: Path = CALENDAR_PATH) -> tuple[CalendarEntry, ...]:
    raw = path.read_text(encoding="utf-8")
    entries, problems = _parse(raw, str(path))
    if problems:
        raise ValueError("calendar problems:\n" + "\n".join(str(p) for p in problems))
    return tuple(entries)


def _date(year: int, mmdd: tuple[int, int]) -> dt.date:
    month, day = mmdd
    try:
        return dt.date(year, month, day)
    except ValueError:  # 02-29 in a common year
        return dt.date(year, month, day - 1)


def occurrences(year: int, entries: tuple[CalendarEntry, ...] | None = None) -> list[Occurrence]:
    return [
        Occurrence(e, _date(year, e.start), _date(year, e.end))
        for e in (entries if entries is not None else load_calendar())
    ]


def upcoming(now: dt.datetime, entries: tuple[CalendarEntry, ...] | None = None) -> list[Occurrence]:
    """Each entry's current or next occurrence (not yet ended), soonest first."""
    local = now.astimezone(TZ)
    found: list[Occurrence] = []
    this_year = occurrences(local.year, entries)
    next_year = {o.entry.id: o for o in occurrences(local.year + 1, entries)}
    for occ in this_year:
        found.append(occ if occ.ends_at > now else next_year[occ.entry.id])
    return sorted(found, key=lambda o: o.starts_at)


def find(entry_id: str) -> CalendarEntry | None:
    return next((e for e in load_calendar() if e.id == entry_id), None)


if __name__ == "__main__":
    found = validate_calendar()
    for problem in found:
        print(problem)
    print(f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
