"""The delivery port: campaigns reach *people* (user ids), each channel reaches its accounts.

The broadcast engine (bot/broadcast.py) sends `OutMessage`s by user id through a `Transport`.
`Delivery` is that transport for a running bot: user id → the person's channel accounts
(`AccountService.channels_of`, resolved a page at a time) → the first of those channels that
has a `ChannelSender`. Telegram's sender lives in bot/channels/telegram/broadcast.py; a Zalo or
web sender is one more entry in `senders`, with no change to the campaign engine. The admin's
live progress message is shown by a `ProgressBoard` (Telegram today).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.screens import Button, Screen

if TYPE_CHECKING:
    from bot.accounts import AccountService

# Results of one send, as every channel maps its own answers.
SENT = "sent"
BLOCKED = "blocked"  # the person blocked the bot / deactivated / never started it
GONE = "gone"  # the account no longer exists, or the person has no reachable channel
FAILED = "failed"  # any other permanent refusal
RETRY = "retry"  # the channel asks to slow down: pause everyone, send again
TRANSIENT = "transient"  # network trouble / server error: try again later


@dataclass(frozen=True)
class Media:
    """A picture by value: `key` names the bytes (their SHA-256, see bot/media.py) so a channel
    may upload them once and reuse its own reference afterwards."""

    key: str
    data: bytes
    mime: str = "image/jpeg"


@dataclass(frozen=True)
class OutMessage:
    text: str
    photo: Media | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    paid: bool = False  # Telegram's paid broadcast (above 30 msg/s); other channels ignore it


@dataclass(frozen=True)
class SendResult:
    kind: str
    message_id: int | None = None
    retry_after: float = 0.0
    detail: str = ""


class ChannelSender(Protocol):
    """One channel's way to send a campaign message to one of its accounts."""

    async def send(self, external_id: str, message: OutMessage) -> SendResult: ...

    async def close(self) -> None: ...


class ProgressBoard(Protocol):
    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        """Send (message_id None) or edit a progress screen; return its message id."""
        ...

    async def close(self) -> None: ...


class Delivery:
    """The broadcast engine's `Transport` over every channel a person may be reached on."""

    def __init__(self, accounts: AccountService, senders: dict[str, ChannelSender],
                 progress: ProgressBoard | None = None) -> None:
        self.accounts = accounts
        self.senders = senders
        self.progress = progress
        # Channels of the recipients paged in by the engine (bounded by its queue).
        self._routes: dict[int, list[tuple[str, str]]] = {}

    async def prefetch(self, user_ids: list[int]) -> None:
        """Resolve a page of recipients in one query instead of one per message."""
        self._routes.update(await self.accounts.channels_of_many(user_ids))

    async def route(self, user_id: int) -> tuple[ChannelSender, str] | None:
        channels = self._routes.pop(user_id, None)
        if channels is None:
            channels = await self.accounts.channels_of(user_id)
        for channel, external_id in channels:
            sender = self.senders.get(channel)
            if sender is not None:
                return sender, external_id
        return None

    async def send(self, user_id: int, message: OutMessage) -> SendResult:
        found = await self.route(user_id)
        if found is None:
            return SendResult(GONE, detail="no reachable channel")
        sender, external_id = found
        return await sender.send(external_id, message)

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        if self.progress is None:
            return None
        return await self.progress.show(chat_id, message_id, screen)

    async def close(self) -> None:
        closers: list[ChannelSender | ProgressBoard] = [*self.senders.values()]
        if self.progress is not None:
            closers.append(self.progress)
        seen: set[int] = set()
        for closer in closers:
            if id(closer) not in seen:
                seen.add(id(closer))
                with contextlib.suppress(Exception):
                    await closer.close()
