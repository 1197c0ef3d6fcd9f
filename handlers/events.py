"""Events: /events (your area first), event details, .ics downloads, the officers' wizard to
create, edit and cancel local events. Rules and permissions live in bot.events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import directory
from bot.events import EventError, EventService
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.subscriptions import area_label, province_buttons, province_key, ward_key, ward_page
from handlers import registry
from handlers.common import Context, answer, callback_parts, markup, rt, show, tr

NEW_FLOW = "ev_new"
EDIT_FLOW = "ev_edit"
AREA_FLOW = "ev_area"
TTL = 3 * 3600
STEPS = ("title", "start", "end", "place", "description", "scope", "photo", "confirm")


def service(context: Context) -> EventService:
    svc: EventService = rt(context).services["events"]
    return svc


async def _area_of(context: Context, user_id: int | None) -> tuple[str | None, str | None]:
    subs = rt(context).services.get("subscriptions")
    if subs is None or user_id is None:
        return None, None
    sub = await subs.get(user_id)
    return (sub.province_code, sub.ward_code) if sub else (None, None)


async def list_screen(update: Update, context: Context, province: str | None = None,
                      ward: str | None = None, *, explicit: bool = False, page: int = 0) -> Screen:
    user = update.effective_user
    uid = user.id if user else None
    t = await tr(update, context)
    sub_prov, sub_ward = await _area_of(context, uid)
    svc = service(context)
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
    items = await svc.upcoming(t.locale, province, ward, limit=None)
    nav = f"ev:L:{province}:{ward or '-'}" if explicit and province else "ev:l"
    return svc.list_screen(
        t, items, area_label(province, ward), can_create=uid is not None and await svc.can_create(uid),
        subscribed=sub_prov is not None, page=page, nav=nav,
    )


def _page(value: str | None) -> int:
    """A page number from callback data (never trusted: digits only, clamped by the screen)."""
    return int(value) if value is not None and value.isdigit() and len(value) <= 3 else 0


def _province_of(ward: str) -> str | None:
    unit = directory.get_ward(ward)
    return f"{unit.province_code:02d}" if unit else None


async def events_command(update: Update, context: Context) -> None:
    await show(update, context, await list_screen(update, context))


async def open_menu(update: Update, context: Context) -> None:
    await answer(update)
    await show(update, context, await list_screen(update, context), edit=True)


async def _send_ics(update: Update, context: Context, name: str, data: bytes, caption: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_document(chat.id, InputFile(data, filename=name), caption=caption)


async def _show_event(update: Update, context: Context, event_id: str, t: Translator, *, edit: bool) -> None:
    svc = service(context)
    event = await svc.get(event_id)
    user = update.effective_user
    if event is None:
        await answer(update, t.gettext("This event does not exist (any more)."))
        return
    await answer(update)
    can = user is not None and await svc.can_manage(user.id, event)
    screen = svc.event_screen(t, event, can_manage=can)
    if event.photo_file_id and update.effective_chat is not None:
        await context.bot.send_photo(
            update.effective_chat.id, event.photo_file_id, caption=screen.text[:1000],
            reply_markup=markup(screen.buttons),
        )
        return
    await show(update, context, screen, edit=edit)


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = await tr(update, context)
    svc = service(context)
    sessions = rt(context).sessions
    action = parts[1] if len(parts) > 1 else ""
    try:
        if action == "l" and len(parts) in (2, 3):
            page = _page(parts[2] if len(parts) == 3 else None)
            await answer(update)
            await show(update, context, await list_screen(update, context, page=page), edit=True)
        elif action == "L" and len(parts) in (4, 5):
            prov = province_key(parts[2])
            ward = ward_key(parts[3], prov) if parts[3] != "-" else None
            page = _page(parts[4] if len(parts) == 5 else None)
            await answer(update)
            await show(update, context, await list_screen(
                update, context, prov, ward, explicit=prov is not None, page=page), edit=True)
        elif action == "a":
            await answer(update)
            await show(update, context, Screen(t.gettext("Choose a province or city:"),
                                               province_buttons("ev:ap")), edit=True)
        elif action == "ap" and len(parts) == 3 and (prov := province_key(parts[2])):
            await sessions.set(chat.id, {"flow": AREA_FLOW, "province": prov}, ttl=TTL)
            await answer(update)
            await show(update, context, ward_page(t, prov, 0, "ev:aw", f"ev:L:{prov}:-"), edit=True)
        elif action == "awpg" and len(parts) == 4 and (prov := province_key(parts[2])) and parts[3].isdigit():
            await answer(update)
            await show(update, context, ward_page(t, prov, int(parts[3]), "ev:aw", f"ev:L:{prov}:-"), edit=True)
        elif action == "aw" and len(parts) == 3 and (ward := ward_key(parts[2])):
            await sessions.clear(chat.id)
            unit = directory.get_ward(ward)
            prov = f"{unit.province_code:02d}" if unit else None
            await answer(update)
            await show(update, context, await list_screen(update, context, prov, ward, explicit=True), edit=True)
        elif action == "v" and len(parts) == 3:
            await _show_event(update, context, parts[2], t, edit=True)
        elif action == "c" and len(parts) == 3:
            occ = svc.calendar_occurrence(parts[2])
            if occ is None:
                await answer(update, t.gettext("This event does not exist (any more)."))
                return
            await answer(update)
            await show(update, context, svc.calendar_screen(t, occ), edit=True)
        elif action == "ics" and len(parts) == 4:
            if parts[2] == "e":
                event = await svc.get(parts[3])
                if event is None:
                    raise EventError("This event does not exist (any more).")
                name, data = svc.event_ics(event)
                title = event.title
            else:
                occ = svc.calendar_occurrence(parts[3])
                if occ is None:
                    raise EventError("This event does not exist (any more).")
                name, data = svc.calendar_ics(occ, t.locale)
                title = occ.entry.text("title", t.locale)
            await answer(update)
            await _send_ics(update, context, name, data, t.gettext(
                "📅 {title}: open the file to add it to your calendar."
            ).format(title=esc(title[:200])))
        elif action == "new":
            await answer(update)
            await start_wizard(update, context)
        elif action in ("sc", "sw", "sp", "spick", "spv", "swpg"):
            await _scope_button(update, context, t, parts)
        elif action == "np":  # no photo
            await _wizard_step(update, context, t, "photo", None)
        elif action == "save":
            await _save(update, context, t)
        elif action == "drop":
            await sessions.clear(chat.id)
            await answer(update)
            await show(update, context, Screen(t.gettext("Discarded. Nothing was saved.")), edit=True)
        elif action == "ed" and len(parts) == 3:
            event = await svc.get(parts[2])
            if event is None or not await svc.can_manage(user.id, event):
                raise EventError("You cannot change this event.")
            await answer(update)
            _ = t.gettext
            rows = [
                [Button(_("Title"), data=f"ev:ef:{event.id}:title"),
                 Button(_("Date and time"), data=f"ev:ef:{event.id}:time")],
                [Button(_("Place"), data=f"ev:ef:{event.id}:place"),
                 Button(_("Description"), data=f"ev:ef:{event.id}:description")],
                [Button(_("Photo"), data=f"ev:ef:{event.id}:photo")],
                [Button(_("⬅️ Back"), data=f"ev:v:{event.id}")],
            ]
            await show(update, context, Screen(_("What do you want to change?"), rows), edit=True)
        elif action == "ef" and len(parts) == 4 and parts[3] in ("title", "time", "place", "description", "photo"):
            event = await svc.get(parts[2])
            if event is None or not await svc.can_manage(user.id, event):
                raise EventError("You cannot change this event.")
            await sessions.set(chat.id, {"flow": EDIT_FLOW, "id": event.id, "field": parts[3]}, ttl=TTL)
            await answer(update)
            prompts = {
                "title": t.gettext("Type the new title:"),
                "time": t.gettext("Type the new start, like 26/6/2026 08:00:"),
                "place": t.gettext("Type the new place:"),
                "description": t.gettext("Type the new description:"),
                "photo": t.gettext("Send the new photo, or type - to remove it:"),
            }
            await show(update, context, Screen(prompts[parts[3]]))
        elif action == "x" and len(parts) == 3:
            event = await svc.get(parts[2])
            if event is None or not await svc.can_manage(user.id, event):
                raise EventError("You cannot change this event.")
            await answer(update)
            await show(update, context, Screen(
                t.gettext("Cancel “{title}”? Reminders will not be sent.").format(
                    title=esc(event.title)),
                [[Button(t.gettext("Yes, cancel the event"), data=f"ev:xy:{event.id}"),
                  Button(t.gettext("No"), data=f"ev:v:{event.id}")]],
            ), edit=True)
        elif action == "xy" and len(parts) == 3:
            event = await svc.cancel(user.id, parts[2])
            await answer(update, t.gettext("Event cancelled."))
            updated = await svc.get(event.id)
            if updated is not None:
                await show(update, context, svc.event_screen(t, updated, can_manage=False), edit=True)
        else:
            await answer(update, t.gettext("This button is no longer available."))
    except EventError as exc:
        await answer(update, exc.text(t), alert=True)


# -- the wizard ----------------------------------------------------------------------------------
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
        return Screen(_("7/7: Send a photo or poster, or skip."), [[Button(_("Skip"), data="ev:np")]])
    return Screen("")


async def start_wizard(update: Update, context: Context) -> None:
    user = update.effective_user
    chat = update.effective_chat
    t = await tr(update, context)
    if user is None or chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        await show(update, context, Screen(t.gettext("Please create events in a private chat with me.")))
        return
    if not await service(context).can_create(user.id):
        await show(update, context, Screen(t.gettext(
            "Only police officers and administrators can create events."
        )))
        return
    await rt(context).sessions.set(chat.id, {"flow": NEW_FLOW, "step": "title"}, ttl=TTL)
    await show(update, context, _prompt(t, "title"))


async def newevent_command(update: Update, context: Context) -> None:
    await start_wizard(update, context)


async def _scope_screen(update: Update, context: Context, t: Translator) -> Screen:
    user = update.effective_user
    assert user is not None
    svc = service(context)
    options = await svc.scope_options(user.id)
    rows = [[Button(o.label(t), data=f"ev:sc:{o.data}")] for o in options[:20]]
    if svc.is_national_admin(user.id):
        rows.append([Button(t.gettext("🗺 A province or commune/ward…"), data="ev:spick")])
    rows += await svc.ward_picker_rows(t, user.id, lambda prov: f"ev:spv:{prov}")
    return Screen(t.gettext("6/7: Who is it for?"), rows)


def _ward_picker(t: Translator, province: str, page: int = 0) -> Screen:
    return ward_page(t, province, page, "ev:sw", f"ev:sp:{province}")


async def _scope_draft(update: Update, context: Context, t: Translator) -> dict[str, Any] | None:
    """The new-event draft if it is at the area step (else a toast and None)."""
    chat = update.effective_chat
    assert chat is not None
    draft = await rt(context).sessions.get(chat.id)
    if draft.get("flow") != NEW_FLOW or draft.get("step") not in ("scope", "scope_ward"):
        await answer(update, t.gettext("This button is no longer available."))
        return None
    return draft


async def _choose_scope(update: Update, context: Context, t: Translator, scope: str, code: str) -> None:
    """Set the event's area; the service re-checks the permission (and again when saving)."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    draft = await _scope_draft(update, context, t)
    if draft is None:
        return
    if not await service(context).allows_scope(user.id, scope, code):
        await answer(update, t.gettext("You cannot create events for this area."), alert=True)
        return
    draft.update({"scope": scope, "code": code, "step": "photo"})
    draft.pop("scope_province", None)
    await rt(context).sessions.set(chat.id, draft, ttl=TTL)
    await answer(update)
    await show(update, context, _prompt(t, "photo"), edit=True)


