"""The quiz question bank: ``content/quiz/<topic>.yaml`` files, their loader and validator.

One file per topic. A file is a mapping::

    topic: laughing-gas          # optional; when given, every question must have this topic
    audiences:                   # optional; YAML anchors for audience lists
      all: &all [lower-secondary, upper-secondary, university, adults]
    sources:                     # optional; YAML anchors for sources reused by the questions
      bachmai: &bachmai {title: ..., publisher: ..., date: "2025-11", ref: "..."}
    questions:
      - id: laughing-gas-b12     # stable slug, unique across the bank (scores refer to it)
        topic: laughing-gas
        difficulty: easy         # easy | medium | hard
        audience: *all
        text: {vi: "...", en: "..."}
        options: {vi: ["...", "..."], en: ["...", "..."]}   # 2–6, same count in both languages
        correct: [1]             # indexes into options (usually one)
        explanation: {vi: "...", en: "..."}
        source: *bachmai         # title + publisher + (date | url | ref)
        article: laughing-gas    # optional: the article that explains more

Lengths are checked against Telegram's quiz polls (UTF-16 code units, as Telegram counts):
question ≤ 300, each option ≤ 100, explanation ≤ 200 with at most 2 line feeds.

``python -m content.quiz_bank check [DIR]`` prints ``file:line: message`` per problem and exits 1
when there is any.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.markup import tg_len
from content.problems import Problem
from content.topics import TOPICS as SHARED_TOPICS

DEFAULT_DIR = Path(__file__).resolve().parent / "quiz"
DEFAULT_ARTICLES = Path(__file__).resolve().parent / "articles"

TOPICS: tuple[str, ...] = SHARED_TOPICS
"""The topic list shared with the article library (``content/topics.py``)."""
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
AUDIENCES: tuple[str, ...] = ("lower-secondary", "upper-secondary", "university", "adults")
LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

MAX_QUESTION = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
MAX_EXPLANATION_LINE_FEEDS = 2
MIN_OPTIONS = 2
MAX_OPTIONS = 6

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "topic", "difficulty", "audience", "text", "options", "correct",
             "explanation", "source")
_OPTIONAL = ("article", "keys")
_SOURCE_REQUIRED = ("title", "publisher")
_SOURCE_ONE_OF = ("date", "url", "ref")
_SOURCE_KEYS = (*_SOURCE_REQUIRED, *_SOURCE_ONE_OF, "note")
# Options are shown in a shuffled order, so an option may not refer to the others.
_POSITIONAL = re.compile(
    r"\b(all|none|both) of the (above|options)\b|tất cả các (ý|đáp án)|cả (hai|ba) (ý|đáp án)|"
    r"không (ý|đáp án) nào",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str | None = None
    url: str | None = None
    ref: str | None = None
    """Where the claim sits in the project's facts file (``awareness-facts.md#section``)."""
    note: str | None = None


@dataclass(frozen=True, eq=False)
class Question:
    id: str
    topic: str
    difficulty: str
    audience: tuple[str, ...]
    text: dict[str, str]
    options: dict[str, tuple[str, ...]]
    correct: tuple[int, ...]
    explanation: dict[str, str]
    source: Source
    article: str | None = None
    keys: tuple[str, ...] = ()
    """Terms the 'read more' article must contain (default: numbers and names in the answer)."""
    path: str = ""
    line: int = 0

    def text_for(self, locale: str) -> str:
        return self.text.get(locale) or self.text[DEFAULT_LANGUAGE]

    def options_for(self, locale: str) -> tuple[str, ...]:
        return self.options.get(locale) or self.options[DEFAULT_LANGUAGE]

    def explanation_for(self, locale: str) -> str:
        return self.explanation.get(locale) or self.explanation[DEFAULT_LANGUAGE]

    @property
    def option_count(self) -> int:
        return len(self.options[DEFAULT_LANGUAGE])


