"""Telegram-only: a person blocks (or unblocks) the bot in their private chat. Telegram tells
the bot with a `my_chat_member` update; the subscription service then knows this user can't be
reached on Telegram (their subscription pauses) or can be again."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.runtime import Runtime

CHANNEL = "telegram"
# Private-chat status changes in their own handler group, beside the units feature's group.
STATUS_GROUP = 32


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    runtime: Runtime = context.application.bot_data["rt"]
    subs = runtime.services.subscriptions
    if subs is None:
        return
    # The private chat's id is the person's Telegram id: their account on this channel.
    user_id = await runtime.accounts.user_id(CHANNEL, str(change.chat.id), create=False)
    if user_id is None:
        return  # never an account here, so never subscribed
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        await subs.mark_blocked(user_id)
    elif status == ChatMemberStatus.MEMBER:
        await subs.mark_back(user_id)


def register(app: Application, runtime: Runtime) -> None:  # type: ignore[type-arg,unused-ignore]
    app.add_handler(
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=STATUS_GROUP
    )
