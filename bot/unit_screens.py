"""Police units' screens (text and buttons for any channel) and the typed actions their
buttons carry. The packed forms are the callback data the units buttons always had
("units:u:12", "units:c:12:o:r"…), so buttons already in admins' chats keep working. The
handlers (handlers/units.py) route the actions; the service re-checks every permission."""

from __future__ import annotations

from bot import directory
from bot.engine.actions import Action
from bot.i18n import Translator
from bot.screens import Button, Screen, esc
from bot.unit_types import (
    GROUP,
    OFFICER,
    ImportResult,
    Invite,
    PoliceUnit,
    ProvinceCoverage,
    ProvincePage,
    RedeemResult,
    UnitDetail,
)

# One letter in packed actions for a code's purpose and a unit's kind.
PURPOSE_LETTERS = {"g": GROUP, "o": OFFICER}
KIND_LETTERS = ("w", "p")  # ward, province


def _check(ok: bool) -> None:
    if not ok:
        raise ValueError("not a valid units action")


# -- actions ---------------------------------------------------------------------------------
class Coverage(Action, prefix="units:cov"):
    """Back to the list of provinces."""


class ProvincePageAt(Action, prefix="units:p"):
    province: str
    page: int

    def __post_init__(self) -> None:
        _check(self.province.isdigit() and self.page >= 0)


class OpenUnit(Action, prefix="units:u"):
    unit: int


class IssueCode(Action, prefix="units:c"):
    """A new code for a unit: purpose "g" or "o"; reissue "r" revokes every unused code."""

    unit: int
    purpose: str
    reissue: str | None = None

    def __post_init__(self) -> None:
        _check(self.purpose in PURPOSE_LETTERS and self.reissue in (None, "r"))


class Reissue(Action, prefix="units:ri"):
    unit: int


class UnbindGroup(Action, prefix="units:ub"):
    unit: int
    confirm: str | None = None  # "y" once confirmed

    def __post_init__(self) -> None:
        _check(self.confirm in (None, "y"))


class RemoveOfficer(Action, prefix="units:ro"):
    unit: int
    user: int
    confirm: str | None = None  # "y" once confirmed

    def __post_init__(self) -> None:
        _check(self.confirm in (None, "y"))


class InviteInProvince(Action, prefix="units:iv"):
    """Invite wizard: the province is chosen, ask for the ward."""

    province: str


class InviteWard(Action, prefix="units:iw"):
    ward: str


class InviteProvinceUnit(Action, prefix="units:ip"):
    province: str


class InviteKind(Action, prefix="units:ik"):
    """Invite wizard's last step: kind "w"/"p", the unit's code, purpose "g"/"o"."""

    kind: str
    code: str
    purpose: str

    def __post_init__(self) -> None:
        _check(self.kind in KIND_LETTERS and self.purpose in PURPOSE_LETTERS)


def _status_line(t: Translator, unit: PoliceUnit | None, officers: int) -> str:
    _ = t.gettext
    if unit is None:
        return _("not set up")
    parts = []
    if unit.group is not None:
        parts.append(_("group bound"))
    if officers:
        parts.append(_("officers: {n}").format(n=officers))
    if unit.hotline:
        parts.append("☎ " + esc(unit.hotline))
    return ", ".join(parts) if parts else _("created, not reachable yet")


def coverage_screen(t: Translator, rows: list[ProvinceCoverage]) -> Screen:
    _ = t.gettext
    lines = [
        _("<b>Coverage</b>: communes/wards whose police unit is reachable on the bot "
          "(bound group or enrolled officer). 🏛 = the province unit is reachable."),
        "",
    ]
    covered = sum(r.covered for r in rows)
    total = sum(r.total for r in rows)
    for r in rows:
        mark = " 🏛" if r.province_unit else ""
        lines.append(f"{esc(r.name)}: {r.covered}/{r.total}{mark}")
    if len(rows) > 1:
        lines += ["", _("Total: {covered}/{total}").format(covered=covered, total=total)]
    buttons = [Button(f"{r.name} {r.covered}/{r.total}", action=ProvincePageAt(r.province_code, 0)) for r in rows]
    grid = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen("\n".join(lines), grid)


