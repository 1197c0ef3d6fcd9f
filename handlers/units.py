"""Police units: /invite (wizard), /invitesheet (a province's codes at once), /bind, /units
(coverage and the unit screens), /unbind, /provadmin, /importunits, /exportunits, /myid and
officer links (`/start u_<code>`). Channel-neutral and thin: every rule and permission lives in
bot.units. (Telegram's group membership and supergroup migration events are in
bot/channels/telegram/police_groups.py.)"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from bot import directory
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, File, Input, Text
from bot.engine.router import Router
from bot.i18n import N_
from bot.runtime import Runtime
from bot.screens import Screen, esc
from bot.unit_codes import default_name, province_arg, province_of
from bot.unit_csv import CSV_MAX_BYTES
from bot.unit_screens import (
    PURPOSE_LETTERS,
    Coverage,
    InviteInProvince,
    InviteKind,
    InviteProvinceUnit,
    InviteWard,
    IssueCode,
    OpenUnit,
    ProvincePageAt,
    Reissue,
    RemoveOfficer,
    UnbindGroup,
    ask_ward_screen,
    coverage_screen,
    import_text,
    invite_screen,
    province_screen,
    provinces_screen,
    purpose_screen,
    redeem_text,
    reissue_screen,
    remove_officer_confirm_screen,
    unbind_confirm_screen,
    unit_screen,
    wards_screen,
)
from bot.unit_sheets import sheet_csv, sheet_pdf
from bot.units import (
    GROUP,
    OFFICER,
    PROVINCE,
    WARD,
    GroupRef,
    Invite,
    NotFound,
    UnitsError,
    UnitService,
)

router = Router("units")

INVITE_FLOW = "units_invite"
IMPORT_FLOW = "units_import"
FLOW_TTL = 1800
# `/invite <code> group|officer` (also Vietnamese: nhóm, cán bộ).
_ARG_PURPOSE = {"g": GROUP, "n": GROUP, "o": OFFICER, "c": OFFICER}
_IMPORT_CAPTION = re.compile(r"^/importunits(@\w+)?(\s|$)", re.IGNORECASE)


def service(turn: Turn) -> UnitService:
    svc: UnitService = turn.runtime.services.units
    return svc


async def _say(turn: Turn, text: str) -> None:
    await turn.show(Screen(text))


async def _actor(turn: Turn) -> int | None:
    """The person's account id (roles are kept by account); None when nobody is behind the
    message (e.g. a group's anonymous admin)."""
    return await turn.user_id() if turn.person is not None else None


def _invite_screen(turn: Turn, invite: Invite) -> Screen:
    link = turn.link(f"u_{invite.code}") if invite.purpose == OFFICER else None
    return invite_screen(turn.t, invite, link)


# -- /invite -----------------------------------------------------------------------------------
@router.command("invite", private_only=True)
async def invite_command(turn: Turn, cmd: Command) -> None:
    svc = service(turn)
    actor = await _actor(turn)
    if actor is None:
        return
    args = cmd.args
    try:
        if args:
            kind, code = svc.resolve_target(args[0])
            await svc.require_province(actor, province_of(kind, code))
            purpose = _ARG_PURPOSE.get(args[1][:1].lower()) if len(args) > 1 else None
            if purpose is not None:
                invite = await svc.issue_invite(actor, kind, code, purpose)
                await turn.show(_invite_screen(turn, invite))
                return
            letter = "p" if kind == PROVINCE else "w"
            await turn.show(purpose_screen(turn.t, default_name(kind, code), letter, code))
            return
        if not await svc.is_admin(actor):
            raise UnitsError(N_("This is only for police administrators."))
        provinces = await svc.managed_provinces(actor)
        if len(provinces) == 1:
            await _ask_ward(turn, provinces[0])
            return
        await turn.show(provinces_screen(turn.t, provinces))
    except UnitsError as err:
        await _say(turn, err.text(turn.t))


async def _ask_ward(turn: Turn, province: str) -> None:
    await turn.set_session({"flow": INVITE_FLOW, "province": province}, ttl=FLOW_TTL)
    await turn.show(ask_ward_screen(turn.t, province))


@router.flow(INVITE_FLOW)
async def on_invite_input(turn: Turn, inp: Input) -> None:
    _ = turn.t.gettext
    actor = await _actor(turn)
    if actor is None:
        return
    text = inp.text.strip() if isinstance(inp, Text) else ""
    if not text:
        await _say(turn, _("Please type the name of the commune/ward."))
        return
    province = str((await turn.session()).get("province", ""))
    try:
        wards = await service(turn).find_wards(actor, province, text)
    except UnitsError as err:
        await turn.clear_session()
        await _say(turn, err.text(turn.t))
        return
    await turn.show(wards_screen(turn.t, province, text, wards))


# -- /bind, officer links, /unbind ----------------------------------------------------------------
@router.command("bind")
async def bind_command(turn: Turn, cmd: Command) -> None:
    """In a private chat: an officer code enrols the sender. In a group: a group code binds
    the group (the chat the channel names, turn.chat) and enrols the sender."""
    _ = turn.t.gettext
    if not cmd.arg:
        await _say(turn, _("Send the code after the command, e.g. <code>/bind ABCD-EFGH-JKLM</code>."))
        return
    actor = await _actor(turn)
    if actor is None:
        # An anonymous group admin or a channel posting in the group: nobody to enrol.
        await _say(turn, _("Please send /bind as yourself, not anonymously."))
        return
    group = None if turn.chat.private else GroupRef.of(turn.chat.channel, turn.chat.key)
    result = await service(turn).redeem(actor, "".join(cmd.args)[:64], group)
    await _say(turn, redeem_text(turn.t, result))
    if result.status in ("bound", "enrolled"):
        await turn.runtime.roles_changed(actor)  # now an officer: their menu


@router.deep_link("u")
async def officer_link(turn: Turn, arg: str) -> None:
    """`/start u_<CODE>` from an officer invite link or a printed sheet's QR code."""
    actor = await _actor(turn)
    if actor is None:
        return
    result = await service(turn).redeem(actor, arg[:64], None)
    await _say(turn, redeem_text(turn.t, result))
    if result.status == "enrolled":
        await turn.runtime.roles_changed(actor)


@router.command("unbind")
async def unbind_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    if turn.chat.private:
        await _say(turn, _("Send /unbind in the group, or use /units to manage a unit."))
        return
    actor = await _actor(turn)
    if actor is None:
        await _say(turn, _("This is only for police administrators."))
        return
    try:
        unit = await service(turn).unbind_chat(actor, GroupRef.of(turn.chat.channel, turn.chat.key))
    except UnitsError as err:
        await _say(turn, err.text(turn.t))
        return
    await _say(turn, _("This group no longer receives tips for <b>{unit}</b>.").format(unit=esc(unit.name)))


# -- /units and the management buttons -----------------------------------------------------------
@router.command("units", private_only=True)
async def units_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    svc = service(turn)
    actor = await _actor(turn)
    if actor is None:
        return
    arg = cmd.arg.strip()
    try:
        if not await svc.is_admin(actor):
            mine = await svc.officer_units(actor)
            if mine:
                names = "\n".join(f"• {esc(u.name)}" for u in mine)
                await _say(turn, _("You are an officer of:\n{units}").format(units=names))
            else:
                await _say(turn, _("This is only for police administrators."))
            return
        if arg and re.fullmatch(r"\d{3,6}", arg):
            ward_unit = await svc.find(WARD, arg)
            if ward_unit is None:
                kind, code = svc.resolve_target(arg)
                await svc.require_province(actor, province_of(kind, code))
                await turn.show(purpose_screen(turn.t, default_name(kind, code), "w", code))
                return
            await turn.show(unit_screen(turn.t, await svc.unit_detail(actor, ward_unit.id)))
            return
        if arg:
            province = province_arg(arg)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=arg)
            page = await svc.province_page(actor, province, 0)
            await turn.show(province_screen(turn.t, page, back=svc.is_national_admin(actor)))
            return
        provinces = await svc.managed_provinces(actor)
        if len(provinces) == 1:
            page = await svc.province_page(actor, provinces[0], 0)
            await turn.show(province_screen(turn.t, page, back=False))
            return
        await turn.show(coverage_screen(turn.t, await svc.coverage(actor)))
    except UnitsError as err:
        await _say(turn, err.text(turn.t))


