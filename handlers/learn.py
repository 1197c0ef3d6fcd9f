"""Learn: topic menu, paged articles with related links and sources, search, and sharing.
(Telegram's inline mode, `@bot tem giấy` in any chat, is in bot/channels/telegram/inline.py.)"""

from __future__ import annotations

from bot.content import ArticleNotFound, ContentService
from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.router import Router
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from handlers.start import OpenMenu

router = Router("learn")


class Topics(Action, prefix="learn:home"):
    pass


class OpenTopic(Action, prefix="learn:t"):
    topic: str


class OpenArticle(Action, prefix="learn:a"):
    article: str
    page: int = 1


class Sources(Action, prefix="learn:src"):
    article: str


class DidYouKnow(Action, prefix="learn:d"):
    index: int | None = None


class Search(Action, prefix="learn:s"):
    pass


FLOW = "learn_search"


def topics_screen(svc: ContentService, t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(title, action=OpenTopic(topic))] for topic, title in svc.topics(t.locale)]
    rows.append([Button(_("🔎 Search"), action=Search()), Button(_("💡 Did you know?"), action=DidYouKnow())])
    rows.append([Button(_("⬅️ Main menu"), action=OpenMenu("home"))])
    text = _(
        "<b>Learn</b>\n\nShort, sourced articles on the drugs young people meet, how to say no, "
        "how to help a friend, the law and where to get help. Pick a topic:"
    )
    return Screen(text, rows)


def topic_screen(svc: ContentService, topic: str, t: Translator) -> Screen:
    _ = t.gettext
    refs = svc.articles_in_topic(topic, t.locale)
    rows = [[Button(ref.title, action=OpenArticle(ref.article_id))] for ref in refs]
    rows.append([Button(_("⬅️ Topics"), action=Topics())])
    lines = [f"<b>{esc(svc.topic_title(topic, t.locale))}</b>", ""]
    lines += [f"• <b>{esc(ref.title)}</b> — {esc(ref.summary)}" for ref in refs]
    return Screen("\n".join(lines), rows)


def article_screen(svc: ContentService, article_id: str, page_no: int, t: Translator,
                   *, share: bool = True) -> Screen:
    _ = t.gettext
    page = svc.page(article_id, t.locale, page_no)
    footer = _("Page {page} of {count}").format(page=page.page_no, count=page.page_count)
    text = f"<b>{esc(page.title)}</b>\n\n{page.html}\n\n<i>{footer}</i>"
    nav = []
    if page.has_prev:
        nav.append(Button("◀", action=OpenArticle(article_id, page.page_no - 1)))
    if page.has_next:
        nav.append(Button("▶", action=OpenArticle(article_id, page.page_no + 1)))
    rows = [nav] if nav else []
    rows += [[Button("↪ " + title, action=OpenArticle(rid))] for rid, title in page.related[:3]]
    sources = Button(_("📑 Sources"), action=Sources(article_id))
    rows.append([Button(_("📤 Share"), switch_inline=page.title), sources] if share else [sources])
    rows.append([Button(_("⬅️ Topics"), action=Topics())])
    return Screen(text, rows)


def results_screen(svc: ContentService, query: str, t: Translator) -> Screen:
    _ = t.gettext
    results = svc.search(query, t.locale, limit=8)
    if not results:
        return Screen(
            _("No article matches “{query}”. Try other words, e.g. “bóng cười” or “tem giấy”.").format(
                query=esc(query)
            ),
            [[Button(_("🔎 Search again"), action=Search()), Button(_("⬅️ Topics"), action=Topics())]],
        )
    rows = [[Button(r.title, action=OpenArticle(r.article_id))] for r in results]
    rows.append([Button(_("🔎 Search again"), action=Search()), Button(_("⬅️ Topics"), action=Topics())])
    lines = [_("<b>Results for “{query}”</b>").format(query=esc(query)), ""]
    lines += [f"• <b>{esc(r.title)}</b> — {esc(r.summary)}" for r in results]
    return Screen("\n".join(lines), rows)


