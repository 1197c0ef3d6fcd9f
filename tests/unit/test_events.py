"""Events without Telegram: the calendar data, dates people type, .ics files, permissions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.events import EventService, ScopeOption, ics, parse_local
from content import events as calendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_shipped_calendar_is_valid_and_sourced() -> None:
    assert calendar.validate_calendar() == []
    entries = {e.id: e for e in calendar.load_calendar()}
    assert entries["action-month"].start == (6, 1) and entries["action-month"].end == (6, 30)
    assert entries["national-day"].start == (6, 26)
    assert all("93/2001/QĐ-TTg" in entries[k].source for k in ("action-month", "national-day"))
    assert entries["hiv-action-month"].start == (11, 10) and entries["hiv-action-month"].end == (12, 10)
    assert entries["world-aids-day"].start == entries["world-aids-day"].end == (12, 1)
    assert all(e.source.strip() for e in entries.values())


def test_calendar_validator_reports_problems(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "events:\n  - id: Bad Id\n    start: '13-01'\n    end: '06-30'\n"
        "    title: {vi: 'x'}\n    description: {vi: 'a', en: 'b'}\n", encoding="utf-8",
    )
    messages = " | ".join(p.message for p in calendar.validate_calendar(bad))
    assert "lowercase" in messages and "MM-DD" in messages and "no en text" in messages
    assert "source" in messages


def test_upcoming_rolls_to_next_year() -> None:
    occ = calendar.upcoming(datetime(2026, 7, 2, tzinfo=UTC))
    june = {o.first_day.year for o in occ if o.entry.id in ("action-month", "national-day")}
    assert june == {2027}
    occ = calendar.upcoming(datetime(2026, 12, 11, tzinfo=UTC))
    assert {o.first_day.year for o in occ} == {2027}
    occ = calendar.upcoming(datetime(2026, 6, 15, tzinfo=UTC))
    assert occ[0].entry.id == "action-month"


def test_parse_local_dates() -> None:
    now = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)
    assert parse_local("26/6/2026 08:00", now, TZ) == datetime(2026, 6, 26, 8, 0, tzinfo=TZ)
    assert parse_local("26/06 19h30", now, TZ) == datetime(2026, 6, 26, 19, 30, tzinfo=TZ)
    assert parse_local("1-6", now, TZ) == datetime(2027, 6, 1, 8, 0, tzinfo=TZ)  # past → next year
    assert parse_local("31/2", now, TZ) is None
    assert parse_local("tomorrow", now, TZ) is None


def test_ics_parses_back_with_icalendar_in_local_time() -> None:
    import icalendar

    title = "Tọa đàm; phòng, chống ma túy " * 4
    data = ics(
        "e1@x", title, datetime(2026, 6, 20, 12, 30, tzinfo=UTC),
        datetime(2026, 6, 20, 14, 30, tzinfo=UTC), description="a\nb", place="Nhà văn hóa, phường 1",
        stamp=datetime(2026, 6, 1, tzinfo=UTC), tz=TZ,
    )
    text = data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded
    cal = icalendar.Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == "Nhà văn hóa, phường 1"
    assert str(event["DESCRIPTION"]) == "a\nb"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 6, 20, 19, 30, tzinfo=TZ)  # 19:30 in Hồ Chí Minh
    assert end == datetime(2026, 6, 20, 21, 30, tzinfo=TZ)
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Ho_Chi_Minh"
    assert start.utcoffset().total_seconds() == 7 * 3600


def test_all_day_ics_uses_dates() -> None:
    import icalendar

    data = ics(
        "c@x", "Tháng hành động", datetime(2026, 5, 31, 17, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 17, 0, tzinfo=UTC), stamp=datetime(2026, 6, 1, tzinfo=UTC),
        all_day=True, tz=TZ,
    )
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 6, 1)
    assert event.decoded("DTEND") == date(2026, 7, 1)  # exclusive: the whole of 30 June


class FakeUnits:
    def __init__(self, admins: dict[int, set[str]], officers: dict[int, list[Any]]) -> None:
        self.admins, self.officers = admins, officers

    async def province_admin_of(self, user_id: int) -> set[str]:
        return self.admins.get(user_id, set())

    async def officer_units(self, user_id: int) -> list[Any]:
        return self.officers.get(user_id, [])


@dataclasses.dataclass
class Unit:
    kind: str
    code: str
    province_code: str


async def test_scope_options_follow_roles() -> None:
    settings = dataclasses.replace(load_settings({}), admin_ids=frozenset({1}))
    units = FakeUnits({2: {"79"}}, {3: [Unit("ward", "26740", "79")], 4: [Unit("province", "1", "01")]})
    svc = EventService(None, settings, FrozenClock(), units=units)  # type: ignore[arg-type]
    assert await svc.scope_options(1) == [ScopeOption("national", "")]
    assert await svc.scope_options(2) == [ScopeOption("province", "79")]
    assert await svc.scope_options(3) == [ScopeOption("ward", "26740")]
    assert await svc.scope_options(4) == [ScopeOption("province", "01")]
    assert await svc.scope_options(5) == []
