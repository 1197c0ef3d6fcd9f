"""Events: /events (your area first), event details, .ics downloads, the officers' wizard to
create, edit and cancel local events. Rules and permissions live in bot.events (re-checked
there on every action)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import directory
from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Photo, Text
from bot.engine.router import Router
from bot.events import (
    CancelEvent,
    ChooseArea,
    EditEvent,
    EventError,
    EventService,
    Ics,
    ListArea,
    ListEvents,
    NewEvent,
    ScopeProvince,
    ViewCalendar,
    ViewEvent,
)
from bot.i18n import N_, Translator
from bot.media import MAX_PHOTO_BYTES
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.subscriptions import (
    area_label,
    province_buttons,
    province_key,
    search_results,
    ward_key,
    ward_page,
)

router = Router("events")
NEW_FLOW = "ev_new"
EDIT_FLOW = "ev_edit"
AREA_FLOW = "ev_area"
TTL = 3 * 3600
EDITABLE = ("title", "time", "place", "description", "photo")


# -- actions of this module (packed as the callback data already in people's chats) -----------
class AreaProvince(Action, prefix="ev:ap"):
    code: str


class AreaWardPage(Action, prefix="ev:awpg"):
    province: str
    page: int


class AreaWard(Action, prefix="ev:aw"):
    code: str


class ChooseScope(Action, prefix="ev:sc"):
    choice: str  # "n" nationwide, "p<province>", "w<ward>" (bot.events.ScopeOption.data)


class PickScopeProvince(Action, prefix="ev:spick"):
    pass


class ScopeWardPage(Action, prefix="ev:swpg"):
    province: str
    page: int


class ScopeWard(Action, prefix="ev:sw"):
    code: str


class ScopeWholeProvince(Action, prefix="ev:sp"):
    code: str


class NoPhoto(Action, prefix="ev:np"):
    pass


class Save(Action, prefix="ev:save"):
    pass


class Drop(Action, prefix="ev:drop"):
    pass


class EditField(Action, prefix="ev:ef"):
    event: int
    field: str


class CancelYes(Action, prefix="ev:xy"):
    event: int


SCOPES = {"w": "ward", "p": "province", "n": "national"}


def service(turn: Turn) -> EventService:
    svc: EventService = turn.runtime.services.events
    return svc


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


def _province_of(ward: str) -> str | None:
    unit = directory.get_ward(ward)
    return f"{unit.province_code:02d}" if unit else None


# -- the list ---------------------------------------------------------------------------------
async def _area_of(turn: Turn, user_id: int | None) -> tuple[str | None, str | None]:
    subs = turn.runtime.services.subscriptions
    if subs is None or user_id is None:
        return None, None
    sub = await subs.get(user_id)
    return (sub.province_code, sub.ward_code) if sub else (None, None)


async def list_screen(turn: Turn, province: str | None = None, ward: str | None = None, *,
                      explicit: bool = False, page: int = 0) -> Screen:
    uid = await turn.user_id(create=False)
    sub_prov, sub_ward = await _area_of(turn, uid)
    svc = service(turn)
    if not explicit:
        province, ward = sub_prov, sub_ward
        if province is None and uid is not None:
            # Officers without a subscription see their own unit's area first.
            for option in await svc.scope_options(uid):
                if option.scope == "ward":
                    ward = option.code
                    province = _province_of(option.code)
                    break
                if option.scope == "province":
                    province = option.code
                    break
    items = await svc.upcoming(turn.t.locale, province, ward, limit=None)

    def nav(to: int) -> Action:
        if explicit and province:
            return ListArea(province, ward or "-", to)
        return ListEvents(to)

    return svc.list_screen(
        turn.t, items, area_label(province, ward),
        can_create=uid is not None and await svc.can_create(uid),
        subscribed=sub_prov is not None, page=page, nav=nav,
    )


def _page(value: int | None) -> int:
    """A page number from a pressed button (never trusted: clamped here and by the screen)."""
    return value if value is not None and 0 <= value < 1000 else 0


@router.command("events")
async def events_command(turn: Turn, cmd: Command) -> None:
    await turn.show(await list_screen(turn))


@router.menu_entry("events")
async def open_menu(turn: Turn) -> None:
    await turn.notice()
    await turn.show(await list_screen(turn), replace=True)


@router.on(ListEvents)
async def on_list(turn: Turn, act: ListEvents) -> None:
    await turn.notice()
    await turn.show(await list_screen(turn, page=_page(act.page)), replace=True)


@router.on(ListArea)
async def on_list_area(turn: Turn, act: ListArea) -> None:
    prov = province_key(act.province)
    ward = ward_key(act.ward, prov) if act.ward != "-" else None
    await turn.notice()
    await turn.show(await list_screen(turn, prov, ward, explicit=prov is not None,
                                      page=_page(act.page)), replace=True)


@router.on(ChooseArea)
async def on_choose_area(turn: Turn, act: ChooseArea) -> None:
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Choose a province or city:"),
                           province_buttons(AreaProvince)), replace=True)


def _area_wards(t: Translator, province: str, page: int) -> Screen:
    return ward_page(t, province, page, AreaWard, AreaWardPage, ListArea(province, "-"))


@router.on(AreaProvince)
async def on_area_province(turn: Turn, act: AreaProvince) -> None:
    prov = province_key(act.code)
    if prov is None:
        await turn.notice(_gone(turn))
        return
    await turn.set_session({"flow": AREA_FLOW, "province": prov}, ttl=TTL)
    await turn.notice()
    await turn.show(_area_wards(turn.t, prov, 0), replace=True)


@router.on(AreaWardPage)
async def on_area_ward_page(turn: Turn, act: AreaWardPage) -> None:
    prov = province_key(act.province)
    if prov is None or act.page < 0:
        await turn.notice(_gone(turn))
        return
    await turn.notice()
    await turn.show(_area_wards(turn.t, prov, act.page), replace=True)


@router.on(AreaWard)
async def on_area_ward(turn: Turn, act: AreaWard) -> None:
    ward = ward_key(act.code)
    if ward is None:
        await turn.notice(_gone(turn))
        return
    await turn.clear_session()
    await turn.notice()
    await turn.show(await list_screen(turn, _province_of(ward), ward, explicit=True), replace=True)


@router.flow(AREA_FLOW)
async def on_area_input(turn: Turn, inp: Input) -> None:
    session = await turn.session()
    prov = province_key(session.get("province"))
    if prov is None:
        await turn.clear_session()
        return
    if not isinstance(inp, Text) or not inp.text.strip():
        await turn.show(Screen(turn.t.gettext("Please type the name of your commune or ward.")))
        return
    await turn.show(search_results(turn.t, inp.text.strip()[:100], prov, AreaWard,
                                   ListArea(prov, "-")))


# -- one event ------------------------------------------------------------------------------
async def _event_screen(turn: Turn, event_id: int, *, replace: bool) -> None:
    svc = service(turn)
    event = await svc.get(event_id)
    if event is None:
        await turn.notice(turn.t.gettext("This event does not exist (any more)."))
        return
    await turn.notice()
    uid = await turn.user_id(create=False)
    can = uid is not None and await svc.can_manage(uid, event)
    screen = svc.event_screen(turn.t, event, can_manage=can)
    media = await svc.media.get(event.photo) if event.photo else None
    if media is not None:
        await turn.show(Screen(screen.text[:1000], screen.buttons, photo=media.data))
        return
    await turn.show(screen, replace=replace)


@router.on(ViewEvent)
async def on_view(turn: Turn, act: ViewEvent) -> None:
    await _event_screen(turn, act.event, replace=True)


@router.on(ViewCalendar)
async def on_calendar(turn: Turn, act: ViewCalendar) -> None:
    svc = service(turn)
    occ = svc.calendar_occurrence(act.entry)
    if occ is None:
        await turn.notice(turn.t.gettext("This event does not exist (any more)."))
        return
    await turn.notice()
    await turn.show(svc.calendar_screen(turn.t, occ), replace=True)


@router.on(Ics)
async def on_ics(turn: Turn, act: Ics) -> None:
    svc = service(turn)
    t = turn.t
    name, data, title = "", b"", ""
    if act.kind == "e":
        event = await svc.get(act.ref)
        if event is not None:
            (name, data), title = svc.event_ics(event), event.title
    elif act.kind == "c":
        occ = svc.calendar_occurrence(act.ref)
        if occ is not None:
            (name, data), title = svc.calendar_ics(occ, t.locale), occ.entry.text("title", t.locale)
    if not data:
        await turn.notice(t.gettext("This event does not exist (any more)."), alert=True)
        return
    await turn.notice()
    caption = t.gettext("📅 {title}: open the file to add it to your calendar.").format(
        title=esc(title[:200]))
    await turn.show(Screen(caption, document=(name, data)))


# -- edit and cancel ------------------------------------------------------------------------------
async def _managed(turn: Turn, event_id: int) -> Any:
    """The event if this person may change it, else a notice and None."""
    svc = service(turn)
    event = await svc.get(event_id)
    uid = await turn.user_id(create=False)
    if event is None or event.cancelled or uid is None or not await svc.can_manage(uid, event):
        await turn.notice(turn.t.gettext("You cannot change this event."), alert=True)
        return None
    return event


@router.on(EditEvent)
async def on_edit(turn: Turn, act: EditEvent) -> None:
    event = await _managed(turn, act.event)
    if event is None:
        return
    await turn.notice()
    _ = turn.t.gettext
    rows = [
        [Button(_("Title"), action=EditField(event.id, "title")),
         Button(_("Date and time"), action=EditField(event.id, "time"))],
        [Button(_("Place"), action=EditField(event.id, "place")),
         Button(_("Description"), action=EditField(event.id, "description"))],
        [Button(_("Photo"), action=EditField(event.id, "photo"))],
        [Button(_("⬅️ Back"), action=ViewEvent(event.id))],
    ]
    await turn.show(Screen(_("What do you want to change?"), rows), replace=True)


def _edit_prompt(t: Translator, field: str) -> str:
    _ = t.gettext
    return {
        "title": _("Type the new title:"),
        "time": _("Type the new start, like 26/6/2026 08:00:"),
        "place": _("Type the new place:"),
        "description": _("Type the new description:"),
        "photo": _("Send the new photo, or type - to remove it:"),
    }[field]


@router.on(EditField)
async def on_edit_field(turn: Turn, act: EditField) -> None:
    if act.field not in EDITABLE:
        await turn.notice(_gone(turn))
        return
    event = await _managed(turn, act.event)
    if event is None:
        return
    await turn.set_session({"flow": EDIT_FLOW, "id": event.id, "field": act.field}, ttl=TTL)
    await turn.notice()
    await turn.show(Screen(_edit_prompt(turn.t, act.field)))


@router.on(CancelEvent)
async def on_cancel(turn: Turn, act: CancelEvent) -> None:
    event = await _managed(turn, act.event)
    if event is None:
        return
    await turn.notice()
    _ = turn.t.gettext
    await turn.show(Screen(
        _("Cancel “{title}”? Reminders will not be sent.").format(title=esc(event.title)),
        [[Button(_("Yes, cancel the event"), action=CancelYes(event.id)),
          Button(_("No"), action=ViewEvent(event.id))]],
    ), replace=True)


@router.on(CancelYes)
async def on_cancel_yes(turn: Turn, act: CancelYes) -> None:
    svc = service(turn)
    uid = await turn.user_id(create=False)
    try:
        if uid is None:
            raise EventError(N_("You cannot change this event."))
        event = await svc.cancel(uid, act.event)
    except EventError as exc:
        await turn.notice(exc.text(turn.t), alert=True)
        return
    await turn.notice(turn.t.gettext("Event cancelled."))
    updated = await svc.get(event.id)
    if updated is not None:
        await turn.show(svc.event_screen(turn.t, updated, can_manage=False), replace=True)


async def _photo_key(turn: Turn, inp: Photo) -> str | None:
    """Store a sent photo by value; None (after saying why) when it is too large."""
    if inp.size is not None and inp.size > MAX_PHOTO_BYTES:
        data = b""
    else:
        data = await inp.fetch()
    if not data or len(data) > MAX_PHOTO_BYTES:
        await turn.show(Screen(turn.t.gettext("This photo is too large (at most 10 MB).")))
        return None
    return await service(turn).media.put(data)


@router.flow(EDIT_FLOW)
async def on_edit_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    svc = service(turn)
    draft = await turn.session()
    field = str(draft.get("field", ""))
    text = inp.text.strip() if isinstance(inp, Text) else ""
    uid = await turn.user_id(create=False)
    try:
        event = await svc.get(draft.get("id", 0))
        if event is None or uid is None:
            raise EventError(N_("This event does not exist (any more)."))
        value: Any
        if field == "photo":
            if isinstance(inp, Photo):
                value = await _photo_key(turn, inp)
                if value is None:
                    return
            elif text == "-":
                value = None
            else:
                await turn.show(Screen(_edit_prompt(t, "photo")))
                return
        elif not isinstance(inp, Text):
            await turn.show(Screen(_edit_prompt(t, field) if field in EDITABLE else
                                   t.gettext("Please choose one of the options above, or /cancel.")))
            return
        elif field == "time":
            starts = svc.check_start(text)
            value = (starts, starts + (event.ends_at - event.starts_at))
        else:
            value = text
        updated = await svc.edit(uid, event.id, field, value)
    except EventError as exc:
        await turn.show(Screen(exc.text(t)))
        return
    await turn.clear_session()
    await turn.show(svc.event_screen(t, updated, can_manage=True))


# -- the new-event wizard ----------------------------------------------------------------------
def _prompt(t: Translator, step: str) -> Screen:
    _ = t.gettext
    if step == "title":
        return Screen(_("➕ <b>New event</b> (1/7)\n\nType the title, e.g. “Talk: saying no to drugs”. /cancel stops."))
    if step == "start":
        return Screen(_("2/7: When does it start? Write the date and time like 26/6/2026 08:00."))
    if step == "end":
        return Screen(_("3/7: When does it end? Write a time like 26/6/2026 11:00, or a duration in hours like 3."))
    if step == "place":
        return Screen(_("4/7: Where? Type the place (or - if there is none)."))
    if step == "description":
        return Screen(_("5/7: Describe the event in a few lines (or - to skip)."))
    if step == "photo":
        return Screen(_("7/7: Send a photo or poster, or skip."), [[Button(_("Skip"), action=NoPhoto())]])
    return Screen("")


async def start_wizard(turn: Turn) -> None:
    t = turn.t
    if not turn.chat.private:
        await turn.show(Screen(t.gettext("Please create events in a private chat with me.")))
        return
    uid = await turn.user_id(create=False)
    if uid is None or not await service(turn).can_create(uid):
        await turn.show(Screen(t.gettext("Only police officers and administrators can create events.")))
        return
    await turn.set_session({"flow": NEW_FLOW, "step": "title"}, ttl=TTL)
    await turn.show(_prompt(t, "title"))


@router.command("newevent")
async def newevent_command(turn: Turn, cmd: Command) -> None:
    await start_wizard(turn)


@router.on(NewEvent)
async def on_new(turn: Turn, act: NewEvent) -> None:
    await turn.notice()
    await start_wizard(turn)


async def _scope_screen(turn: Turn, uid: int) -> Screen:
    svc = service(turn)
    options = await svc.scope_options(uid)
    rows = [[Button(o.label(turn.t), action=ChooseScope(o.data))] for o in options[:20]]
    if svc.is_national_admin(uid):
        rows.append([Button(turn.t.gettext("🗺 A province or commune/ward…"), action=PickScopeProvince())])
    rows += await svc.ward_picker_rows(turn.t, uid, ScopeProvince)
    return Screen(turn.t.gettext("6/7: Who is it for?"), rows)


def _ward_picker(t: Translator, province: str, page: int = 0) -> Screen:
    return ward_page(t, province, page, ScopeWard, ScopeWardPage, ScopeWholeProvince(province))


async def _wizard(turn: Turn, *steps: str) -> tuple[int, dict[str, Any]] | None:
    """(user id, draft) when the new-event wizard is at one of `steps`; else a notice."""
    draft = await turn.session()
    uid = await turn.user_id(create=False)
    if uid is None or draft.get("flow") != NEW_FLOW or draft.get("step") not in steps:
        await turn.notice(_gone(turn))
        return None
    return uid, draft


async def _choose_scope(turn: Turn, scope: str, code: str) -> None:
    """Set the event's area; the service re-checks the permission (and again when saving)."""
    found = await _wizard(turn, "scope", "scope_ward")
    if found is None:
        return
    uid, draft = found
    if not await service(turn).allows_scope(uid, scope, code):
        await turn.notice(turn.t.gettext("You cannot create events for this area."), alert=True)
        return
    draft.update({"scope": scope, "code": code, "step": "photo"})
    draft.pop("scope_province", None)
    await turn.set_session(draft, ttl=TTL)
    await turn.notice()
    await turn.show(_prompt(turn.t, "photo"), replace=True)


