"""Telegram's inline mode: `@bot tem giấy` in any chat offers article cards to send to a friend,
each with a button that opens the article in the bot. Telegram-only (the share button of the
learn screens appears only where the channel has `share_inline`)."""

from __future__ import annotations

import hashlib

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import Application, ContextTypes, InlineQueryHandler

from bot.content import ContentService
from bot.i18n import translator
from bot.runtime import Runtime


def register(app: Application, runtime: Runtime) -> None:
    content: ContentService | None = runtime.services.content
    if content is None:
        return

    async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None or content is None:
            return
        locale = await runtime.users.locale(query.from_user.id, query.from_user.language_code)
        t = translator(locale)
        results = []
        for card in content.inline_results(query.query[:200], locale, limit=20):
            link = f"https://t.me/{runtime.bot_username}?start=a_{card.article_id}"
            # Result ids only need to be unique per answer; hashing keeps them short and stable.
            rid = hashlib.sha1(f"{card.article_id}:{locale}".encode()).hexdigest()[:16]
            results.append(
                InlineQueryResultArticle(
                    id=rid,
                    title=card.title,
                    description=card.summary,
                    input_message_content=InputTextMessageContent(card.html),
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton(t.gettext("📚 Read in the bot"), url=link)]]
                    ),
                )
            )
        # The cards are in the asker's language: Telegram must not serve one person's cached
        # answer to everyone (an English user got Vietnamese cards). Personal, and short-lived,
        # so a language switch shows within a minute.
        await query.answer(results, cache_time=60, is_personal=True)

    app.add_handler(InlineQueryHandler(on_inline_query))
