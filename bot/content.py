"""Content service: topics, article pages, search, inline cards and "did you know" facts.

Channel-independent: it takes and returns plain values (strings, dataclasses) and never imports
``telegram``. The HTML it returns is Telegram-style HTML (``b``, ``i``, ``u``, ``a``, ``code``,
``blockquote``), which other channels can strip with :func:`content.markup.visible_text`.

Page numbers are 1-based. Untrusted input (a page number or an article id from a button) is
handled gently: a page number out of range is clamped, an unknown id raises
:class:`ArticleNotFound` (a ``KeyError``).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from content.articles import LANGUAGES, Article, Library, Source
from content.markup import LinkResolver, escape, tg_len, visible_len

TEASER_CHARS = 900
"""Visible characters of article text an inline card shows before "read more"."""

_READ_MORE = {"vi": "Đọc tiếp trong bot", "en": "Read more in the bot"}
_SOURCES = {"vi": "Nguồn", "en": "Sources"}


class ArticleNotFound(KeyError):
    pass


@dataclass(frozen=True)
class ArticlePage:
    article_id: str
    title: str
    html: str
    page_no: int  # 1-based
    page_count: int
    related: list[tuple[str, str]]  # (article id, title) in the same language
    sources: list[Source]
    language: str = LANGUAGES[0]

    @property
    def has_prev(self) -> bool:
        return self.page_no > 1

    @property
    def has_next(self) -> bool:
        return self.page_no < self.page_count


@dataclass(frozen=True)
class ArticleRef:
    article_id: str
    title: str
    summary: str


@dataclass(frozen=True)
class SearchResult:
    article_id: str
    title: str
    summary: str
    topic: str
    score: float


@dataclass(frozen=True)
class InlineCard:
    article_id: str
    title: str
    summary: str
    html: str  # a teaser of the article, within Telegram's message limit
    share_text: str  # plain text to share (title, summary and the deep link when known)


@dataclass(frozen=True)
class DidYouKnow:
    fact_id: str
    html: str
    source: Source
    article_id: str
    article_title: str
    index: int  # position in the rotation


# ---------------------------------------------------------------------------------------------
# Text folding for search


_WORD_RE = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase, strip diacritics (đ→d) and compatibility forms (N₂O→n2o)."""
    text = text.casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def _within_one_edit(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return (
            a[i + 1 :] == b[i + 1 :]
            or (  # substitution, or swap of neighbours
                i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
            )
        )
    return a[i:] == b[i + 1 :]


@dataclass
class _Doc:
    article: Article
    title: str  # " tok tok " (folded, padded for phrase search)
    title_set: frozenset[str]
    keywords: tuple[str, ...]  # each keyword folded and padded
    keyword_set: frozenset[str]
    summary: str
    summary_set: frozenset[str]
    body: str
    body_counts: Counter[str]
    raw_title: str  # lowercased with diacritics, for an exact-accent bonus
    raw_keywords: tuple[str, ...]


def _padded(toks: list[str]) -> str:
    return f" {' '.join(toks)} "


def _make_doc(article: Article) -> _Doc:
    title = tokens(article.title)
    kw = [tokens(k) for k in article.keywords]
    summary = tokens(article.summary)
    body = tokens(article.body_text())
    return _Doc(
        article=article,
        title=_padded(title),
        title_set=frozenset(title),
        keywords=tuple(_padded(k) for k in kw if k),
        keyword_set=frozenset(t for k in kw for t in k),
        summary=_padded(summary),
        summary_set=frozenset(summary),
        body=_padded(body),
        body_counts=Counter(body),
        raw_title=article.title.casefold(),
        raw_keywords=tuple(k.casefold() for k in article.keywords),
    )


class _Index:
    def __init__(self, articles: list[Article]) -> None:
        self.docs = [_make_doc(a) for a in articles]
        df: Counter[str] = Counter()
        for doc in self.docs:
            df.update(doc.title_set | doc.keyword_set | doc.summary_set | set(doc.body_counts))
        self.df = df
        self.vocab = sorted(df)
        self.n = max(len(self.docs), 1)

    def idf(self, token: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(token, 0))) + 0.1

    def _token_score(self, doc: _Doc, token: str) -> float:
        score = 0.0
        if token in doc.title_set:
            score += 6
        elif len(token) >= 3 and any(t.startswith(token) for t in doc.title_set):
            score += 3
        if token in doc.keyword_set:
            score += 5
        elif len(token) >= 3 and any(t.startswith(token) for t in doc.keyword_set):
            score += 2.5
        if token in doc.summary_set:
            score += 2
        count = doc.body_counts.get(token, 0)
        if count:
            score += 1 + math.log(count)
        return score * self.idf(token)

    def _variants(self, token: str) -> list[str]:
        """Vocabulary words one typo away from ``token`` (only for words of 4+ letters)."""
        if len(token) < 4 or token in self.df:
            return []
        return [
            w for w in self.vocab if abs(len(w) - len(token)) <= 1 and _within_one_edit(token, w)
        ]

    def search(self, query: str) -> list[tuple[float, Article]]:
        q = list(dict.fromkeys(tokens(query)))
        if not q:
            return []
        variants = {t: self._variants(t) for t in q}
        phrase = " ".join(q)
        raw_query = " ".join(unicodedata.normalize("NFC", query).casefold().split())
        has_accents = fold(raw_query) != raw_query
        results: list[tuple[float, Article]] = []
        for doc in self.docs:
            total, matched = 0.0, 0
            for token in q:
                s = self._token_score(doc, token)
                if s == 0 and variants[token]:
                    s = 0.5 * max(self._token_score(doc, v) for v in variants[token])
                if s > 0:
                    matched += 1
                    total += s
            if not matched:
                continue
            padded = f" {phrase} "
            if len(q) > 1:
                if padded in doc.title:
                    total += 12
                if padded in doc.summary:
                    total += 4
                if padded in doc.body:
                    total += 3
            if any(k == padded for k in doc.keywords):
                total += 15
            elif len(q) > 1 and any(padded in k for k in doc.keywords):
                total += 8
            if has_accents and (
                raw_query in doc.raw_title or any(raw_query in k for k in doc.raw_keywords)
            ):
                total += 3
            total *= (matched / len(q)) ** 2
            results.append((total, doc.article))
        results.sort(key=lambda r: (-r[0], r[1].title.casefold()))
        return results


