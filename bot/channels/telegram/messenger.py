"""The Messenger port on Telegram (bot/engine/messenger.py): a screen sent as a new message to
a chat, outside any update (jobs, start-up)."""

from __future__ import annotations

import logging

from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram.conversation import CHANNEL
from bot.channels.telegram.render import markup
from bot.engine.messenger import SendOutcome
from bot.screens import Screen

log = logging.getLogger(__name__)


class TelegramMessenger:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def private_chat(self, external_id: str) -> int:
        return int(external_id)  # a private chat's id is its user's id

    async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
        chat_id = int(chat_key)
        reply_markup = markup(screen.buttons)
        try:
            if screen.photo is not None:
                await self.bot.send_photo(chat_id, screen.photo, caption=screen.text or None,
                                          reply_markup=reply_markup)
            elif screen.document is not None:
                name, data = screen.document
                await self.bot.send_document(chat_id, InputFile(data, filename=name),
                                             caption=screen.text or None,
                                             reply_markup=reply_markup)
            else:
                await self.bot.send_message(chat_id, screen.text, reply_markup=reply_markup)
        except Forbidden:  # blocked the bot, or was never in a chat with it
            return SendOutcome.UNREACHABLE
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return SendOutcome.UNREACHABLE
            log.info("message not sent: %s", type(exc).__name__)
            return SendOutcome.FAILED
        except TelegramError as exc:
            log.info("message not sent: %s", type(exc).__name__)
            return SendOutcome.FAILED
        return SendOutcome.SENT
