"""Report figures (issue 17): one service computes them, every channel shows them.

Who may see what is checked here on every call: an officer sees the units they serve, a
province admin their provinces (and the units in them), a national admin everything.

Small counts: every people-count cell (tips, participants, answers, subscribers, deliveries)
between 1 and `min_count - 1` is hidden, and so is a total below the threshold. Where a hidden
cell could be worked out from a line's shown total (total minus the shown cells), further cells
are hidden too (complementary suppression): each line then hides either nothing or at least two
cells, and the hidden cells of a line add up to at least `min_count`, so neither subtraction nor
knowing the rule pins a hidden cell down. Only suppressed figures leave this module: the raw
counts never reach a screen, a chart or a file. Events are public activities of the unit and
are not suppressed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Protocol

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.errors import UserError
from bot.i18n import N_, Translator
from bot.screens import esc
from bot.tips import CATEGORIES, OUTCOMES
from content.topics import topic_title
from storage import stats as repo
from storage import tips as tips_repo
from storage.db import Database

log = logging.getLogger(__name__)

Value = int | float | str | None
"""A shown cell: a number, NA ("—", nothing to measure), or None (hidden: a small count)."""
NA = "—"
MAX_TEXT = 4000  # a Telegram message holds 4096 characters


class StatsError(UserError):
    """A refusal or bad input; `message` is an English msgid."""


class Units(Protocol):
    async def get(self, unit_id: int) -> Any: ...
    async def is_officer(self, user_id: int, unit_id: int) -> bool: ...
    async def officer_units(self, user_id: int) -> list[Any]: ...
    def is_national_admin(self, user_id: int | None) -> bool: ...
    def national_admin_ids(self) -> list[int]: ...
    async def province_admin_of(self, user_id: int) -> set[str]: ...
    async def can_manage_province(self, user_id: int, province_code: int | str) -> bool: ...
    async def unit_for_group(self, chat_id: int) -> Any: ...


# -- small-count suppression (pure) ---------------------------------------------------------------
def suppress_line(values: Sequence[int], k: int, total_hidden: bool = False) -> list[bool]:
    """Which cells of a line to hide. `values` add up to the line's total, which is shown
    unless `total_hidden` (then every cell is hidden). Primary: 0 < v < k. Complementary: while
    a shown total would give away a hidden cell (exactly one hidden), or a reader who knows this
    rule could split the hidden cells' sum (less than k; or, all of them small, their sum is
    their number, 1 + 1 + 1 = 3, or its largest possible value, 2 + 2 = 4 for k = 3), also
    hide the smallest shown non-zero cell."""
    if total_hidden:  # a small total hides its whole line, zeros too: "hidden" then says
        return [True] * len(values)  # nothing about which cells are 0, 1 or 2
    hidden = [0 < v < k for v in values]
    if not any(hidden):
        return hidden
    while True:
        n_hidden = sum(hidden)
        hidden_sum = sum(v for v, h in zip(values, hidden, strict=True) if h)
        complementary = any(h and v >= k for v, h in zip(values, hidden, strict=True))
        if n_hidden >= 2 and k <= hidden_sum and n_hidden < hidden_sum and (
            complementary or hidden_sum < n_hidden * (k - 1)
        ):
            break
        candidates = [(v, i) for i, (v, h) in enumerate(zip(values, hidden, strict=True))
                      if not h and v > 0]
        if not candidates:
            break
        hidden[min(candidates)[1]] = True
    if not any(v > 0 and not h for v, h in zip(values, hidden, strict=True)):
        # Only zeros left shown: they would tell that the hidden cells share the whole total
        # (1 + 1 + 1 = 3). Hide them too.
        return [True] * len(values)
    return hidden


def small(v: int, k: int) -> bool:
    return 0 < v < k


# -- periods and scopes ---------------------------------------------------------------------------
PERIOD_KINDS = ("half", "year", "action", "recent")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def token(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


def period_for(kind: str, today: date) -> Period:
    """This half-year / this year so far, the last June (action month) that is over."""
    if kind == "half":
        return Period(kind, date(today.year, 1 if today.month <= 6 else 7, 1), today)
    if kind == "year":
        return Period(kind, date(today.year, 1, 1), today)
    if kind == "action":
        year = today.year if today.month >= 7 else today.year - 1
        return Period(kind, date(year, 6, 1), date(year, 6, 30))
    if kind == "recent":  # this month and the five before it (/tipstats)
        y, m = (today.year, today.month - 5) if today.month > 5 else (today.year - 1, today.month + 7)
        return Period(kind, date(y, m, 1), today)
    raise StatsError(N_("Unknown period."))


def parse_period(text: str, today: date) -> Period:
    """"01/01/2026 - 30/06/2026" (day/month/year); the end is cut to today."""
    m = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*(?:-|–|đến|to)\s*"
                     r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", text or "")
    if not m:
        raise StatsError(N_("Please write the period as dd/mm/yyyy - dd/mm/yyyy."))
    d = [int(x) for x in m.groups()]
    try:
        start, end = date(d[2], d[1], d[0]), date(d[5], d[4], d[3])
    except ValueError:
        raise StatsError(N_("One of these dates does not exist.")) from None
    if end < start:
        raise StatsError(N_("The period ends before it starts."))
    if end > today:
        end = today
    if start > today or start.year < 2000:
        raise StatsError(N_("The period must lie between 2000 and today."))
    return Period("custom", start, end)


@dataclass(frozen=True)
class Scope:
    token: str  # "a" | "p79" | "u12"
    kind: str  # "all" | "province" | "unit"
    name: str
    area: repo.Area
    province: str | None = None


# -- figures --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Value, ...]
    when: date | None = None  # a month row's first day (exports write it as a date)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: tuple[str, ...]  # the label column, then one per value
    rows: tuple[Row, ...]
    total: Row | None = None
    note: str = ""


@dataclass(frozen=True)
class Figures:
    scope: Scope
    period: Period
    min_count: int
    generated: datetime
    summary: str  # a short generated paragraph, in the reader's language
    tables: tuple[Table, ...]
    hidden_word: str = "x"
    charts: dict[str, tuple[tuple[str, ...], tuple[Value, ...]]] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def headline(self, key: str) -> Value:
        for row in self.table("summary").rows:
            if row.label == key:
                return row.values[0]
        raise KeyError(key)


@cache
def _bank_topics() -> dict[str, str]:
    try:
        from content.quiz_bank import load_bank

        return {q.id: q.topic for q in load_bank()}
    except Exception as exc:  # a broken bank must not break the report
        log.warning("quiz bank not readable for statistics: %s", type(exc).__name__)
        return {}


DELIVERY_STATUSES = (
    ("sent", N_("Delivered")),
    ("failed", N_("Failed")),
    ("blocked", N_("Blocked the bot")),
    ("skipped", N_("Skipped")),
    ("pending", N_("Pending")),
)


class StatsService:
    def __init__(self, db: Database, clock: Clock, settings: Settings, units: Units,
                 topic_of: Callable[[str], str | None] | None = None,
                 question_text: Callable[[str, str], str | None] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.units = units
        self._topic_of = topic_of
        self._question_text = question_text  # (question id, locale) -> the question's text

    @property
    def min_count(self) -> int:
        return max(1, int(self.settings.tips.stats_min_count))

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.timestamp(), self.settings.tz).date()

    def topic_of(self, question_id: str) -> str | None:
        if self._topic_of is not None:
            return self._topic_of(question_id)
        return _bank_topics().get(question_id)

    # -- permissions --------------------------------------------------------------------------
    async def scopes(self, actor_id: int, chat_id: int | str | None = None,
                     is_group: bool = False) -> list[Scope]:
        """What this person may see: in a unit's group, that unit (officers only); in private,
        everything (national admins), their provinces, and the units they serve."""
        if is_group:
            # A group is a unit's only where it is bound (Telegram groups, by chat id).
            unit = await self.units.unit_for_group(chat_id) if isinstance(chat_id, int) else None
            if unit is None or not await self.units.is_officer(actor_id, unit.id):
                raise StatsError(N_("Statistics are for officers of the unit bound to this group."))
            return [self._unit_scope(unit)]
        out: list[Scope] = []
        if self.units.is_national_admin(actor_id):
            out.append(self._all_scope())
        for code in sorted(await self.units.province_admin_of(actor_id)):
            out.append(self._province_scope(code))
        for unit in await self.units.officer_units(actor_id):
            out.append(self._unit_scope(unit))
        if not out:
            raise StatsError(N_("Statistics are only for police officers."))
        return out

    async def resolve(self, actor_id: int, token: str) -> Scope:
        """The scope a token names, if this person may see it (never trust the token)."""
        token = str(token or "")
        if token == "a":
            if self.units.is_national_admin(actor_id):
                return self._all_scope()
        elif token[:1] == "p" and token[1:].isdigit():
            province = directory.get_province(token[1:])
            if province is not None and await self.units.can_manage_province(actor_id, token[1:]):
                return self._province_scope(f"{province.code:02d}")
        elif token[:1] == "u" and token[1:].isdigit():
            unit = await self.units.get(int(token[1:]))
            if unit is not None and (
                await self.units.is_officer(actor_id, unit.id)
                or await self.units.can_manage_province(actor_id, unit.province_code)
            ):
                return self._unit_scope(unit)
        raise StatsError(N_("You may only see the figures of your own unit or province."))

    @staticmethod
    def _all_scope() -> Scope:
        return Scope("a", "all", "", repo.Area())

    @staticmethod
    def _province_scope(code: str) -> Scope:
        province = directory.get_province(code)
        name = province.name if province is not None else code
        return Scope(f"p{code}", "province", name, repo.Area(province=code), province=code)

    @staticmethod
    def _unit_scope(unit: Any) -> Scope:
        # Tips: those the unit received. Reach and events: the unit's ward or province.
        ward = str(unit.code) if unit.kind == "ward" else None
        province = str(unit.province_code)
        area = repo.Area(unit_id=int(unit.id), province=province, ward=ward)
        return Scope(f"u{unit.id}", "unit", str(unit.name), area, province=province)

    # -- the figures --------------------------------------------------------------------------
    def _bounds(self, period: Period) -> tuple[int, int, int]:
        tz = self.settings.tz
        start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=tz)
        end_day = period.end + timedelta(days=1)
        end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=tz)
        offset = int((start.utcoffset() or timedelta(0)).total_seconds())
        return int(start.timestamp()), int(end.timestamp()), offset

    async def figures(self, actor_id: int | None, token: str, period: Period, t: Translator,
                      *, audit: bool = True) -> Figures:
        """The figures of a scope for a period. `actor_id` None: the bot itself (automatic
        reports, whose recipients were checked when the report was created)."""
        if actor_id is None:
            scope = await self._scope_for_bot(token)
        else:
            scope = await self.resolve(actor_id, token)
        start, end, offset = self._bounds(period)
        tips = await repo.tip_figures(self.db, scope.area, start, end, offset)
        quiz = await repo.quiz_figures(self.db, scope.area, start, end)
        reach = await repo.reach_figures(self.db, scope.area, start, end)
        practice = await repo.practice_figures(self.db, scope.area, start, end)
        if audit and actor_id is not None:
            async with self.db.transaction() as conn:
                await tips_repo.audit(conn, self.clock.timestamp(), actor_id, None,
                                      scope.area.unit_id, "stats", f"{scope.token} {period.token}")
        return build_figures(t, scope, period, self.min_count, tips, quiz, reach,
                             self.topic_of, datetime.fromtimestamp(self.clock.timestamp(), UTC),
                             self._text_of(t), practice)

    def _text_of(self, t: Translator) -> Callable[[str], str | None] | None:
        question_text = self._question_text
        if question_text is None:
            return None
        return lambda qid: question_text(qid, t.locale)

    async def _scope_for_bot(self, token: str) -> Scope:
        if token.startswith("p") and directory.get_province(token[1:]) is not None:
            province = directory.get_province(token[1:])
            assert province is not None
            return self._province_scope(f"{province.code:02d}")
        if token.startswith("u") and token[1:].isdigit():
            unit = await self.units.get(int(token[1:]))
            if unit is not None:
                return self._unit_scope(unit)
        if token == "a":
            return self._all_scope()
        raise StatsError(N_("You may only see the figures of your own unit or province."))


# -- building the tables --------------------------------------------------------------------------
def _line(rows: Sequence[tuple[str, int, date | None]], k: int, total_hidden: bool,
          extra: Sequence[tuple[Value, ...]] | None = None) -> tuple[Row, ...]:
    """Rows of one line with the count column suppressed; `extra` columns (averages, shares)
    are hidden along with their row's count."""
    mask = suppress_line([n for _, n, _ in rows], k, total_hidden)
    out = []
    for i, ((label, n, when), hide) in enumerate(zip(rows, mask, strict=True)):
        more = extra[i] if extra else ()
        if hide:
            out.append(Row(label, (None, *([None] * len(more))), when))
        else:
            out.append(Row(label, (n, *more), when))
    return tuple(out)