async def _scope_button(update: Update, context: Context, t: Translator, parts: list[str]) -> None:
    """ev:sc:<w|p|n><code>, ev:spick, ev:spv:<prov>, ev:swpg:<prov>:<page>, ev:sw:<ward>,
    ev:sp:<prov> — all re-checked against the person's rights."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    svc = service(context)
    action = parts[1]
    scopes = {"w": "ward", "p": "province", "n": "national"}
    if action == "sc" and len(parts) == 3 and parts[2][:1] in scopes:
        await _choose_scope(update, context, t, scopes[parts[2][:1]], parts[2][1:])
    elif action == "sw" and len(parts) == 3:
        await _choose_scope(update, context, t, "ward", parts[2])
    elif action == "sp" and len(parts) == 3:
        await _choose_scope(update, context, t, "province", parts[2])
    elif action == "spick" and svc.is_national_admin(user.id):
        if await _scope_draft(update, context, t) is None:
            return
        await answer(update)
        await show(update, context, Screen(t.gettext("Choose a province or city:"),
                                           province_buttons("ev:spv")), edit=True)
    elif action in ("spv", "swpg") and len(parts) >= 3 and (prov := province_key(parts[2])):
        draft = await _scope_draft(update, context, t)
        if draft is None:
            return
        if not await svc.allows_scope(user.id, "province", prov):
            await answer(update, t.gettext("You cannot create events for this area."), alert=True)
            return
        page = int(parts[3]) if action == "swpg" and len(parts) == 4 and parts[3].isdigit() else 0
        draft.update({"step": "scope_ward", "scope_province": prov})
        await rt(context).sessions.set(chat.id, draft, ttl=TTL)
        await answer(update)
        await show(update, context, _ward_picker(t, prov, page), edit=True)
    else:
        await answer(update, t.gettext("This button is no longer available."))


async def _wizard_step(update: Update, context: Context, t: Translator, step: str, value: Any) -> None:
    chat = update.effective_chat
    assert chat is not None
    sessions = rt(context).sessions
    draft = await sessions.get(chat.id)
    if draft.get("flow") != NEW_FLOW or draft.get("step") != step:
        await answer(update, t.gettext("This button is no longer available."))
        return
    await answer(update)
    draft["photo"] = value
    draft["step"] = "confirm"
    await sessions.set(chat.id, draft, ttl=TTL)
    await _confirm_screen(update, context, t, draft)


async def _confirm_screen(update: Update, context: Context, t: Translator, draft: dict[str, Any]) -> None:
    _ = t.gettext
    text = service(context).preview_text(t, draft)
    await show(update, context, Screen(text, [[
        Button(_("✅ Save"), data="ev:save"), Button(_("🗑 Discard"), data="ev:drop"),
    ]]))


async def _save(update: Update, context: Context, t: Translator) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    draft = await rt(context).sessions.get(chat.id)
    if draft.get("flow") != NEW_FLOW or draft.get("step") != "confirm":
        await answer(update, t.gettext("This button is no longer available."))
        return
    svc = service(context)
    event = await svc.create(
        user.id, title=draft["title"],
        starts_at=dt.datetime.fromtimestamp(int(draft["starts_at"]), dt.UTC),
        ends_at=dt.datetime.fromtimestamp(int(draft["ends_at"]), dt.UTC),
        place=draft.get("place", ""), description=draft.get("description", ""),
        scope=draft["scope"], code=draft["code"], photo_file_id=draft.get("photo"),
    )
    await rt(context).sessions.clear(chat.id)
    await answer(update, t.gettext("Event saved."))
    await show(update, context, svc.event_screen(t, event, can_manage=True), edit=True)


async def on_new_input(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    t = await tr(update, context)
    svc = service(context)
    sessions = rt(context).sessions
    draft = await sessions.get(chat.id)
    step = str(draft.get("step", ""))
    text = (message.text or "").strip()
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
            from bot.subscriptions import search_results

            await show(update, context, search_results(t, text[:100], prov, "ev:sw", f"ev:sp:{prov}"))
            return
        elif step == "photo":
            if not message.photo:
                await show(update, context, _prompt(t, "photo"))
                return
            draft["photo"] = message.photo[-1].file_id
            draft["step"] = "confirm"
            await sessions.set(chat.id, draft, ttl=TTL)
            await _confirm_screen(update, context, t, draft)
            return
        else:
            await show(update, context, Screen(t.gettext("Please use the buttons above, or /cancel.")))
            return
    except EventError as exc:
        await show(update, context, Screen(exc.text(t)))
        return
    draft["step"] = nxt
    await sessions.set(chat.id, draft, ttl=TTL)
    if nxt == "scope":
        await show(update, context, await _scope_screen(update, context, t))
    else:
        await show(update, context, _prompt(t, nxt))


async def on_edit_input(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    user = update.effective_user
    if chat is None or message is None or user is None:
        return
    t = await tr(update, context)
    svc = service(context)
    draft = await rt(context).sessions.get(chat.id)
    field = str(draft.get("field", ""))
    text = (message.text or "").strip()
    try:
        event = await svc.get(draft.get("id", 0))
        if event is None:
            raise EventError("This event does not exist (any more).")
        value: Any
        if field == "time":
            starts = svc.check_start(text)
            value = (starts, starts + (event.ends_at - event.starts_at))
        elif field == "photo":
            if message.photo:
                value = message.photo[-1].file_id
            elif text == "-":
                value = None
            else:
                await show(update, context, Screen(t.gettext("Send the new photo, or type - to remove it:")))
                return
        else:
            value = text
        updated = await svc.edit(user.id, event.id, field, value)
    except EventError as exc:
        await show(update, context, Screen(exc.text(t)))
        return
    await rt(context).sessions.clear(chat.id)
    await show(update, context, svc.event_screen(t, updated, can_manage=True))


async def on_area_input(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    t = await tr(update, context)
    draft = await rt(context).sessions.get(chat.id)
    prov = province_key(draft.get("province"))
    if prov is None:
        return
    from bot.subscriptions import search_results

    query = (message.text or "").strip()[:100]
    await show(update, context, search_results(t, query, prov, "ev:aw", f"ev:L:{prov}:-"))


async def setup(app: Application, runtime: Runtime) -> None:  # type: ignore[type-arg,unused-ignore]
    svc = EventService(
        runtime.db, runtime.settings, runtime.clock, units=runtime.services.get("units"),
        broadcast=runtime.services.get("broadcast"), content=runtime.services.get("content"),
    )
    runtime.services["events"] = svc
    runtime.users.register_eraser(svc.forget_user)
    app.add_handler(CommandHandler("events", events_command))
    app.add_handler(CommandHandler("newevent", newevent_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ev:"))
    registry.menu_entry("events", open_menu)
    registry.flow(NEW_FLOW, on_new_input)
    registry.flow(EDIT_FLOW, on_edit_input)
    registry.flow(AREA_FLOW, on_area_input)
