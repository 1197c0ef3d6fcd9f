"""What a person did, in channel-neutral terms. Each channel translates its native events into
one of these; a handler never sees a Telegram `Update`, a Zalo event or an HTTP request."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine.actions import Action


@dataclass(frozen=True)
class Command:
    """`/name arg…` (Telegram, Zalo text starting with '/', a web form's command)."""

    name: str  # lower case, without '/' and without '@botname'
    arg: str = ""  # the rest of the line, stripped

    @property
    def args(self) -> list[str]:
        return self.arg.split()


@dataclass(frozen=True)
class Text:
    text: str
    # Telegram only: the bot message this one replies to (police prompts use it), else None.
    reply_to: int | None = None
    # The text with the formatting the person used (bold, italic, links) as the bot's HTML
    # subset, where the channel has formatting; None elsewhere. Use `as_html()`.
    html: str | None = None

    def as_html(self) -> str:
        """The text as safe HTML: the channel's formatting if any, else the escaped text."""
        return self.html if self.html is not None else html.escape(self.text, quote=False)


@dataclass(frozen=True)
class Pressed:
    """A button was chosen (an inline button, a numbered option, a form button)."""

    action: Action


@dataclass(frozen=True)
class Photo:
    """A photo the person sent. `fetch` downloads it once when a handler wants the bytes, so a
    flow that refuses photos never downloads one."""

    fetch: Callable[[], Awaitable[bytes]]
    size: int | None = None  # bytes, when the channel says so before downloading
    caption: str = ""
    caption_html: str | None = None  # the caption's formatting, as for `Text.html`

    def caption_as_html(self) -> str:
        if self.caption_html is not None:
            return self.caption_html
        return html.escape(self.caption, quote=False)


@dataclass(frozen=True)
class File:
    """A file the person sent (e.g. a units CSV). Downloaded only when a handler asks."""

    fetch: Callable[[], Awaitable[bytes]]
    name: str = ""
    mime: str = ""
    size: int | None = None
    caption: str = ""


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Unsupported:
    """Something the bot cannot take (a sticker, a file, Zalo's protected-user event)."""

    kind: str


Input = Command | Text | Pressed | Photo | File | Location | Unsupported
