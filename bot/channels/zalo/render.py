"""Screens as Zalo messages: plain text, buttons as a numbered list, texts split at paragraph
boundaries within Zalo's 2,000 characters.

The Bot Platform has no buttons: each button that carries an action becomes "N. label" and the
reply "N" chooses it; "0" always opens the main menu. The renderer owns the words that say how
to choose ("Reply 1–4 · 0: main menu"), so no conversation needs to know. URL buttons become
"label: URL" lines (Zalo makes URLs clickable); inline-mode share buttons have no equivalent
and are left out. Formatting (Telegram's HTML subset) falls back to plain text: `parse_mode`
is a recent, unconfirmed addition to the platform [?].
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

from bot.i18n import Translator
from bot.screens import Screen

MAX_TEXT = 2000
HOME = "m:home"  # the main menu's action: "0" stands for it, so it is not numbered


@dataclass
class Rendered:
    messages: list[str]
    # number -> packed action (the chat's menu once shown)
    options: dict[int, str] = field(default_factory=dict)


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._link_start: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._link_start.append(len(self.parts))
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            href = self._href.pop()
            start = self._link_start.pop()
            label = "".join(self.parts[start:]).strip()
            if href and href.startswith(("https://", "http://")) and href != label:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    """Telegram-style HTML to plain text: tags dropped, entities decoded, links kept as
    "label (URL)"."""
    parser = _PlainText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # malformed markup: strip angle brackets the crude way
        return html.unescape(markup)
    return "".join(parser.parts)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph boundaries where possible, else
    at line ends, else at spaces, else anywhere."""
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    for sep in ("\n\n", "\n", " "):
        pieces = text.split(sep)
        if all(len(p) <= limit for p in pieces) or sep == " ":
            return _pack(pieces, sep, limit)
    return [text[i:i + limit] for i in range(0, len(text), limit)]  # pragma: no cover


def _pack(pieces: list[str], sep: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for piece in pieces:
        if len(piece) > limit:  # a single word longer than a message
            if current:
                out.append(current)
                current = ""
            out.extend(piece[i:i + limit] for i in range(0, len(piece), limit))
            continue
        candidate = f"{current}{sep}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return [p.strip() for p in out if p.strip()]


def choose_hint(t: Translator, count: int) -> str:
    if count == 0:
        return t.gettext("Reply 0 for the main menu.")
    if count == 1:
        return t.gettext("Reply 1 · 0: main menu")
    return t.gettext("Reply 1–{last} · 0: main menu").format(last=count)


def stale_choice_text(t: Translator, number: int, count: int) -> str:
    return t.gettext("Number {number} is not on the last list.").format(number=number) + \
        " " + choose_hint(t, count)


def unsupported_text(t: Translator, web_url: str) -> str:
    """Zalo's `message.unsupported.received`: files, locations, videos, and every message of a
    protected user (children among them), which arrives with no content at all."""
    _ = t.gettext
    text = _(
        "Zalo did not pass this message on to the bot. This happens with files, locations "
        "and videos, and with every message from accounts Zalo protects (for example "
        "children's accounts). Please send text or photos instead."
    )
    if web_url:
        text += "\n\n" + _(
            "You can also use the bot on the web, no account needed: {url}"
        ).format(url=web_url)
    return text


def apology_text(t: Translator) -> str:
    return t.gettext("Sorry, something went wrong on our side. Please try again.")


def render(screen: Screen, t: Translator, *, limit: int = MAX_TEXT,
           extra_links: list[str] | None = None) -> Rendered:
    options: dict[int, str] = {}
    choice_lines: list[str] = []
    link_lines: list[str] = list(extra_links or [])
    for row in screen.buttons:
        for button in row:
            label = plain_text(button.text).strip()
            if button.data is not None:
                if button.data == HOME:
                    continue
                number = len(options) + 1
                options[number] = button.data
                choice_lines.append(f"{number}. {label}")
            elif button.url:
                link_lines.append(f"{label}: {button.url}")
    body = plain_text(screen.text).strip()
    tail: list[str] = []
    if link_lines:
        tail.append("\n".join(link_lines))
    if any(b.data is not None for row in screen.buttons for b in row):  # a choice to make
        tail.append("\n".join(choice_lines))
        tail.append(choose_hint(t, len(options)))
    tail_text = "\n\n".join(p for p in tail if p)
    messages = split_text(body, limit)
    if tail_text:
        if messages and len(messages[-1]) + 2 + len(tail_text) <= limit:
            messages[-1] = f"{messages[-1]}\n\n{tail_text}"
        else:
            messages.extend(split_text(tail_text, limit))
    return Rendered(messages, options)