def province_screen(t: Translator, page: ProvincePage, *, back: bool) -> Screen:
    _ = t.gettext
    cov = page.coverage
    lines = [
        _("<b>{province}</b>: {covered}/{total} communes/wards reachable").format(
            province=esc(cov.name), covered=cov.covered, total=cov.total
        ),
        _("Province unit: {status}").format(status=_status_line(t, page.province_unit, page.province_officers)),
        "",
    ]
    buttons: list[Button] = []
    for w in page.wards:
        icon = "✅" if w.reachable else ("🟡" if w.unit is not None else "⬜")
        status = _status_line(t, w.unit, w.officers) if w.unit else ""
        line = f"{icon} {esc(w.ward.name)} <code>{w.ward.code:05d}</code>"
        lines.append(line + (f" — {status}" if status else ""))
        if w.unit is not None:
            buttons.append(Button("⚙️ " + w.ward.short_name, action=OpenUnit(w.unit.id)))
    lines += ["", _("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages)]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if page.province_unit is not None:
        rows.append([Button(_("⚙️ Province unit"), action=OpenUnit(page.province_unit.id))])
    nav = []
    if page.page > 0:
        nav.append(Button("◀", action=ProvincePageAt(cov.province_code, page.page - 1)))
    if page.page + 1 < page.pages:
        nav.append(Button("▶", action=ProvincePageAt(cov.province_code, page.page + 1)))
    if nav:
        rows.append(nav)
    last = [Button(_("➕ Invite code"), action=InviteInProvince(cov.province_code))]
    if back:
        last.append(Button(_("⬅️ Provinces"), action=Coverage()))
    rows.append(last)
    return Screen("\n".join(lines), rows)


def unit_screen(t: Translator, detail: UnitDetail, notice: str = "") -> Screen:
    _ = t.gettext
    unit = detail.unit
    lines = []
    if notice:
        lines += [notice, ""]
    lines += [
        f"<b>{esc(unit.name)}</b>",
        _("Official: {name} ({province}), code <code>{code}</code>").format(
            name=esc(detail.official_name), province=esc(detail.province_name), code=esc(unit.ref)
        ),
        _("Hotline: {hotline}").format(hotline=esc(unit.hotline) if unit.hotline else "—"),
        _("Group: {group}").format(
            group=_("bound") if unit.group is not None else _("none")
        ),
        _("Officers: {ids}").format(
            ids=", ".join(f"<code>{i}</code>" for i in detail.officers) if detail.officers else "—"
        ),
        _("Unused codes: {group} group, {officer} officer").format(
            group=detail.pending.get(GROUP, 0), officer=detail.pending.get(OFFICER, 0)
        ),
    ]
    rows = [
        [Button(_("🔑 Group code"), action=IssueCode(unit.id, "g")),
         Button(_("🔑 Officer code"), action=IssueCode(unit.id, "o"))],
        [Button(_("🔁 Re-issue codes"), action=Reissue(unit.id))],
    ]
    if unit.group is not None:
        rows.append([Button(_("🔌 Unbind group"), action=UnbindGroup(unit.id))])
    for uid in detail.officers[:10]:
        rows.append([Button(_("❌ Remove officer {id}").format(id=uid), action=RemoveOfficer(unit.id, uid))])
    rows.append([Button(_("⬅️ Back"), action=ProvincePageAt(unit.province_code, 0))])
    return Screen("\n".join(lines), rows)


def invite_screen(t: Translator, invite: Invite, officer_link: str | None) -> Screen:
    """A new code; `officer_link` opens the bot and enrols whoever follows it (None where the
    channel has no such links)."""
    _ = t.gettext
    unit = esc(invite.unit.name)
    expires = t.datetime(invite.expires_at)
    if invite.purpose == GROUP:
        how = _(
            "Add me to the unit's Telegram group, then send this in the group:\n"
            "<code>/bind {code}</code>"
        ).format(code=invite.pretty)
    else:
        how = _(
            "Give it to the officer. They open a private chat with me and send:\n"
            "<code>/bind {code}</code>"
        ).format(code=invite.pretty)
    lines = [
        _("🔑 <b>{kind} code for {unit}</b>").format(
            kind=_("Group") if invite.purpose == GROUP else _("Officer"), unit=unit
        ),
        "",
        f"<code>{invite.pretty}</code>",
        "",
        how,
        "",
        _("It works once and expires at {time}.").format(time=esc(expires)),
    ]
    if invite.revoked:
        lines.append(
            _("Older unused codes that no longer work: {n}.").format(n=invite.revoked)
        )
    rows = []
    if invite.purpose == OFFICER and officer_link:
        rows.append([Button(_("Officer link"), url=officer_link)])
    rows.append([Button(_("⚙️ Unit"), action=OpenUnit(invite.unit.id))])
    return Screen("\n".join(lines), rows)


def redeem_text(t: Translator, result: RedeemResult) -> str:
    _ = t.gettext
    name = esc(result.unit.name) if result.unit else ""
    status = result.status
    if status == "bound":
        text = _(
            "✅ This group now receives tips for <b>{unit}</b>. You are enrolled as an officer. "
            "Tips are sent here without anything that identifies the person who sent them."
        ).format(unit=name)
        if result.replaced_group is not None:
            text += "\n" + _("The unit's previous group no longer receives tips.")
        return text
    if status == "enrolled":
        if result.already_officer:
            return _("You were already an officer of <b>{unit}</b>. Nothing changed.").format(unit=name)
        return _(
            "✅ You are now an officer of <b>{unit}</b>. Tips for the unit come to this chat "
            "when the unit has no bound group."
        ).format(unit=name)
    if status == "wrong":
        if result.attempts_left <= 0:
            return _("❌ This code is not valid. Too many wrong codes: please try again in an hour.")
        return _("❌ This code is not valid. Check it and try again ({n} attempts left this hour).").format(
            n=result.attempts_left
        )
    if status == "used":
        return _("This code has already been used. Ask your administrator for a new code.")
    if status == "expired":
        return _("This code has expired. Ask your administrator for a new code.")
    if status == "revoked":
        return _("This code was replaced by a newer one. Ask your administrator for the new code.")
    if status == "limited":
        return _("Too many wrong codes. Please wait an hour and try again.")
    if status == "group_code_in_private":
        return _(
            "This is a group code. Add me to the unit's Telegram group and send "
            "<code>/bind CODE</code> there."
        )
    if status == "officer_code_in_group":
        return _("This is an officer code. Send it to me in a private chat instead.")
    if status == "group_taken":
        other = esc(result.other_unit.name) if result.other_unit else ""
        return _(
            "This group already receives tips for <b>{other}</b>. An administrator must unbind "
            "it first."
        ).format(other=other)
    return _("Something went wrong. Please try again.")


def import_text(t: Translator, result: ImportResult, limit: int = 25) -> str:
    _ = t.gettext
    if result.ok:
        return _(
            "✅ Imported {rows} rows: {created} units created, {updated} updated, "
            "{admins} province administrators added."
        ).format(rows=result.rows, created=result.created, updated=result.updated,
                 admins=result.admins_added)
    lines = [_("❌ Nothing was imported. Fix these rows and send the file again:"), ""]
    for err in result.errors[:limit]:
        prefix = _("Row {row}").format(row=err.row) if err.row else _("File")
        lines.append(f"• {prefix}: {err.text(t)}")
    if len(result.errors) > limit:
        lines.append(_("… and {n} more.").format(n=len(result.errors) - limit))
    return "\n".join(lines)



# -- the invite wizard and confirmations ------------------------------------------------------
def provinces_screen(t: Translator, provinces: list[str]) -> Screen:
    """Invite wizard, first step for an admin of several provinces."""
    buttons = []
    for code in provinces:
        info = directory.get_province(code)
        buttons.append(Button(info.short_name if info else code, action=InviteInProvince(code)))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return Screen(t.gettext("<b>Invite code</b>: choose the province."), rows)


def ask_ward_screen(t: Translator, province: str) -> Screen:
    _ = t.gettext
    info = directory.get_province(province)
    text = _(
        "<b>{province}</b>: type the name of the commune/ward (e.g. “Ba Đình”), "
        "or choose the province drug police unit."
    ).format(province=esc(info.short_name if info else province))
    return Screen(text, [[Button(_("🏛 Province unit"), action=InviteProvinceUnit(province))]])


def wards_screen(t: Translator, province: str, query: str, wards: list[directory.Unit]) -> Screen:
    """The wards matching what the admin typed, and the province unit."""
    _ = t.gettext
    rows = [[Button(w.name, action=InviteWard(f"{w.code:05d}"))] for w in wards]
    rows.append([Button(_("🏛 Province unit"), action=InviteProvinceUnit(province))])
    if not wards:
        return Screen(_("No commune/ward matches “{text}”. Try another spelling.").format(
            text=esc(query[:100])), rows)
    return Screen(_("Which one? (or type another name)"), rows)


def purpose_screen(t: Translator, name: str, kind_letter: str, code: str) -> Screen:
    """Which code for this unit: a group code or an officer code."""
    _ = t.gettext
    text = _(
        "<b>{unit}</b>\n\nWhich code?\n• <b>Group code</b>: binds the unit's Telegram group, "
        "where tips will arrive.\n• <b>Officer code</b>: enrols one officer, who receives tips "
        "in a private chat when the unit has no group."
    ).format(unit=esc(name))
    return Screen(text, [[
        Button(_("👥 Group code"), action=InviteKind(kind_letter, code, "g")),
        Button(_("👮 Officer code"), action=InviteKind(kind_letter, code, "o")),
    ]])


def reissue_screen(t: Translator, unit: PoliceUnit) -> Screen:
    _ = t.gettext
    text = _(
        "<b>{unit}</b>\n\nRe-issue: every unused code of this unit stops working and a new "
        "code is made. Which code?"
    ).format(unit=esc(unit.name))
    return Screen(text, [
        [Button(_("👥 Group code"), action=IssueCode(unit.id, "g", "r")),
         Button(_("👮 Officer code"), action=IssueCode(unit.id, "o", "r"))],
        [Button(_("⬅️ Back"), action=OpenUnit(unit.id))],
    ])


def unbind_confirm_screen(t: Translator, unit: PoliceUnit) -> Screen:
    _ = t.gettext
    return Screen(
        _("Unbind the group of <b>{unit}</b>? Tips will then go to its officers, or to "
          "the province unit.").format(unit=esc(unit.name)),
        [[Button(_("Yes, unbind"), action=UnbindGroup(unit.id, "y")),
          Button(_("No"), action=OpenUnit(unit.id))]],
    )


def remove_officer_confirm_screen(t: Translator, unit: PoliceUnit, user_id: int) -> Screen:
    _ = t.gettext
    return Screen(
        _("Remove officer <code>{id}</code> from <b>{unit}</b>?").format(
            id=user_id, unit=esc(unit.name)),
        [[Button(_("Yes, remove"), action=RemoveOfficer(unit.id, user_id, "y")),
          Button(_("No"), action=OpenUnit(unit.id))]],
    )