async def _press(turn: Turn, step: Callable[[int], Awaitable[Screen | None]]) -> None:
    """Run a button's step for the actor: its screen replaces the pressed one; a refusal is a
    new message (so the admin still sees what they pressed)."""
    actor = await _actor(turn)
    if actor is None:
        await turn.notice()
        return
    try:
        screen = await step(actor)
    except UnitsError as err:
        await turn.notice()
        await _say(turn, err.text(turn.t))
        return
    await turn.notice()
    if screen is not None:
        await turn.show(screen, replace=True)


@router.on(Coverage)
async def on_coverage(turn: Turn, act: Coverage) -> None:
    async def step(actor: int) -> Screen:
        return coverage_screen(turn.t, await service(turn).coverage(actor))

    await _press(turn, step)


@router.on(ProvincePageAt)
async def on_province_page(turn: Turn, act: ProvincePageAt) -> None:
    async def step(actor: int) -> Screen:
        svc = service(turn)
        page = await svc.province_page(actor, act.province, act.page)
        return province_screen(turn.t, page, back=svc.is_national_admin(actor))

    await _press(turn, step)


@router.on(OpenUnit)
async def on_unit(turn: Turn, act: OpenUnit) -> None:
    async def step(actor: int) -> Screen:
        return unit_screen(turn.t, await service(turn).unit_detail(actor, act.unit))

    await _press(turn, step)


