"""The Messenger port on Zalo (bot/engine/messenger.py): a screen sent as new messages to a
chat the bot has seen, outside any update (jobs, start-up, police reminders). Its numbered
options become the chat's list, unless the chat is in the middle of a flow (then only link
buttons are shown; see ZaloChannel.send_screen)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.channels.zalo.conversation import CHANNEL, chat_key
from bot.engine.conversation import ShowError, Unreachable
from bot.engine.messenger import SendOutcome
from bot.screens import Screen

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

log = logging.getLogger(__name__)


class ZaloMessenger:
    channel = CHANNEL

    def __init__(self, zalo: ZaloChannel) -> None:
        self.zalo = zalo

    def private_chat(self, external_id: str) -> str:
        return chat_key(external_id)  # in a private chat, chat id == user id

    async def send(self, key: int | str, screen: Screen) -> SendOutcome:
        prefix = f"{CHANNEL}:"
        if not isinstance(key, str) or not key.startswith(prefix):
            return SendOutcome.UNREACHABLE
        chat_id = key[len(prefix):]
        runtime = self.zalo.runtime
        account = await runtime.accounts.user_id(CHANNEL, chat_id, create=False)
        locale = await runtime.users.locale(account, None)
        try:
            await self.zalo.send_screen(chat_id, screen, locale, keep_flow_menu=True)
        except Unreachable:
            return SendOutcome.UNREACHABLE
        except ShowError as exc:
            log.info("zalo: message not sent: %s", type(exc).__name__)
            return SendOutcome.FAILED
        return SendOutcome.SENT