@dataclass(frozen=True)
class QuestionBank:
    questions: tuple[Question, ...]
    by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {q.id: q for q in self.questions})

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.by_id

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)

    def topics(self) -> dict[str, int]:
        """Questions per topic, in the order of :data:`TOPICS`."""
        counts = Counter(q.topic for q in self.questions)
        return {t: counts[t] for t in TOPICS if counts[t]}

    def filter(
        self,
        topics: Iterable[str] | None = None,
        difficulty: str | Iterable[str] | None = None,
        audience: str | None = None,
    ) -> list[Question]:
        """Questions matching every given criterion (``None`` = any)."""
        topic_set = set(topics) if topics is not None else None
        if isinstance(difficulty, str):
            difficulty = (difficulty,)
        difficulty_set = set(difficulty) if difficulty is not None else None
        return [
            q
            for q in self.questions
            if (topic_set is None or q.topic in topic_set)
            and (difficulty_set is None or q.difficulty in difficulty_set)
            and (audience is None or audience in q.audience)
        ]


class BankError(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n… and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the quiz bank:\n{shown}{more}")


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class _Map(dict[Any, Any]):
    """A mapping that remembers the line of itself, of each value and of duplicate keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class _Seq(list[Any]):
    def __init__(self, line: int, items: Iterable[Any], item_lines: list[int]) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines = item_lines

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = repr(key)
        if key in result:
            result.duplicates.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = value_node.start_mark.line + 1
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return _Seq(node.start_mark.line + 1, items, [c.start_mark.line + 1 for c in node.value])


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


# ---------------------------------------------------------------------------------------------
# Validation


_Report = Callable[[str, str], None]
"""Reports a problem of one question at the line of one of its keys: ``bad(key, message)``."""


class _FileChecker:
    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def duplicates(self, node: _Map, where: str) -> None:
        for key, line in node.duplicates:
            self.problem(line, f"{where}: key {key!r} appears twice")

    def load(self) -> list[Question]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(1, f"cannot read file: {exc}")
            return []
        try:
            data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark is not None else 1
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(line, f"YAML error: {reason}")
            return []
        if not isinstance(data, _Map):
            self.problem(1, "the file must be a mapping with a 'questions' list")
            return []
        self.duplicates(data, "file")
        for key in data:
            if key not in ("topic", "sources", "audiences", "questions"):
                self.problem(data.line_of(key), f"unknown top-level key {key!r}")
        file_topic = data.get("topic")
        if file_topic is not None and file_topic not in TOPICS:
            self.problem(data.line_of("topic"), f"unknown topic {file_topic!r}")
            file_topic = None
        for key in ("sources", "audiences"):
            if key in data and not isinstance(data[key], _Map):
                self.problem(data.line_of(key), f"{key!r} must be a mapping")
        items = data.get("questions")
        if not isinstance(items, _Seq) or not items:
            self.problem(data.line_of("questions"), "'questions' must be a non-empty list")
            return []
        questions = []
        for index, item in enumerate(items):
            question = self.question(item, items.line_of(index), file_topic)
            if question is not None:
                questions.append(question)
        return questions

    # -- one question ---------------------------------------------------------------------

    def question(self, item: Any, line: int, file_topic: str | None) -> Question | None:
        if not isinstance(item, _Map):
            self.problem(line, "a question must be a mapping")
            return None
        ok = True
        qid = item.get("id")
        label = f"question {qid!r}" if isinstance(qid, str) else "question"
        self.duplicates(item, label)

        def bad(key: str, message: str) -> None:
            nonlocal ok
            ok = False
            self.problem(item.line_of(key), f"{label}: {message}")

        for key in _REQUIRED:
            if key not in item:
                bad(key, f"missing {key!r}")
        for key in item:
            if key not in _REQUIRED and key not in _OPTIONAL:
                bad(key, f"unknown key {key!r}")
        if not ok:
            return None

        if not isinstance(qid, str) or not _SLUG.match(qid):
            bad("id", f"id must be a lowercase slug (a-z, 0-9, '-'), got {qid!r}")
        topic = item["topic"]
        if topic not in TOPICS:
            bad("topic", f"unknown topic {topic!r} (known: {', '.join(TOPICS)})")
        elif file_topic is not None and topic != file_topic:
            bad("topic", f"topic {topic!r} differs from the file's topic {file_topic!r}")
        difficulty = item["difficulty"]
        if difficulty not in DIFFICULTIES:
            bad("difficulty", f"unknown difficulty {difficulty!r} (known: {', '.join(DIFFICULTIES)})")

        audience = item["audience"]
        if not isinstance(audience, list) or not audience:
            bad("audience", "audience must be a non-empty list")
            audience = []
        else:
            for value in audience:
                if value not in AUDIENCES:
                    bad("audience", f"unknown audience {value!r} (known: {', '.join(AUDIENCES)})")
            if len(set(map(str, audience))) != len(audience):
                bad("audience", "audience lists a value twice")

        text = self.texts(item, "text", MAX_QUESTION, bad)
        explanation = self.texts(item, "explanation", MAX_EXPLANATION, bad)
        if explanation:
            for lang, value in explanation.items():
                if value.count("\n") > MAX_EXPLANATION_LINE_FEEDS:
                    bad("explanation", f"explanation.{lang} has more than "
                        f"{MAX_EXPLANATION_LINE_FEEDS} line feeds")

        options = self.options(item, bad)
        correct = self.correct(item, options, bad)
        source = self.source(item, bad)

        article = item.get("article")
        if article is not None and (not isinstance(article, str) or not _SLUG.match(article)):
            bad("article", f"article must be an article id (slug), got {article!r}")
        keys = item.get("keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            bad("keys", "keys must be a list of terms the linked article contains")
            keys = []

        if (not ok or not isinstance(qid, str) or text is None or explanation is None
                or options is None or correct is None or source is None):
            return None
        return Question(
            id=qid,
            topic=topic,
            difficulty=difficulty,
            audience=tuple(audience),
            text=text,
            options=options,
            correct=correct,
            explanation=explanation,
            source=source,
            article=article,
            keys=tuple(k.strip() for k in keys),
            path=self.display,
            line=line,
        )

    def texts(self, item: _Map, key: str, limit: int, bad: _Report) -> dict[str, str] | None:
        value = item[key]
        if not isinstance(value, _Map):
            bad(key, f"{key} must be a mapping of languages ({', '.join(LANGUAGES)})")
            return None
        result: dict[str, str] = {}
        for lang in value:
            if lang not in LANGUAGES:
                self.problem(value.line_of(lang), f"{key}: unknown language {lang!r}")
        for lang in LANGUAGES:
            line = value.line_of(lang)
            text = value.get(lang)
            if lang not in value:
                bad(key, f"{key}.{lang} is missing")
                return None
            if not isinstance(text, str) or not text.strip():
                bad(key, f"{key}.{lang} must be non-empty text")
                return None
            if tg_len(text) > limit:
                self.problem(line, f"{key}.{lang} is {tg_len(text)} characters (Telegram allows "
                             f"{limit})")
            result[lang] = text.strip()
        return result

    def options(self, item: _Map, bad: _Report) -> dict[str, tuple[str, ...]] | None:
        value = item["options"]
        if not isinstance(value, _Map):
            bad("options", "options must be a mapping of languages to lists")
            return None
        result: dict[str, tuple[str, ...]] = {}
        for lang in value:
            if lang not in LANGUAGES:
                self.problem(value.line_of(lang), f"options: unknown language {lang!r}")
        failed = False
        for lang in LANGUAGES:
            items = value.get(lang)
            line = value.line_of(lang)
            if not isinstance(items, _Seq):
                bad("options", f"options.{lang} must be a list")
                failed = True
                continue
            if not MIN_OPTIONS <= len(items) <= MAX_OPTIONS:
                self.problem(line, f"options.{lang} has {len(items)} options "
                             f"(allowed {MIN_OPTIONS}–{MAX_OPTIONS})")
                failed = True
            texts: list[str] = []
            for index, option in enumerate(items):
                oline = items.line_of(index)
                if not isinstance(option, str) or not option.strip():
                    self.problem(oline, f"options.{lang}[{index}] must be non-empty text "
                                 f"(quote words like yes/no/on/off), got {option!r}")
                    failed = True
                    continue
                if tg_len(option) > MAX_OPTION:
                    self.problem(oline, f"options.{lang}[{index}] is {tg_len(option)} characters "
                                 f"(Telegram allows {MAX_OPTION})")
                if _POSITIONAL.search(option):
                    self.problem(oline, f"options.{lang}[{index}] refers to other options, but "
                                 "options are shuffled")
                texts.append(option.strip())
            if len({t.casefold() for t in texts}) != len(texts):
                self.problem(line, f"options.{lang} lists the same option twice")
            result[lang] = tuple(texts)
        if failed:
            return None
        counts = {lang: len(opts) for lang, opts in result.items()}
        differing = [lang for lang, n in counts.items() if n != counts[DEFAULT_LANGUAGE]]
        if differing:
            self.problem(value.line_of(differing[0]), f"question {item.get('id')!r}: option "
                         "counts differ between languages: "
                         + ", ".join(f"{lang} {n}" for lang, n in counts.items()))
            return None
        return result

    def correct(self, item: _Map, options: dict[str, tuple[str, ...]] | None,
                bad: _Report) -> tuple[int, ...] | None:
        value = item["correct"]
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in value
        ):
            bad("correct", f"correct must be a non-empty list of option indexes, got {value!r}")
            return None
        if len(set(value)) != len(value):
            bad("correct", "correct lists an index twice")
            return None
        if options is not None:
            count = len(options[DEFAULT_LANGUAGE])
            wrong = [i for i in value if not 0 <= i < count]
            if wrong:
                bad("correct", f"correct index {wrong[0]} is out of range (0–{count - 1})")
                return None
            if len(value) == count:
                bad("correct", "every option is correct; a quiz needs at least one wrong option")
                return None
        return tuple(sorted(value))

    def source(self, item: _Map, bad: _Report) -> Source | None:
        value = item["source"]
        if not isinstance(value, _Map):
            bad("source", "source must be a mapping with title, publisher and date/url/ref")
            return None
        failed = False
        for key in value:
            if key not in _SOURCE_KEYS:
                self.problem(value.line_of(key), f"source: unknown key {key!r}")
                failed = True
        fields: dict[str, str | None] = {}
        for key in _SOURCE_KEYS:
            raw = value.get(key)
            if isinstance(raw, _dt.date):
                raw = raw.isoformat()
            elif isinstance(raw, int) and not isinstance(raw, bool):
                raw = str(raw)
            if raw is not None and (not isinstance(raw, str) or not raw.strip()):
                self.problem(value.line_of(key), f"source.{key} must be non-empty text")
                failed = True
                raw = None
            fields[key] = raw.strip() if isinstance(raw, str) else None
        for key in _SOURCE_REQUIRED:
            if not fields[key]:
                bad("source", f"source has no {key}")
                failed = True
        if not any(fields[k] for k in _SOURCE_ONE_OF):
            bad("source", "source needs a date, url or ref")
            failed = True
        url = fields["url"]
        if url and not url.startswith("https://"):
            self.problem(value.line_of("url"), "source.url must start with https://")
            failed = True
        if failed:
            return None
        return Source(
            title=fields["title"] or "",
            publisher=fields["publisher"] or "",
            date=fields["date"],
            url=fields["url"],
            ref=fields["ref"],
            note=fields["note"],
        )


def _bank_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _parse(directory: Path | str) -> tuple[list[Question], list[Problem]]:
    directory = Path(directory)
    if not directory.is_dir():
        return [], [Problem(str(directory), 0, "quiz bank directory not found")]
    files = _bank_files(directory)
    if not files:
        return [], [Problem(str(directory), 0, "no .yaml files in the quiz bank directory")]
    questions: list[Question] = []
    problems: list[Problem] = []
    for path in files:
        checker = _FileChecker(path, _display(path))
        questions.extend(checker.load())
        problems.extend(checker.problems)
    seen: dict[str, Question] = {}
    unique: list[Question] = []
    for question in questions:
        first = seen.get(question.id)
        if first is not None:
            problems.append(Problem(question.path, question.line,
                                    f"duplicate id {question.id!r} (first at {first.path}:"
                                    f"{first.line})"))
            continue
        seen[question.id] = question
        unique.append(question)
    return unique, problems


# ---------------------------------------------------------------------------------------------
# Bank-wide rules (docs/CONTENT.md, "How the validator judges a question")

MAX_LONGEST_CORRECT_SHARE = 0.35
"""At most this share of single-answer questions may have the right answer as the one longest
option: when it is usually the longest, students learn to pick the longest instead of thinking."""
NEAR_DUPLICATE_TEXT = 90
NEAR_DUPLICATE_WITH_ANSWER = 82
"""rapidfuzz scores (0–100): two questions are near-duplicates when their English texts score at
least ``NEAR_DUPLICATE_TEXT``, or both their texts and their right answers score at least
``NEAR_DUPLICATE_WITH_ANSWER``."""

# "em" as a way to address the reader. Adults are never "em"; the bank addresses every audience
# as "bạn" (as the articles do), so "em" is allowed only inside words naming other people.
_EM_ADDRESS = re.compile(
    r"(?<![\w])(?<!trẻ )(?<!anh )(?<!các )(?<!chị )[Ee]m(?![\w])(?! (?:trai|gái|bé|út|họ|ruột)\b)"
)
_DIGIT_TERM = re.compile(r"\d+(?:[.,/–-]\d+)*[a-z]?")
_QUOTED_TERM = re.compile(r"[“\"«]([^”\"»,.!?]{2,30})[”\"»]")


def _fold(text: str) -> str:
    """Lowercase without diacritics (đ → d), for tolerant term matching."""
    import unicodedata

    text = text.casefold().replace("đ", "d").replace("–", "-").replace("—", "-").replace("₂", "2")
    text = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def longest_correct_share(questions: Sequence[Question], lang: str) -> float:
    """Share of single-answer questions whose right option is strictly the longest one."""
    single = [q for q in questions if len(q.correct) == 1]
    if not single:
        return 0.0
    hits = 0
    for q in single:
        lengths = [tg_len(o) for o in q.options[lang]]
        right = lengths[q.correct[0]]
        if right == max(lengths) and lengths.count(right) == 1:
            hits += 1
    return hits / len(single)


def near_duplicates(questions: Sequence[Question]) -> list[tuple[Question, Question, float]]:
    """Pairs of questions that ask the same thing (see :data:`NEAR_DUPLICATE_TEXT`)."""
    from rapidfuzz import fuzz, process

    if len(questions) < 2:
        return []
    texts = [q.text["en"].casefold() for q in questions]
    answers = [" / ".join(q.options["en"][i] for i in q.correct).casefold() for q in questions]
    by_text = process.cdist(texts, texts, scorer=fuzz.token_set_ratio, workers=1)
    by_answer = process.cdist(answers, answers, scorer=fuzz.token_set_ratio, workers=1)
    pairs = []
    for i in range(len(questions)):
        for j in range(i + 1, len(questions)):
            text_score, answer_score = float(by_text[i][j]), float(by_answer[i][j])
            if text_score >= NEAR_DUPLICATE_TEXT or (
                text_score >= NEAR_DUPLICATE_WITH_ANSWER
                and answer_score >= NEAR_DUPLICATE_WITH_ANSWER
            ):
                pairs.append((questions[i], questions[j], text_score))
    return pairs


def key_terms(question: Question, lang: str) -> list[str]:
    """The terms an article must contain to answer ``question`` in ``lang``: the question's own
    ``keys`` if given, else the numbers and “quoted” names in its right answer(s)."""
    if question.keys:
        return list(question.keys)
    terms: list[str] = []
    for index in question.correct:
        option = question.options[lang][index]
        terms += _DIGIT_TERM.findall(option)
        terms += _QUOTED_TERM.findall(option)
    return [t for t in terms if len(t) >= 2]


def _article_texts(articles_root: Path) -> dict[tuple[str, str], tuple[str, list[str]]] | None:
    """{(article id, lang): (folded searchable text, folded source titles)}, or None when the
    library cannot be read (its own validator reports why)."""
    from content.articles import _scan  # a lazy import: the article module is larger

    library, _problems = _scan(articles_root, None)
    if not library.articles:
        return None
    result = {}
    for key, art in library.articles.items():
        text = "\n".join([art.title, art.summary, *art.keywords, art.body_text()])
        result[key] = (_fold(text), [_fold(s.title) for s in art.sources])
    return result


_WORD = re.compile(r"\w{4,}")
MIN_WORD_COVERAGE = 0.5


def _covers(body: str, question: Question, lang: str) -> bool:
    """At least half of the longer words of the right answer(s) occur in the article text."""
    words = {w for i in question.correct for w in _WORD.findall(_fold(question.options[lang][i]))}
    if not words:
        return False
    present = {w for w in words if w in body}
    return len(present) >= MIN_WORD_COVERAGE * len(words)


def balance_problems(questions: Sequence[Question],
                     limit: float = MAX_LONGEST_CORRECT_SHARE) -> list[Problem]:
    """The option-length rule: the right answer may be the longest option in at most ``limit``
    of the single-answer questions, in each language."""
    problems = []
    for lang in LANGUAGES:
        share = longest_correct_share(questions, lang)
        if share > limit:
            problems.append(Problem("quiz bank", 0, f"the right answer is the longest option in "
                                    f"{share:.0%} of single-answer questions ({lang}); at most "
                                    f"{limit:.0%}: lengthen a wrong option or shorten the right "
                                    "one"))
    return problems


def _bank_checks(questions: list[Question], articles_root: Path | None) -> list[Problem]:
    problems = balance_problems(questions)
    for first, second, score in near_duplicates(questions):
        problems.append(Problem(second.path, second.line, f"question {second.id!r} is a near-"
                                f"duplicate of {first.id!r} ({first.path}:{first.line}, "
                                f"similarity {score:.0f}): keep one"))
    for q in questions:
        vi = [q.text["vi"], q.explanation["vi"], *q.options["vi"]]
        if any(_EM_ADDRESS.search(text) for text in vi):
            problems.append(Problem(q.path, q.line, f"question {q.id!r} addresses the reader as "
                                    "'em': the bank says 'bạn' to every audience"))
    texts = _article_texts(articles_root) if articles_root is not None else None
    if texts is None:
        return problems
    for q in questions:
        if q.article is None:
            continue
        for lang in LANGUAGES:
            found = texts.get((q.article, lang))
            if found is None:
                problems.append(Problem(q.path, q.line, f"question {q.id!r}: 'read more' article "
                                        f"{q.article!r} does not exist in {lang}"))
                break
            body, source_titles = found
            terms = key_terms(q, lang)
            if terms:
                if not any(_fold(t) in body for t in terms):
                    problems.append(Problem(q.path, q.line, f"question {q.id!r}: article "
                                            f"{q.article!r} ({lang}) contains none of the key "
                                            f"terms {terms!r}: link an article that answers it, "
                                            "or set 'keys'"))
                    break
            elif not _covers(body, q, lang) and not any(
                    _fold(q.source.title)[:40] in title or title[:40] in _fold(q.source.title)
                    for title in source_titles):
                problems.append(Problem(q.path, q.line, f"question {q.id!r}: article "
                                        f"{q.article!r} neither cites the question's source nor "
                                        "contains its key terms: set 'keys' to the terms the "
                                        "article uses for the answer"))
                break
    return problems


def validate_bank(directory: Path | str = DEFAULT_DIR,
                  articles: Path | str | None = DEFAULT_ARTICLES) -> list[Problem]:
    """Every problem in the bank at ``directory``, each naming its file and line; with
    ``articles`` (a library folder) the 'read more' links are checked against it too."""
    questions, problems = _parse(directory)
    return problems + _bank_checks(questions, Path(articles) if articles is not None else None)


def load_bank(directory: Path | str = DEFAULT_DIR) -> QuestionBank:
    """The bank at ``directory``; raises :class:`BankError` listing the problems if it has any.

    Loading checks each question; the bank-wide editorial rules (balance, duplicates, links)
    run in :func:`validate_bank` and the test suite, so a running bot never refuses its bank
    over them."""
    questions, problems = _parse(directory)
    if problems:
        raise BankError(problems)
    return QuestionBank(tuple(questions))


# ---------------------------------------------------------------------------------------------
# CLI


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "check" or len(args) > 2:
        print("usage: python -m content.quiz_bank check [DIR]", file=sys.stderr)
        return 2
    directory = Path(args[1]) if len(args) == 2 else DEFAULT_DIR
    questions, problems = _parse(directory)
    problems += _bank_checks(questions, DEFAULT_ARTICLES if len(args) == 1 else None)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    bank = QuestionBank(tuple(questions))
    by_topic = ", ".join(f"{t} {n}" for t, n in bank.topics().items())
    by_difficulty = Counter(q.difficulty for q in bank)
    print(f"ok: {len(bank)} questions ({by_topic}); "
          + ", ".join(f"{d} {by_difficulty[d]}" for d in DIFFICULTIES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