@router.on(IssueCode)
async def on_issue_code(turn: Turn, act: IssueCode) -> None:
    async def step(actor: int) -> None:
        invite = await service(turn).issue_invite_for_unit(
            actor, act.unit, PURPOSE_LETTERS[act.purpose], revoke_old=act.reissue == "r"
        )
        await turn.notice()
        await turn.show(_invite_screen(turn, invite))  # a new message: the code stays visible

    await _press(turn, step)


@router.on(Reissue)
async def on_reissue(turn: Turn, act: Reissue) -> None:
    async def step(actor: int) -> Screen:
        return reissue_screen(turn.t, await service(turn).require_unit(actor, act.unit))

    await _press(turn, step)


@router.on(UnbindGroup)
async def on_unbind_group(turn: Turn, act: UnbindGroup) -> None:
    _ = turn.t.gettext

    async def step(actor: int) -> Screen:
        svc = service(turn)
        unit = await svc.require_unit(actor, act.unit)
        if act.confirm is None:
            return unbind_confirm_screen(turn.t, unit)
        old = await svc.unbind_group(actor, unit.id)
        notice = _("🔌 The group is unbound.") if old is not None else _("No group was bound.")
        return unit_screen(turn.t, await svc.unit_detail(actor, unit.id), notice)

    await _press(turn, step)


@router.on(RemoveOfficer)
async def on_remove_officer(turn: Turn, act: RemoveOfficer) -> None:
    async def step(actor: int) -> Screen:
        svc = service(turn)
        unit = await svc.require_unit(actor, act.unit)
        if act.confirm is None:
            return remove_officer_confirm_screen(turn.t, unit, act.user)
        await svc.remove_officer(actor, unit.id, act.user)
        await turn.runtime.roles_changed(act.user)  # maybe no longer an officer: their menu
        notice = turn.t.gettext("The officer was removed.")
        return unit_screen(turn.t, await svc.unit_detail(actor, unit.id), notice)

    await _press(turn, step)


# -- the invite wizard's buttons
@router.on(InviteInProvince)
async def on_invite_province(turn: Turn, act: InviteInProvince) -> None:
    async def step(actor: int) -> None:
        province = await service(turn).require_province(actor, act.province)
        await turn.notice()
        await _ask_ward(turn, province)

    await _press(turn, step)


@router.on(InviteWard, InviteProvinceUnit)
async def on_invite_target(turn: Turn, act: InviteWard | InviteProvinceUnit) -> None:
    async def step(actor: int) -> Screen:
        svc = service(turn)
        ref = act.ward if isinstance(act, InviteWard) else f"P{act.province}"
        kind, code = svc.resolve_target(ref)
        await svc.require_province(actor, province_of(kind, code))
        return purpose_screen(turn.t, default_name(kind, code), "w" if kind == WARD else "p", code)

    await _press(turn, step)


