"""Learn: topic menu, paged articles with related links and sources, search, sharing, and
inline mode (`@bot tem giấy` in any chat offers article cards to send to a friend)."""

from __future__ import annotations

import hashlib

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, InlineQueryHandler

from bot.content import ArticleNotFound, ContentService
from bot.i18n import Translator, translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from content.articles import load_library
from handlers import registry
from handlers.common import Context, answer, callback_parts, rt, show, tr

FLOW = "learn_search"


def service(context: Context) -> ContentService:
    svc: ContentService = rt(context).services["content"]
    return svc


def topics_screen(svc: ContentService, t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(title, data=f"learn:t:{topic}")] for topic, title in svc.topics(t.locale)]
    rows.append([Button(_("🔎 Search"), data="learn:s"), Button(_("💡 Did you know?"), data="learn:d")])
    rows.append([Button(_("⬅️ Main menu"), data="m:home")])
    text = _(
        "<b>Learn</b>\n\nShort, sourced articles on the drugs young people meet, how to say no, "
        "how to help a friend, the law and where to get help. Pick a topic:"
    )
    return Screen(text, rows)


def topic_screen(svc: ContentService, topic: str, t: Translator) -> Screen:
    _ = t.gettext
    refs = svc.articles_in_topic(topic, t.locale)
    rows = [[Button(ref.title, data=f"learn:a:{ref.article_id}:1")] for ref in refs]
    rows.append([Button(_("⬅️ Topics"), data="learn:home")])
    lines = [f"<b>{esc(svc.topic_title(topic, t.locale))}</b>", ""]
    lines += [f"• <b>{esc(ref.title)}</b> — {esc(ref.summary)}" for ref in refs]
    return Screen("\n".join(lines), rows)


def article_screen(svc: ContentService, article_id: str, page_no: int, t: Translator) -> Screen:
    _ = t.gettext
    page = svc.page(article_id, t.locale, page_no)
    footer = _("Page {page} of {count}").format(page=page.page_no, count=page.page_count)
    text = f"<b>{esc(page.title)}</b>\n\n{page.html}\n\n<i>{footer}</i>"
    nav = []
    if page.has_prev:
        nav.append(Button("◀", data=f"learn:a:{article_id}:{page.page_no - 1}"))
    if page.has_next:
        nav.append(Button("▶", data=f"learn:a:{article_id}:{page.page_no + 1}"))
    rows = [nav] if nav else []
    rows += [[Button("↪ " + title, data=f"learn:a:{rid}:1")] for rid, title in page.related[:3]]
    rows.append(
        [
            Button(_("📤 Share"), switch_inline=page.title),
            Button(_("📑 Sources"), data=f"learn:src:{article_id}"),
        ]
    )
    rows.append([Button(_("⬅️ Topics"), data="learn:home")])
    return Screen(text, rows)


def results_screen(svc: ContentService, query: str, t: Translator) -> Screen:
    _ = t.gettext
    results = svc.search(query, t.locale, limit=8)
    if not results:
        return Screen(
            _("No article matches “{query}”. Try other words, e.g. “bóng cười” or “tem giấy”.").format(
                query=esc(query)
            ),
            [[Button(_("🔎 Search again"), data="learn:s"), Button(_("⬅️ Topics"), data="learn:home")]],
        )
    rows = [[Button(r.title, data=f"learn:a:{r.article_id}:1")] for r in results]
    rows.append([Button(_("🔎 Search again"), data="learn:s"), Button(_("⬅️ Topics"), data="learn:home")])
    lines = [_("<b>Results for “{query}”</b>").format(query=esc(query)), ""]
    lines += [f"• <b>{esc(r.title)}</b> — {esc(r.summary)}" for r in results]
    return Screen("\n".join(lines), rows)


