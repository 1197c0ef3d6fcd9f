"""Police units: /invite (wizard), /invitesheet (a province's codes at once), /bind, /units
(coverage), /unbind, /provadmin, /importunits and /exportunits. Thin: every rule and permission lives in bot.units."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import directory
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.unit_sheets import sheet_csv, sheet_pdf
from bot.units import (
    CSV_MAX_BYTES,
    GROUP,
    OFFICER,
    PROVINCE,
    WARD,
    NotFound,
    UnitsError,
    UnitService,
    coverage_screen,
    default_name,
    import_text,
    invite_screen,
    province_screen,
    redeem_text,
    unit_screen,
)
from handlers import commands, registry
from handlers.common import Context, answer, args_of, callback_parts, rt, show, tr

log = logging.getLogger(__name__)

INVITE_FLOW = "units_invite"
IMPORT_FLOW = "units_import"
_PURPOSE = {"g": GROUP, "o": OFFICER}
# `/invite <code> group|officer` (also Vietnamese: nhóm, cán bộ).
_ARG_PURPOSE = {"g": GROUP, "n": GROUP, "o": OFFICER, "c": OFFICER}
# Status handlers run in their own group so another feature's handlers cannot shadow them.
STATUS_GROUP = 31


def service(context: Context) -> UnitService:
    svc: UnitService = rt(context).services["units"]
    return svc


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def _say(update: Update, context: Context, text: str, buttons: list[list[Button]] | None = None) -> None:
    await show(update, context, Screen(text, buttons or []))


def _province_arg(text: str) -> str | None:
    """A province given as its code ("79") or name ("hcm", "Hà Nội")."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        p = directory.get_province(int(text))
    else:
        p = directory.find_province(text)
    return f"{p.code:02d}" if p else None


