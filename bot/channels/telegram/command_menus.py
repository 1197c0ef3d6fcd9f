"""Telegram's command menus, per language, per scope and per role.

Citizens get the private-chat list (and the default scope). Staff (officers, province and
national admins) get their own menu in their private chat (BotCommandScopeChat), set when
their role changes (`Runtime.roles_changed`) and when they open /help or /start; a user who
loses every role gets the chat-scoped menu deleted, so Telegram falls back to the citizens'
list. The tables are handlers/commands.py's, which /help shows too.
"""

from __future__ import annotations

import logging

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
from bot.i18n import translator
from bot.runtime import Runtime
from handlers.commands import GROUP, PRIVATE, Entries, entries_for, roles_of

log = logging.getLogger(__name__)

def command_list(entries: Entries, locale: str, available: set[str]) -> list[BotCommand]:
    t = translator(locale)
    return [BotCommand(name, t.gettext(desc)) for name, desc in entries if name in available]




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
            if user_id < 2**53:  # a Telegram account (Zalo admins have no Telegram menu)
                await sync_menu(bot, runtime, user_id, available)




async def sync_menu(bot: Bot, runtime: Runtime, user_id: int, available: set[str],
                    *, force: bool = False, roles: frozenset[str] | None = None
                    ) -> frozenset[str]:
    """Give a user's private chat the menu of their roles now (or delete it when they have
    none, so the citizens' menu shows). Skips the calls when nothing changed since the last
    sync in this process. `roles`: when the caller already looked them up. Returns them."""
    if roles is None:
        roles = await roles_of(runtime, user_id)
    synced = runtime.staff_menus  # {user_id: roles} published in this process
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


def attach(bot: Bot, runtime: Runtime) -> None:
    """Keep staff menus in step with role changes made anywhere in the bot."""

    async def changed(user_id: int, roles: frozenset[str], force: bool) -> None:
        if user_id < 2**53:  # a Telegram account (see bot/accounts.py)
            await sync_menu(bot, runtime, user_id, runtime.commands_available, force=force,
                            roles=roles)

    runtime.role_listeners.append(changed)
