"""A small Markdown subset rendered as Telegram HTML (``parse_mode=HTML``).

Supported, and nothing else (everything else is shown as plain, escaped text):

* headings ``#``/``##``/``###`` → bold line
* ``**bold**`` / ``__bold__``, ``*italic*`` / ``_italic_``, ```code```
* ``[text](https://…)`` links and internal links ``[text](article:<id>)``
* bullet lists (``-``, ``*``, ``+``) → "• " lines; numbered lists (``1.``) keep their number;
  an item indented by two or more spaces is a sub-item ("◦ ")
* ``> quote`` lines → ``<blockquote>``
* paragraphs separated by a blank line; a line ending in two spaces or ``\\`` forces a line break

The parser works on *blocks* (a paragraph, a heading, a list item, a quote) that remember the
line they start on, so problems can be reported as ``file:line``. Pages are cut only between
blocks, so a page never ends inside a tag.

Telegram counts the length of a message *after* entity parsing, in UTF-16 code units; see
:func:`tg_len` and :func:`visible_text`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096
"""Telegram's hard limit for a message text (characters after entity parsing)."""
PAGE_TARGET = 3500
"""Visible characters per page we aim for: leaves headroom for the handler's header/footer."""
PAGE_RAW_TARGET = 3800
"""Raw HTML characters (tags included) per page: kept below 4,096 as well, to be safe."""
MAX_USERNAME = 32
ALLOWED_SCHEMES = ("http://", "https://", "tg://")
INTERNAL_SCHEME = "article:"

# An article id → an href (e.g. a bot deep link) or None to render the link text underlined.
LinkResolver = Callable[[str], str | None]


def worst_case_resolver(article_id: str) -> str:
    """The longest href a deployment can produce for an internal link (a t.me deep link)."""
    return f"https://t.me/{'x' * MAX_USERNAME}?start=a_{article_id}"


# ---------------------------------------------------------------------------------------------
# Inline nodes


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class LineBreak:
    pass


@dataclass(frozen=True)
class Span:
    tag: str  # "b", "i", "code"
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Link:
    target: str  # a URL, or an article id when internal
    internal: bool
    children: tuple[Node, ...]


Node = Text | LineBreak | Span | Link

_ESCAPABLE = set("\\`*_[]()#+-.!>")
_LINK_RE = re.compile(r"\[([^\[\]]+)\]\(\s*([^()\s]+)\s*\)")


def _find_closing(s: str, marker: str, start: int) -> int:
    """Index of the next unescaped ``marker`` at or after ``start`` that can close a span."""
    j = start
    while True:
        j = s.find(marker, j)
        if j == -1:
            return -1
        if s[j - 1] == "\\":
            j += 1
            continue
        if len(marker) == 1:
            # a single * or _ must not be half of a double marker, nor follow whitespace
            if s.startswith(marker * 2, j):
                j += 2
                continue
            if s[j - 1].isspace():
                j += 1
                continue
            if marker == "_" and j + 1 < len(s) and s[j + 1].isalnum():
                j += 1
                continue
        elif s[j - 1].isspace():
            j += 1
            continue
        return j


