"""Telegram updates as engine inputs. Anything a conversation does not take (status messages,
inline queries, poll answers, membership changes) is None here and stays with the
Telegram-only handlers."""

from __future__ import annotations

from telegram import Bot, Message, Update

from bot.engine.actions import parse
from bot.engine.inputs import Command, File, Input, Location, Photo, Pressed, Text, Unsupported

# Message kinds a person may send that no conversation takes: answered with a short
# explanation by the flow (or the frame), never silently dropped.
_UNSUPPORTED = (
    "sticker", "video", "voice", "audio", "animation", "video_note", "contact",
    "poll", "dice", "venue",
)


def to_input(update: Update, bot: Bot) -> Input | None:
    query = update.callback_query
    if query is not None:
        found = parse(query.data)
        return Pressed(found) if found is not None else None
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return _text(message, bot)
    if message.photo:
        largest = message.photo[-1]

        async def fetch() -> bytes:
            file = await bot.get_file(largest.file_id)
            return bytes(await file.download_as_bytearray())

        return Photo(fetch=fetch, size=largest.file_size, caption=message.caption or "",
                     caption_html=message.caption_html if message.caption else None)
    if message.document is not None:
        document = message.document

        async def fetch_document() -> bytes:
            file = await bot.get_file(document.file_id)
            return bytes(await file.download_as_bytearray())

        return File(fetch=fetch_document, name=document.file_name or "",
                    mime=document.mime_type or "", size=document.file_size,
                    caption=message.caption or "")
    if message.location is not None and message.venue is None:
        return Location(message.location.latitude, message.location.longitude)
    for kind in _UNSUPPORTED:
        if getattr(message, kind, None):
            return Unsupported(kind)
    return None


def _text(message: Message, bot: Bot) -> Input | None:
    text = message.text or ""
    if text.startswith("/") and len(text) > 1:
        head, _, rest = text.partition(" ")
        name, _, addressee = head[1:].partition("@")
        if addressee and bot.username and addressee.lower() != bot.username.lower():
            return None  # a command for another bot in the same group
        return Command(name.lower(), rest.strip())
    reply = message.reply_to_message
    reply_to = reply.message_id if reply is not None and reply.from_user is not None and \
        reply.from_user.id == bot.id else None
    return Text(text, reply_to=reply_to, html=message.text_html)