def did_you_know_screen(svc: ContentService, t: Translator, index: int | None = None) -> Screen:
    _ = t.gettext
    fact = svc.did_you_know(t.locale, index) if index is not None else svc.did_you_know(t.locale)
    if fact is None:
        return Screen(_("No facts yet."), [[Button(_("⬅️ Topics"), action=Topics())]])
    heading = _("💡 Did you know?")
    text = f"<b>{esc(heading)}</b>\n\n{fact.html}\n\n<i>{esc(fact.source.label())}</i>"
    rows = [
        [Button(_("Read: {title}").format(title=fact.article_title), action=OpenArticle(fact.article_id))],
        [Button(_("Another fact"), action=DidYouKnow(fact.index + 1)), Button(_("⬅️ Topics"), action=Topics())],
    ]
    return Screen(text, rows)


def service(turn: Turn) -> ContentService:
    svc: ContentService = turn.runtime.services.content
    return svc


def article(turn: Turn, article_id: str, page_no: int = 1) -> Screen:
    return article_screen(service(turn), article_id, page_no, turn.t, share=turn.caps.share_inline)


@router.command("learn")
async def learn_command(turn: Turn, cmd: Command) -> None:
    query = cmd.arg.strip()
    if query:
        await turn.show(results_screen(service(turn), query[:200], turn.t))
    else:
        await turn.show(topics_screen(service(turn), turn.t))


@router.menu_entry("learn")
async def open_menu(turn: Turn) -> None:
    await turn.notice()
    await turn.show(topics_screen(service(turn), turn.t), replace=True)


async def _press(turn: Turn, screen: Screen) -> None:
    await turn.notice()
    await turn.show(screen, replace=True)


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


@router.on(Topics)
async def on_topics(turn: Turn, act: Topics) -> None:
    await _press(turn, topics_screen(service(turn), turn.t))


@router.on(OpenTopic)
async def on_topic(turn: Turn, act: OpenTopic) -> None:
    try:
        screen = topic_screen(service(turn), act.topic, turn.t)
    except ArticleNotFound:
        await turn.notice(_gone(turn))
        return
    await _press(turn, screen)


@router.on(OpenArticle)
async def on_article(turn: Turn, act: OpenArticle) -> None:
    try:
        screen = article(turn, act.article, act.page)
    except ArticleNotFound:
        await turn.notice(_gone(turn))
        return
    await _press(turn, screen)


@router.on(Sources)
async def on_sources(turn: Turn, act: Sources) -> None:
    try:
        html = service(turn).sources_html(act.article, turn.t.locale)
    except ArticleNotFound:
        await turn.notice(_gone(turn))
        return
    back = [[Button(turn.t.gettext("⬅️ Back to the article"), action=OpenArticle(act.article))]]
    await _press(turn, Screen(html, back))


@router.on(DidYouKnow)
async def on_did_you_know(turn: Turn, act: DidYouKnow) -> None:
    await _press(turn, did_you_know_screen(service(turn), turn.t, act.index))


@router.on(Search)
async def on_search(turn: Turn, act: Search) -> None:
    await turn.set_session({"flow": FLOW}, ttl=3600)
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Type a few words to search for, e.g. “bóng cười”:")))


@router.flow(FLOW)
async def on_search_input(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text) or not inp.text:
        await turn.show(Screen(turn.t.gettext("Please type words to search for, or /cancel.")))
        return
    await turn.clear_session()
    await turn.show(results_screen(service(turn), inp.text[:200], turn.t))


@router.deep_link("a")
async def open_article_link(turn: Turn, arg: str) -> None:
    svc = service(turn)
    if not svc.has_article(arg):
        await turn.show(topics_screen(svc, turn.t))
        return
    await turn.show(article(turn, arg))


async def setup(runtime: Runtime) -> None:
    """The content service is built with the others (bot/services.py)."""