def _count(n: int, k: int) -> Value:
    return None if small(n, k) else n


def _hours(seconds: int | None, n: int, k: int) -> Value:
    if n == 0 or seconds is None:
        return NA
    if n < k:  # the median of one or two tips is those tips' own times
        return None
    return round(seconds / 3600, 1)


def _months(start: date, end: date) -> list[date]:
    out = []
    d = date(start.year, start.month, 1)
    while d <= end:
        out.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def build_figures(t: Translator, scope: Scope, period: Period, k: int, tips: dict[str, Any],
                  quiz: dict[str, Any], reach: dict[str, Any],
                  topic_of: Callable[[str], str | None], generated: datetime,
                  text_of: Callable[[str], str | None] | None = None,
                  practice: dict[str, Any] | None = None) -> Figures:
    _ = t.gettext
    hidden_word = _("hidden")
    received = int(tips["received"])
    received_hidden = small(received, k)
    closed = int(tips["closed"])
    closed_hidden = small(closed, k)
    acknowledged = int(tips["acknowledged"])

    # Tips by outcome (total: closed).
    out_rows = [(t.gettext(text), int(tips["outcomes"].get(key, 0)), None) for key, text in OUTCOMES]
    known = {key for key, _t in OUTCOMES}
    other = sum(n for key, n in tips["outcomes"].items() if key not in known)
    if other:
        out_rows.append((_("Other"), other, None))
    outcome_line = _line(out_rows, k, closed_hidden)
    by_key = dict(zip([key for key, _t in OUTCOMES], outcome_line, strict=False))
    share: Value = NA
    if closed and not closed_hidden:
        spam, unfounded = by_key["spam"].values[0], by_key["unfounded"].values[0]
        if isinstance(spam, int) and isinstance(unfounded, int):
            share = round(100 * (spam + unfounded) / closed, 1)
        else:
            share = None

    cat_rows = [(t.gettext(text), int(tips["categories"].get(key, 0)), None)
                for key, text in CATEGORIES]
    cat_known = {key for key, _t in CATEGORIES}
    cat_other = sum(n for key, n in tips["categories"].items() if key not in cat_known)
    if cat_other:
        cat_rows.append((_("Other"), cat_other, None))

    ward_rows = []
    for code, n in sorted(tips["wards"].items()):
        ward = directory.get_ward(code)
        ward_rows.append((ward.name if ward is not None else str(code), int(n), None))

    months = _months(period.start, period.end)
    month_rows = [(t.date(m, "MM/yyyy"), int(tips["months"].get(f"{m:%Y-%m}", 0)), m) for m in months]

    edges = repo.ACK_BUCKETS_H
    bucket_labels = [_("under {h} h").format(h=t.number(edges[0]))]
    bucket_labels += [
        _("{a}–{b} h").format(a=t.number(a), b=t.number(b)) for a, b in pairwise(edges)
    ]
    bucket_labels.append(_("{h} h or more").format(h=t.number(edges[-1])))
    ack_rows = [(label, int(tips["ack_hist"].get(i, 0)), None) for i, label in enumerate(bucket_labels)]
    ack_hidden = small(acknowledged, k)

    # Quiz.
    participants = int(quiz["participants"])
    part_hidden = small(participants, k)
    contest_rows = [(title, n, None) for _id, title, _at, n, _avg in quiz["by_contest"]]
    contest_extra: list[tuple[Value, ...]] = [
        (NA if avg is None else round(avg, 1),) for *_x, avg in quiz["by_contest"]
    ]
    topic_totals: dict[str, list[int]] = {}
    for qid, (n, ok) in quiz["questions"].items():
        topic = topic_of(qid) or _("Other")
        acc = topic_totals.setdefault(topic, [0, 0])
        acc[0] += n
        acc[1] += ok
    topic_rows = [(topic_title(tp, t.locale), n, None)
                  for tp, (n, _ok) in sorted(topic_totals.items())]
    topic_extra: list[tuple[Value, ...]] = [
        (round(100 * ok / n, 1) if n else NA,) for _tp, (n, ok) in sorted(topic_totals.items())
    ]
    answers_total = sum(n for n, _ok in topic_totals.values())
    # Item difficulty: only questions answered at least k times, and only the share correct
    # (no counts), so a question's answers cannot be worked out from its topic's row.
    items = sorted(
        ((round(100 * ok / n, 1), qid) for qid, (n, ok) in quiz["questions"].items() if n >= k),
    )[:20]
    item_rows = tuple(
        Row(_question_label(qid, text_of),
            (topic_title(topic_of(qid) or "", t.locale), pct))
        for pct, qid in items
    )
    score_labels = [f"{20 * i}–{20 * (i + 1)} %" for i in range(repo.SCORE_BUCKETS)]
    score_rows = [(label, int(quiz["score_hist"].get(i, 0)), None) for i, label in enumerate(score_labels)]
    scored = sum(quiz["score_hist"].values())

    # Practice rounds (anonymous rows, national only: they hold no person and no place).
    practice = practice or {"rounds": 0, "questions": 0, "correct": 0, "by_topic": {},
                            "national": False}
    rounds = int(practice["rounds"])
    rounds_hidden = small(rounds, k)
    practice_topics = sorted(practice["by_topic"].items())
    practice_rows = [(_("Mixed") if tp == "mix" else topic_title(tp, t.locale), n, None)
                     for tp, (n, _q, _ok) in practice_topics]
    practice_extra: list[tuple[Value, ...]] = [
        (round(100 * ok / q, 1) if q else NA,) for _tp, (_n, q, ok) in practice_topics
    ]
    practice_avg: Value = NA
    if not practice["national"]:
        rounds_value: Value = NA
    else:
        rounds_value = _count(rounds, k)
        if practice["questions"]:
            practice_avg = None if rounds_hidden else round(
                100 * int(practice["correct"]) / int(practice["questions"]), 1)

    # Reach.
    deliveries = reach["deliveries"]
    delivery_total = sum(int(n) for n in deliveries.values())
    delivery_rows = [(t.gettext(text), int(deliveries.get(key, 0)), None) for key, text in DELIVERY_STATUSES]

    event_rows = []
    for key, n in sorted(reach["events"].items()):
        if key == "national":
            label = _("Nationwide")
        elif len(key) == 2:
            province = directory.get_province(key)
            label = _("{province} (province-wide)").format(
                province=province.name if province is not None else key)
        else:
            ward = directory.get_ward(key)
            label = ward.name if ward is not None else str(key)
        event_rows.append(Row(label, (int(n),)))
    events_total = sum(int(n) for n in reach["events"].values())

    def total(n: int, hidden: bool) -> Row:
        return Row(_("Total"), (None if hidden else n,))

    summary_rows = (
        Row("received", (_count(received, k),)),
        Row("acknowledged", (_count(acknowledged, k),)),
        Row("closed", (_count(closed, k),)),
        Row("prank_share", (share,)),
        Row("ack_p50_h", (_hours(tips["ack_p50"], tips["ack_n"], k),)),
        Row("ack_p90_h", (_hours(tips["ack_p90"], tips["ack_n"], k),)),
        Row("close_p50_h", (_hours(tips["close_p50"], tips["close_n"], k),)),
        Row("close_p90_h", (_hours(tips["close_p90"], tips["close_n"], k),)),
        Row("reminded", (_count(int(tips["reminded"]), k),)),
        Row("escalated", (_count(int(tips["escalated"]), k),)),
        Row("contests", (int(quiz["contests"]),)),
        Row("participants", (_count(participants, k),)),
        Row("avg_percent", (NA if quiz["avg_percent"] is None else
                            None if part_hidden else round(quiz["avg_percent"], 1),)),
        Row("practice_rounds", (rounds_value,)),
        Row("practice_percent", (practice_avg,)),
        Row("subscribers", (_count(int(reach["subscribers"]), k),)),
        Row("new_subscribers", (_count(int(reach["new_subscribers"]), k),)),
        Row("campaigns", (int(reach["campaigns"]),)),
        Row("events", (events_total,)),
    )
    labels = summary_labels(t)
    summary_table = Table(
        "summary", _("Key figures"), (_("Figure"), _("Value")),
        tuple(Row(labels[r.label], r.values) for r in summary_rows),
    )
    count_h = _("Number")
    tables = [
        summary_table,
        Table("tips_by_month", _("Tips by month"), (_("Month"), count_h),
              _line(month_rows, k, received_hidden), total(received, received_hidden)),
        Table("tips_by_outcome", _("Closed tips by outcome"), (_("Outcome"), count_h),
              outcome_line, total(closed, closed_hidden)),
        Table("tips_by_category", _("Tips by category"), (_("Category"), count_h),
              _line(cat_rows, k, received_hidden), total(received, received_hidden)),
        Table("tips_by_ward", _("Tips by commune/ward"), (_("Commune/ward"), count_h),
              _line(ward_rows, k, received_hidden), total(received, received_hidden)),
        Table("ack_time", _("Time to acknowledge"), (_("Time"), count_h),
              _line(ack_rows, k, ack_hidden), total(acknowledged, ack_hidden)),
        Table("quiz_contests", _("Quiz contests"), (_("School / contest"), _("Participants"),
                                                      _("Average score")),
              _line(contest_rows, k, part_hidden, contest_extra), total(participants, part_hidden)),
        Table("quiz_topics", _("Quiz answers by topic"), (_("Topic"), _("Answers"),
                                                          _("Correct (%)")),
              _line(topic_rows, k, small(answers_total, k), topic_extra),
              total(answers_total, small(answers_total, k))),
        Table("quiz_items", _("Hardest questions"), (_("Question"), _("Topic"), _("Correct (%)")),
              item_rows, note=_("Questions answered at least {n} times.").format(n=k)),
        Table("quiz_scores", _("Quiz scores"), (_("Correct answers"), _("Participants")),
              _line(score_rows, k, small(scored, k)), total(scored, small(scored, k))),
        Table("quiz_practice", _("Quiz practice rounds by topic"),
              (_("Topic"), _("Rounds"), _("Correct (%)")),
              _line(practice_rows, k, rounds_hidden, practice_extra),
              total(rounds, rounds_hidden),
              note=_("Practice rounds are stored without any person or place, so they are "
                     "counted for the whole country only.")),
        Table("broadcasts", _("Broadcast reach"), (_("Delivery"), count_h),
              _line(delivery_rows, k, small(delivery_total, k)),
              total(delivery_total, small(delivery_total, k))),
        Table("events", _("Events held by area"), (_("Area"), _("Events")), tuple(event_rows),
              Row(_("Total"), (events_total,))),
    ]
    figures_tables = tuple(tables)
    charts = {
        "trend": _series(figures_tables, "tips_by_month"),
        "outcomes": _series(figures_tables, "tips_by_outcome"),
        "ack_time": _series(figures_tables, "ack_time"),
        "quiz_scores": _series(figures_tables, "quiz_scores"),
    }
    fig = Figures(scope, period, k, generated, "", figures_tables, hidden_word, charts)
    return Figures(scope, period, k, generated, summary_text(t, fig), figures_tables, hidden_word,
                   charts)