# ---------------------------------------------------------------------------------------------
# The service


class ContentService:
    """Read-only access to the article library for any channel.

    ``deep_link`` turns an article id into a link that opens it in the bot, e.g.
    ``lambda aid: f"https://t.me/{username}?start=a_{aid}"``; without it internal links are shown
    underlined and cards carry no link.
    """

    def __init__(
        self,
        library: Library,
        *,
        deep_link: Callable[[str], str] | None = None,
    ) -> None:
        self.library = library
        self._deep_link = deep_link
        self._ids = frozenset(aid for aid, _ in library.articles)
        self._resolve: LinkResolver | None = self._resolver() if deep_link else None
        self._index = {lang: _Index(library.in_language(lang)) for lang in library.languages}
        self._topic_titles = {t.id: t for t in library.topics}

    # -- helpers --------------------------------------------------------------------------------

    def _resolver(self) -> LinkResolver:
        deep_link = self._deep_link
        assert deep_link is not None
        return lambda aid: deep_link(aid) if aid in self._ids else None

    def language(self, locale: str | None) -> str:
        """The library language for a user locale ("vi", "en-US", None → default "vi")."""
        if locale:
            code = locale.replace("_", "-").split("-")[0].lower()
            if code in self.library.languages:
                return code
        return self.library.languages[0]

    def _article(self, article_id: str, lang: str) -> Article:
        try:
            return self.library.get(article_id, lang)
        except KeyError:
            raise ArticleNotFound(article_id) from None

    def _ref(self, article: Article) -> ArticleRef:
        return ArticleRef(article.id, article.title, article.summary)

    # -- browsing -------------------------------------------------------------------------------

    def topics(self, locale: str | None) -> list[tuple[str, str]]:
        """(topic id, title) for every topic that has at least one article, in menu order."""
        lang = self.language(locale)
        return [
            (topic.id, topic.title(lang))
            for topic in self.library.topics
            if self.library.in_topic(topic.id, lang)
        ]

    def topic_title(self, topic: str, locale: str | None) -> str:
        found = self._topic_titles.get(topic)
        return found.title(self.language(locale)) if found else topic

    def articles_in_topic(self, topic: str, locale: str | None) -> list[ArticleRef]:
        lang = self.language(locale)
        return [self._ref(a) for a in self.library.in_topic(topic, lang)]

    def has_article(self, article_id: str) -> bool:
        return article_id in self._ids

    def page(self, article_id: str, locale: str | None, page_no: int = 1) -> ArticlePage:
        """Page ``page_no`` (1-based, clamped into range) of an article."""
        lang = self.language(locale)
        article = self._article(article_id, lang)
        count = article.page_count or 1
        page_no = min(max(int(page_no), 1), count)
        html = article.page_html(page_no - 1, self._resolve) if article.page_count else ""
        related = []
        for rid in article.related:
            try:
                related.append((rid, self.library.get(rid, lang).title))
            except KeyError:
                continue
        return ArticlePage(
            article_id=article.id,
            title=article.title,
            html=html,
            page_no=page_no,
            page_count=count,
            related=related,
            sources=list(article.sources),
            language=lang,
        )

    def sources_html(self, article_id: str, locale: str | None) -> str:
        """The article's sources as a short HTML list (for a "Sources" button)."""
        lang = self.language(locale)
        article = self._article(article_id, lang)
        lines = [f"<b>{escape(_SOURCES.get(lang, 'Sources'))}</b>"]
        for src in article.sources:
            label = escape(src.label())
            if src.url:
                label = f'<a href="{html.escape(src.url, quote=True)}">{label}</a>'
            lines.append(f"• {label}")
        return "\n".join(lines)

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, locale: str | None, limit: int = 10) -> list[SearchResult]:
        """Articles matching ``query``, best first. Accents, case and đ/d do not matter."""
        lang = self.language(locale)
        ranked = self._index[lang].search(query)[: max(limit, 0)]
        return [
            SearchResult(a.id, a.title, a.summary, a.topic, round(score, 3)) for score, a in ranked
        ]

    def inline_results(self, query: str, locale: str | None, limit: int = 20) -> list[InlineCard]:
        """Cards for inline mode: the search results, or every article for an empty query."""
        lang = self.language(locale)
        if query.strip():
            articles = [a for _, a in self._index[lang].search(query)]
        else:
            articles = self.library.in_language(lang)
        return [self._card(a, lang) for a in articles[: max(limit, 0)]]

    def _card(self, article: Article, lang: str) -> InlineCard:
        link = self._deep_link(article.id) if self._deep_link else None
        parts = [f"<b>{escape(article.title)}</b>"]
        used = tg_len(article.title)
        for block in article.blocks:
            if block.kind == "heading" and len(parts) > 1:
                break
            block_html = block.html(self._resolve)
            size = visible_len(block_html)
            if len(parts) > 1 and used + size > TEASER_CHARS:
                break
            if used + size > TEASER_CHARS:  # first block alone is long: use the summary
                parts.append(escape(article.summary))
                break
            parts.append(block_html)
            used += size + 2
        if link:
            parts.append(
                f'<a href="{html.escape(link, quote=True)}">{escape(_READ_MORE.get(lang, "Read more"))} →</a>'
            )
        share = f"{article.title}\n{article.summary}" + (f"\n{link}" if link else "")
        return InlineCard(article.id, article.title, article.summary, "\n\n".join(parts), share)

    # -- did you know ---------------------------------------------------------------------------

    def did_you_know(
        self, locale: str | None, when: int | dt.date | None = None
    ) -> DidYouKnow | None:
        """A fact: by index (wraps around), or the fact of the ISO week of a date (default today).

        Consecutive weeks get consecutive facts; every day of one ISO week gets the same fact.
        """
        facts = self.library.facts
        if not facts:
            return None
        if isinstance(when, int) and not isinstance(when, bool):
            index = when % len(facts)
        else:
            day = when.date() if isinstance(when, dt.datetime) else (when or dt.date.today())
            assert isinstance(day, dt.date)
            monday = day - dt.timedelta(days=day.isoweekday() - 1)
            index = (monday.toordinal() // 7) % len(facts)
        fact = facts[index]
        lang = self.language(locale)
        try:
            title = self.library.get(fact.article, lang).title
        except KeyError:
            title = ""
        return DidYouKnow(
            fact.id, fact.html(lang, self._resolve), fact.source, fact.article, title, index
        )
