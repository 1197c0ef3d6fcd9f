"""Telegram-only upkeep of police groups bound to units: the bot removed from a group (stop
sending tips there) and a group upgraded to a supergroup (keep the binding under the new chat
id). Binding itself is `/bind` in the group, an ordinary engine command (handlers/units.py)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, ChatMemberHandler, ContextTypes, MessageHandler, filters

from bot.runtime import Runtime
from bot.units import UnitService

log = logging.getLogger(__name__)

# Their own handler group, so no other handler can shadow them.
STATUS_GROUP = 31


def register(app: Application, runtime: Runtime) -> None:
    units: UnitService | None = runtime.services.units
    if units is None:  # the units feature is not installed
        return

    async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or units is None or change.chat.type == ChatType.PRIVATE:
            return
        if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            unit = await units.group_lost(change.chat.id)
            if unit is not None:
                log.info("a bound group removed the bot; unit %s unbound", unit.id)

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or units is None:
            return
        if message.migrate_to_chat_id:
            await units.group_migrated(message.chat.id, message.migrate_to_chat_id)
        elif message.migrate_from_chat_id:
            await units.group_migrated(message.migrate_from_chat_id, message.chat.id)

    app.add_handler(
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=STATUS_GROUP
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate), group=STATUS_GROUP)