def parse_inline(s: str) -> tuple[Node, ...]:
    """Parse one block's inline Markdown into nodes. Never fails: unmatched markers are text."""
    out: list[Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(Text("".join(buf)))
            buf.clear()

    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in _ESCAPABLE:
            buf.append(s[i + 1])
            i += 2
            continue
        if c == "\n":
            flush()
            out.append(LineBreak())
            i += 1
            continue
        if c == "`":
            j = s.find("`", i + 1)
            if j > i + 1:
                flush()
                out.append(Span("code", (Text(s[i + 1 : j]),)))
                i = j + 1
                continue
        if c in "*_" and s.startswith(c * 2, i) and i + 2 < n and not s[i + 2].isspace():
            j = _find_closing(s, c * 2, i + 2)
            if j > i + 2:
                flush()
                out.append(Span("b", parse_inline(s[i + 2 : j])))
                i = j + 2
                continue
        if (
            c in "*_"
            and i + 1 < n
            and not s[i + 1].isspace()
            and s[i + 1] != c
            and not (c == "_" and i > 0 and s[i - 1].isalnum())
        ):
            j = _find_closing(s, c, i + 1)
            if j > i + 1:
                flush()
                out.append(Span("i", parse_inline(s[i + 1 : j])))
                i = j + 1
                continue
        if c == "[":
            m = _LINK_RE.match(s, i)
            if m:
                flush()
                target = m.group(2)
                internal = target.startswith(INTERNAL_SCHEME)
                if internal:
                    target = target[len(INTERNAL_SCHEME) :]
                out.append(Link(target, internal, parse_inline(m.group(1))))
                i = m.end()
                continue
        buf.append(c)
        i += 1
    flush()
    return tuple(out)


def iter_links(nodes: Sequence[Node]) -> Iterator[Link]:
    for node in nodes:
        if isinstance(node, Link):
            yield node
            yield from iter_links(node.children)
        elif isinstance(node, Span):
            yield from iter_links(node.children)


def escape(text: str) -> str:
    """Escape text for Telegram HTML: only &, < and > need it outside attributes."""
    return html.escape(text, quote=False)


def render_nodes(nodes: Sequence[Node], resolve: LinkResolver | None = None) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(escape(node.value))
        elif isinstance(node, LineBreak):
            parts.append("\n")
        elif isinstance(node, Span):
            inner = render_nodes(node.children, resolve)
            parts.append(f"<{node.tag}>{inner}</{node.tag}>")
        else:
            inner = render_nodes(node.children, resolve)
            if node.internal:
                href = resolve(node.target) if resolve else None
                if href is None:
                    parts.append(f"<u>{inner}</u>")
                    continue
            else:
                href = node.target
            if not href.startswith(ALLOWED_SCHEMES):
                parts.append(inner)  # never emit an href Telegram would reject
                continue
            parts.append(f'<a href="{html.escape(href, quote=True)}">{inner}</a>')
    return "".join(parts)


def nodes_text(nodes: Sequence[Node]) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.value)
        elif isinstance(node, LineBreak):
            parts.append("\n")
        else:
            parts.append(nodes_text(node.children))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Blocks


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph" | "item" | "quote"
    line: int  # line in the source file where the block starts (1-based)
    nodes: tuple[Node, ...]
    marker: str = ""  # list marker shown before an item: "• ", "◦ ", "2. "
    tight: bool = False  # joined to the previous block by one newline instead of a blank line

    def html(self, resolve: LinkResolver | None = None) -> str:
        inner = render_nodes(self.nodes, resolve)
        if self.kind == "heading":
            return f"<b>{inner}</b>"
        if self.kind == "quote":
            return f"<blockquote>{inner}</blockquote>"
        return escape(self.marker) + inner

    def text(self) -> str:
        """What the reader sees (the text after entity parsing)."""
        return self.marker + nodes_text(self.nodes)


_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BULLET_RE = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_ORDERED_RE = re.compile(r"^(\s*)(\d{1,3})[.)]\s+(.*)$")
_QUOTE_RE = re.compile(r"^ {0,3}>\s?(.*)$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")


def _starts_block(line: str) -> bool:
    return bool(
        _HEADING_RE.match(line)
        or _BULLET_RE.match(line)
        or _ORDERED_RE.match(line)
        or _QUOTE_RE.match(line)
        or _RULE_RE.match(line)
    )


def _join_lines(lines: Sequence[str]) -> str:
    """Join the source lines of one block: soft wraps become spaces, hard breaks newlines."""
    out = ""
    for k, raw in enumerate(lines):
        hard = raw.endswith("  ") or raw.rstrip().endswith("\\")
        text = raw.strip()
        if hard and text.endswith("\\"):
            text = text[:-1].rstrip()
        out += text
        if k < len(lines) - 1:
            out += "\n" if hard else " "
    return out


