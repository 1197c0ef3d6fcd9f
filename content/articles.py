"""Awareness articles: loading and validating the library in ``content/articles/``.

An article is a Markdown file ``<id>.<language>.md`` with a YAML front-matter header (see
``docs/CONTENT.md``). Every article exists in every language of :data:`LANGUAGES`. Topic titles
live in ``topics.yaml``; the weekly "did you know" facts in ``did_you_know.yaml``.

``validate_library(root)`` returns every problem found, each naming a file and a line;
``load_library(root)`` returns the :class:`Library` or raises :class:`LibraryError` listing all
problems at once. From the command line::

    python -m content.articles check [DIR]

prints the problems and exits with status 1 if there are any.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.markup import (
    ALLOWED_SCHEMES,
    PAGE_RAW_TARGET,
    PAGE_TARGET,
    Block,
    LinkResolver,
    iter_links,
    join_blocks,
    paginate,
    parse_blocks,
    parse_inline,
    render_nodes,
)
from content.problems import Problem
from content.topics import TOPICS as SHARED_TOPICS

DEFAULT_ROOT = Path(__file__).resolve().parent / "articles"

LANGUAGES: tuple[str, ...] = ("vi", "en")
"""Every article must exist in each of these languages; the first is the default."""

TOPICS: tuple[str, ...] = SHARED_TOPICS
"""Known topics (shared with the quiz bank), in menu order. Their titles are in ``topics.yaml``."""

AUDIENCES: tuple[str, ...] = ("lower-secondary", "upper-secondary", "university", "adults")
"""Known audiences: pupils aged about 11–15 and 15–18, students, adults and parents."""

REQUIRED_FIELDS = (
    "id",
    "title",
    "topic",
    "audience",
    "language",
    "sources",
    "last_reviewed",
    "summary",
)
OPTIONAL_FIELDS = ("related", "keywords", "order")
MAX_TITLE = 100
MAX_SUMMARY = 200
MAX_FACT = 500
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 40  # leaves room in 64-byte callback data and deep-link payloads
FILE_RE = re.compile(r"^(?P<id>.+)\.(?P<lang>[a-z]{2})\.md$")
IGNORED_FILES = frozenset({"README.md"})


# ---------------------------------------------------------------------------------------------
# Data


class LibraryError(Exception):
    """The library has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the article library:\n{lines}")


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str | None = None
    url: str | None = None

    def label(self) -> str:
        """One line for a reader: ``Title — Publisher, date``."""
        tail = f", {self.date}" if self.date else ""
        return f"{self.title} — {self.publisher}{tail}"


@dataclass(frozen=True)
class Article:
    id: str
    language: str
    title: str
    topic: str
    audience: tuple[str, ...]
    sources: tuple[Source, ...]
    last_reviewed: dt.date
    summary: str
    related: tuple[str, ...]
    keywords: tuple[str, ...]
    order: int
    path: Path
    blocks: tuple[Block, ...] = field(repr=False)
    page_ranges: tuple[tuple[int, int], ...] = field(repr=False)

    @property
    def page_count(self) -> int:
        return len(self.page_ranges)

    def page_html(self, index: int, resolve: LinkResolver | None = None) -> str:
        """Telegram HTML of page ``index`` (0-based); internal links through ``resolve``."""
        start, end = self.page_ranges[index]
        return join_blocks(self.blocks[start:end], resolve)

    def body_text(self) -> str:
        """All visible text of the body (for search)."""
        return "\n".join(block.text() for block in self.blocks)


@dataclass(frozen=True)
class Topic:
    id: str
    titles: Mapping[str, str]

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles[LANGUAGES[0]]


@dataclass(frozen=True)
class Fact:
    """A short "did you know" fact, in every language, with its source and article."""

    id: str
    texts: Mapping[str, str]
    source: Source
    article: str

    def html(self, language: str, resolve: LinkResolver | None = None) -> str:
        text = self.texts.get(language) or self.texts[LANGUAGES[0]]
        return render_nodes(parse_inline(text), resolve)


