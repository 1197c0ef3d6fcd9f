"""Screens as HTML: the Telegram-HTML text of a screen becomes safe page HTML, its buttons
become one form of submit buttons (works without JavaScript).

Screen text is built by the services with every user or data value escaped (`bot.screens.esc`)
and only Telegram's small tag set around it. It is still parsed again here and rebuilt from a
whitelist (defence in depth): any other tag is shown as text, attributes other than an http(s)
or same-site `href` are dropped, and links open with `rel="noopener noreferrer"`.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from bot.screens import Button

# Telegram tag -> page tag
_TAGS = {
    "b": "b", "strong": "strong", "i": "i", "em": "em", "u": "u", "ins": "ins", "s": "s",
    "strike": "s", "del": "del", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-spoiler": "span", "span": "span", "a": "a",
}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _safe_href(href: str, public_url: str) -> str | None:
    href = href.strip()
    if href.startswith(("https://", "http://")):
        return href
    if href.startswith("/") and not href.startswith("//"):
        return href
    if re.fullmatch(r"[a-z][a-z0-9/_-]*", href):  # relative to the page's <base>
        return href
    if public_url and href.startswith(public_url):
        return href
    return None  # javascript:, data:, tg:// and the like


class _Cleaner(HTMLParser):
    def __init__(self, public_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.public_url = public_url
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        mapped = _TAGS.get(tag)
        if mapped is None:
            self.out.append(esc(self.get_starttag_text() or ""))
            return
        extra = ""
        if tag == "a":
            href = _safe_href(dict(attrs).get("href") or "", self.public_url)
            if href is None:
                self.open.append("")  # the link text stays, the link goes
                return
            extra = f' href="{esc(href)}" rel="noopener noreferrer"'
        elif mapped == "span":
            extra = ' class="spoiler"'
        self.open.append(mapped)
        self.out.append(f"<{mapped}{extra}>")

    def handle_endtag(self, tag: str) -> None:
        mapped = _TAGS.get(tag)
        if mapped is None:
            self.out.append(esc(f"</{tag}>"))
            return
        if tag == "a" and self.open and self.open[-1] == "":
            self.open.pop()
            return
        if mapped in self.open:
            while self.open:
                top = self.open.pop()
                if top:
                    self.out.append(f"</{top}>")
                if top == mapped:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(esc(data).replace("\n", "<br>\n"))

    def close_all(self) -> str:
        self.close()
        while self.open:
            top = self.open.pop()
            if top:
                self.out.append(f"</{top}>")
        return "".join(self.out)


def text_html(text: str, public_url: str = "") -> str:
    """Telegram-HTML screen text as safe page HTML."""
    cleaner = _Cleaner(public_url)
    cleaner.feed(text)
    return cleaner.close_all()


def plain_html(text: str) -> str:
    """What the person typed, shown back in their bubble."""
    return esc(text).replace("\n", "<br>\n")


def buttons_html(rows: list[list[Button]], *, csrf: str, bubble_id: int,
                 action: str = "act") -> str:
    """Button rows as one form: each action button submits its packed action; URL buttons are
    links; Telegram-only buttons (inline sharing) are left out."""
    if not rows:
        return ""
    parts = [f'<form method="post" action="{esc(action)}" class="buttons">',
             f'<input type="hidden" name="csrf" value="{esc(csrf)}">',
             f'<input type="hidden" name="b" value="{bubble_id}">']
    for row in rows:
        cells = []
        for button in row:
            if button.data is not None:
                cells.append(f'<button type="submit" name="a" value="{esc(button.data)}">'
                             f"{esc(button.text)}</button>")
            elif button.url:
                href = _safe_href(button.url, "")
                if href:
                    cells.append(f'<a class="button" href="{esc(href)}" rel="noopener noreferrer">'
                                 f"{esc(button.text)}</a>")
        if cells:
            parts.append('<div class="row">' + "".join(cells) + "</div>")
    parts.append("</form>")
    return "".join(parts)