def did_you_know_screen(svc: ContentService, t: Translator, index: int | None = None) -> Screen:
    _ = t.gettext
    fact = svc.did_you_know(t.locale, index) if index is not None else svc.did_you_know(t.locale)
    if fact is None:
        return Screen(_("No facts yet."), [[Button(_("⬅️ Topics"), data="learn:home")]])
    heading = _("💡 Did you know?")
    text = f"<b>{esc(heading)}</b>\n\n{fact.html}\n\n<i>{esc(fact.source.label())}</i>"
    rows = [
        [Button(_("Read: {title}").format(title=fact.article_title), data=f"learn:a:{fact.article_id}:1")],
        [Button(_("Another fact"), data=f"learn:d:{fact.index + 1}"), Button(_("⬅️ Topics"), data="learn:home")],
    ]
    return Screen(text, rows)


async def learn_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    query = " ".join(context.args or []).strip()
    if query:
        await show(update, context, results_screen(service(context), query[:200], t))
    else:
        await show(update, context, topics_screen(service(context), t))


async def open_menu(update: Update, context: Context) -> None:
    await answer(update)
    await show(update, context, topics_screen(service(context), await tr(update, context)), edit=True)


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    t = await tr(update, context)
    svc = service(context)
    action = parts[1] if len(parts) > 1 else ""
    try:
        if action == "home":
            screen = topics_screen(svc, t)
        elif action == "t" and len(parts) == 3:
            screen = topic_screen(svc, parts[2], t)
        elif action == "a" and len(parts) == 4 and parts[3].isdigit():
            screen = article_screen(svc, parts[2], int(parts[3]), t)
        elif action == "src" and len(parts) == 3:
            back = [[Button(t.gettext("⬅️ Back to the article"), data=f"learn:a:{parts[2]}:1")]]
            screen = Screen(svc.sources_html(parts[2], t.locale), back)
        elif action == "d":
            index = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None
            screen = did_you_know_screen(svc, t, index)
        elif action == "s" and update.effective_chat:
            await rt(context).sessions.set(update.effective_chat.id, {"flow": FLOW}, ttl=3600)
            await answer(update)
            await show(update, context, Screen(t.gettext("Type a few words to search for, e.g. “bóng cười”:")))
            return
        else:
            raise ArticleNotFound(action)
    except ArticleNotFound:
        await answer(update, t.gettext("This button is no longer available."))
        return
    await answer(update)
    await show(update, context, screen, edit=True)


async def on_search_input(update: Update, context: Context) -> None:
    message = update.effective_message
    t = await tr(update, context)
    if message is None or not message.text:
        await show(update, context, Screen(t.gettext("Please type words to search for, or /cancel.")))
        return
    if update.effective_chat:
        await rt(context).sessions.clear(update.effective_chat.id)
    await show(update, context, results_screen(service(context), message.text[:200], t))


async def open_article_link(update: Update, context: Context, arg: str) -> None:
    t = await tr(update, context)
    svc = service(context)
    if not svc.has_article(arg):
        await show(update, context, topics_screen(svc, t))
        return
    await show(update, context, article_screen(svc, arg, 1, t))


async def on_inline_query(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    locale = await rt(context).users.locale(query.from_user.id, query.from_user.language_code)
    t = translator(locale)
    results = []
    for card in service(context).inline_results(query.query[:200], locale, limit=20):
        link = f"https://t.me/{rt(context).bot_username}?start=a_{card.article_id}"
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
    # The cards are in the asker's language: Telegram must not serve one person's cached answer
    # to everyone (an English user got Vietnamese cards). Personal, and short-lived, so a
    # language switch shows within a minute.
    await query.answer(results, cache_time=60, is_personal=True)


async def setup(app: Application, runtime: Runtime) -> None:
    username = runtime.bot_username
    runtime.services["content"] = ContentService(
        load_library(), deep_link=lambda aid: f"https://t.me/{username}?start=a_{aid}"
    )
    registry.menu_entry("learn", open_menu)
    registry.deep_link("a", open_article_link)
    registry.flow(FLOW, on_search_input)
    app.add_handler(CommandHandler("learn", learn_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^learn:"))
    app.add_handler(InlineQueryHandler(on_inline_query))

