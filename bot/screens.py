"""Channel-independent screens: text (Telegram-style HTML subset) and buttons as plain data.

Services and handlers build these; each channel renders them its own way (Telegram inline
keyboards today, Zalo button templates later).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine.actions import Action


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None  # callback data, at most 64 bytes (older features; prefer action)
    url: str | None = None
    switch_inline: str | None = None  # opens inline mode in a chat the user picks
    action: Action | None = None  # a typed action (bot.engine.actions), packed by the channel

    def __post_init__(self) -> None:
        if self.action is not None:
            object.__setattr__(self, "data", self.action.pack())  # validates size and fields
        if self.data is not None and len(self.data.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")


@dataclass
class Screen:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | None = None
    document: tuple[str, bytes] | None = None  # (filename, content)
    # The screen asks the person of this turn to answer it (a police prompt in a group): a
    # channel that can opens the reply box for them alone (Telegram: a selective ForceReply
    # naming them, under the pressed message); others show the text as it is.
    reply_from_person: bool = False


def esc(text: object) -> str:
    """Escape user or data text for Telegram's HTML parse mode."""
    return html.escape(str(text), quote=False)
