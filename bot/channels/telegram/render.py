"""Screens as Telegram messages: HTML text (the bot's default parse mode) and inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.screens import Button


def markup(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text, callback_data=b.data, url=b.url, switch_inline_query=b.switch_inline
                )
                for b in row
            ]
            for row in buttons
        ]
    )
