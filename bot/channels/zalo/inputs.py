"""Zalo events as engine inputs.

A text starting with '/' is a `Command`. A reply that is only a small number ("2", "2.",
" 2 ") chooses from the numbered menu the chat was last shown: it becomes the `Pressed` action
stored for that number; "0" opens the main menu. Only one- and two-digit replies are read as
choices, so a receipt number, a phone number or a year is always text. A number the last menu
does not have is a `StaleChoice` (the channel re-prompts outside a flow and passes it on as
text inside one). An image is a `Photo` whose fetch downloads Zalo's URL (size cap and
timeout); stickers, voice and everything else are `Unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.zalo import events as ev
from bot.channels.zalo.events import ZaloEvent
from bot.engine.actions import parse
from bot.engine.inputs import Command, Input, Photo, Pressed, Text, Unsupported

_CHOICE_RE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_KINDS = {ev.STICKER: "sticker", ev.VOICE: "voice", ev.UNSUPPORTED: "unsupported"}


@dataclass(frozen=True)
class StaleChoice:
    number: int
    text: str


def choice_number(text: str) -> int | None:
    match = _CHOICE_RE.match(text)
    return int(match.group(1)) if match else None


def to_input(event: ZaloEvent, menu: dict[int, str],
             download: Callable[[str], Awaitable[bytes]]) -> Input | StaleChoice:
    if event.event_name == ev.TEXT:
        text = event.text
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped.partition(" ")
            name = head[1:].partition("@")[0].lower()
            return Command(name, rest.strip())
        number = choice_number(text) if event.private else None  # groups: no menus
        if number is not None:
            if number == 0:
                return Command("menu")
            packed = menu.get(number)
            if packed is not None:
                action = parse(packed)
                if action is not None:
                    return Pressed(action)
            if menu:
                return StaleChoice(number, text)
        return Text(text)
    if event.event_name == ev.IMAGE and event.photo_url:
        url = event.photo_url

        async def fetch() -> bytes:
            return await download(url)

        return Photo(fetch=fetch, size=None, caption=event.caption)
    return Unsupported(_KINDS.get(event.event_name, "unsupported"))