def _question_label(qid: str, text_of: Callable[[str], str | None] | None) -> str:
    text = text_of(qid) if text_of is not None else None
    if not text:
        return qid
    text = " ".join(text.split())
    return f"{qid}: {text[:80]}{'…' if len(text) > 80 else ''}"


def _series(tables: tuple[Table, ...], key: str) -> tuple[tuple[str, ...], tuple[Value, ...]]:
    table = next(t for t in tables if t.key == key)
    return tuple(r.label for r in table.rows), tuple(r.values[0] for r in table.rows)


def summary_labels(t: Translator) -> dict[str, str]:
    _ = t.gettext
    return {
        "received": _("Tips received"),
        "acknowledged": _("Tips acknowledged"),
        "closed": _("Tips closed"),
        "prank_share": _("Closed as prank or unfounded (%)"),
        "ack_p50_h": _("Time to acknowledge, median (hours)"),
        "ack_p90_h": _("Time to acknowledge, 90th percentile (hours)"),
        "close_p50_h": _("Time to close, median (hours)"),
        "close_p90_h": _("Time to close, 90th percentile (hours)"),
        "reminded": _("Reminders sent"),
        "escalated": _("Escalations"),
        "contests": _("Quiz contests"),
        "participants": _("Contest participants"),
        "avg_percent": _("Average share of correct answers (%)"),
        "practice_rounds": _("Quiz practice rounds (whole country only)"),
        "practice_percent": _("Practice: average share of correct answers (%)"),
        "subscribers": _("Active subscribers"),
        "new_subscribers": _("New subscribers in the period"),
        "campaigns": _("Broadcast campaigns"),
        "events": _("Events held"),
    }


