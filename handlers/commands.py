"""The commands /help lists, per role; channels with command menus (Telegram's, see
bot/channels/telegram/command_menus.py) show the same tables, so the menu and the help never
disagree."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.unit_types import NATIONAL_ADMIN_ROLE, OFFICER_ROLE, PROVINCE_ADMIN_ROLE

Entries = tuple[tuple[str, str], ...]

PRIVATE: Entries = (
    ("start", N_("Main menu")),
    ("learn", N_("Learn about drugs and the law")),
    ("quiz", N_("Practise or join a quiz contest")),
    ("join", N_("Join a contest with its code")),
    ("newcontest", N_("Create a class contest (teachers)")),
    ("mycontests", N_("Your contests and their results")),
    ("tip", N_("Report drug activity anonymously")),
    ("followup", N_("Check a tip with your receipt")),
    ("events", N_("Events near you")),
    ("subscriptions", N_("What the bot sends you")),
    ("language", N_("Tiếng Việt / English")),
    ("privacy", N_("What the bot keeps")),
    ("help", N_("How to use the bot")),
    ("cancel", N_("Stop the current step")),
    ("deleteme", N_("Erase your data")),
)
GROUP: Entries = (
    ("bind", N_("Bind this group to a police unit (code)")),
    ("groupquiz", N_("Run a quiz round in this group")),
    ("stopquiz", N_("Stop the quiz round")),
    ("tipstats", N_("Tip statistics of this unit")),
    ("report", N_("Reports: figures, charts, spreadsheet (police)")),
    ("tipaudit", N_("Who did what with a tip (code)")),
    ("tip", N_("Report a tip (opens a private chat)")),
    ("help", N_("How to use the bot")),
)
# Staff commands by role, in the order /help shows the sections.
OFFICER_COMMANDS: Entries = (
    ("units", N_("Your police units")),
    ("tipstats", N_("Tip statistics of your units")),
    ("report", N_("Reports: figures, charts, spreadsheet (police)")),
    ("tipaudit", N_("Who did what with a tip (code)")),
    ("ask", N_("Ask the tipster a question (tip code)")),
    ("transfer", N_("Send a tip to another unit (tip code)")),
    ("newevent", N_("Create a local event")),
    ("console", N_("Open the police console in a browser")),
)
PROVINCE_ADMIN_COMMANDS: Entries = (
    ("units", N_("Police units and coverage")),
    ("invite", N_("Invite code for one police unit")),
    ("invitesheet", N_("Codes for every ward of a province (CSV + PDF)")),
    ("importunits", N_("Import police units from a CSV file")),
    ("exportunits", N_("Export police units as CSV")),
    ("broadcast", N_("Send a message to subscribers")),
    ("newevent", N_("Create a local event")),
    ("tipstats", N_("Tip statistics of your province")),
    ("report", N_("Reports: figures, charts, spreadsheet (police)")),
)
NATIONAL_ADMIN_COMMANDS: Entries = (
    ("provadmin", N_("Appoint or remove province administrators")),
)
ROLE_SECTIONS: tuple[tuple[str, str, Entries], ...] = (
    (OFFICER_ROLE, N_("<b>Police officers</b>"), OFFICER_COMMANDS),
    (PROVINCE_ADMIN_ROLE, N_("<b>Province administrators</b>"), PROVINCE_ADMIN_COMMANDS),
    (NATIONAL_ADMIN_ROLE, N_("<b>National administrators</b>"), NATIONAL_ADMIN_COMMANDS),
)


def effective_roles(roles: frozenset[str]) -> frozenset[str]:
    """A national admin may do everything a province admin may (in every province)."""
    return roles | {PROVINCE_ADMIN_ROLE} if NATIONAL_ADMIN_ROLE in roles else roles


def entries_for(roles: frozenset[str]) -> Entries:
    """The private-chat menu of a user with these roles: citizens' commands, then staff ones."""
    out: dict[str, str] = dict(PRIVATE)
    for role, _title, entries in ROLE_SECTIONS:
        if role in effective_roles(roles):
            for name, desc in entries:
                out.setdefault(name, desc)
    return tuple(out.items())


def staff_help(t: Translator, roles: frozenset[str], available: set[str]) -> str:
    """The role sections appended to /help ("" for a citizen)."""
    parts = []
    for role, title, entries in ROLE_SECTIONS:
        if role not in effective_roles(roles):
            continue
        lines = [f"/{name} — {t.gettext(desc)}" for name, desc in entries if name in available]
        if lines:
            parts.append(t.gettext(title) + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


async def roles_of(runtime: Runtime, user_id: int) -> frozenset[str]:
    units = runtime.services.units
    if units is None:  # the units feature is not installed: nobody is staff
        return frozenset()
    roles: frozenset[str] = await units.staff_roles(user_id)
    return roles