def _province_keyboard(t: Translator, provinces: list[str]) -> list[list[Button]]:
    buttons = [
        Button(directory.get_province(code).short_name if directory.get_province(code) else code,  # type: ignore[union-attr]
               data=f"units:iv:{code}")
        for code in provinces
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def _purpose_buttons(t: Translator, kind_letter: str, code: str) -> list[list[Button]]:
    _ = t.gettext
    return [
        [
            Button(_("👥 Group code"), data=f"units:ik:{kind_letter}:{code}:g"),
            Button(_("👮 Officer code"), data=f"units:ik:{kind_letter}:{code}:o"),
        ]
    ]


def _purpose_screen(t: Translator, name: str, kind_letter: str, code: str) -> Screen:
    _ = t.gettext
    text = _(
        "<b>{unit}</b>\n\nWhich code?\n• <b>Group code</b>: binds the unit's Telegram group, "
        "where tips will arrive.\n• <b>Officer code</b>: enrols one officer, who receives tips "
        "in a private chat when the unit has no group."
    ).format(unit=esc(name))
    return Screen(text, _purpose_buttons(t, kind_letter, code))


# -- /invite -----------------------------------------------------------------------------------
async def invite_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    actor = _user_id(update)
    chat = update.effective_chat
    if actor is None or chat is None:
        return
    args = args_of(context)
    try:
        if args:
            kind, code = svc.resolve_target(args[0])
            province = code if kind == PROVINCE else f"{directory.get_ward(code).province_code:02d}"  # type: ignore[union-attr]
            await svc.require_province(actor, province)
            purpose = _ARG_PURPOSE.get(args[1][:1].lower()) if len(args) > 1 else None
            if purpose is not None:
                invite = await svc.issue_invite(actor, kind, code, purpose)
                await show(update, context, invite_screen(t, invite, rt(context).bot_username))
                return
            letter = "p" if kind == PROVINCE else "w"
            await show(update, context, _purpose_screen(t, default_name(kind, code), letter, code))
            return
        if not await svc.is_admin(actor):
            raise UnitsError(N_("This is only for police administrators."))
        provinces = await svc.managed_provinces(actor)
        if len(provinces) == 1:
            await _ask_ward(update, context, t, provinces[0])
            return
        await show(
            update,
            context,
            Screen(_("<b>Invite code</b>: choose the province."), _province_keyboard(t, provinces)),
        )
    except UnitsError as err:
        await _say(update, context, err.text(t))


async def _ask_ward(update: Update, context: Context, t: Translator, province: str) -> None:
    _ = t.gettext
    chat = update.effective_chat
    if chat is None:
        return
    await rt(context).sessions.set(chat.id, {"flow": INVITE_FLOW, "province": province}, ttl=1800)
    p = directory.get_province(province)
    text = _(
        "<b>{province}</b>: type the name of the commune/ward (e.g. “Ba Đình”), "
        "or choose the province drug police unit."
    ).format(province=esc(p.short_name if p else province))
    await show(
        update,
        context,
        Screen(text, [[Button(_("🏛 Province unit"), data=f"units:ip:{province}")]]),
    )


async def on_invite_input(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    chat = update.effective_chat
    message = update.effective_message
    actor = _user_id(update)
    if chat is None or message is None or actor is None:
        return
    session = await rt(context).sessions.get(chat.id)
    province = str(session.get("province", ""))
    text = (message.text or "").strip()
    if not text:
        await _say(update, context, _("Please type the name of the commune/ward."))
        return
    try:
        wards = await service(context).find_wards(actor, province, text)
    except UnitsError as err:
        await rt(context).sessions.clear(chat.id)
        await _say(update, context, err.text(t))
        return
    rows = [[Button(w.name, data=f"units:iw:{w.code:05d}")] for w in wards]
    rows.append([Button(_("🏛 Province unit"), data=f"units:ip:{province}")])
    if not wards:
        await _say(update, context, _("No commune/ward matches “{text}”. Try another spelling.").format(text=esc(text[:100])), rows)
        return
    await _say(update, context, _("Which one? (or type another name)"), rows)


# -- /bind -------------------------------------------------------------------------------------
async def bind_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    chat = update.effective_chat
    actor = _user_id(update)
    if chat is None or actor is None:
        return
    args = args_of(context)
    if chat.type == ChatType.CHANNEL:
        return
    if not args:
        await _say(update, context, _("Send the code after the command, e.g. <code>/bind ABCD-EFGH-JKLM</code>."))
        return
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        # An anonymous group admin or a channel: there is no person to enrol.
        await _say(update, context, _("Please send /bind as yourself, not anonymously."))
        return
    group_id = None if chat.type == ChatType.PRIVATE else chat.id
    result = await service(context).redeem(actor, "".join(args)[:64], group_id)
    await _say(update, context, redeem_text(t, result))
    if result.status in ("bound", "enrolled"):
        await commands.sync_user(context, actor, force=True)  # now an officer: their menu


async def officer_link(update: Update, context: Context, arg: str) -> None:
    """`/start u_<CODE>` from an officer invite link."""
    t = await tr(update, context)
    actor = _user_id(update)
    if actor is None:
        return
    result = await service(context).redeem(actor, arg[:64], None)
    await _say(update, context, redeem_text(t, result))
    if result.status == "enrolled":
        await commands.sync_user(context, actor, force=True)


async def unbind_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    chat = update.effective_chat
    actor = _user_id(update)
    if chat is None or actor is None:
        return
    if chat.type == ChatType.PRIVATE:
        await _say(update, context, _("Send /unbind in the group, or use /units to manage a unit."))
        return
    try:
        unit = await service(context).unbind_chat(actor, chat.id)
    except UnitsError as err:
        await _say(update, context, err.text(t))
        return
    await _say(
        update, context,
        _("This group no longer receives tips for <b>{unit}</b>.").format(unit=esc(unit.name)),
    )


# -- /units and the management buttons ---------------------------------------------------------
async def units_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    actor = _user_id(update)
    if actor is None:
        return
    arg = " ".join(args_of(context)).strip()
    try:
        if not await svc.is_admin(actor):
            mine = await svc.officer_units(actor)
            if mine:
                names = "\n".join(f"• {esc(u.name)}" for u in mine)
                await _say(update, context, _("You are an officer of:\n{units}").format(units=names))
            else:
                await _say(update, context, _("This is only for police administrators."))
            return
        if arg:
            if re.fullmatch(r"\d{3,6}", arg):
                ward_unit = await svc.find(WARD, arg)
                if ward_unit is None:
                    kind, code = svc.resolve_target(arg)
                    ward = directory.get_ward(code)
                    await svc.require_province(actor, f"{ward.province_code:02d}")  # type: ignore[union-attr]
                    await show(update, context, _purpose_screen(t, default_name(kind, code), "w", code))
                    return
                await show(update, context, unit_screen(t, await svc.unit_detail(actor, ward_unit.id)))
                return
            province = _province_arg(arg)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=arg)
            page = await svc.province_page(actor, province, 0)
            await show(update, context, province_screen(t, page, back=svc.is_national_admin(actor)))
            return
        provinces = await svc.managed_provinces(actor)
        if len(provinces) == 1:
            page = await svc.province_page(actor, provinces[0], 0)
            await show(update, context, province_screen(t, page, back=False))
            return
        await show(update, context, coverage_screen(t, await svc.coverage(actor)))
    except UnitsError as err:
        await _say(update, context, err.text(t))


async def on_button(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    actor = _user_id(update)
    chat = update.effective_chat
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    args = parts[2:]
    if actor is None or chat is None:
        return
    try:
        if action == "cov":
            screen = coverage_screen(t, await svc.coverage(actor))
        elif action == "p" and len(args) == 2 and args[1].isdigit():
            page = await svc.province_page(actor, args[0], int(args[1]))
            screen = province_screen(t, page, back=svc.is_national_admin(actor))
        elif action == "u" and len(args) == 1:
            screen = unit_screen(t, await svc.unit_detail(actor, args[0]))
        elif action == "c" and len(args) in (2, 3) and args[1] in _PURPOSE:
            invite = await svc.issue_invite_for_unit(
                actor, args[0], _PURPOSE[args[1]], revoke_old=len(args) == 3 and args[2] == "r"
            )
            await answer(update)
            await show(update, context, invite_screen(t, invite, rt(context).bot_username))
            return
        elif action == "ri" and len(args) == 1:
            unit = await svc.require_unit(actor, args[0])
            text = _(
                "<b>{unit}</b>\n\nRe-issue: every unused code of this unit stops working and a new "
                "code is made. Which code?"
            ).format(unit=esc(unit.name))
            screen = Screen(
                text,
                [
                    [Button(_("👥 Group code"), data=f"units:c:{unit.id}:g:r"),
                     Button(_("👮 Officer code"), data=f"units:c:{unit.id}:o:r")],
                    [Button(_("⬅️ Back"), data=f"units:u:{unit.id}")],
                ],
            )
        elif action == "ub" and len(args) in (1, 2):
            unit = await svc.require_unit(actor, args[0])
            if len(args) == 1:
                screen = Screen(
                    _("Unbind the group of <b>{unit}</b>? Tips will then go to its officers, or to "
                      "the province unit.").format(unit=esc(unit.name)),
                    [[Button(_("Yes, unbind"), data=f"units:ub:{unit.id}:y"),
                      Button(_("No"), data=f"units:u:{unit.id}")]],
                )
            else:
                old = await svc.unbind_group(actor, unit.id)
                notice = _("🔌 The group is unbound.") if old is not None else _("No group was bound.")
                screen = unit_screen(t, await svc.unit_detail(actor, unit.id), notice)
        elif action == "ro" and len(args) in (2, 3):
            unit = await svc.require_unit(actor, args[0])
            if len(args) == 2:
                screen = Screen(
                    _("Remove officer <code>{id}</code> from <b>{unit}</b>?").format(
                        id=esc(args[1]), unit=esc(unit.name)
                    ),
                    [[Button(_("Yes, remove"), data=f"units:ro:{unit.id}:{args[1]}:y"),
                      Button(_("No"), data=f"units:u:{unit.id}")]],
                )
            else:
                await svc.remove_officer(actor, unit.id, args[1])
                if args[1].isdigit():
                    await commands.sync_user(context, int(args[1]), force=True)
                notice = _("The officer was removed.")
                screen = unit_screen(t, await svc.unit_detail(actor, unit.id), notice)
        # -- the invite wizard
        elif action == "iv" and len(args) == 1:
            province = await svc.require_province(actor, args[0])
            await answer(update)
            await _ask_ward(update, context, t, province)
            return
        elif action in ("iw", "ip") and len(args) == 1:
            kind = WARD if action == "iw" else PROVINCE
            kind_, code = svc.resolve_target(args[0] if kind == WARD else f"P{args[0]}")
            province = code if kind_ == PROVINCE else f"{directory.get_ward(code).province_code:02d}"  # type: ignore[union-attr]
            await svc.require_province(actor, province)
            screen = _purpose_screen(t, default_name(kind_, code), "w" if kind_ == WARD else "p", code)
        elif action == "ik" and len(args) == 3 and args[0] in ("w", "p") and args[2] in _PURPOSE:
            kind = WARD if args[0] == "w" else PROVINCE
            invite = await svc.issue_invite(actor, kind, args[1], _PURPOSE[args[2]])
            await rt(context).sessions.clear(chat.id)
            await answer(update)
            await show(update, context, invite_screen(t, invite, rt(context).bot_username), edit=True)
            return
        else:
            await answer(update, _("This button is no longer available."))
            return
    except UnitsError as err:
        await answer(update)
        await _say(update, context, err.text(t))
        return
    await answer(update)
    await show(update, context, screen, edit=True)


# -- /provadmin --------------------------------------------------------------------------------
async def provadmin_command(update: Update, context: Context) -> None:
    """/provadmin <province> <user_id> · /provadmin remove <province> <user_id> ·
    /provadmin <province> (list)."""
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    actor = _user_id(update)
    if actor is None:
        return
    args = args_of(context)
    remove = bool(args) and args[0].lower() in ("remove", "del", "xoa", "xóa")
    if remove:
        args = args[1:]
    usage = _(
        "Usage: <code>/provadmin &lt;province&gt; &lt;user id&gt;</code> to appoint, "
        "<code>/provadmin remove &lt;province&gt; &lt;user id&gt;</code> to remove, "
        "<code>/provadmin &lt;province&gt;</code> to list."
    )
    try:
        if not svc.is_national_admin(actor):
            raise UnitsError(N_("Only a national administrator can appoint province administrators."))
        if not args:
            await _say(update, context, usage)
            return
        user_text = args[-1] if len(args) > 1 and re.fullmatch(r"-?\d+", args[-1]) else None
        province_text = " ".join(args[:-1] if user_text is not None else args)
        province = _province_arg(province_text)
        if province is None:
            raise NotFound(N_("There is no province with code {code}."), code=province_text)
        name = esc(directory.get_province(province).short_name)  # type: ignore[union-attr]
        if user_text is None:
            ids = await svc.province_admins(actor, province)
            listing = ", ".join(f"<code>{i}</code>" for i in ids) if ids else "—"
            await _say(update, context, _("Province administrators of {province}: {ids}").format(province=name, ids=listing))
            return
        changed = await svc.set_province_admin(actor, province, int(user_text), remove=remove)
        if changed:
            await commands.sync_user(context, int(user_text), force=True)
        if remove:
            text = (_("<code>{id}</code> is no longer a province administrator of {province}.")
                    if changed else _("<code>{id}</code> was not a province administrator of {province}."))
        else:
            text = (_("<code>{id}</code> is now a province administrator of {province}.")
                    if changed else _("<code>{id}</code> was already a province administrator of {province}."))
        await _say(update, context, text.format(id=int(user_text), province=name))
    except UnitsError as err:
        await _say(update, context, err.text(t))


# -- CSV -----------------------------------------------------------------------------------------
async def importunits_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    actor = _user_id(update)
    chat = update.effective_chat
    message = update.effective_message
    if actor is None or chat is None or message is None:
        return
    if not await service(context).is_admin(actor):
        await _say(update, context, t.gettext("This is only for police administrators."))
        return
    replied = message.reply_to_message
    if replied is not None and replied.document is not None:
        await _import_document(update, context, t)
        return
    await rt(context).sessions.set(chat.id, {"flow": IMPORT_FLOW}, ttl=1800)
    await _say(
        update, context,
        _("Send the CSV file as a document. Columns: <code>unit_code, name, hotline, "
          "province_admin_ids</code> (ids separated by “;”). Ward units by their official code "
          "(e.g. 26740), province units as P + province code (e.g. P79). If any row is wrong, "
          "nothing is imported."),
    )


async def _import_document(update: Update, context: Context, t: Translator) -> None:
    _ = t.gettext
    message = update.effective_message
    actor = _user_id(update)
    chat = update.effective_chat
    if message is None or actor is None or chat is None:
        return
    document = message.document
    if document is None and message.reply_to_message is not None:
        document = message.reply_to_message.document
    if document is None:
        await _say(update, context, _("Please send the CSV file as a document (or /cancel)."))
        return
    if document.file_size is not None and document.file_size > CSV_MAX_BYTES:
        await _say(update, context, _("The file is larger than 1 MB."))
        return
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        await _say(update, context, _("The file must be UTF-8 text (in a spreadsheet: “CSV UTF-8”)."))
        return
    await rt(context).sessions.clear(chat.id)
    try:
        result = await service(context).import_csv(text, actor)
    except UnitsError as err:
        await _say(update, context, err.text(t))
        return
    await _say(update, context, import_text(t, result))


async def on_import_input(update: Update, context: Context) -> None:
    await _import_document(update, context, await tr(update, context))


async def on_captioned_document(update: Update, context: Context) -> None:
    """A document sent with the caption /importunits."""
    t = await tr(update, context)
    actor = _user_id(update)
    if actor is None:
        return
    if not await service(context).is_admin(actor):
        await _say(update, context, t.gettext("This is only for police administrators."))
        return
    await _import_document(update, context, t)


async def exportunits_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    actor = _user_id(update)
    if actor is None:
        return
    arg = " ".join(args_of(context)).strip()
    try:
        province = None
        if arg:
            province = _province_arg(arg)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=arg)
        text = await service(context).export_csv(province, actor_id=actor)
    except UnitsError as err:
        await _say(update, context, err.text(t))
        return
    rows = max(0, text.count("\n") - 1)
    name = f"units-{province}.csv" if province else "units.csv"
    caption = _("Police units: {n} rows").format(n=rows)
    await show(update, context, Screen(caption, document=(name, text.encode("utf-8"))))


# -- /myid ----------------------------------------------------------------------------------------
async def myid_command(update: Update, context: Context) -> None:
    """The sender's numeric Telegram id: what BOT_ADMIN_IDS and /provadmin take (Telegram
    apps do not show it). Shown to that person only, in a private chat; nothing is kept."""
    t = await tr(update, context)
    actor = _user_id(update)
    if actor is None:
        return
    await _say(update, context, t.gettext(
        "Your Telegram user id is <code>{id}</code>.\n\nA national administrator uses it to "
        "make you a province administrator (<code>/provadmin</code>); whoever runs the bot puts "
        "national administrators' ids in BOT_ADMIN_IDS.").format(id=actor))


# -- bulk enrolment -------------------------------------------------------------------------------
async def invitesheet_command(update: Update, context: Context) -> None:
    """/invitesheet [province] [all]: officer codes for every ward of a province not yet
    enrolled (or every ward, with "all") as a CSV and a printable PDF."""
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    actor = _user_id(update)
    if actor is None:
        return
    args = args_of(context)
    include_all = bool(args) and args[-1].lower() in ("all", "tatca", "tất-cả")
    text = " ".join(args[:-1] if include_all else args).strip()
    try:
        if not await svc.is_admin(actor):
            raise UnitsError(N_("This is only for police administrators."))
        if text:
            province = _province_arg(text)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=text)
        else:
            mine = await svc.managed_provinces(actor)
            if len(mine) != 1:
                await _say(update, context, _(
                    "Usage: <code>/invitesheet &lt;province&gt;</code> for the wards not yet "
                    "enrolled, <code>/invitesheet &lt;province&gt; all</code> for every ward."))
                return
            province = mine[0]
        sheet = await svc.issue_province_sheet(actor, province, include_enrolled=include_all)
    except UnitsError as err:
        await _say(update, context, err.text(t))
        return
    name = esc(sheet.province.name)
    if not sheet.codes:
        await _say(update, context, _("Every commune/ward of {province} already has a group or "
                                      "an officer. Add “all” to make codes for every ward anyway.")
                   .format(province=name))
        return
    lines = [
        _("🔑 <b>{n} officer codes for {province}</b>, one per commune/ward, valid until {time}. "
          "Each works once; print the PDF, cut the cards and hand each to its ward's police.")
        .format(n=len(sheet.codes), province=name, time=esc(t.datetime(sheet.expires_at))),
    ]
    if sheet.skipped:
        lines.append(_("Left out (already have a group or an officer): {n}.").format(n=sheet.skipped))
    if sheet.revoked:
        lines.append(_("Older unused officer codes that no longer work: {n}.").format(n=sheet.revoked))
    await _say(update, context, "\n".join(lines))
    bot_name = rt(context).bot_username
    pdf = await asyncio.to_thread(sheet_pdf, t, sheet, bot_name)  # ~1 s for 168 wards
    stem = f"invites-{sheet.province.code:02d}"
    await show(update, context, Screen(_("Codes as CSV"),
                                       document=(f"{stem}.csv", sheet_csv(t, sheet, bot_name).encode())))
    await show(update, context, Screen(_("Printable sheet"), document=(f"{stem}.pdf", pdf)))