def headline(fig: Figures, t: Translator, key: str) -> Value:
    return next(r.values[0] for r in fig.table("summary").rows if r.label == summary_labels(t)[key])


def cell(t: Translator, value: Value, hidden_word: str) -> str:
    if value is None:
        return hidden_word
    if isinstance(value, str):
        return value
    return t.number(value)


def scope_name(t: Translator, scope: Scope) -> str:
    return scope.name or t.gettext("whole country")


def period_text(t: Translator, period: Period) -> str:
    return t.gettext("{start} – {end}").format(start=t.date(period.start, "dd/MM/yyyy"),
                                              end=t.date(period.end, "dd/MM/yyyy"))


def summary_text(t: Translator, fig: Figures) -> str:
    """Two or three plain sentences for the report's head (no HTML)."""
    _ = t.gettext
    h = {key: headline(fig, t, key) for key in summary_labels(t)}
    w = fig.hidden_word
    parts = [
        _("From {start} to {end}, {unit} received {received} tips through the bot; "
          "{acknowledged} were acknowledged and {closed} closed.").format(
            start=t.date(fig.period.start, "dd/MM/yyyy"), end=t.date(fig.period.end, "dd/MM/yyyy"),
            unit=scope_name(t, fig.scope), received=cell(t, h["received"], w),
            acknowledged=cell(t, h["acknowledged"], w), closed=cell(t, h["closed"], w)),
    ]
    if isinstance(h["ack_p50_h"], float):
        parts.append(_("Half of the tips were acknowledged within {h} hours.").format(
            h=t.number(h["ack_p50_h"])))
    if h["contests"]:
        parts.append(_("{contests} quiz contests were held with {participants} participants.")
                     .format(contests=cell(t, h["contests"], w),
                             participants=cell(t, h["participants"], w)))
    parts.append(_("{events} awareness events were held; {campaigns} broadcast campaigns were "
                   "sent.").format(events=cell(t, h["events"], w),
                                   campaigns=cell(t, h["campaigns"], w)))
    if any(r.values[0] is None for tb in fig.tables for r in tb.rows):
        parts.append(_("Cells marked “{w}” are hidden so that no small count can point at a "
                       "person.").format(w=w))
    return " ".join(parts)


