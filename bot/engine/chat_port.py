"""The chat port: messages the bot starts itself into a given chat, outside any person's turn
(a tip's card into a police group, an answer or a reminder under it, the tip's details in an
officer's chat, a chart album), with replies under a message, edits and button removal.

Campaigns to many people by user id go through bot/delivery.py (result codes, paced by the
campaign engine), one screen to a person through bot/engine/messenger.py; this port is for
chats the caller already knows (groups included), one message at a time, with errors the
caller's own failure handling acts on (bounded retries, re-routing, moved chats).

A conversation answers through its `Turn`; work that runs on its own (the tip outbox worker)
sends through a `ChatPort` of the destination's channel instead. A
destination is a channel and a chat key there (Telegram: a group's or a person's chat id; a
Zalo officer chat or the web console later). Message references are the channel's own (a
Telegram message id); a channel without edits resends where it cannot replace.

Channels map their errors to the four below, so the callers' failure handling (bounded
retries, re-routing of undeliverable destinations, moved chats) does not know a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.screens import Screen

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class Destination:
    channel: str
    key: int | str

    @property
    def group(self) -> bool:
        """A group chat (Telegram's negative ids): paced as a group, never shown private data."""
        return isinstance(self.key, int) and self.key < 0


class RetryLater(Exception):
    """The channel asks to wait (rate limit) before trying again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = max(0.0, float(seconds))


class Undeliverable(Exception):
    """The chat cannot be reached and retrying will not help (bot removed, chat deleted)."""


class Rejected(Exception):
    """The channel refused this message itself (e.g. a 400 other than an unreachable chat):
    retrying the same message a few times at most makes sense."""


class ChatMoved(Exception):
    """The chat has a new key now (Telegram's migrate_to_chat_id)."""

    def __init__(self, new_key: int) -> None:
        super().__init__(new_key)
        self.new_chat_id = int(new_key)


class ChatPort(Protocol):
    channel: str

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> Any:
        """A text with its buttons (or `screen.photo` / `screen.document`); returns the
        message reference. `reply_to`: a message of this chat to answer under, if the channel
        threads replies (a missing one is ignored)."""

    async def send_photos(self, to: Destination, photos: list[bytes], *,
                          reply_to: Any = None) -> Any:
        """One photo or an album; returns the first message's reference."""

    async def send_location(self, to: Destination, latitude: float, longitude: float, *,
                            reply_to: Any = None) -> Any: ...

    async def replace(self, to: Destination, message: Any, screen: Screen) -> Any:
        """Show `screen` in place of `message` where the channel can edit, else as a new
        message; returns the reference of what now shows it."""

    async def remove_buttons(self, to: Destination, message: Any) -> None:
        """Take the buttons off a message (nothing when already without, or gone)."""


def chat_ports(runtime: Runtime) -> dict[str, ChatPort]:
    """The chat ports of the running channels, by channel name (each channel adds its
    own when it starts)."""
    found: dict[str, ChatPort] = runtime.chat_ports
    return found


def chat_port(runtime: Runtime, channel: str) -> ChatPort | None:
    return chat_ports(runtime).get(channel)
