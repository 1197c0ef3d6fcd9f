"""The chat port on Telegram (bot/engine/chat_port.py): messages the bot starts itself
(tip cards and what follows them, automatic reports). Telegram's errors become the port's:
429 → RetryLater, migrate_to_chat_id → ChatMoved, blocked/kicked/chat gone → Undeliverable,
any other 400 → Rejected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InputFile, InputMediaPhoto, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.channels.telegram.rate_limit import SELF_PACED
from bot.channels.telegram.render import markup
from bot.engine.chat_port import ChatMoved, Destination, Rejected, RetryLater, Undeliverable
from bot.screens import Screen

CHANNEL = "telegram"


class TelegramChatPort:
    channel = CHANNEL

    def __init__(self, bot: Bot, *, self_paced: bool = True) -> None:
        self.bot = bot
        # The outbox paces each group itself: the reply limiter counts, but does not hold, it.
        self.rl: dict[str, Any] = (
            {"rate_limit_args": SELF_PACED}
            if self_paced and getattr(bot, "rate_limiter", None) is not None else {}
        )

    @staticmethod
    def _reply(reply_to: Any) -> ReplyParameters | None:
        if reply_to is None:
            return None
        return ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)

    @staticmethod
    def _chat(to: Destination) -> int:
        return int(to.key)

    async def _call(self, fn: Callable[[], Awaitable[Any]], ignore: tuple[str, ...] = ()) -> Any:
        try:
            return await fn()
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise RetryLater(seconds) from None
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from None
        except Forbidden:
            raise Undeliverable() from None
        except BadRequest as exc:
            text = str(exc).lower()
            if "chat not found" in text or "not enough rights" in text or "bot was kicked" in text:
                raise Undeliverable() from None
            if any(s in text for s in ignore):
                return None
            raise Rejected() from None  # this message is refused; the caller bounds retries

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> int:
        chat, reply = self._chat(to), self._reply(reply_to)
        photo = screen.photo
        if photo is not None:
            msg = await self._call(lambda: self.bot.send_photo(
                chat, photo, caption=screen.text or None,
                reply_markup=markup(screen.buttons), reply_parameters=reply, **self.rl))
        elif screen.document is not None:
            name, data = screen.document
            msg = await self._call(lambda: self.bot.send_document(
                chat, InputFile(data, filename=name), caption=screen.text or None,
                reply_markup=markup(screen.buttons), reply_parameters=reply, **self.rl))
        else:
            msg = await self._call(lambda: self.bot.send_message(
                chat, screen.text, reply_markup=markup(screen.buttons), reply_parameters=reply,
                **self.rl))
        return int(msg.message_id)

    async def send_photos(self, to: Destination, photos: list[bytes], *,
                          reply_to: Any = None) -> int:
        chat, reply = self._chat(to), self._reply(reply_to)
        if len(photos) == 1:
            msg = await self._call(lambda: self.bot.send_photo(
                chat, photos[0], reply_parameters=reply, **self.rl))
            return int(msg.message_id)
        media = [InputMediaPhoto(p) for p in photos[:10]]
        msgs = await self._call(lambda: self.bot.send_media_group(
            chat, media, reply_parameters=reply, **self.rl))
        return int(msgs[0].message_id)

    async def send_location(self, to: Destination, latitude: float, longitude: float, *,
                            reply_to: Any = None) -> int:
        # PTB adds the default parse_mode to every send; sendLocation has none (Telegram would
        # ignore it, the strict fake refuses it), so it is removed explicitly.
        msg = await self._call(lambda: self.bot.send_location(
            self._chat(to), latitude=latitude, longitude=longitude,
            reply_parameters=self._reply(reply_to), api_kwargs={"parse_mode": None}, **self.rl))
        return int(msg.message_id)

    async def replace(self, to: Destination, message: Any, screen: Screen) -> int:
        if screen.photo is None and screen.document is None and message is not None:
            try:
                await self._call(lambda: self.bot.edit_message_text(
                    screen.text, chat_id=self._chat(to), message_id=int(message),
                    reply_markup=markup(screen.buttons)), ignore=("not modified",))
                return int(message)
            except Rejected:  # too old to edit, or deleted: show it anew
                pass
        return await self.send(to, screen)

    async def remove_buttons(self, to: Destination, message: Any) -> None:
        # (PTB adds the default parse_mode here too; the method has none.) Already without
        # buttons, or the card was deleted: nothing to do.
        await self._call(lambda: self.bot.edit_message_reply_markup(
            self._chat(to), int(message), api_kwargs={"parse_mode": None}),
            ignore=("not modified", "not found"))
