"""Events: the national calendar (content/events/calendar.yaml) and local events created by
police officers and admins; listing by area, .ics export, and the automatic campaigns
(calendar announcements, reminders one day and one hour before an event, the weekly fact).

Permissions are checked here on every action: a ward officer creates events for their own ward;
a province admin (or an officer of a province unit) for their province or any commune/ward of
it; a national admin nationwide or for any province or commune/ward.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import directory
from bot.broadcast import (
    LEGACY_TELEGRAM_FILE,
    TOPIC_EVENTS,
    TOPIC_FACTS,
    TOPIC_QUIZ,
    BroadcastService,
    Content,
    LinkButton,
    Target,
)
from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES, Settings
from bot.engine.actions import Action
from bot.errors import UserError
from bot.i18n import N_, Translator, translator
from bot.media import MediaStore
from bot.screens import Button, Screen, esc
from bot.subscriptions import Home as SubscriptionHome
from content import events as calendar
from storage import events as repo
from storage.db import Database

NATIONAL = "national"
PROVINCE = "province"
WARD = "ward"
TITLE_MAX = 120
PLACE_MAX = 200
DESCRIPTION_MAX = 1500
REMIND_DAY = 24 * 3600
REMIND_HOUR = 3600
PER_PAGE = 10
MAX_PAGES = 20  # /events pages through at most 200 entries
_DATE_RE = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?(?:\s+|\s*[,lúcat]+\s*)?(?:(\d{1,2})[:hg.](\d{2})?)?\s*$",
    re.IGNORECASE,
)


class EventError(UserError):
    """A refusal of this feature; `message` is an English msgid."""


# -- the actions of the event screens (packed as the callback data already in people's chats) --
class ListEvents(Action, prefix="ev:l"):
    page: int | None = None


class ListArea(Action, prefix="ev:L"):
    province: str
    ward: str  # "-" for the whole province
    page: int | None = None


class ChooseArea(Action, prefix="ev:a"):
    pass


class ViewEvent(Action, prefix="ev:v"):
    event: int


class ViewCalendar(Action, prefix="ev:c"):
    entry: str


class Ics(Action, prefix="ev:ics"):
    kind: str  # "e" a local event, "c" a national calendar entry
    ref: str


class NewEvent(Action, prefix="ev:new"):
    pass


class EditEvent(Action, prefix="ev:ed"):
    event: int


class CancelEvent(Action, prefix="ev:x"):
    event: int


class ScopeProvince(Action, prefix="ev:spv"):
    """A province whose communes/wards the officer picks from."""

    code: str


def _photo_of(row: Any) -> str | None:
    """The event's media key; events saved before media were stored by value have a Telegram
    file id instead (kept under the legacy prefix, which only Telegram could resolve)."""
    if row["photo_media"]:
        return str(row["photo_media"])
    return LEGACY_TELEGRAM_FILE + row["photo_file_id"] if row["photo_file_id"] else None


@dataclass(frozen=True)
class Event:
    id: int
    title: str
    description: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    scope: str
    province_code: str | None
    ward_code: str | None
    photo: str | None  # a media key (bot/media.py)
    created_by: int | None
    cancelled: bool

    @classmethod
    def from_row(cls, row: Any) -> Event:
        return cls(
            int(row["id"]), row["title"], row["description"], row["place"],
            dt.datetime.fromtimestamp(int(row["starts_at"]), dt.UTC),
            dt.datetime.fromtimestamp(int(row["ends_at"]), dt.UTC),
            row["scope"], row["province_code"], row["ward_code"], _photo_of(row),
            row["created_by"], row["cancelled_at"] is not None,
        )

    def area(self) -> str:
        if self.scope == WARD and self.ward_code:
            w = directory.get_ward(self.ward_code)
            return f"{w.name}, {w.province_name}" if w else self.ward_code
        if self.scope == PROVINCE and self.province_code:
            p = directory.get_province(self.province_code)
            return p.name if p else self.province_code
        return ""


@dataclass(frozen=True)
class ScopeOption:
    scope: str
    code: str  # ward code, province code, or "" for national

    @property
    def data(self) -> str:
        return f"{self.scope[0]}{self.code}"

    def label(self, t: Translator) -> str:
        if self.scope == WARD:
            w = directory.get_ward(self.code)
            return "📍 " + (w.name if w else self.code)
        if self.scope == PROVINCE:
            p = directory.get_province(self.code)
            return "🏙 " + (p.name if p else self.code)
        return "🇻🇳 " + t.gettext("Nationwide")


@dataclass(frozen=True)
class Listed:
    """One line of /events: a local event or a national calendar occurrence."""

    kind: str  # "local" | "calendar"
    ref: str  # event id, or calendar entry id
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    all_day: bool
    area: str
    rank: int  # 0 my ward, 1 my province, 2 national


def parse_local(text: str, now: dt.datetime, tz: Any) -> dt.datetime | None:
    """'26/6/2026 8:00', '26/06 19h30', '1-6' (08:00) → an aware datetime (None if invalid)."""
    m = _DATE_RE.match(text or "")
    if not m:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    local_now = now.astimezone(tz)
    year = int(m.group(3)) if m.group(3) else local_now.year
    if year < 100:
        year += 2000
    hour = int(m.group(4)) if m.group(4) else 8
    minute = int(m.group(5)) if m.group(5) else 0
    try:
        value = dt.datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        return None
    if not m.group(3) and value < local_now - dt.timedelta(days=1):
        value = value.replace(year=year + 1)
    return value


# -- .ics --------------------------------------------------------------------------------------
def ics(
    uid: str, title: str, starts: dt.datetime, ends: dt.datetime, *, description: str = "",
    place: str = "", stamp: dt.datetime, all_day: bool = False, tz: Any = None,
) -> bytes:
    """One event as an iCalendar file (RFC 5545, written by the `icalendar` library).

    Timed events are written in local time with their time zone (`TZID=Asia/Ho_Chi_Minh` plus
    its VTIMEZONE), so calendars show the hour the organiser typed; all-day entries are DATE
    values (the end is the day after, exclusive).
    """
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Khong Ma Tuy//Events//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    if all_day:
        event.add("dtstart", starts.astimezone(tz).date() if tz else starts.date())
        event.add("dtend", ends.astimezone(tz).date() if tz else ends.date())
    else:
        event.add("dtstart", starts.astimezone(tz or dt.UTC))
        event.add("dtend", ends.astimezone(tz or dt.UTC))
    event.add("summary", title)
    if place:
        event.add("location", place)
    if description:
        event.add("description", description)
    cal.add_component(event)
    if not all_day and tz is not None:
        cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


# -- the service ---------------------------------------------------------------------------------
class EventService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, *, units: Any = None,
        broadcast: BroadcastService | None = None, content: Any = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.units = units
        self.broadcast = broadcast
        self.content = content
        self.tz = settings.tz
        self.media = MediaStore(db, clock)

    # -- permissions -----------------------------------------------------------------------
    async def scope_options(self, user_id: int) -> list[ScopeOption]:
        """Where this person may create events (empty: they may not)."""
        options: list[ScopeOption] = []
        if user_id in self.settings.admin_ids:
            options.append(ScopeOption(NATIONAL, ""))
        if self.units is not None:
            for prov in sorted(await self.units.province_admin_of(user_id)):
                options.append(ScopeOption(PROVINCE, prov))
            for unit in await self.units.officer_units(user_id):
                if unit.kind == WARD:
                    options.append(ScopeOption(WARD, f"{int(unit.code):05d}"))
                else:
                    options.append(ScopeOption(PROVINCE, f"{int(unit.code):02d}"))
        seen: set[tuple[str, str]] = set()
        unique = []
        for o in options:
            if (o.scope, o.code) not in seen:
                seen.add((o.scope, o.code))
                unique.append(o)
        return unique

    async def can_create(self, user_id: int) -> bool:
        return bool(await self.scope_options(user_id))

    def is_national_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_ids

    async def allows_scope(self, user_id: int, scope: str, code: str) -> bool:
        """May this person create an event for this area? Besides `scope_options`, whoever may
        create province-wide events for a province may also pick any commune/ward of it, and a
        national admin any province or commune/ward."""
        if scope == NATIONAL:
            return code == "" and self.is_national_admin(user_id)
        if scope == PROVINCE:
            p = directory.get_province(code) if code.isdigit() else None
            if p is None or code != f"{p.code:02d}":
                return False
            province = code
        elif scope == WARD:
            w = directory.get_ward(code) if code.isdigit() else None
            if w is None or code != f"{w.code:05d}":
                return False
            province = f"{w.province_code:02d}"
        else:
            return False
        if self.is_national_admin(user_id):
            return True
        options = await self.scope_options(user_id)
        return ScopeOption(scope, code) in options or ScopeOption(PROVINCE, province) in options

    async def ward_provinces(self, user_id: int) -> list[str]:
        """Provinces in whose communes/wards this person may create events (not national)."""
        return [o.code for o in await self.scope_options(user_id) if o.scope == PROVINCE]

    async def ward_picker_rows(
        self, t: Translator, user_id: int,
        pick: Callable[[str], Action] | Callable[[str], str] = ScopeProvince,
    ) -> list[list[Button]]:
        """"📍 A commune/ward of …" buttons, one per province whose wards this person may pick
        (`pick(province code)` is each button's action, or its callback data for features not
        yet on the engine)."""
        rows = []
        for prov in (await self.ward_provinces(user_id))[:10]:
            p = directory.get_province(prov)
            label = t.gettext("📍 A commune/ward of {province}…").format(
                province=p.name if p else prov)
            target = pick(prov)
            button = (Button(label, data=target) if isinstance(target, str)
                      else Button(label, action=target))
            rows.append([button])
        return rows

    async def can_manage(self, user_id: int, event: Event) -> bool:
        if user_id in self.settings.admin_ids:
            return True
        options = await self.scope_options(user_id)
        for o in options:
            if o.scope == event.scope and o.code == (event.ward_code if event.scope == WARD else event.province_code or ""):
                return True
            # A province admin/officer manages ward events of their province too.
            if o.scope == PROVINCE and event.province_code == o.code and event.scope == WARD:
                return True
        return False

    # -- validation ---------------------------------------------------------------------------
    @staticmethod
    def check_title(text: str) -> str:
        value = " ".join((text or "").split())
        if not value:
            raise EventError(N_("Please type a title."))
        if len(value) > TITLE_MAX:
            raise EventError(N_("The title is too long (at most {n} characters)."), n=TITLE_MAX)
        return value

    @staticmethod
    def check_place(text: str) -> str:
        value = " ".join((text or "").split())
        if len(value) > PLACE_MAX:
            raise EventError(N_("The place is too long (at most {n} characters)."), n=PLACE_MAX)
        return value

    @staticmethod
    def check_description(text: str) -> str:
        value = (text or "").strip()
        if len(value) > DESCRIPTION_MAX:
            raise EventError(N_("The description is too long (at most {n} characters)."), n=DESCRIPTION_MAX)
        return value

    def check_start(self, text: str) -> dt.datetime:
        value = parse_local(text, self.clock.now(), self.tz)
        if value is None:
            raise EventError(N_("I could not read that date. Write it like 26/6/2026 08:00."))
        if value < self.clock.now():
            raise EventError(N_("That time is in the past."))
        return value

    def check_end(self, text: str, starts: dt.datetime) -> dt.datetime:
        text = (text or "").strip()
        hours = re.fullmatch(r"(\d{1,2}(?:[.,]\d)?)\s*(h|giờ|gio|hours?)?", text, re.IGNORECASE)
        if hours and ("/" not in text):
            value = starts + dt.timedelta(hours=float(hours.group(1).replace(",", ".")))
        else:
            parsed = parse_local(text, starts, self.tz)
            if parsed is None:
                raise EventError(N_("I could not read that. Write an end time like 26/6/2026 11:00, or a duration in hours like 3."))
            value = parsed
        if value <= starts:
            raise EventError(N_("The end must be after the start."))
        if value - starts > dt.timedelta(days=62):
            raise EventError(N_("An event can last at most two months."))
        return value

    # -- create / edit / cancel ----------------------------------------------------------------
    async def create(
        self, user_id: int, *, title: str, starts_at: dt.datetime, ends_at: dt.datetime,
        place: str, description: str, scope: str, code: str, photo: str | None,
    ) -> Event:
        if not await self.allows_scope(user_id, scope, code):
            raise EventError(N_("You cannot create events for this area."))
        title = self.check_title(title)
        place = self.check_place(place)
        description = self.check_description(description)
        if ends_at <= starts_at:
            raise EventError(N_("The end must be after the start."))
        province = ward = None
        if scope == WARD:
            w = directory.get_ward(code)
            if w is None:
                raise EventError(N_("You cannot create events for this area."))
            ward, province = f"{w.code:05d}", f"{w.province_code:02d}"
        elif scope == PROVINCE:
            province = code
        event_id = await repo.create(
            self.db, title=title, description=description, place=place,
            starts_at=int(starts_at.timestamp()), ends_at=int(ends_at.timestamp()), scope=scope,
            province_code=province, ward_code=ward, photo_media=photo,
            created_by=user_id, now=self.clock.timestamp(),
        )
        event = await self.get(event_id)
        assert event is not None
        return event

    async def get(self, event_id: int | str) -> Event | None:
        try:
            eid = int(event_id)
        except (TypeError, ValueError):
            return None
        row = await repo.get(self.db, eid)
        return Event.from_row(row) if row else None

    async def _require_manage(self, user_id: int, event_id: int | str) -> Event:
        event = await self.get(event_id)
        if event is None or event.cancelled:
            raise EventError(N_("This event does not exist (any more)."))
        if not await self.can_manage(user_id, event):
            raise EventError(N_("You cannot change this event."))
        return event

    async def edit(self, user_id: int, event_id: int | str, field: str, value: Any) -> Event:
        event = await self._require_manage(user_id, event_id)
        fields: dict[str, Any]
        if field == "title":
            fields = {"title": self.check_title(str(value))}
        elif field == "place":
            fields = {"place": self.check_place(str(value))}
        elif field == "description":
            fields = {"description": self.check_description(str(value))}
        elif field == "time":
            starts, ends = value
            if ends <= starts:
                raise EventError(N_("The end must be after the start."))
            fields = {"starts_at": int(starts.timestamp()), "ends_at": int(ends.timestamp())}
        elif field == "photo":
            fields = {"photo_media": value or None, "photo_file_id": None}
        else:
            raise EventError(N_("This button is no longer available."))
        await repo.update(self.db, event.id, fields, self.clock.timestamp())
        if field == "time" and self.broadcast is not None:
            # Reminders already planned for the old time no longer apply.
            await self.broadcast.cancel_keys(f"remind:{event.id}:")
        updated = await self.get(event.id)
        assert updated is not None
        return updated

    async def cancel(self, user_id: int, event_id: int | str) -> Event:
        event = await self._require_manage(user_id, event_id)
        await repo.cancel(self.db, event.id, self.clock.timestamp())
        if self.broadcast is not None:
            await self.broadcast.cancel_keys(f"remind:{event.id}:")
        return event

    async def forget_user(self, user_id: int) -> None:
        await repo.forget_creator(self.db, user_id)

    # -- listing ---------------------------------------------------------------------------------
    async def upcoming(
        self, locale: str, province: str | None = None, ward: str | None = None,
        limit: int | None = PER_PAGE,
    ) -> list[Listed]:
        """Events not over yet: the person's ward first, then province, then nationwide."""
        now = self.clock.now()
        found: list[Listed] = []
        for row in await repo.upcoming(self.db, int(now.timestamp())):
            e = Event.from_row(row)
            if e.scope == WARD:
                if ward is not None and e.ward_code == ward:
                    rank = 0
                elif ward is None and province is not None and e.province_code == province:
                    rank = 1
                else:
                    continue
            elif e.scope == PROVINCE:
                if province is None or e.province_code != province:
                    continue
                rank = 1
            else:
                rank = 2
            found.append(Listed("local", str(e.id), e.title, e.starts_at, e.ends_at, False, e.area(), rank))
        for occ in calendar.upcoming(now):
            found.append(Listed(
                "calendar", occ.entry.id, occ.entry.text("title", locale), occ.starts_at,
                occ.ends_at, True, "", 2,
            ))
        found.sort(key=lambda x: (x.rank, x.starts_at))
        return found if limit is None else found[:limit]

    def calendar_occurrence(self, entry_id: str) -> calendar.Occurrence | None:
        for occ in calendar.upcoming(self.clock.now()):
            if occ.entry.id == entry_id:
                return occ
        return None

    # -- .ics ---------------------------------------------------------------------------------------
    def event_ics(self, event: Event) -> tuple[str, bytes]:
        description = event.description
        data = ics(
            f"event-{event.id}@khongmatuy", event.title, event.starts_at, event.ends_at,
            description=description, place=event.place or event.area(),
            stamp=self.clock.now(), tz=self.tz,
        )
        return f"event-{event.id}.ics", data

    def calendar_ics(self, occ: calendar.Occurrence, locale: str) -> tuple[str, bytes]:
        entry = occ.entry
        description = f"{entry.text('description', locale)}\n\n{entry.source}"
        data = ics(
            f"{entry.id}-{occ.first_day.year}@khongmatuy", entry.text("title", locale),
            occ.starts_at, occ.ends_at, description=description, stamp=self.clock.now(),
            all_day=True, tz=self.tz,
        )
        return f"{entry.id}-{occ.first_day.year}.ics", data

    # -- automatic campaigns ---------------------------------------------------------------------
    async def plan_automatic(self) -> list[int]:
        """Create the automatic campaigns that are due soon (each exactly once, by key)."""
        if self.broadcast is None:
            return []
        created: list[int] = []
        now = self.clock.now()
        created += await self._plan_calendar(now)
        created += await self._plan_reminders(now)
        created += await self._plan_weekly_fact(now)
        return created

    async def _create_auto(
        self, key: str, texts: dict[str, str], target: Target, when: dt.datetime,
        expires: dt.datetime | None, buttons: tuple[tuple[LinkButton, ...], ...] = (),
    ) -> int | None:
        assert self.broadcast is not None
        return await self.broadcast.create(
            Content(texts, None, buttons), target, scheduled_at=when, key=key, kind="auto",
            expires_at=expires, check_permission=False,
        )

    async def _plan_calendar(self, now: dt.datetime) -> list[int]:
        out: list[int] = []
        local_year = now.astimezone(self.tz).year
        for occ in calendar.occurrences(local_year):
            when = occ.announce_at
            if when is None:
                continue
            # Created from a day before until the announcement day ends; never a stale one.
            if not (when - dt.timedelta(days=1) <= now < occ.ends_at and now < when + dt.timedelta(hours=14)):
                continue
            texts = {}
            for loc in SUPPORTED_LOCALES:
                t = translator(loc)
                texts[loc] = (
                    f"📅 <b>{esc(occ.entry.text('title', loc))}</b>\n"
                    f"{esc(self._when_text(t, occ.starts_at, occ.ends_at, True))}\n\n"
                    f"{esc(occ.entry.text('description', loc))}\n\n<i>{esc(occ.entry.source)}</i>"
                )
            buttons = ((LinkButton({loc: translator(loc).gettext("📅 Add to calendar") for loc in SUPPORTED_LOCALES},
                                   data=Ics("c", occ.entry.id).pack()),),)
            cid = await self._create_auto(
                f"cal:{occ.entry.id}:{occ.first_day.year}", texts, Target(topic=TOPIC_EVENTS),
                when, when + dt.timedelta(hours=14), buttons,
            )
            if cid:
                out.append(cid)
        return out

    async def _plan_reminders(self, now: dt.datetime) -> list[int]:
        out: list[int] = []
        ts = int(now.timestamp())
        rows = await repo.starting_between(self.db, ts, ts + REMIND_DAY + 15 * 60)
        for row in rows:
            e = Event.from_row(row)
            start = int(e.starts_at.timestamp())
            target = Target(
                province=e.province_code if e.scope in (WARD, PROVINCE) else None,
                ward=e.ward_code if e.scope == WARD else None,
                topic=TOPIC_EVENTS,
            )
            for label, ahead in (("day", REMIND_DAY), ("hour", REMIND_HOUR)):
                send_at = start - ahead
                # The day reminder only makes sense until the hour reminder takes over.
                latest = start - 12 * 3600 if label == "day" else start - 5 * 60
                if ts < send_at - 15 * 60 or ts >= latest:
                    continue
                texts = {loc: self._reminder_text(translator(loc), e, label) for loc in SUPPORTED_LOCALES}
                buttons = ((
                    LinkButton({loc: translator(loc).gettext("ℹ️ Details") for loc in SUPPORTED_LOCALES}, data=ViewEvent(e.id).pack()),
                    LinkButton({loc: translator(loc).gettext("📅 Add to calendar") for loc in SUPPORTED_LOCALES}, data=Ics("e", str(e.id)).pack()),
                ),)
                cid = await self._create_auto(
                    f"remind:{e.id}:{label}:{start}", texts, target,
                    dt.datetime.fromtimestamp(max(send_at, ts), dt.UTC),
                    dt.datetime.fromtimestamp(latest, dt.UTC), buttons,
                )
                if cid:
                    out.append(cid)
        return out

    async def _plan_weekly_fact(self, now: dt.datetime) -> list[int]:
        """Monday 09:00 local: the fact of the week to subscribers of the 'fact' topic."""
        if self.content is None:
            return []
        local = now.astimezone(self.tz)
        monday = local.date() - dt.timedelta(days=local.isoweekday() - 1)
        when = dt.datetime.combine(monday, dt.time(9, 0), self.tz)
        if not (when <= now < when + dt.timedelta(hours=12)):
            return []
        texts: dict[str, str] = {}
        for loc in SUPPORTED_LOCALES:
            fact = self.content.did_you_know(loc, monday)
            if fact is None:
                return []
            heading = translator(loc).gettext("💡 Did you know?")
            texts[loc] = f"<b>{esc(heading)}</b>\n\n{fact.html}\n\n<i>{esc(fact.source.label())}</i>"
        iso = monday.isocalendar()
        cid = await self._create_auto(
            f"fact:{iso.year}-W{iso.week:02d}", texts, Target(topic=TOPIC_FACTS), when,
            when + dt.timedelta(hours=12),
        )
        return [cid] if cid else []

    # -- quiz contest announcements -----------------------------------------------------------
    async def announce_contest(
        self, user_id: int, contest: Any, scope: str, code: str, link: str, *,
        progress_chat: int | None = None, admin_locale: str | None = None,
    ) -> tuple[int, int]:
        """A campaign to the 'quiz contests' subscribers of one area, with a button that opens
        the contest's join link. Only the contest's owner, and only for an area where they may
        create events (a ward officer their ward, a province admin their province or its
        wards, a national admin anywhere); once per contest and area; it expires when the
        contest ends. Returns (campaign id, recipients now)."""
        if self.broadcast is None:
            raise EventError(N_("Announcements are not available."))
        if contest.owner_id != user_id:
            raise EventError(N_("This contest does not exist or is not yours."))
        if not await self.allows_scope(user_id, scope, code):
            raise EventError(N_("You cannot announce to this area."))
        now = self.clock.timestamp()
        if contest.ends_at <= now:
            raise EventError(N_("This contest has ended."))
        # (a ward target gets its province from BroadcastService.normalise_target)
        target = Target(province=code if scope == PROVINCE else None,
                        ward=code if scope == WARD else None, topic=TOPIC_QUIZ)
        option = ScopeOption(scope, code)
        texts = {loc: self._contest_text(translator(loc), contest, option) for loc in SUPPORTED_LOCALES}
        join = LinkButton(
            {loc: translator(loc).gettext("🎯 Join the contest") for loc in SUPPORTED_LOCALES},
            url=link,
        )
        cid = await self.broadcast.create(
            Content(texts, None, ((join,),), admin_locale=admin_locale), target,
            key=f"contest:{contest.id}:{option.data}", kind="contest", created_by=user_id,
            expires_at=dt.datetime.fromtimestamp(contest.ends_at, dt.UTC),
            progress_chat=progress_chat, check_permission=False,
        )
        if cid is None:
            raise EventError(N_("This contest was already announced to this area."))
        return cid, await self.broadcast.count_recipients(target)

    def _contest_text(self, t: Translator, contest: Any, option: ScopeOption) -> str:
        _ = t.gettext
        starts = dt.datetime.fromtimestamp(contest.starts_at, dt.UTC)
        ends = dt.datetime.fromtimestamp(contest.ends_at, dt.UTC)
        return "\n".join([
            _("🧠 <b>Quiz contest:</b> {title}").format(title=esc(contest.title)),
            "🕒 " + esc(self._when_text(t, starts, ends, False)),
            "🗺 " + esc(option.label(t)),
            "",
            _("{n} questions. Join with the button below, or send /join {code} to the bot.").format(
                n=len(contest.question_ids), code=esc(contest.code)),
        ])

    # -- text ---------------------------------------------------------------------------------------
    def _when_text(self, t: Translator, starts: dt.datetime, ends: dt.datetime, all_day: bool) -> str:
        if all_day:
            last = (ends - dt.timedelta(seconds=1))
            if starts.astimezone(self.tz).date() == last.astimezone(self.tz).date():
                return t.date(starts, "full")
            return f"{t.date(starts, 'long')} – {t.date(last, 'long')}"
        same_day = starts.astimezone(self.tz).date() == ends.astimezone(self.tz).date()
        end_text = t.datetime(ends, "HH:mm") if same_day else t.datetime(ends, "short")
        return f"{t.datetime(starts, 'medium')} – {end_text}"

    def _reminder_text(self, t: Translator, e: Event, label: str) -> str:
        _ = t.gettext
        head = _("⏰ <b>Reminder:</b> {title}") if label == "day" else _("⏰ <b>Starting soon:</b> {title}")
        lines = [head.format(title=esc(e.title)), esc(self._when_text(t, e.starts_at, e.ends_at, False))]
        if e.place:
            lines.append("📍 " + esc(e.place))
        if e.area():
            lines.append("🗺 " + esc(e.area()))
        return "\n".join(lines)

    def list_screen(self, t: Translator, items: list[Listed], area: str, *, can_create: bool,
                    subscribed: bool, page: int = 0,
                    nav: Callable[[int], Action] = ListEvents) -> Screen:
        """One page of `items` (all upcoming entries); `nav(page)` is the action of the
        Previous/Next buttons (the handler re-validates the page number)."""
        _ = t.gettext
        pages = max(1, min(MAX_PAGES, (len(items) + PER_PAGE - 1) // PER_PAGE))
        page = max(0, min(page, pages - 1))
        items = items[page * PER_PAGE : (page + 1) * PER_PAGE]
        lines = [_("📅 <b>Upcoming events</b>")]
        lines.append(
            _("Your area: {area}").format(area=esc(area)) if area
            else _("Choose your area to see local events first.")
        )
        lines.append("")
        rows: list[list[Button]] = []
        for item in items:
            when = self._when_text(t, item.starts_at, item.ends_at, item.all_day)
            where = f" — {esc(item.area)}" if item.area else ""
            lines.append(f"• <b>{esc(item.title)}</b>\n  {esc(when)}{where}")
            action = ViewEvent(int(item.ref)) if item.kind == "local" else ViewCalendar(item.ref)
            rows.append([Button(item.title[:60], action=action)])
        if not items:
            lines.append(_("No upcoming events."))
        if pages > 1:
            lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=pages)]
            nav_row = []
            if page > 0:
                nav_row.append(Button(_("◀ Previous"), action=nav(page - 1)))
            if page + 1 < pages:
                nav_row.append(Button(_("Next ▶"), action=nav(page + 1)))
            rows.append(nav_row)
        rows.append([Button(_("📍 Choose area"), action=ChooseArea()),
                     Button(_("🔔 My subscription") if subscribed else _("🔔 Get updates"),
                            action=SubscriptionHome())])
        if can_create:
            rows.append([Button(_("➕ New event"), action=NewEvent())])
        rows.append([Button(_("⬅️ Main menu"), data="m:home")])
        return Screen("\n".join(lines), rows)

    def event_screen(self, t: Translator, e: Event, *, can_manage: bool) -> Screen:
        _ = t.gettext
        lines = [f"📅 <b>{esc(e.title)}</b>"]
        if e.cancelled:
            lines.append(_("❌ This event was cancelled."))
        lines.append("🕒 " + esc(self._when_text(t, e.starts_at, e.ends_at, False)))
        if e.place:
            lines.append("📍 " + esc(e.place))
        lines.append("🗺 " + esc(e.area() or t.gettext("Nationwide")))
        if e.description:
            lines += ["", esc(e.description)]
        rows = [[Button(_("📅 Add to calendar"), action=Ics("e", str(e.id)))]]
        if can_manage and not e.cancelled:
            rows.append([Button(_("✏️ Edit"), action=EditEvent(e.id)),
                         Button(_("❌ Cancel event"), action=CancelEvent(e.id))])
        rows.append([Button(_("⬅️ Events"), action=ListEvents())])
        return Screen("\n".join(lines), rows)

    def calendar_screen(self, t: Translator, occ: calendar.Occurrence) -> Screen:
        _ = t.gettext
        entry = occ.entry
        lines = [
            f"📅 <b>{esc(entry.text('title', t.locale))}</b>",
            "🕒 " + esc(self._when_text(t, occ.starts_at, occ.ends_at, True)),
            "🗺 " + esc(_("Nationwide")),
            "",
            esc(entry.text("description", t.locale)),
            "",
            "<i>" + esc(_("Source: {source}").format(source=entry.source)) + "</i>",
        ]
        rows = [[Button(_("📅 Add to calendar"), action=Ics("c", entry.id))],
                [Button(_("⬅️ Events"), action=ListEvents())]]
        return Screen("\n".join(lines), rows)

    def preview_text(self, t: Translator, draft: dict[str, Any]) -> str:
        _ = t.gettext
        starts = dt.datetime.fromtimestamp(int(draft["starts_at"]), dt.UTC)
        ends = dt.datetime.fromtimestamp(int(draft["ends_at"]), dt.UTC)
        option = ScopeOption(draft["scope"], draft["code"])
        lines = [
            _("<b>Check the event</b>"),
            "",
            f"📅 <b>{esc(draft['title'])}</b>",
            "🕒 " + esc(self._when_text(t, starts, ends, False)),
        ]
        if draft.get("place"):
            lines.append("📍 " + esc(draft["place"]))
        lines.append("🗺 " + esc(option.label(t)))
        if draft.get("description"):
            lines += ["", esc(draft["description"])]
        if draft.get("photo"):
            lines += ["", _("🖼 With a photo")]
        return "\n".join(lines)


# -- jobs ---------------------------------------------------------------------------------------
async def plan_automatic_job(bot: Any, runtime: Any) -> None:
    """Create due automatic campaigns (calendar, reminders, weekly fact), then start sending."""
    svc: EventService | None = runtime.services.events
    if svc is None:
        return
    await svc.plan_automatic()
    if svc.broadcast is not None:
        await svc.broadcast.tick()
