"""A tip's thread (police questions, tipster answers) as pages that each fit one Telegram message.

Telegram refuses a text over 4,096 characters (UTF-16 code units). A thread of a few long
messages passes that easily, and one `&`-heavy answer grows five-fold when HTML-escaped, so pages
are measured after escaping, in UTF-16 units, and a message too long for one page continues on
the next. Used by /followup (tipster) and the 💬 Thread view (officers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.screens import Button, esc

if TYPE_CHECKING:
    from bot.engine.actions import Action

MAX_MESSAGE = 4096
_FOOTER_ROOM = 24  # "\n\n📄 12/34" and some slack


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _chunks(text: str, room: int) -> list[str]:
    """Escaped pieces of `text`, in order, each at most `room` units long."""
    out: list[str] = []
    cur: list[str] = []
    size = 0
    for ch in text:
        piece = esc(ch)
        n = tg_len(piece)
        if size + n > room and cur:
            out.append("".join(cur))
            cur, size = [], 0
        cur.append(piece)
        size += n
    out.append("".join(cur))
    return out


def paginate(header: str, items: list[tuple[str, str]], *, limit: int = MAX_MESSAGE) -> list[str]:
    """Lines `prefix + escaped text` (prefix is HTML, e.g. "👮 Police: ") packed in order under
    `header` (HTML) on every page; every page, with its "📄 n/N" footer, is at most `limit`
    UTF-16 units. Always at least one page."""
    room = limit - tg_len(header) - 1 - _FOOTER_ROOM  # header, newline, footer
    lines: list[str] = []
    for prefix, text in items:
        text_room = max(1, room - tg_len(prefix) - 2)  # (+ "… " on continued lines)
        for i, chunk in enumerate(_chunks(text, text_room)):
            lines.append(prefix + ("… " if i else "") + chunk)
    bodies: list[list[str]] = [[]]
    size = 0
    for line in lines:
        n = tg_len(line) + 1
        if bodies[-1] and size + n > room:
            bodies.append([])
            size = 0
        bodies[-1].append(line)
        size += n
    pages = ["\n".join([header, *body]) for body in bodies]
    if len(pages) > 1:
        pages = [f"{p}\n\n📄 {i}/{len(pages)}" for i, p in enumerate(pages, start=1)]
    return pages


def page_index(page: int | None, count: int) -> int:
    """A requested page (None: the newest, i.e. the last) clamped to the pages there are."""
    if page is None:
        return count - 1
    return min(max(0, page), count - 1)


def nav_row(page: int, count: int, data: str | Callable[[int], Action], older: str,
            newer: str) -> list[Button]:
    """◀ older / newer ▶ buttons (data + ":" + page, or the typed action `data(page)`); empty
    for a single page."""

    def button(label: str, target: int) -> Button:
        if callable(data):
            return Button(label, action=data(target))
        return Button(label, data=f"{data}:{target}")

    row = []
    if page > 0:
        row.append(button(older, page - 1))
    if page < count - 1:
        row.append(button(newer, page + 1))
    return row
