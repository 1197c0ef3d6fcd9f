"""The command menu Telegram shows and the commands /help lists, per language, per scope and
per role.

Citizens get the private-chat list (and the default scope). Staff (officers, province and
national admins) get their own menu in their private chat (BotCommandScopeChat), set when
their role changes and when they open /help or /start; a user who loses every role gets the
chat-scoped menu deleted, so Telegram falls back to the citizens' list. /help renders the same
tables, so the menu and the help never disagree.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.config import SUPPORTED_LOCALES
from bot.i18n import N_, Translator, translator
from bot.runtime import Runtime
from bot.units import NATIONAL_ADMIN_ROLE, OFFICER_ROLE, PROVINCE_ADMIN_ROLE

log = logging.getLogger(__name__)

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
    ("tipaudit", N_("Who did what with a tip (code)")),
    ("tip", N_("Report a tip (opens a private chat)")),
    ("help", N_("How to use the bot")),
)
# Staff commands by role, in the order /help shows the sections.
OFFICER_COMMANDS: Entries = (
    ("units", N_("Your police units")),
    ("tipstats", N_("Tip statistics of your units")),
    ("tipaudit", N_("Who did what with a tip (code)")),
    ("ask", N_("Ask the tipster a question (tip code)")),
    ("transfer", N_("Send a tip to another unit (tip code)")),
    ("newevent", N_("Create a local event")),
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


def command_list(entries: Entries, locale: str, available: set[str]) -> list[BotCommand]:
    t = translator(locale)
    return [BotCommand(name, t.gettext(desc)) for name, desc in entries if name in available]


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
    units = runtime.services.get("units")
    if units is None:  # the units feature is not installed: nobody is staff
        return frozenset()
    roles: frozenset[str] = await units.staff_roles(user_id)
    return roles


async def publish(bot: Bot, available: set[str], runtime: Runtime | None = None) -> None:
    """setMyCommands for each language and scope; only commands that are installed. With the
    runtime, also the national admins' own menus (others get theirs on a role change or
    their next /start or /help)."""
    for locale in SUPPORTED_LOCALES:
        for scope, entries in (
            (BotCommandScopeAllPrivateChats(), PRIVATE),
            (BotCommandScopeAllGroupChats(), GROUP),
            (BotCommandScopeDefault(), PRIVATE),
        ):
            commands = command_list(entries, locale, available)
            await bot.set_my_commands(commands, scope=scope, language_code=locale)
            if locale == "vi":  # the default list, for clients in other languages
                await bot.set_my_commands(commands, scope=scope)
    if runtime is not None:
        for user_id in runtime.settings.admin_ids:
            await sync_menu(bot, runtime, user_id, available)


_SYNCED = "staff_menus"  # runtime.services key: {user_id: roles} published in this process


async def sync_menu(bot: Bot, runtime: Runtime, user_id: int, available: set[str],
                    *, force: bool = False) -> frozenset[str]:
    """Give a user's private chat the menu of their roles now (or delete it when they have
    none, so the citizens' menu shows). Skips the calls when nothing changed since the last
    sync in this process. Returns the roles."""
    roles = await roles_of(runtime, user_id)
    synced: dict[int, frozenset[str]] = runtime.services.setdefault(_SYNCED, {})
    if not force and synced.get(user_id, frozenset()) == roles:
        return roles
    scope = BotCommandScopeChat(user_id)
    try:
        for locale in (*SUPPORTED_LOCALES, None):  # None: clients in other languages
            if roles:
                commands = command_list(entries_for(roles), locale or "vi", available)
                await bot.set_my_commands(commands, scope=scope, language_code=locale)
            else:
                await bot.delete_my_commands(scope=scope, language_code=locale)
    except TelegramError as exc:
        # E.g. "chat not found": the user never opened the bot. They get it on their /start.
        log.info("staff command menu not set: %s", type(exc).__name__)
        return roles
    synced[user_id] = roles
    return roles


async def sync_user(context: Any, user_id: int | None, *, force: bool = False) -> frozenset[str]:
    """sync_menu from a handler (a role changed: force=True). Returns the user's roles."""
    if user_id is None:
        return frozenset()
    from bot.app import installed_commands  # bot.app imports this module at start-up

    runtime: Runtime = context.application.bot_data["rt"]
    available = installed_commands(context.application)
    return await sync_menu(context.bot, runtime, int(user_id), available, force=force)


def available_commands(context: Any) -> set[str]:
    from bot.app import installed_commands

    return installed_commands(context.application)
