"""Campaign delivery on Telegram: the `ChannelSender` and `ProgressBoard` of bot/delivery.py
over the engine's own Bot (aiohttp client, no rate limiter: the campaign engine paces itself
and must see every 429), and the Bot API answers mapped to send results.

A campaign photo arrives as bytes (`Media`); the first send uploads it, and the file id
Telegram gives back is kept here, in memory, for every later recipient of this process."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from typing import Any

from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.broadcast import LEGACY_TELEGRAM_FILE
from bot.channels.telegram.render import markup
from bot.channels.telegram.request import AiohttpRequest
from bot.delivery import (
    BLOCKED,
    FAILED,
    GONE,
    RETRY,
    SENT,
    TRANSIENT,
    Delivery,
    Media,
    OutMessage,
    SendResult,
)
from bot.runtime import Runtime
from bot.screens import Screen

CHANNEL = "telegram"


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, dt.timedelta) else float(value)


class TelegramSender:
    """Sends campaign messages to Telegram accounts (external id = the chat id of the private
    chat, which is the user id) and shows the admin's progress message."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._file_ids: dict[str, str] = {}  # media key -> Telegram file id (this process)
        self._uploads: dict[str, asyncio.Lock] = {}

    @classmethod
    async def open(cls, runtime: Runtime, pool: int = 64) -> TelegramSender:
        settings = runtime.settings
        bot = Bot(
            settings.token,
            base_url=settings.api_base_url,
            base_file_url=settings.file_url,
            request=AiohttpRequest(connection_pool_size=pool),
        )
        try:
            await bot.initialize()
        except Exception:
            await bot.shutdown()
            raise
        return cls(bot)

    async def send(self, external_id: str, message: OutMessage) -> SendResult:
        try:
            chat_id = int(external_id)
        except ValueError:
            return SendResult(GONE, detail="bad chat id")
        try:
            if message.photo is not None:
                sent = await self._send_photo(chat_id, message, message.photo)
            else:
                sent = await self.bot.send_message(
                    chat_id, message.text, parse_mode=ParseMode.HTML,
                    reply_markup=markup(message.buttons), allow_paid_broadcast=_paid(message),
                )
        except RetryAfter as exc:
            return SendResult(RETRY, retry_after=_seconds(exc))
        except Forbidden:
            return SendResult(BLOCKED)
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return SendResult(GONE)
            return SendResult(FAILED, detail=type(exc).__name__)
        except (TimedOut, NetworkError) as exc:
            return SendResult(TRANSIENT, detail=type(exc).__name__)
        return SendResult(SENT, sent.message_id)

    async def _send_photo(self, chat_id: int, message: OutMessage, photo: Media) -> Message:
        if photo.key.startswith(LEGACY_TELEGRAM_FILE):
            return await self._photo_call(chat_id, message, photo.key[len(LEGACY_TELEGRAM_FILE):])
        file_id = self._file_ids.get(photo.key)
        if file_id is not None:
            return await self._photo_call(chat_id, message, file_id)
        # Upload once: the other senders wait for the first upload's file id.
        lock = self._uploads.setdefault(photo.key, asyncio.Lock())
        async with lock:
            file_id = self._file_ids.get(photo.key)
            if file_id is not None:
                return await self._photo_call(chat_id, message, file_id)
            sent = await self._photo_call(chat_id, message, InputFile(photo.data, filename="photo"))
            if sent.photo:
                self._file_ids[photo.key] = sent.photo[-1].file_id
            return sent

    async def _photo_call(self, chat_id: int, message: OutMessage, photo: Any) -> Message:
        return await self.bot.send_photo(
            chat_id, photo, caption=message.text or None, parse_mode=ParseMode.HTML,
            reply_markup=markup(message.buttons), allow_paid_broadcast=_paid(message),
        )

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        reply_markup = markup(screen.buttons)
        if message_id is not None:
            try:
                await self.bot.edit_message_text(
                    screen.text, chat_id, message_id, parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                )
                return message_id
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return message_id
                if "not found" not in str(exc).lower():
                    raise
        sent = await self.bot.send_message(
            chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
        )
        return sent.message_id

    async def close(self) -> None:
        await self.bot.shutdown()


def _paid(message: OutMessage) -> bool | None:
    return True if message.paid else None


async def open_delivery(runtime: Runtime, pool: int = 64) -> Delivery:
    """The campaign engine's transport on a Telegram-only bot (Zalo/web add their senders)."""
    sender = await TelegramSender.open(runtime, pool=pool)
    senders: dict[str, Any] = {CHANNEL: sender}
    # Other channels running in this process (Zalo) add their senders by name.
    for name, make in runtime.channel_senders.items():
        senders.setdefault(name, make())
    return Delivery(runtime.accounts, senders, progress=sender)


def install(app: Application, runtime: Runtime) -> None:  # type: ignore[type-arg,unused-ignore]
    """Campaigns of this process go out through Telegram while the application runs."""
    from bot.broadcast import BroadcastService

    svc: BroadcastService | None = runtime.services.broadcast
    if svc is None:
        return

    async def make_transport() -> Delivery:
        return await open_delivery(runtime, pool=max(8, svc.workers))

    svc.attach(make_transport, keep_going=lambda: bool(app.running), spawn=app.create_task)
