"""Markdown → Telegram HTML (content/markup.py)."""

from __future__ import annotations

import html as htmllib
import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from content.markup import (
    PAGE_TARGET,
    TELEGRAM_LIMIT,
    join_blocks,
    paginate,
    parse_blocks,
    render_markdown,
    visible_len,
    visible_text,
)

_TAG = re.compile(r"<(/?)([a-z]+)(?: [^>]*)?>")
_ALLOWED = {"b", "i", "u", "a", "code", "blockquote"}


def well_formed(html: str) -> bool:
    """Only Telegram tags, properly nested; no stray '<' or '&' outside entities."""
    stack: list[str] = []
    for m in _TAG.finditer(html):
        closing, tag = m.group(1), m.group(2)
        if tag not in _ALLOWED:
            return False
        if closing:
            if not stack or stack.pop() != tag:
                return False
        else:
            stack.append(tag)
    if stack:
        return False
    rest = _TAG.sub("", html)
    if "<" in rest or ">" in rest:
        return False
    return re.search(r"&(?!amp;|lt;|gt;|quot;)", rest) is None


def test_inline_formatting():
    assert (
        render_markdown("**bold** and *it* and _it2_") == "<b>bold</b> and <i>it</i> and <i>it2</i>"
    )
    assert render_markdown("__also bold__") == "<b>also bold</b>"
    assert render_markdown("`x < y`") == "<code>x &lt; y</code>"
    assert (
        render_markdown("**bold with *italic* inside**") == "<b>bold with <i>italic</i> inside</b>"
    )


def test_markers_that_are_not_formatting():
    assert render_markdown("snake_case_name") == "snake_case_name"
    assert render_markdown("2 * 3 * 4") == "2 * 3 * 4"
    assert render_markdown("**unclosed") == "**unclosed"
    assert render_markdown(r"\*literal\*") == "*literal*"


def test_escaping_odd_characters():
    out = render_markdown('Tom & Jerry <script>alert("x")</script> 5 > 3 &amp;')
    assert out == 'Tom &amp; Jerry &lt;script&gt;alert("x")&lt;/script&gt; 5 &gt; 3 &amp;amp;'
    assert visible_text(out) == 'Tom & Jerry <script>alert("x")</script> 5 > 3 &amp;'
    assert well_formed(out)


def test_links():
    out = render_markdown('[UNODC](https://www.unodc.org/?a=1&b="2")')
    assert out == '<a href="https://www.unodc.org/?a=1&amp;b=&quot;2&quot;">UNODC</a>'
    assert render_markdown("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert render_markdown("[x](ftp://host/file)") == "x"  # unsupported scheme: text only
    internal = "[Bóng cười](article:laughing-gas)"
    assert render_markdown(internal) == "<u>Bóng cười</u>"
    resolved = render_markdown(internal, lambda aid: f"https://t.me/bot?start=a_{aid}")
    assert resolved == '<a href="https://t.me/bot?start=a_laughing-gas">Bóng cười</a>'
    assert (
        render_markdown("[**bold link**](https://x.vn)")
        == '<a href="https://x.vn"><b>bold link</b></a>'
    )


def test_blocks_headings_lists_quotes():
    body = (
        "# Tiêu đề\n"
        "Đoạn một, dòng một\n"
        "dòng hai.\n"
        "\n"
        "- mục một\n"
        "  tiếp theo\n"
        "  - mục con\n"
        "* mục hai\n"
        "\n"
        "1. bước một\n"
        "2. bước hai\n"
        "\n"
        "> trích dẫn\n"
        "> dòng hai\n"
        "\n"
        "---\n"
        "Dòng cứng  \n"
        "xuống dòng\n"
    )
    blocks = parse_blocks(body, first_line=10)
    assert [b.kind for b in blocks] == [
        "heading",
        "paragraph",
        "item",
        "item",
        "item",
        "item",
        "item",
        "quote",
        "paragraph",
    ]
    assert [b.line for b in blocks] == [10, 11, 14, 16, 17, 19, 20, 22, 26]
    out = join_blocks(blocks)
    assert out == (
        "<b>Tiêu đề</b>\n"
        "Đoạn một, dòng một dòng hai.\n\n"
        "• mục một tiếp theo\n"
        "◦ mục con\n"
        "• mục hai\n"
        "1. bước một\n"
        "2. bước hai\n\n"
        "<blockquote>trích dẫn\ndòng hai</blockquote>\n\n"
        "Dòng cứng\nxuống dòng"
    )
    assert well_formed(out)


def test_paginate_splits_between_blocks_and_keeps_headings_with_text():
    body = "\n\n".join(f"## Heading {k}\n\n" + ("word & more " * 100).strip() for k in range(12))
    blocks = parse_blocks(body)
    pages, oversize = paginate(blocks)
    assert not oversize
    assert len(pages) > 1
    assert pages[0][0] == 0 and pages[-1][1] == len(blocks)
    for (_, e1), (s2, _) in itertools.pairwise(pages):
        assert e1 == s2  # contiguous, nothing lost
    for start, end in pages:
        html = join_blocks(blocks[start:end])
        assert visible_len(html) <= PAGE_TARGET
        assert len(html) <= TELEGRAM_LIMIT
        assert blocks[end - 1].kind != "heading"
        assert well_formed(html)


def test_paginate_reports_oversize_block():
    blocks = parse_blocks("short\n\n" + "x" * (PAGE_TARGET + 1) + "\n\nend", first_line=5)
    pages, oversize = paginate(blocks)
    assert [o.line for o in oversize] == [7]
    assert len(pages) == 3


def test_raw_html_limit_with_many_links():
    # few visible characters, but lots of markup: the raw limit cuts the page
    body = "\n\n".join(f"[a](https://example.com/{'p' * 200}/{k})" for k in range(60))
    blocks = parse_blocks(body)
    pages, oversize = paginate(blocks)
    assert not oversize and len(pages) > 1
    for start, end in pages:
        assert len(join_blocks(blocks[start:end])) <= TELEGRAM_LIMIT


_text = st.lists(
    st.sampled_from([*"ab đáờ*_`[]()<>&\\#-\n>1. ", "**", "](https://x.vn)", "(article:x)"]),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_any_input_renders_to_valid_telegram_html(text):
    out = render_markdown(text, lambda aid: "https://t.me/b?start=a_" + aid)
    assert well_formed(out), out
    # nothing typed by the author is lost, apart from markup characters
    letters = {c for c in text.replace("article:", "") if c.isalpha()}
    assert letters <= set(htmllib.unescape(out))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=1200), min_size=1, max_size=30))
def test_pagination_property(sizes):
    body = "\n\n".join(("é&" * (n // 2)) or "x" for n in sizes)
    blocks = parse_blocks(body)
    pages, oversize = paginate(blocks)
    assert not oversize
    covered = [i for s, e in pages for i in range(s, e)]
    assert covered == list(range(len(blocks)))
    for start, end in pages:
        html = join_blocks(blocks[start:end])
        assert visible_len(html) <= PAGE_TARGET
        assert len(html) <= TELEGRAM_LIMIT