@router.on(InviteKind)
async def on_invite_kind(turn: Turn, act: InviteKind) -> None:
    async def step(actor: int) -> Screen:
        kind = WARD if act.kind == "w" else PROVINCE
        invite = await service(turn).issue_invite(actor, kind, act.code, PURPOSE_LETTERS[act.purpose])
        await turn.clear_session()
        return _invite_screen(turn, invite)

    await _press(turn, step)


# -- /provadmin --------------------------------------------------------------------------------
@router.command("provadmin", private_only=True)
async def provadmin_command(turn: Turn, cmd: Command) -> None:
    """/provadmin <province> <user_id> · /provadmin remove <province> <user_id> ·
    /provadmin <province> (list)."""
    _ = turn.t.gettext
    svc = service(turn)
    actor = await _actor(turn)
    if actor is None:
        return
    args = cmd.args
    remove = bool(args) and args[0].lower() in ("remove", "del", "xoa", "xóa")
    if remove:
        args = args[1:]
    try:
        if not svc.is_national_admin(actor):
            raise UnitsError(N_("Only a national administrator can appoint province administrators."))
        if not args:
            await _say(turn, _(
                "Usage: <code>/provadmin &lt;province&gt; &lt;user id&gt;</code> to appoint, "
                "<code>/provadmin remove &lt;province&gt; &lt;user id&gt;</code> to remove, "
                "<code>/provadmin &lt;province&gt;</code> to list."
            ))
            return
        user_text = args[-1] if len(args) > 1 and re.fullmatch(r"-?\d+", args[-1]) else None
        province_text = " ".join(args[:-1] if user_text is not None else args)
        province = province_arg(province_text)
        if province is None:
            raise NotFound(N_("There is no province with code {code}."), code=province_text)
        info = directory.get_province(province)
        name = esc(info.short_name if info else province)
        if user_text is None:
            ids = await svc.province_admins(actor, province)
            listing = ", ".join(f"<code>{i}</code>" for i in ids) if ids else "—"
            await _say(turn, _("Province administrators of {province}: {ids}").format(province=name, ids=listing))
            return
        user_id = int(user_text)
        changed = await svc.set_province_admin(actor, province, user_id, remove=remove)
        if changed:
            await turn.runtime.roles_changed(user_id)
        if remove:
            text = (_("<code>{id}</code> is no longer a province administrator of {province}.")
                    if changed else _("<code>{id}</code> was not a province administrator of {province}."))
        else:
            text = (_("<code>{id}</code> is now a province administrator of {province}.")
                    if changed else _("<code>{id}</code> was already a province administrator of {province}."))
        await _say(turn, text.format(id=user_id, province=name))
    except UnitsError as err:
        await _say(turn, err.text(turn.t))


# -- CSV -----------------------------------------------------------------------------------------
@router.command("importunits", private_only=True)
async def importunits_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    actor = await _actor(turn)
    if actor is None:
        return
    if not await service(turn).is_admin(actor):
        await _say(turn, _("This is only for police administrators."))
        return
    await turn.set_session({"flow": IMPORT_FLOW}, ttl=FLOW_TTL)
    await _say(turn, _(
        "Send the CSV file as a document. Columns: <code>unit_code, name, hotline, "
        "province_admin_ids</code> (ids separated by “;”). Ward units by their official code "
        "(e.g. 26740), province units as P + province code (e.g. P79). If any row is wrong, "
        "nothing is imported."
    ))


async def _import_file(turn: Turn, actor: int, inp: File) -> None:
    _ = turn.t.gettext
    if inp.size is not None and inp.size > CSV_MAX_BYTES:
        await _say(turn, _("The file is larger than 1 MB."))
        return
    data = await inp.fetch()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        await _say(turn, _("The file must be UTF-8 text (in a spreadsheet: “CSV UTF-8”)."))
        return
    await turn.clear_session()
    try:
        result = await service(turn).import_csv(text, actor)
    except UnitsError as err:
        await _say(turn, err.text(turn.t))
        return
    await _say(turn, import_text(turn.t, result))


@router.flow(IMPORT_FLOW)
async def on_import_input(turn: Turn, inp: Input) -> None:
    actor = await _actor(turn)
    if actor is None:
        return
    if not isinstance(inp, File):
        await _say(turn, turn.t.gettext("Please send the CSV file as a document (or /cancel)."))
        return
    await _import_file(turn, actor, inp)