@dataclass(frozen=True)
class Library:
    root: Path
    articles: Mapping[tuple[str, str], Article]
    topics: tuple[Topic, ...]
    facts: tuple[Fact, ...]

    @property
    def languages(self) -> tuple[str, ...]:
        return LANGUAGES

    def get(self, article_id: str, language: str) -> Article:
        """The article in ``language``; raises ``KeyError`` if there is none."""
        return self.articles[(article_id, language)]

    def ids(self) -> list[str]:
        return sorted({aid for aid, _ in self.articles})

    def in_topic(self, topic: str, language: str) -> list[Article]:
        found = [
            a for (_, lang), a in self.articles.items() if lang == language and a.topic == topic
        ]
        return sorted(found, key=lambda a: (a.order, a.title.casefold(), a.id))

    def in_language(self, language: str) -> list[Article]:
        """All articles of ``language`` in menu order (by topic, then order, then title)."""
        rank = {t: k for k, t in enumerate(TOPICS)}
        found = [a for (_, lang), a in self.articles.items() if lang == language]
        return sorted(found, key=lambda a: (rank.get(a.topic, 99), a.order, a.title.casefold()))


# ---------------------------------------------------------------------------------------------
# Reading one file


@dataclass
class _FrontMatter:
    data: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]
    first_line: int  # file line of the first line inside the header
    body: str
    body_line: int  # file line of the first body line


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML once, keeping both the values and the node tree (for line numbers)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def _yaml_mapping_lines(
    node: yaml.Node, first_line: int, path: Path, problems: list[Problem]
) -> tuple[dict[str, int], dict[str, list[int]]]:
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    if not isinstance(node, yaml.MappingNode):
        return key_lines, item_lines
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = first_line + key_node.start_mark.line
        if key in key_lines:
            problems.append(Problem(path, line, f"'{key}' is written twice"))
        key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            item_lines[key] = [first_line + item.start_mark.line for item in value_node.value]
    return key_lines, item_lines