@router.on(ChooseScope)
async def on_choose_scope(turn: Turn, act: ChooseScope) -> None:
    scope = SCOPES.get(act.choice[:1])
    if scope is None:
        await turn.notice(_gone(turn))
        return
    await _choose_scope(turn, scope, act.choice[1:])


@router.on(ScopeWard)
async def on_scope_ward(turn: Turn, act: ScopeWard) -> None:
    await _choose_scope(turn, "ward", act.code)


@router.on(ScopeWholeProvince)
async def on_scope_whole(turn: Turn, act: ScopeWholeProvince) -> None:
    await _choose_scope(turn, "province", act.code)


@router.on(PickScopeProvince)
async def on_pick_scope_province(turn: Turn, act: PickScopeProvince) -> None:
    found = await _wizard(turn, "scope", "scope_ward")
    if found is None:
        return
    uid, _draft = found
    if not service(turn).is_national_admin(uid):
        await turn.notice(_gone(turn))
        return
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Choose a province or city:"),
                           province_buttons(ScopeProvince)), replace=True)


async def _scope_wards(turn: Turn, province: str, page: int) -> None:
    found = await _wizard(turn, "scope", "scope_ward")
    if found is None:
        return
    uid, draft = found
    prov = province_key(province)
    if prov is None or page < 0:
        await turn.notice(_gone(turn))
        return
    if not await service(turn).allows_scope(uid, "province", prov):
        await turn.notice(turn.t.gettext("You cannot create events for this area."), alert=True)
        return
    draft.update({"step": "scope_ward", "scope_province": prov})
    await turn.set_session(draft, ttl=TTL)
    await turn.notice()
    await turn.show(_ward_picker(turn.t, prov, page), replace=True)