def report_text(t: Translator, fig: Figures, *, months: int | None = None,
                short: bool = False) -> str:
    """The figures as a chat message (HTML). `months`: show only the last N months."""
    _ = t.gettext
    w = fig.hidden_word
    lines = [
        _("📊 <b>Report — {unit}</b>").format(unit=esc(scope_name(t, fig.scope))),
        _("Period: {period}").format(period=esc(period_text(t, fig.period))),
        "",
        esc(fig.summary),
        "",
    ]
    for row in fig.table("summary").rows:
        lines.append(esc(f"• {row.label}: {cell(t, row.values[0], w)}"))
    keys = ["tips_by_outcome", "tips_by_category", "tips_by_month"]
    if not short:
        keys += ["tips_by_ward", "quiz_contests", "quiz_practice", "broadcasts", "events"]
    for key in keys:
        table = fig.table(key)
        rows = [r for r in table.rows if r.values[0] != 0]
        if key == "tips_by_month" and months:
            rows = list(table.rows[-months:])
        if not rows:
            continue
        lines += ["", f"<b>{esc(table.title)}</b>"]
        shown = rows[:30]
        for r in shown:
            extra = "".join(f" · {cell(t, v, w)}" for v in r.values[1:])
            lines.append(esc(f"  • {r.label}: {cell(t, r.values[0], w)}{extra}"))
        if len(rows) > len(shown):
            lines.append(esc("  " + _("… and {n} more (see the spreadsheet)").format(
                n=len(rows) - len(shown))))
    while len(lines) > 1 and len("\n".join(lines)) > MAX_TEXT:  # one chat message
        lines.pop()
        lines[-1] = "…"
    return "\n".join(lines)