def _read_front_matter(path: Path, problems: list[Problem]) -> _FrontMatter | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, f"cannot read the file as UTF-8 text: {exc}"))
        return None
    text = _nfc(text)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(path, 1, "the file must start with a '---' line (front matter)"))
        return None
    end = next((k for k in range(1, len(lines)) if lines[k].strip() in ("---", "...")), None)
    if end is None:
        problems.append(Problem(path, 1, "the front matter is not closed by a '---' line"))
        return None
    header = "\n".join(lines[1:end])
    try:
        data, node = _parse_yaml(header)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = 2 + (mark.line if mark else 0)
        problems.append(Problem(path, line, f"front matter is not valid YAML: {exc.problem}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 2, f"front matter is not valid YAML: {exc}"))
        return None
    if not isinstance(data, dict) or node is None:
        problems.append(Problem(path, 2, "the front matter must be a list of 'key: value' lines"))
        return None
    key_lines, item_lines = _yaml_mapping_lines(node, 2, path, problems)
    return _FrontMatter(
        data={str(k): v for k, v in data.items()},
        key_lines=key_lines,
        item_lines=item_lines,
        first_line=2,
        body="\n".join(lines[end + 1 :]),
        body_line=end + 2,
    )


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _str_list(value: Any) -> list[str] | None:
    """A list of non-empty strings (a single string or a comma list is accepted too)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    return None


def _parse_source(
    raw: Any, path: Path, line: int, problems: list[Problem], where: str = "source"
) -> Source | None:
    if not isinstance(raw, dict):
        problems.append(
            Problem(path, line, f"each {where} needs 'title', 'publisher' and 'date' or 'url'")
        )
        return None
    ok = True
    title, publisher = _str(raw.get("title")), _str(raw.get("publisher"))
    date_value = raw.get("date")
    date = (
        date_value.isoformat()
        if isinstance(date_value, dt.date)
        else _str(str(date_value) if date_value is not None else None)
    )
    url = _str(raw.get("url"))
    if title is None:
        problems.append(Problem(path, line, f"{where} has no 'title'"))
        ok = False
    if publisher is None:
        problems.append(Problem(path, line, f"{where} has no 'publisher'"))
        ok = False
    if date is None and url is None:
        problems.append(Problem(path, line, f"{where} needs a 'date' or a 'url'"))
        ok = False
    if url is not None and not url.startswith(("http://", "https://")):
        problems.append(Problem(path, line, f"{where} 'url' must start with https:// or http://"))
        ok = False
    unknown = sorted(set(map(str, raw)) - {"title", "publisher", "date", "url", "note"})
    if unknown:
        problems.append(Problem(path, line, f"{where} has unknown field(s): {', '.join(unknown)}"))
    if not ok or title is None or publisher is None:
        return None
    return Source(title=title, publisher=publisher, date=date, url=url)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class _Draft:
    """An article as read from one file, before cross-file checks."""

    article: Article
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]


def _read_article(path: Path, today: dt.date, problems: list[Problem]) -> _Draft | None:
    m = FILE_RE.match(path.name)
    if not m:
        problems.append(
            Problem(
                path, 1, "an article file must be named '<id>.<language>.md', e.g. 'ketamine.vi.md'"
            )
        )
        return None
    file_id, file_lang = m.group("id"), m.group("lang")
    fm = _read_front_matter(path, problems)
    if fm is None:
        return None
    data, kl = fm.data, fm.key_lines
    before = len(problems)

    def at(key: str) -> int:
        return kl.get(key, 1)

    def bad(key: str, message: str) -> None:
        problems.append(Problem(path, at(key), message))

    for key in REQUIRED_FIELDS:
        if key not in data or data[key] is None or data[key] == "" or data[key] == []:
            bad(key, f"required field '{key}' is missing or empty")
    for key in sorted(set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)):
        bad(key, f"unknown field '{key}' (check the spelling; see docs/CONTENT.md)")

    article_id = _str(data.get("id")) or ""
    if "id" in data and article_id:
        if not ID_RE.match(article_id) or len(article_id) > MAX_ID:
            bad(
                "id",
                f"id '{article_id}' must be lowercase letters, digits and hyphens "
                f"(at most {MAX_ID} characters), e.g. 'laughing-gas'",
            )
        if article_id != file_id:
            bad("id", f"id '{article_id}' does not match the file name '{path.name}'")
    language = _str(data.get("language")) or ""
    if language:
        if language not in LANGUAGES:
            bad("language", f"unknown language '{language}' (known: {', '.join(LANGUAGES)})")
        elif language != file_lang:
            bad("language", f"language '{language}' does not match the file name '{path.name}'")
    elif file_lang not in LANGUAGES:
        problems.append(Problem(path, 1, f"unknown language '{file_lang}' in the file name"))

    title = _str(data.get("title")) or ""
    if "title" in data and not isinstance(data.get("title"), str):
        bad("title", "'title' must be text")
    if len(title) > MAX_TITLE:
        bad("title", f"title is too long ({len(title)} characters, at most {MAX_TITLE})")
    summary = _str(data.get("summary")) or ""
    if "summary" in data and not isinstance(data.get("summary"), str):
        bad("summary", "'summary' must be text")
    if "\n" in summary:
        bad("summary", "summary must be one line")
    if len(summary) > MAX_SUMMARY:
        bad("summary", f"summary is too long ({len(summary)} characters, at most {MAX_SUMMARY})")

    topic = _str(data.get("topic")) or ""
    if topic and topic not in TOPICS:
        bad("topic", f"unknown topic '{topic}' (known: {', '.join(TOPICS)})")

    audience = _str_list(data.get("audience"))
    if audience is None:
        bad("audience", "'audience' must be a list")
        audience = []
    for aud in audience:
        if aud not in AUDIENCES:
            bad("audience", f"unknown audience '{aud}' (known: {', '.join(AUDIENCES)})")

    sources: list[Source] = []
    raw_sources = data.get("sources")
    if raw_sources is not None and not isinstance(raw_sources, list):
        bad("sources", "'sources' must be a list of sources")
    elif isinstance(raw_sources, list):
        lines = fm.item_lines.get("sources", [])
        for k, raw in enumerate(raw_sources):
            line = lines[k] if k < len(lines) else at("sources")
            src = _parse_source(raw, path, line, problems, where=f"source {k + 1}")
            if src is not None:
                sources.append(src)

    reviewed = _parse_date(data.get("last_reviewed"))
    if "last_reviewed" in data and data.get("last_reviewed") is not None:
        if reviewed is None:
            bad("last_reviewed", "last_reviewed must be a date written YYYY-MM-DD")
        elif reviewed > today:
            bad("last_reviewed", f"last_reviewed {reviewed.isoformat()} is in the future")

    related = _str_list(data.get("related"))
    if related is None:
        bad("related", "'related' must be a list of article ids")
        related = []
    keywords = _str_list(data.get("keywords"))
    if keywords is None:
        bad("keywords", "'keywords' must be a list or a comma-separated line")
        keywords = []
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        bad("order", "'order' must be a whole number")
        order = 100

    blocks = tuple(parse_blocks(fm.body, fm.body_line))
    if not blocks:
        problems.append(Problem(path, fm.body_line, "the article has no text"))
    for block in blocks:
        for link in iter_links(block.nodes):
            if not link.internal and not link.target.startswith(ALLOWED_SCHEMES):
                problems.append(
                    Problem(
                        path,
                        block.line,
                        f"link '{link.target}' must start with https:// "
                        "or be an internal link 'article:<id>'",
                    )
                )
    ranges, oversize = paginate(blocks)
    for big in oversize:
        problems.append(
            Problem(
                path,
                big.line,
                f"this paragraph is too long for one page ({big.visible} "
                f"characters, {big.raw} with formatting; at most {PAGE_TARGET} and "
                f"{PAGE_RAW_TARGET}): split it into shorter paragraphs",
            )
        )

    if len(problems) > before and not (article_id and language and topic):
        return None
    article = Article(
        id=article_id or file_id,
        language=language or file_lang,
        title=title,
        topic=topic,
        audience=tuple(audience),
        sources=tuple(sources),
        last_reviewed=reviewed or today,
        summary=summary,
        related=tuple(related),
        keywords=tuple(keywords),
        order=order,
        path=path,
        blocks=blocks,
        page_ranges=tuple(ranges),
    )
    return _Draft(article, kl, fm.item_lines)


# ---------------------------------------------------------------------------------------------
# Side files: topics.yaml and did_you_know.yaml


def _load_yaml(path: Path, problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    try:
        return _parse_yaml(_nfc(path.read_text(encoding="utf-8-sig")))
    except FileNotFoundError:
        problems.append(Problem(path, 1, "file is missing"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, f"cannot read the file as UTF-8 text: {exc}"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(
            Problem(path, 1 + (mark.line if mark else 0), f"not valid YAML: {exc.problem}")
        )
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1, f"not valid YAML: {exc}"))
    return None, None


def _read_topics(path: Path, problems: list[Problem]) -> tuple[Topic, ...]:
    data, node = _load_yaml(path, problems)
    if data is None and node is None:
        return ()
    if not isinstance(data, dict) or node is None:
        problems.append(Problem(path, 1, "topics.yaml must map each topic id to its titles"))
        return ()
    key_lines, _ = _yaml_mapping_lines(node, 1, path, problems)
    topics = []
    for topic_id in TOPICS:
        titles = data.get(topic_id)
        if not isinstance(titles, dict):
            problems.append(Problem(path, 1, f"topic '{topic_id}' has no titles"))
            continue
        clean = {lang: _str(titles.get(lang)) for lang in LANGUAGES}
        for lang, value in clean.items():
            if value is None:
                problems.append(
                    Problem(
                        path,
                        key_lines.get(topic_id, 1),
                        f"topic '{topic_id}' has no '{lang}' title",
                    )
                )
        topics.append(Topic(topic_id, {k: v for k, v in clean.items() if v}))
    for unknown in sorted(set(map(str, data)) - set(TOPICS)):
        problems.append(
            Problem(
                path,
                key_lines.get(unknown, 1),
                f"unknown topic '{unknown}' (topics are listed in content/articles.py, TOPICS)",
            )
        )
    return tuple(topics)


def _read_facts(path: Path, problems: list[Problem]) -> list[tuple[Fact, int]]:
    data, node = _load_yaml(path, problems)
    if data is None and node is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(path, 1, "did_you_know.yaml must be a list of facts"))
        return []
    facts: list[tuple[Fact, int]] = []
    seen: set[str] = set()
    for raw, item in zip(data, node.value, strict=True):
        line = 1 + item.start_mark.line
        if not isinstance(raw, dict):
            problems.append(Problem(path, line, "each fact needs id, vi, en, source and article"))
            continue
        fact_id = _str(raw.get("id"))
        if fact_id is None:
            problems.append(Problem(path, line, "fact has no 'id'"))
            fact_id = f"#{len(facts) + 1}"
        elif fact_id in seen:
            problems.append(Problem(path, line, f"fact id '{fact_id}' is used twice"))
        seen.add(fact_id)
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = _str(raw.get(lang))
            if text is None:
                problems.append(Problem(path, line, f"fact '{fact_id}' has no '{lang}' text"))
            elif len(text) > MAX_FACT:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"fact '{fact_id}' ({lang}) is too long "
                        f"({len(text)} characters, at most {MAX_FACT})",
                    )
                )
            else:
                texts[lang] = text
        unknown = sorted(set(map(str, raw)) - {"id", "source", "article", *LANGUAGES})
        if unknown:
            problems.append(
                Problem(path, line, f"fact '{fact_id}' has unknown field(s): {', '.join(unknown)}")
            )
        source = _parse_source(
            raw.get("source"), path, line, problems, where=f"fact '{fact_id}' source"
        )
        article = _str(raw.get("article"))
        if article is None:
            problems.append(Problem(path, line, f"fact '{fact_id}' has no 'article'"))
        if source is not None and article is not None and len(texts) == len(LANGUAGES):
            facts.append((Fact(fact_id, texts, source, article), line))
    if not data:
        problems.append(Problem(path, 1, "there are no facts"))
    return facts


# ---------------------------------------------------------------------------------------------
# The whole library


def _article_paths(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*.md") if p.name not in IGNORED_FILES)


def _scan(root: Path, today: dt.date | None) -> tuple[Library, list[Problem]]:
    today = today or dt.date.today()
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(root, 1, "the article folder does not exist"))
        return Library(root, {}, (), ()), problems

    drafts: dict[tuple[str, str], _Draft] = {}
    for path in _article_paths(root):
        draft = _read_article(path, today, problems)
        if draft is None:
            continue
        key = (draft.article.id, draft.article.language)
        if key in drafts:
            other = drafts[key].article.path
            problems.append(
                Problem(
                    path,
                    draft.key_lines.get("id", 1),
                    f"id '{key[0]}' ({key[1]}) is also used by {other}",
                )
            )
            continue
        drafts[key] = draft

    ids = {aid for aid, _ in drafts}
    for (aid, lang), draft in sorted(drafts.items()):
        art, kl = draft.article, draft.key_lines
        for other_lang in LANGUAGES:
            if other_lang != lang and (aid, other_lang) not in drafts:
                problems.append(
                    Problem(
                        art.path,
                        kl.get("language", kl.get("id", 1)),
                        f"'{aid}' has no {other_lang} version: add {aid}.{other_lang}.md",
                    )
                )
            twin = drafts.get((aid, other_lang))
            if twin is not None and twin.article.topic != art.topic and lang == LANGUAGES[0]:
                problems.append(
                    Problem(
                        art.path,
                        kl.get("topic", 1),
                        f"topic '{art.topic}' differs from {twin.article.path.name} "
                        f"('{twin.article.topic}')",
                    )
                )
        rel_lines = draft.item_lines.get("related", [])
        for k, rid in enumerate(art.related):
            line = rel_lines[k] if k < len(rel_lines) else kl.get("related", 1)
            if rid == aid:
                problems.append(Problem(art.path, line, "an article cannot be related to itself"))
            elif (rid, lang) not in drafts:
                problems.append(
                    Problem(
                        art.path,
                        line,
                        f"related article '{rid}' does not exist in '{lang}'"
                        + ("" if rid in ids else " (no such id)"),
                    )
                )
        for block in art.blocks:
            for link in iter_links(block.nodes):
                if link.internal and (link.target, lang) not in drafts:
                    problems.append(
                        Problem(
                            art.path,
                            block.line,
                            f"internal link 'article:{link.target}' points to no {lang} article",
                        )
                    )

    topics = _read_topics(root / "topics.yaml", problems)
    facts: list[Fact] = []
    facts_path = root / "did_you_know.yaml"
    for fact, line in _read_facts(facts_path, problems):
        if fact.article not in ids:
            problems.append(
                Problem(facts_path, line, f"fact '{fact.id}' points to no article '{fact.article}'")
            )
        facts.append(fact)

    articles = {key: d.article for key, d in drafts.items()}
    problems.sort(key=lambda p: (str(p.path), p.line))
    return Library(root, articles, topics, tuple(facts)), problems


REVIEW_MAX_AGE = dt.timedelta(days=365)
"""Laws change and statistics age: an article that states either is re-checked every year."""
_LAW_OR_STATISTIC = re.compile(
    r"\d+/\d{4}/(?:QH|NĐ|ND|QĐ|QD|TT|BYT)|Điều \d|Article \d|Art\. \d|\d+(?:[.,]\d+)?\s?%"
    r"|\b\d{1,3}(?:[.,]\d{3})+\b|\b(?:tấn|tonnes|triệu|million)\b",
    re.IGNORECASE,
)


def states_law_or_statistic(article: Article) -> bool:
    """Whether the article quotes a legal document, an article of law or a figure."""
    text = "\n".join([article.title, article.summary, article.body_text()])
    return bool(_LAW_OR_STATISTIC.search(text))


def review_warnings(
    root: Path | str = DEFAULT_ROOT, *, today: dt.date | None = None
) -> list[Problem]:
    """Articles that state a law or a statistic and were last reviewed over a year ago.

    These are warnings, not errors: the article is still published, but an editor should check
    it against its sources again and update ``last_reviewed``."""
    today = today or dt.date.today()
    library, _problems = _scan(Path(root), today)
    warnings = []
    for article in sorted(library.articles.values(), key=lambda a: (a.id, a.language)):
        age = today - article.last_reviewed
        if age > REVIEW_MAX_AGE and states_law_or_statistic(article):
            warnings.append(Problem(article.path, 1, f"warning: last reviewed "
                                    f"{article.last_reviewed.isoformat()} ({age.days} days ago) "
                                    "and it states a law or a statistic: check it against its "
                                    "sources and update last_reviewed"))
    return warnings


def validate_library(
    root: Path | str = DEFAULT_ROOT, *, today: dt.date | None = None
) -> list[Problem]:
    """Every problem in the library at ``root`` (empty when all is well)."""
    return _scan(Path(root), today)[1]


def load_library(root: Path | str = DEFAULT_ROOT, *, today: dt.date | None = None) -> Library:
    """Load the library at ``root``; raise :class:`LibraryError` listing all problems if any."""
    library, problems = _scan(Path(root), today)
    if problems:
        raise LibraryError(problems)
    return library


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "check" or len(args) > 2:
        print("usage: python -m content.articles check [DIR]", file=sys.stderr)
        return 2
    root = Path(args[1]) if len(args) == 2 else DEFAULT_ROOT
    library, problems = _scan(root, None)
    for warning in review_warnings(root):
        print(warning)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.")
        return 1
    n_ids = len(library.ids())
    print(
        f"OK: {n_ids} articles in {len(LANGUAGES)} languages "
        f"({len(library.articles)} files), {len(library.facts)} facts, {len(library.topics)} topics."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
