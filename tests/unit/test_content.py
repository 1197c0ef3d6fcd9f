"""The article library (content/articles), its validator and the content service."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.content import ArticleNotFound, ContentService, fold, tokens
from content.articles import (
    DEFAULT_ROOT,
    LANGUAGES,
    TOPICS,
    LibraryError,
    Problem,
    load_library,
    main,
    validate_library,
)
from content.markup import TELEGRAM_LIMIT, tg_len, visible_len

TODAY = dt.date(2026, 11, 23)


# ---------------------------------------------------------------------------------------------
# The shipped library


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def service(library):
    return ContentService(
        library, deep_link=lambda aid: f"https://t.me/KhongMaTuyBot?start=a_{aid}"
    )


def test_shipped_library_has_no_problems():
    assert validate_library() == []


def test_shipped_library_covers_both_languages_and_enough_articles(library):
    ids = library.ids()
    assert len(ids) >= 14
    for aid in ids:
        for lang in LANGUAGES:
            assert (aid, lang) in library.articles
    required = {
        "synthetic-drugs",
        "drug-psychosis",
        "laughing-gas",
        "stamp-paper",
        "synthetic-cannabinoids",
        "laced-vapes",
        "disguised-drugs",
        "hoanh-bo-gummies",
        "dealer-tactics",
        "helping-a-friend",
        "saying-no",
        "drug-law-basics",
        "drug-law-2025-changes",
        "getting-help",
        "reporting-safely",
    }
    assert required <= set(ids)


def test_every_shipped_page_fits_telegram(library, service):
    for (aid, lang), article in library.articles.items():
        assert article.sources, aid
        page = service.page(aid, lang, 1)
        for n in range(1, page.page_count + 1):
            html = service.page(aid, lang, n).html
            assert 0 < visible_len(html) <= 3500, (aid, lang, n)
            assert len(html) <= TELEGRAM_LIMIT, (aid, lang, n)
            _assert_balanced(html)


def test_did_you_know_has_enough_facts(library):
    assert len(library.facts) >= 20
    ids = set(library.ids())
    for fact in library.facts:
        assert fact.article in ids
        for lang in LANGUAGES:
            assert fact.texts[lang]


def test_no_unit_hotline_numbers_in_content():
    """Only the national emergency numbers may appear; unit hotlines are configuration."""
    import re

    for path in DEFAULT_ROOT.glob("*"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"(?<![\d.,])(?:\+84|0)(?:[ .]?\d){8,10}\b", text):
            raise AssertionError(f"phone-like number {m.group()!r} in {path.name}")


def test_cli_check(capsys, tmp_path):
    assert main(["check"]) == 0
    assert "OK:" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "missing")]) == 1
    assert main([]) == 2


# ---------------------------------------------------------------------------------------------
# A broken library in a temporary folder


def _article(
    root: Path,
    aid: str,
    lang: str,
    *,
    body: str = "Một đoạn văn ngắn.\n",
    topic: str = "laughing-gas",
    sources: str | None = None,
    related: str = "[]",
    extra: str = "",
    reviewed: str = "2026-01-01",
) -> Path:
    if sources is None:
        sources = '\n  - title: T\n    publisher: P\n    date: "2024"'
    path = root / f"{aid}.{lang}.md"
    path.write_text(
        "---\n"
        f"id: {aid}\n"
        f"title: Title {aid}\n"
        f"topic: {topic}\n"
        "audience: [adults]\n"
        f"language: {lang}\n"
        f"summary: Summary of {aid}\n"
        f"sources:{sources}\n"
        f"last_reviewed: {reviewed}\n"
        f"related: {related}\n"
        f"{extra}"
        "---\n"
        f"{body}",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lib_dir(tmp_path: Path) -> Path:
    shutil.copy(DEFAULT_ROOT / "topics.yaml", tmp_path / "topics.yaml")
    (tmp_path / "did_you_know.yaml").write_text(
        "- id: one\n"
        "  vi: Một điều\n"
        "  en: One thing\n"
        "  source: {title: T, publisher: P, date: '2024'}\n"
        "  article: good\n",
        encoding="utf-8",
    )
    for lang in LANGUAGES:
        _article(tmp_path, "good", lang)
    return tmp_path


def _line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _find(problems: list[Problem], name: str, text: str) -> Problem:
    for p in problems:
        if p.path.name == name and text in p.message:
            return p
    raise AssertionError(f"no problem about {text!r} in {name}: {[str(p) for p in problems]}")


def test_minimal_library_is_valid(lib_dir):
    assert validate_library(lib_dir, today=TODAY) == []
    assert load_library(lib_dir, today=TODAY).ids() == ["good"]


def test_missing_source_reports_key_line(lib_dir):
    path = _article(lib_dir, "nosrc", "vi", sources=" []")
    _article(lib_dir, "nosrc", "en")
    p = _find(validate_library(lib_dir, today=TODAY), "nosrc.vi.md", "'sources'")
    assert p.line == _line_of(path, "sources:")


def test_incomplete_source_reports_its_line(lib_dir):
    path = _article(lib_dir, "half", "vi", sources="\n  - title: Only a title")
    _article(lib_dir, "half", "en")
    problems = validate_library(lib_dir, today=TODAY)
    line = _line_of(path, "- title: Only a title")
    assert _find(problems, "half.vi.md", "no 'publisher'").line == line
    assert _find(problems, "half.vi.md", "'date' or a 'url'").line == line


def test_unknown_topic(lib_dir):
    path = _article(lib_dir, "odd", "vi", topic="cooking")
    _article(lib_dir, "odd", "en", topic="cooking")
    p = _find(validate_library(lib_dir, today=TODAY), "odd.vi.md", "unknown topic 'cooking'")
    assert p.line == _line_of(path, "topic:")


def test_broken_internal_link_reports_body_line(lib_dir):
    body = "Đoạn đầu.\n\nXem [bài khác](article:does-not-exist).\n"
    path = _article(lib_dir, "linky", "vi", body=body)
    _article(lib_dir, "linky", "en")
    p = _find(validate_library(lib_dir, today=TODAY), "linky.vi.md", "article:does-not-exist")
    assert p.line == _line_of(path, "does-not-exist") > _line_of(path, "Đoạn đầu")


def test_broken_related(lib_dir):
    path = _article(lib_dir, "rel", "vi", related="\n  - good\n  - ghost")
    _article(lib_dir, "rel", "en", related="[good]")
    p = _find(validate_library(lib_dir, today=TODAY), "rel.vi.md", "'ghost'")
    assert p.line == _line_of(path, "- ghost")


def test_overlong_paragraph_cannot_split(lib_dir):
    body = "Ngắn.\n\n" + ("chữ " * 1200) + "\n"
    path = _article(lib_dir, "long", "vi", body=body)
    _article(lib_dir, "long", "en")
    p = _find(validate_library(lib_dir, today=TODAY), "long.vi.md", "too long for one page")
    assert p.line == _line_of(path, "chữ chữ")


def test_vi_without_en(lib_dir):
    path = _article(lib_dir, "lonely", "vi")
    p = _find(validate_library(lib_dir, today=TODAY), "lonely.vi.md", "no en version")
    assert p.line == _line_of(path, "language:")


def test_id_must_match_file_name_and_be_unique(lib_dir):
    path = _article(lib_dir, "named", "vi")
    path.write_text(path.read_text(encoding="utf-8").replace("id: named", "id: other"), "utf-8")
    _article(lib_dir, "named", "en")
    _find(validate_library(lib_dir, today=TODAY), "named.vi.md", "does not match the file name")
    sub = lib_dir / "more"
    sub.mkdir()
    _article(sub, "good", "vi")
    _find(validate_library(lib_dir, today=TODAY), "good.vi.md", "also used by")


def test_dates_and_unknown_fields(lib_dir):
    path = _article(lib_dir, "future", "vi", reviewed="2027-01-01", extra="sumary: typo\n")
    _article(lib_dir, "future", "en", reviewed="yesterday")
    problems = validate_library(lib_dir, today=TODAY)
    assert _find(problems, "future.vi.md", "in the future").line == _line_of(path, "last_reviewed")
    assert _find(problems, "future.vi.md", "unknown field 'sumary'").line == _line_of(
        path, "sumary"
    )
    _find(problems, "future.en.md", "YYYY-MM-DD")


def test_yaml_error_and_missing_front_matter(lib_dir):
    (lib_dir / "bad.vi.md").write_text("---\nid: [unclosed\n---\nBody\n", encoding="utf-8")
    (lib_dir / "bare.vi.md").write_text("Just text\n", encoding="utf-8")
    (lib_dir / "notes.md").write_text("---\n---\n", encoding="utf-8")
    problems = validate_library(lib_dir, today=TODAY)
    _find(problems, "bad.vi.md", "not valid YAML")
    assert _find(problems, "bare.vi.md", "'---'").line == 1
    _find(problems, "notes.md", "must be named")


def test_load_library_raises_one_error_listing_all(lib_dir):
    odd = _article(lib_dir, "odd", "vi", topic="cooking")
    lonely = _article(lib_dir, "lonely", "vi")
    with pytest.raises(LibraryError) as err:
        load_library(lib_dir, today=TODAY)
    assert len(err.value.problems) >= 3
    message = str(err.value)
    assert f"odd.vi.md:{_line_of(odd, 'topic:')}: unknown topic" in message
    assert f"lonely.vi.md:{_line_of(lonely, 'language:')}: 'lonely' has no en" in message


def test_fact_problems(lib_dir):
    (lib_dir / "did_you_know.yaml").write_text(
        "- id: one\n  vi: Một\n  source: {title: T}\n  article: nowhere\n", encoding="utf-8"
    )
    problems = validate_library(lib_dir, today=TODAY)
    _find(problems, "did_you_know.yaml", "no 'en' text")
    _find(problems, "did_you_know.yaml", "no 'publisher'")


def test_topics_file_needs_every_topic(lib_dir):
    (lib_dir / "topics.yaml").write_text("laughing-gas:\n  vi: Bóng cười\n", encoding="utf-8")
    problems = validate_library(lib_dir, today=TODAY)
    _find(problems, "topics.yaml", "has no 'en' title")
    _find(problems, "topics.yaml", f"topic '{TOPICS[0]}' has no titles")


def test_long_article_is_paginated_at_paragraphs(lib_dir):
    paragraphs = [f"## Phần {k}\n\nĐoạn {k}: " + ("lời <b>&</b> " * 60) for k in range(40)]
    _article(lib_dir, "big", "vi", body="\n\n".join(paragraphs) + "\n")
    _article(lib_dir, "big", "en")
    lib = load_library(lib_dir, today=TODAY)
    service = ContentService(lib)
    first = service.page("big", "vi", 1)
    assert first.page_count > 1
    seen = []
    for n in range(1, first.page_count + 1):
        page = service.page("big", "vi", n)
        assert page.page_no == n
        assert visible_len(page.html) <= 3500
        assert len(page.html) <= TELEGRAM_LIMIT
        _assert_balanced(page.html)
        assert not page.html.rstrip().endswith("</b>") or "Đoạn" in page.html.splitlines()[-1]
        seen.append(page.html)
    joined = "\n\n".join(seen)
    assert all(f"Phần {k}</b>" in joined for k in range(40))
    assert service.page("big", "vi", 999).page_no == first.page_count  # clamped
    assert service.page("big", "vi", -3).page_no == 1


# ---------------------------------------------------------------------------------------------
# Service


def test_topics_and_articles_in_topic(service):
    topics = dict(service.topics("vi"))
    assert topics["laughing-gas"] == "Bóng cười (khí N₂O)"
    assert dict(service.topics("en"))["laughing-gas"] == "Laughing gas (N₂O)"
    refs = service.articles_in_topic("law", "en")
    assert [r.article_id for r in refs] == ["drug-law-basics", "drug-law-2025-changes", "growing-drug-plants", "drug-driving"]
    assert service.articles_in_topic("no-such-topic", "vi") == []


def test_page_has_related_and_sources(service):
    page = service.page("laughing-gas", "vi")
    assert page.title.startswith("Bóng cười")
    assert page.page_no == 1 and page.page_count >= 1
    assert ("saying-no", "Cách từ chối: vài câu ngắn, dễ nói") in page.related
    assert any(s.publisher == "Bộ Y tế" for s in page.sources)
    assert "<b>khí N₂O</b>" in page.html
    # internal links become deep links when the service knows the bot's username
    assert 'href="https://t.me/KhongMaTuyBot?start=a_saying-no"' in page.html


def test_locale_fallback_and_unknown_article(service):
    assert service.page("laughing-gas", "en-US").title.startswith("Laughing gas")
    assert service.page("laughing-gas", "fr").title.startswith("Bóng cười")
    assert service.page("laughing-gas", None).title.startswith("Bóng cười")
    with pytest.raises(ArticleNotFound):
        service.page("nope", "vi")


def test_without_deep_link_internal_links_are_underlined(library):
    html = ContentService(library).page("laughing-gas", "vi").html
    assert "<u>Cách từ chối</u>" in html
    assert "t.me" not in html


def test_fold_and_tokens():
    assert fold("Bóng Cười") == "bong cuoi"
    assert fold("Đá, ĐÁ") == "da, da"
    assert tokens("N₂O – khí cười!") == ["n2o", "khi", "cuoi"]
    assert fold("Thuận Hòa") == fold("Thuận Hoà")


@pytest.mark.parametrize(
    ("query", "locale", "expected"),
    [
        ("bong cuoi", "vi", "laughing-gas"),
        ("bóng cười", "vi", "laughing-gas"),
        ("BONG CUOI", "vi", "laughing-gas"),
        ("tem giay", "vi", "stamp-paper"),
        ("tem giấy", "vi", "stamp-paper"),
        ("bua luoi", "vi", "stamp-paper"),
        ("N2O", "vi", "laughing-gas"),
        ("N2O", "en", "laughing-gas"),
        ("laughing gas", "en", "laughing-gas"),
        ("ngao da", "vi", "drug-psychosis"),
        ("nuoc vui", "vi", "disguised-drugs"),
        ("happy water", "en", "disguised-drugs"),
        ("co my", "vi", "synthetic-cannabinoids"),
        ("thuoc la dien tu", "vi", "laced-vapes"),
        ("vneid", "vi", "reporting-safely"),
        ("dieu 256a", "vi", "drug-law-2025-changes"),
        ("bong cuio", "vi", "laughing-gas"),  # a typo
        ("laughing gsa", "en", "laughing-gas"),  # a typo
    ],
)
def test_search_ranking(service, query, locale, expected):
    results = service.search(query, locale)
    assert results, query
    assert results[0].article_id == expected, [(r.article_id, r.score) for r in results]


def test_search_title_and_keywords_outweigh_body(service):
    results = service.search("bóng cười", "vi")
    assert results[0].score > 3 * results[1].score
    # body-only mentions still show up, lower
    assert any(r.article_id == "saying-no" for r in results)


def test_search_edge_cases(service):
    assert service.search("", "vi") == []
    assert service.search("   !!! ", "vi") == []
    assert service.search("xyzzyqq", "vi") == []
    assert len(service.search("ma túy", "vi", limit=3)) == 3
    assert service.search("ma túy", "vi", limit=0) == []


def test_inline_results(service):
    cards = service.inline_results("bong cuoi", "vi", 5)
    assert cards[0].article_id == "laughing-gas"
    card = cards[0]
    assert card.html.startswith("<b>Bóng cười")
    assert visible_len(card.html) <= 1500
    _assert_balanced(card.html)
    assert "https://t.me/KhongMaTuyBot?start=a_laughing-gas" in card.share_text
    assert card.summary in card.share_text
    everything = service.inline_results("", "en", 50)
    assert len(everything) == len(service.library.ids())
    assert len(service.inline_results("", "en", 3)) == 3


def test_did_you_know_rotates_by_iso_week(service, library):
    n = len(library.facts)
    monday = dt.date(2026, 11, 23)
    week = [service.did_you_know("vi", monday + dt.timedelta(days=d)) for d in range(7)]
    assert len({f.fact_id for f in week if f}) == 1
    following = [service.did_you_know("vi", monday + dt.timedelta(weeks=w)) for w in range(n)]
    ids = [f.fact_id for f in following if f]
    assert len(set(ids)) == n  # every fact once in n consecutive weeks
    first, second = following[0], following[1]
    assert first and second and (second.index - first.index) % n == 1
    # same fact in both languages for the same week, with the article title localised
    vi = service.did_you_know("vi", monday)
    en = service.did_you_know("en", monday)
    assert vi and en and vi.fact_id == en.fact_id and vi.html != en.html
    assert en.article_title == library.get(en.article_id, "en").title
    assert service.did_you_know("en", 0).fact_id == library.facts[0].id
    assert service.did_you_know("en", n).fact_id == library.facts[0].id
    assert service.did_you_know("vi", dt.datetime(2026, 11, 25, 8, 0)).fact_id == vi.fact_id


def test_tg_len_counts_utf16():
    assert tg_len("abc") == 3
    assert tg_len("đá") == 2
    assert tg_len("🙂") == 2


# ---------------------------------------------------------------------------------------------


def _assert_balanced(html: str) -> None:
    """Every tag is closed in order (a page never ends inside a tag)."""
    import re

    stack: list[str] = []
    for m in re.finditer(r"<(/?)([a-z]+)[^>]*>", html):
        closing, tag = m.group(1), m.group(2)
        if closing:
            assert stack and stack[-1] == tag, html
            stack.pop()
        else:
            stack.append(tag)
    assert not stack, html
    assert "<" not in re.sub(r"<(/?)([a-z]+)[^>]*>", "", html)