@router.on(ScopeProvince)
async def on_scope_province(turn: Turn, act: ScopeProvince) -> None:
    await _scope_wards(turn, act.code, 0)


@router.on(ScopeWardPage)
async def on_scope_ward_page(turn: Turn, act: ScopeWardPage) -> None:
    await _scope_wards(turn, act.province, act.page)


async def _confirm_screen(turn: Turn, draft: dict[str, Any]) -> None:
    _ = turn.t.gettext
    text = service(turn).preview_text(turn.t, draft)
    await turn.show(Screen(text, [[
        Button(_("✅ Save"), action=Save()), Button(_("🗑 Discard"), action=Drop()),
    ]]))


@router.on(NoPhoto)
async def on_no_photo(turn: Turn, act: NoPhoto) -> None:
    found = await _wizard(turn, "photo")
    if found is None:
        return
    _uid, draft = found
    await turn.notice()
    draft.update({"photo": None, "step": "confirm"})
    await turn.set_session(draft, ttl=TTL)
    await _confirm_screen(turn, draft)


@router.on(Save)
async def on_save(turn: Turn, act: Save) -> None:
    found = await _wizard(turn, "confirm")
    if found is None:
        return
    uid, draft = found
    svc = service(turn)
    try:
        event = await svc.create(
            uid, title=draft["title"],
            starts_at=dt.datetime.fromtimestamp(int(draft["starts_at"]), dt.UTC),
            ends_at=dt.datetime.fromtimestamp(int(draft["ends_at"]), dt.UTC),
            place=draft.get("place", ""), description=draft.get("description", ""),
            scope=draft["scope"], code=draft["code"], photo=draft.get("photo"),
        )
    except EventError as exc:
        await turn.notice(exc.text(turn.t), alert=True)
        return
    await turn.clear_session()
    await turn.notice(turn.t.gettext("Event saved."))
    await turn.show(svc.event_screen(turn.t, event, can_manage=True), replace=True)