@router.free_input
async def on_captioned_file(turn: Turn, inp: Input) -> bool:
    """A file sent with the caption /importunits (one step instead of two)."""
    if not isinstance(inp, File) or not _IMPORT_CAPTION.match(inp.caption):
        return False
    actor = await _actor(turn)
    if actor is None:
        return False
    if not await service(turn).is_admin(actor):
        await _say(turn, turn.t.gettext("This is only for police administrators."))
        return True
    await _import_file(turn, actor, inp)
    return True


@router.command("exportunits", private_only=True)
async def exportunits_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    actor = await _actor(turn)
    if actor is None:
        return
    arg = cmd.arg.strip()
    try:
        province = None
        if arg:
            province = province_arg(arg)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=arg)
        text = await service(turn).export_csv(province, actor_id=actor)
    except UnitsError as err:
        await _say(turn, err.text(turn.t))
        return
    rows = max(0, text.count("\n") - 1)
    name = f"units-{province}.csv" if province else "units.csv"
    caption = _("Police units: {n} rows").format(n=rows)
    await turn.show(Screen(caption, document=(name, text.encode("utf-8"))))


# -- /myid ----------------------------------------------------------------------------------------
@router.command("myid", private_only=True)
async def myid_command(turn: Turn, cmd: Command) -> None:
    """The sender's numeric Telegram id: what BOT_ADMIN_IDS and /provadmin take (Telegram
    apps do not show it). Shown to that person only, in a private chat; nothing is kept.
    Administrators are appointed by Telegram id, so other channels say so instead."""
    person = turn.person
    if person is None:
        return
    if person.channel != "telegram":
        await _say(turn, turn.t.gettext(
            "Police administrators are appointed by their Telegram user id. Open this bot on "
            "Telegram and send /myid there."))
        return
    await _say(turn, turn.t.gettext(
        "Your Telegram user id is <code>{id}</code>.\n\nA national administrator uses it to "
        "make you a province administrator (<code>/provadmin</code>); whoever runs the bot puts "
        "national administrators' ids in BOT_ADMIN_IDS.").format(id=esc(person.external_id)))


# -- bulk enrolment -------------------------------------------------------------------------------
@router.command("invitesheet", private_only=True)
async def invitesheet_command(turn: Turn, cmd: Command) -> None:
    """/invitesheet [province] [all]: officer codes for every ward of a province not yet
    enrolled (or every ward, with "all") as a CSV and a printable PDF."""
    t = turn.t
    _ = t.gettext
    svc = service(turn)
    actor = await _actor(turn)
    if actor is None:
        return
    args = cmd.args
    include_all = bool(args) and args[-1].lower() in ("all", "tatca", "tất-cả")
    text = " ".join(args[:-1] if include_all else args).strip()
    try:
        if not await svc.is_admin(actor):
            raise UnitsError(N_("This is only for police administrators."))
        if text:
            province = province_arg(text)
            if province is None:
                raise NotFound(N_("There is no province with code {code}."), code=text)
        else:
            mine = await svc.managed_provinces(actor)
            if len(mine) != 1:
                await _say(turn, _(
                    "Usage: <code>/invitesheet &lt;province&gt;</code> for the wards not yet "
                    "enrolled, <code>/invitesheet &lt;province&gt; all</code> for every ward."))
                return
            province = mine[0]
        sheet = await svc.issue_province_sheet(actor, province, include_enrolled=include_all)
    except UnitsError as err:
        await _say(turn, err.text(t))
        return
    name = esc(sheet.province.name)
    if not sheet.codes:
        await _say(turn, _("Every commune/ward of {province} already has a group or "
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
    await _say(turn, "\n".join(lines))

    def link_for(code: str) -> str:
        return turn.link(f"u_{code}") or ""

    bot_name = turn.runtime.bot_username
    pdf = await asyncio.to_thread(sheet_pdf, t, sheet, link_for, bot_name)  # ~1 s for 168 wards
    stem = f"invites-{sheet.province.code:02d}"
    await turn.show(Screen(_("Codes as CSV"),
                           document=(f"{stem}.csv", sheet_csv(t, sheet, link_for).encode())))
    await turn.show(Screen(_("Printable sheet"), document=(f"{stem}.pdf", pdf)))


async def setup(runtime: Runtime) -> None:
    runtime.users.register_eraser(runtime.services.units.erase_user)