# -- Telegram status updates ---------------------------------------------------------------------
async def on_my_chat_member(update: Update, context: Context) -> None:
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        unit = await service(context).group_lost(change.chat.id)
        if unit is not None:
            log.info("a bound group removed the bot; unit %s unbound", unit.id)


async def on_migrate(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await service(context).group_migrated(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await service(context).group_migrated(message.migrate_from_chat_id, message.chat.id)


async def setup(app: Application, runtime: Runtime) -> None:
    svc = UnitService(runtime.db, runtime.settings, runtime.clock, runtime.keyring)
    runtime.services["units"] = svc
    runtime.users.register_eraser(svc.erase_user)
    registry.flow(INVITE_FLOW, on_invite_input)
    registry.flow(IMPORT_FLOW, on_import_input)
    registry.deep_link("u", officer_link)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("invite", invite_command, private))
    app.add_handler(CommandHandler("bind", bind_command))
    app.add_handler(CommandHandler("unbind", unbind_command))
    app.add_handler(CommandHandler("units", units_command, private))
    app.add_handler(CommandHandler("provadmin", provadmin_command, private))
    app.add_handler(CommandHandler("importunits", importunits_command, private))
    app.add_handler(CommandHandler("exportunits", exportunits_command, private))
    app.add_handler(CommandHandler("invitesheet", invitesheet_command, private))
    app.add_handler(CommandHandler("myid", myid_command, private))
    app.add_handler(
        MessageHandler(
            private & filters.Document.ALL & filters.CaptionRegex(r"^/importunits(@\w+)?(\s|$)"),
            on_captioned_document,
        )
    )
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^units:"))
    app.add_handler(
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=STATUS_GROUP
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate), group=STATUS_GROUP)
