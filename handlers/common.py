"""Shared plumbing for the Telegram adapters: runtime access, locale, rendering screens."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Translator, translator
from bot.runtime import Runtime
from bot.screens import Button, Screen

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


def rt(context: Context) -> Runtime:
    runtime: Runtime = context.application.bot_data["rt"]
    return runtime


async def tr(update: Update | None, context: Context) -> Translator:
    """The translator for the person behind this update."""
    user = update.effective_user if update else None
    locale = await rt(context).users.locale(
        user.id if user else None, user.language_code if user else None
    )
    return translator(locale)


def markup(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = []
    for row in buttons:
        rows.append(
            [
                InlineKeyboardButton(
                    b.text,
                    callback_data=b.data,
                    url=b.url,
                    switch_inline_query=b.switch_inline,
                )
                for b in row
            ]
        )
    return InlineKeyboardMarkup(rows)


async def show(update: Update, context: Context, screen: Screen, *, edit: bool = False) -> Message | None:
    """Send a screen to the update's chat, or edit the message whose button was pressed."""
    query = update.callback_query
    chat = update.effective_chat
    reply_markup = markup(screen.buttons)
    if edit and query and query.message and screen.photo is None and screen.document is None:
        msg = query.message
        if isinstance(msg, Message) and msg.text is not None:
            try:
                edited = await msg.edit_text(screen.text, reply_markup=reply_markup)
                return edited if isinstance(edited, Message) else None
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return None
                raise
    if chat is None:
        return None
    if screen.photo is not None:
        return await context.bot.send_photo(
            chat.id, screen.photo, caption=screen.text or None, reply_markup=reply_markup
        )
    if screen.document is not None:
        name, data = screen.document
        return await context.bot.send_document(
            chat.id, InputFile(data, filename=name), caption=screen.text or None,
            reply_markup=reply_markup,
        )
    return await context.bot.send_message(chat.id, screen.text, reply_markup=reply_markup)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Acknowledge a button press (stops the client's spinner)."""
    if update.callback_query:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as exc:  # a query older than ~15 minutes can no longer be answered
            log.info("callback answer failed: %s", exc)


def args_of(context: Context) -> list[str]:
    return list(context.args or [])


def callback_parts(update: Update) -> list[str]:
    data: Any = update.callback_query.data if update.callback_query else None
    return str(data or "").split(":")
