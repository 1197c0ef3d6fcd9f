"""The command menu Telegram shows, per language and per scope (private chats vs groups)."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from bot.config import SUPPORTED_LOCALES
from bot.i18n import N_, translator

PRIVATE = (
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
    ("invite", N_("Invite codes for police units (admins)")),
    ("units", N_("Police units and coverage (admins)")),
)
GROUP = (
    ("bind", N_("Bind this group to a police unit (code)")),
    ("groupquiz", N_("Run a quiz round in this group")),
    ("stopquiz", N_("Stop the quiz round")),
    ("tipstats", N_("Tip statistics of this unit")),
    ("tipaudit", N_("Who did what with a tip (code)")),
    ("tip", N_("Report a tip (opens a private chat)")),
    ("help", N_("How to use the bot")),
)


def command_list(entries: tuple[tuple[str, str], ...], locale: str, available: set[str]) -> list[BotCommand]:
    t = translator(locale)
    return [BotCommand(name, t.gettext(desc)) for name, desc in entries if name in available]


async def publish(bot: Bot, available: set[str]) -> None:
    """setMyCommands for each language and scope; only commands that are installed."""
    for locale in SUPPORTED_LOCALES:
        for scope, entries in (
            (BotCommandScopeAllPrivateChats(), PRIVATE),
            (BotCommandScopeAllGroupChats(), GROUP),
        ):
            commands = command_list(entries, locale, available)
            await bot.set_my_commands(commands, scope=scope, language_code=locale)
            if locale == "vi":  # the default list, for clients in other languages
                await bot.set_my_commands(commands, scope=scope)