def parse_blocks(body: str, first_line: int = 1) -> list[Block]:
    """Split a Markdown body into blocks. ``first_line`` is the file line of the body's line 1."""
    lines = body.splitlines()
    blocks: list[Block] = []
    i = 0
    prev_kind = ""
    while i < len(lines):
        line = lines[i]
        lineno = first_line + i
        if not line.strip() or _RULE_RE.match(line):
            if _RULE_RE.match(line):
                prev_kind = ""
            i += 1
            continue
        if m := _HEADING_RE.match(line):
            blocks.append(Block("heading", lineno, parse_inline(m.group(2))))
            prev_kind = "heading"
            i += 1
            continue
        bullet = _BULLET_RE.match(line)
        ordered = None if bullet else _ORDERED_RE.match(line)
        if bullet or ordered:
            if bullet:
                indent, text = bullet.group(1), bullet.group(2)
                marker = "◦ " if len(indent.expandtabs(4)) >= 2 else "• "
            else:
                assert ordered is not None
                indent, text = ordered.group(1), ordered.group(3)
                marker = f"{int(ordered.group(2))}. "
                if len(indent.expandtabs(4)) >= 2:
                    marker = "   " + marker
            item_lines = [text]
            i += 1
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                item_lines.append(lines[i])
                i += 1
            tight = prev_kind in ("item", "heading")
            blocks.append(
                Block("item", lineno, parse_inline(_join_lines(item_lines)), marker, tight)
            )
            prev_kind = "item"
            continue
        if _QUOTE_RE.match(line):
            quote_lines = []
            while i < len(lines) and (m := _QUOTE_RE.match(lines[i])):
                quote_lines.append(m.group(1).strip())
                i += 1
            text = "\n".join(q for q in quote_lines)
            blocks.append(
                Block("quote", lineno, parse_inline(text.strip()), tight=prev_kind == "heading")
            )
            prev_kind = "quote"
            continue
        para = [line]
        i += 1
        while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
            para.append(lines[i])
            i += 1
        blocks.append(
            Block(
                "paragraph", lineno, parse_inline(_join_lines(para)), tight=prev_kind == "heading"
            )
        )
        prev_kind = "paragraph"
    return blocks


def join_blocks(blocks: Sequence[Block], resolve: LinkResolver | None = None) -> str:
    parts: list[str] = []
    for k, block in enumerate(blocks):
        if k:
            parts.append("\n" if block.tight else "\n\n")
        parts.append(block.html(resolve))
    return "".join(parts)


def render_markdown(body: str, resolve: LinkResolver | None = None) -> str:
    """Render a whole Markdown text as one Telegram HTML string (no pagination)."""
    return join_blocks(parse_blocks(body), resolve)


# ---------------------------------------------------------------------------------------------
# Lengths and pagination

_TAG_RE = re.compile(r"<[^>]*>")


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(html_text: str) -> str:
    """The text a reader sees once Telegram has parsed the entities of ``html_text``."""
    return html.unescape(_TAG_RE.sub("", html_text))


def visible_len(html_text: str) -> int:
    return tg_len(visible_text(html_text))


@dataclass(frozen=True)
class Oversize:
    """A block that cannot fit on a page by itself."""

    line: int
    visible: int
    raw: int


def paginate(
    blocks: Sequence[Block],
    *,
    target: int = PAGE_TARGET,
    raw_target: int = PAGE_RAW_TARGET,
    resolve: LinkResolver | None = worst_case_resolver,
) -> tuple[list[tuple[int, int]], list[Oversize]]:
    """Cut ``blocks`` into pages, only between blocks.

    Returns ``(pages, oversize)``: ``pages`` as ``(start, end)`` index ranges into ``blocks``,
    each within ``target`` visible and ``raw_target`` raw characters (measured with ``resolve``,
    by default the longest deep link a deployment can produce), and the blocks that are too long
    to fit on any page (they are then put on a page of their own). A page never ends with a
    heading when the heading can move to the next page.
    """
    pages: list[tuple[int, int]] = []
    oversize: list[Oversize] = []
    sizes = []
    for block in blocks:
        rendered = block.html(resolve)
        sizes.append((tg_len(block.text()), len(rendered)))
    start = 0
    vis = raw = 0
    k = 0
    while k < len(blocks):
        v, r = sizes[k]
        if k == start:
            if v > target or r > raw_target:
                oversize.append(Oversize(blocks[k].line, v, r))
            vis, raw = v, r
            k += 1
            continue
        sep = 1 if blocks[k].tight else 2
        if vis + sep + v <= target and raw + sep + r <= raw_target:
            vis += sep + v
            raw += sep + r
            k += 1
            continue
        end = k
        # keep a heading together with what follows it
        if end - 1 > start and blocks[end - 1].kind == "heading":
            end -= 1
        pages.append((start, end))
        start = k = end
    if start < len(blocks):
        pages.append((start, len(blocks)))
    return pages, oversize
