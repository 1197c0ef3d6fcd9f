"""Subscriptions: explicit opt-in to broadcasts, by area, topics and language.

A subscription exists only after the person pressed "Subscribe"; it creates their user record
(so /deleteme erases it, with everything else). Unsubscribing deletes it. People who block the
bot are marked inactive (and skipped) until they write to the bot again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import directory
from bot.broadcast import (
    ALL_TOPICS,
    TOPIC_EVENTS,
    TOPIC_FACTS,
    TOPIC_NAMES,
    TOPIC_QUIZ,
    Unsubscribe,
)
from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES
from bot.engine.actions import Action
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.screens import Button, Screen, esc
from bot.users import UserService
from storage import subscriptions as repo
from storage.db import Database

TOPIC_ORDER = (TOPIC_EVENTS, TOPIC_FACTS, TOPIC_QUIZ)
WARDS_PER_PAGE = 12

# Pickers shared by subscriptions, broadcasts, events and the quiz: each feature says which of
# its actions a chosen province / ward / page is. Features not yet on the engine still pass a
# callback-data prefix (str) instead; both give the same packed strings.
Pick = Callable[[str], Action] | str
PageOf = Callable[[str, int], Action] | None
Target = Action | str


def _choice(label: str, pick: Pick, code: str) -> Button:
    if isinstance(pick, str):
        return Button(label, data=f"{pick}:{code}")
    return Button(label, action=pick(code))


def _to(label: str, target: Target) -> Button:
    return Button(label, data=target) if isinstance(target, str) else Button(label, action=target)


def _page_button(label: str, pick: Pick, page_of: PageOf, province: str, page: int) -> Button:
    if page_of is not None:
        return Button(label, action=page_of(province, page))
    assert isinstance(pick, str)
    return Button(label, data=f"{pick}pg:{province}:{page}")


# -- the subscription screens' actions (packed as the callback data buttons already carry) --
class Home(Action, prefix="sub:home"):
    pass


class NewArea(Action, prefix="sub:new"):
    pass


class PickProvince(Action, prefix="sub:p"):
    code: str


class WardPage(Action, prefix="sub:wpg"):
    province: str
    page: int


class PickWard(Action, prefix="sub:w"):
    code: str  # a ward code, or "-<province>" for the whole province


class Choice(Action, prefix="sub:c"):
    province: str
    ward: str  # "-" for the whole province
    topics: int
    locale: str


class Subscribe(Action, prefix="sub:ok"):
    province: str
    ward: str
    topics: int
    locale: str


class Topics(Action, prefix="sub:t"):
    topics: int


@dataclass(frozen=True)
class Subscription:
    user_id: int
    province_code: str
    ward_code: str | None
    topics: int
    active: bool
    locale: str

    def area_label(self) -> str:
        return area_label(self.province_code, self.ward_code)


def province_key(code: int | str | None) -> str | None:
    try:
        c = int(str(code))
    except (TypeError, ValueError):
        return None
    return f"{c:02d}" if directory.get_province(c) is not None else None


def ward_key(code: int | str | None, province: str | None = None) -> str | None:
    try:
        c = int(str(code))
    except (TypeError, ValueError):
        return None
    ward = directory.get_ward(c)
    if ward is None or (province is not None and f"{ward.province_code:02d}" != province):
        return None
    return f"{c:05d}"


def area_label(province: str | None, ward: str | None) -> str:
    if ward:
        unit = directory.get_ward(ward)
        if unit is not None:
            return f"{unit.name}, {unit.province_name}"
    if province:
        p = directory.get_province(province)
        if p is not None:
            return p.name
    return ""


class SubscriptionService:
    def __init__(self, db: Database, clock: Clock, users: UserService) -> None:
        self.db = db
        self.clock = clock
        self.users = users

    async def get(self, user_id: int) -> Subscription | None:
        row = await repo.get(self.db, user_id)
        if row is None:
            return None
        return Subscription(
            int(row["user_id"]), str(row["province_code"]), row["ward_code"], int(row["topics"]),
            bool(row["active"]), row["locale"] or self.users.default_locale,
        )

    async def subscribe(
        self, user_id: int, province: str, ward: str | None, topics: int, locale: str
    ) -> Subscription:
        prov = province_key(province)
        if prov is None:
            raise ValueError("unknown province")
        wk = ward_key(ward, prov) if ward else None
        if ward and wk is None:
            raise ValueError("ward not in province")
        topics &= ALL_TOPICS
        if locale not in SUPPORTED_LOCALES:
            locale = self.users.default_locale
        await self.users.set_locale(user_id, locale)  # creates the user record, updates the cache
        await repo.upsert(self.db, user_id, locale, prov, wk, topics, self.clock.timestamp())
        sub = await self.get(user_id)
        assert sub is not None
        return sub

    async def set_topics(self, user_id: int, topics: int) -> bool:
        return bool(await repo.set_topics(self.db, user_id, topics & ALL_TOPICS, self.clock.timestamp()))

    async def unsubscribe(self, user_id: int) -> bool:
        return bool(await repo.delete(self.db, user_id))

    async def mark_blocked(self, user_id: int) -> bool:
        return bool(await repo.set_active(self.db, user_id, False, self.clock.timestamp()))

    async def mark_back(self, user_id: int) -> bool:
        """The person unblocked the bot or wrote to it again: deliver to them again."""
        return bool(await repo.set_active(self.db, user_id, True, self.clock.timestamp()))

    async def forget(self, user_id: int) -> None:
        await repo.delete(self.db, user_id)

    async def totals(self) -> tuple[int, int]:
        return await repo.totals(self.db)


# -- screens ----------------------------------------------------------------------------------
def topics_text(t: Translator, topics: int) -> str:
    names = [t.gettext(TOPIC_NAMES[bit]) for bit in TOPIC_ORDER if topics & bit]
    return ", ".join(names) if names else "—"


def intro_screen(t: Translator) -> Screen:
    _ = t.gettext
    text = _(
        "🔔 <b>Get updates</b>\n\n"
        "Subscribe to hear about events in your area (for example during the June action month), "
        "a short awareness fact each week and quiz contests. You choose the area, the topics and "
        "the language; every message has an unsubscribe button.\n\n"
        "The bot keeps your Telegram id, area, topics and language only while you are "
        "subscribed. /deleteme erases it.\n\n"
        "First, choose your province or city:"
    )
    return Screen(text, province_buttons(PickProvince))


def province_buttons(pick: Pick, allowed: set[str] | None = None) -> list[list[Button]]:
    buttons = [
        _choice(p.short_name, pick, f"{p.code:02d}")
        for p in directory.provinces()
        if allowed is None or f"{p.code:02d}" in allowed
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def ward_page(t: Translator, province: str, page: int, pick: Pick, whole_or_pages: Any,
              whole: Target | None = None) -> Screen:
    """Wards of a province, paged, with a "whole province" choice and a search hint."""
    _ = t.gettext
    wards = directory.wards_of(province)
    pages = max(1, (len(wards) + WARDS_PER_PAGE - 1) // WARDS_PER_PAGE)
    page = max(0, min(page, pages - 1))
    chunk = wards[page * WARDS_PER_PAGE : (page + 1) * WARDS_PER_PAGE]
    # (pick, page_of, whole) with actions; (prefix, whole) with callback-data strings.
    page_of: PageOf = whole_or_pages if whole is not None else None
    whole_target: Target = whole if whole is not None else whole_or_pages
    rows = [[_to(_("📍 The whole province"), whole_target)]]
    buttons = [_choice(w.short_name, pick, f"{w.code:05d}") for w in chunk]
    rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    nav = []
    if page > 0:
        nav.append(_page_button("◀", pick, page_of, province, page - 1))
    if page + 1 < pages:
        nav.append(_page_button("▶", pick, page_of, province, page + 1))
    if nav:
        rows.append(nav)
    p = directory.get_province(province)
    text = _(
        "<b>{province}</b>: choose your commune/ward, or type its name (page {page} of {pages}). "
        "You can also follow the whole province."
    ).format(province=esc(p.name if p else province), page=page + 1, pages=pages)
    return Screen(text, rows)


def search_results(t: Translator, query: str, province: str, pick: Pick, whole: Target) -> Screen:
    _ = t.gettext
    found = directory.search(query, province_code=province, limit=8)
    rows = [[_choice(c.unit.name, pick, f"{c.unit.code:05d}")] for c in found]
    rows.append([_to(_("📍 The whole province"), whole)])
    if not found:
        return Screen(
            _("No commune/ward matches “{query}”. Try again or choose the whole province.").format(
                query=esc(query)
            ),
            rows,
        )
    return Screen(_("Which one do you mean?"), rows)


def confirm_screen(t: Translator, province: str, ward: str | None, topics: int, locale: str) -> Screen:
    """Topic toggles, language and the Subscribe button; all state is in the callback data."""
    _ = t.gettext
    w = ward or "-"
    rows = []
    for bit in TOPIC_ORDER:
        mark = "✅" if topics & bit else "⬜"
        rows.append([
            Button(f"{mark} {_(TOPIC_NAMES[bit])}", action=Choice(province, w, topics ^ bit, locale))
        ])
    rows.append([
        Button(("● " if locale == "vi" else "") + "🇻🇳 Tiếng Việt", action=Choice(province, w, topics, "vi")),
        Button(("● " if locale == "en" else "") + "🇬🇧 English", action=Choice(province, w, topics, "en")),
    ])
    rows.append([Button(_("🔔 Subscribe"), action=Subscribe(province, w, topics, locale))])
    rows.append([Button(_("⬅️ Change area"), action=NewArea())])
    text = _(
        "<b>Your subscription</b>\n\nArea: {area}\nTopics: {topics}\n\n"
        "Choose a topic to switch it on or off, choose the language, then Subscribe."
    ).format(area=esc(area_label(province, ward)), topics=esc(topics_text(t, topics)))
    return Screen(text, rows)


def status_screen(t: Translator, sub: Subscription, notice: str = "") -> Screen:
    _ = t.gettext
    lines = [notice, ""] if notice else []
    lines += [
        _("🔔 <b>You are subscribed</b>"),
        _("Area: {area}").format(area=esc(sub.area_label())),
        _("Topics: {topics}").format(topics=esc(topics_text(t, sub.topics))),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(sub.locale, "English")),
    ]
    if not sub.active:
        lines.append(_("(Paused because the bot could not reach you; it resumes now that you are back.)"))
    rows = []
    for bit in TOPIC_ORDER:
        mark = "✅" if sub.topics & bit else "⬜"
        rows.append([Button(f"{mark} {_(TOPIC_NAMES[bit])}", action=Topics(sub.topics ^ bit))])
    rows.append([Button(_("📍 Change area or language"), action=NewArea())])
    rows.append([Button(_("🔕 Unsubscribe"), action=Unsubscribe())])
    rows.append([Button(_("📅 Events"), data="ev:l"), Button(_("⬅️ Main menu"), data="m:home")])
    return Screen("\n".join(lines), rows)


def unsubscribed_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("🔕 You are unsubscribed. The bot will not send you broadcasts any more, and your area "
          "and topics were deleted."),
        [[Button(_("🔔 Subscribe again"), action=NewArea())]],
    )