@router.on(Drop)
async def on_drop(turn: Turn, act: Drop) -> None:
    draft = await turn.session()
    if draft.get("flow") != NEW_FLOW:
        await turn.notice(_gone(turn))
        return
    await turn.clear_session()
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Discarded. Nothing was saved.")), replace=True)


@router.flow(NEW_FLOW)
async def on_new_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    svc = service(turn)
    draft = await turn.session()
    step = str(draft.get("step", ""))
    uid = await turn.user_id(create=False)
    if uid is None or not await svc.can_create(uid):
        await turn.clear_session()
        await turn.show(Screen(t.gettext("Only police officers and administrators can create events.")))
        return
    if step == "photo":
        if not isinstance(inp, Photo):
            await turn.show(_prompt(t, "photo"))
            return
        key = await _photo_key(turn, inp)
        if key is None:
            return
        draft.update({"photo": key, "step": "confirm"})
        await turn.set_session(draft, ttl=TTL)
        await _confirm_screen(turn, draft)
        return
    if not isinstance(inp, Text):
        text_steps = ("title", "start", "end", "place", "description")
        await turn.show(_prompt(t, step) if step in text_steps else
                        Screen(t.gettext("Please choose one of the options above, or /cancel.")))
        return
    text = inp.text.strip()
    try:
        if step == "title":
            draft["title"] = svc.check_title(text)
            nxt = "start"
        elif step == "start":
            draft["starts_at"] = int(svc.check_start(text).timestamp())
            nxt = "end"
        elif step == "end":
            starts = dt.datetime.fromtimestamp(int(draft["starts_at"]), dt.UTC)
            draft["ends_at"] = int(svc.check_end(text, starts).timestamp())
            nxt = "place"
        elif step == "place":
            draft["place"] = "" if text == "-" else svc.check_place(text)
            nxt = "description"
        elif step == "description":
            draft["description"] = "" if text == "-" else svc.check_description(text)
            nxt = "scope"
        elif step == "scope_ward" and (prov := province_key(draft.get("scope_province"))):
            # Typing part of a commune/ward name searches that province.
            await turn.show(search_results(t, text[:100], prov, ScopeWard, ScopeWholeProvince(prov)))
            return
        else:
            await turn.show(Screen(t.gettext("Please choose one of the options above, or /cancel.")))
            return
    except EventError as exc:
        await turn.show(Screen(exc.text(t)))
        return
    draft["step"] = nxt
    await turn.set_session(draft, ttl=TTL)
    if nxt == "scope":
        await turn.show(await _scope_screen(turn, uid))
    else:
        await turn.show(_prompt(t, nxt))


async def setup(runtime: Runtime) -> None:
    runtime.users.register_eraser(runtime.services.events.forget_user)
