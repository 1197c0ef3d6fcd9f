"""The Conversation port on Telegram: a screen is a message (or an edit of the message whose
button was pressed), a notice is the callback answer (the toast)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, ForceReply, InputFile, Message, ReplyParameters, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.render import markup
from bot.engine.conversation import (
    Capabilities,
    Chat,
    Person,
    ShowLater,
    ShowRefused,
    Unreachable,
)
from bot.i18n import N_
from bot.screens import Screen, esc

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CAPABILITIES = Capabilities(
    channel=CHANNEL,
    buttons=True,
    edit=True,
    location=True,
    share_inline=True,
    native_polls=True,
    groups=True,
    max_text=4096,
    app="Telegram",
    location_hint=N_("📎 → Location"),
)


class TelegramConversation:
    capabilities = CAPABILITIES

    def __init__(self, update: Update, bot: Bot, username: str = "") -> None:
        self.update = update
        self.bot = bot
        self.username = username or bot.username or ""
        self._answered = False
        self._editing = False  # the failing call of show() was an edit

    def link(self, payload: str = "") -> str | None:
        if not self.username:
            return None
        return f"https://t.me/{self.username}" + (f"?start={payload}" if payload else "")

    async def show(self, screen: Screen, *, replace: bool = False) -> Message | None:
        """Telegram's errors become the port's (bot.engine.conversation.ShowError)."""
        self._editing = False
        try:
            return await self._show(screen, replace=replace)
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise ShowLater(seconds) from exc
        except Forbidden as exc:  # blocked by the person
            raise Unreachable() from exc
        except BadRequest as exc:  # (a NetworkError subclass: caught first)
            raise ShowRefused(replacing=self._editing) from exc
        except NetworkError as exc:  # 5xx, timeouts, connection errors
            raise ShowLater() from exc

    async def _show(self, screen: Screen, *, replace: bool) -> Message | None:
        update, bot = self.update, self.bot
        query = update.callback_query
        reply_markup = markup(screen.buttons)
        if replace and query and query.message and screen.photo is None and screen.document is None:
            msg = query.message
            if isinstance(msg, Message) and msg.text is not None:
                self._editing = True
                try:
                    edited = await msg.edit_text(screen.text, reply_markup=reply_markup)
                    return edited if isinstance(edited, Message) else None
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        return None
                    raise
        chat = update.effective_chat
        if chat is None:
            return None
        if screen.reply_from_person and chat.type != ChatType.PRIVATE:
            return await self._ask_for_reply(chat.id, screen)
        if screen.photo is not None:
            return await bot.send_photo(
                chat.id, screen.photo, caption=screen.text or None, reply_markup=reply_markup
            )
        if screen.document is not None:
            name, data = screen.document
            return await bot.send_document(
                chat.id, InputFile(data, filename=name), caption=screen.text or None,
                reply_markup=reply_markup,
            )
        return await bot.send_message(chat.id, screen.text, reply_markup=reply_markup)

    async def _ask_for_reply(self, chat_id: int, screen: Screen) -> Message:
        """A selective ForceReply opens the reply box only for the users mentioned in the text
        (or the author of the message replied to, here the bot): name the person who pressed,
        so the box opens for them and not for the whole group. Under the pressed message."""
        update = self.update
        user = update.effective_user
        text = screen.text
        if user is not None:
            text += f' <a href="tg://user?id={user.id}">{esc(user.first_name)}</a>'
        query = update.callback_query
        pressed = query.message.message_id if query is not None and query.message else None
        reply = (ReplyParameters(message_id=pressed, allow_sending_without_reply=True)
                 if pressed is not None else None)
        return await self.bot.send_message(chat_id, text, reply_markup=ForceReply(selective=True),
                                           reply_parameters=reply)

    @staticmethod
    def message_key(ref: Any) -> int | None:
        return message_id_of(ref)

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        query = self.update.callback_query
        if query is None:
            if text:
                await self.show(Screen(text))
            return
        if self._answered:
            return
        self._answered = True
        try:
            await query.answer(text, show_alert=alert)
        except BadRequest as exc:  # a query older than ~15 minutes can no longer be answered
            log.info("callback answer failed: %s", type(exc).__name__)

    async def is_admin(self) -> bool:
        """Whether the person is an owner or administrator of this chat (getChatMember)."""
        chat, user = self.update.effective_chat, self.update.effective_user
        if chat is None or user is None:
            return False
        try:
            member = await self.bot.get_chat_member(chat.id, user.id)
        except TelegramError:
            return False
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

    async def finish(self) -> None:
        """Stop the client's spinner if the handler acknowledged nothing itself."""
        if self.update.callback_query is not None and not self._answered:
            await self.notice()


def chat_of(update: Update) -> Chat | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return Chat(CHANNEL, chat.id, private=chat.type == ChatType.PRIVATE)


def person_of(update: Update) -> Person | None:
    user = update.effective_user
    if user is None:
        return None
    message = update.effective_message
    if update.callback_query is None and message is not None and message.sender_chat is not None:
        # Sent on behalf of a chat (a group's anonymous admin, a linked channel): `from` is a
        # placeholder bot account, not a person to enrol or give a role to.
        return None
    return Person(CHANNEL, str(user.id), user.language_code, telegram_id=user.id)


def message_id_of(ref: Any) -> int | None:
    return ref.message_id if isinstance(ref, Message) else None
