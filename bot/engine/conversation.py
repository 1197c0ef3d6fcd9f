"""The port between a conversation and a channel.

A handler gets a `Turn`: who is talking, in which chat, the person's translator, the services,
the chat's flow state, and the `Conversation` to answer through. Each channel implements
`Conversation` its own way (Telegram messages and edits, Zalo numbered lists, web pages); a stub
implementation drives the handlers in flow tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.i18n import Translator
from bot.screens import Screen

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do, asked only where a handler must behave differently."""

    channel: str
    buttons: bool = True  # real buttons (else the channel renders a numbered list)
    edit: bool = True  # a screen can replace the previous one in place
    location: bool = True  # the person can send a map pin
    share_inline: bool = False  # Telegram's "share via inline mode" button
    native_polls: bool = False  # Telegram quiz polls in groups
    groups: bool = False  # the bot takes part in group chats (police groups, class rounds)
    max_text: int = 4096  # one message's text limit after formatting
    # The bot can write to the person later, unasked (broadcasts, reply pings): not a web page,
    # which nobody may have open.
    reach_later: bool = True
    # The messenger app people use this channel through, as they know it ("Telegram", "Zalo"):
    # texts about what that app can see name it. Empty where there is no app account (the
    # web): those texts use neutral words instead.
    app: str = ""
    # How a person sends a map pin here, an English source string marked with N_ that the
    # conversation translates ("📎 → Location" on Telegram); empty: say only "send a pin".
    location_hint: str = ""


@dataclass(frozen=True)
class Chat:
    """Where the conversation happens. `key` names the chat for flow state: for Telegram the
    chat id itself (so stored sessions survive the upgrade), elsewhere "<channel>:<id>"."""

    channel: str
    key: int | str
    private: bool = True


@dataclass(frozen=True)
class Person:
    """Who pressed or wrote, as the channel knows them. Never stored as is: a feature that keeps
    per-person data asks `Turn.user_id()`, the tip flow asks for nothing but a requester key."""

    channel: str
    external_id: str
    language_code: str | None = None
    # Telegram's numeric user id. Kept only while services still key on it; None elsewhere.
    telegram_id: int | None = None


class ShowError(Exception):
    """Showing a screen failed. Channels raise these subclasses (never their own library's
    errors) so a handler that must get a screen through (a tip's receipt) can react."""


class ShowRefused(ShowError):
    """The channel refused this screen and the same call will fail again: with `replacing`,
    the screen to replace is gone or cannot be edited (a new one may work)."""

    def __init__(self, *, replacing: bool = False) -> None:
        super().__init__("replace refused" if replacing else "refused")
        self.replacing = replacing


class Unreachable(ShowError):
    """The person can no longer be reached here (blocked the bot, chat deleted)."""


class ShowLater(ShowError):
    """A transient failure (rate limit, server error, timeout): try again, after
    `retry_after` seconds when the channel said how long."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("try later")
        self.retry_after = retry_after


class Conversation(Protocol):
    capabilities: Capabilities

    async def show(self, screen: Screen, *, replace: bool = False) -> Any:
        """Show a screen: a new message, or (replace=True, where the channel can) in place of
        the message whose button was pressed. Returns the channel's message reference.
        Raises a `ShowError` when the channel could not show it."""

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        """A short acknowledgement of a pressed button (Telegram's toast); channels without
        one show a non-empty text as a message and ignore an empty acknowledgement."""

    def link(self, payload: str = "") -> str | None:
        """A URL that opens the bot on this channel (at deep link `payload`), or None."""

    # Optional, for channels with groups (`Capabilities.groups`):
    #     async def is_admin(self) -> bool
    # whether the person is an administrator of this group chat. See `Turn.is_admin`.


@dataclass
class Turn:
    """One input being handled: everything a handler may use, nothing channel-specific."""

    conv: Conversation
    chat: Chat
    person: Person | None
    t: Translator
    runtime: Runtime
    # The channel's reference of the message whose button was pressed (Telegram: its message
    # id), where the channel has one; None for other inputs.
    message: Any = None

    @property
    def caps(self) -> Capabilities:
        return self.conv.capabilities

    @property
    def _(self) -> Any:
        return self.t.gettext

    async def show(self, screen: Screen, *, replace: bool = False) -> Any:
        return await self.conv.show(screen, replace=replace)

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        await self.conv.notice(text, alert=alert)

    def link(self, payload: str = "") -> str | None:
        return self.conv.link(payload)

    async def is_admin(self) -> bool:
        """Whether the person may run this chat: True in a private chat; in a group, whether
        they are one of its administrators (False on a channel that cannot tell)."""
        if self.chat.private:
            return True
        check = getattr(self.conv, "is_admin", None)
        return bool(check is not None and await check())

    def message_key(self, ref: Any) -> int | str | None:
        """What `show` returned as a plain key, comparable with `Text.reply_to` and
        `Turn.message` (Telegram: the message id); None when the channel has no such key."""
        key = getattr(self.conv, "message_key", None)
        if key is not None:
            found: int | str | None = key(ref)
            return found
        return ref if isinstance(ref, int | str) else None

    # -- flow state of this chat ----------------------------------------------------------
    async def session(self) -> dict[str, Any]:
        return await self.runtime.sessions.get(self.chat.key)

    async def set_session(self, data: dict[str, Any], ttl: int | None = None) -> None:
        if ttl is None:
            await self.runtime.sessions.set(self.chat.key, data)
        else:
            await self.runtime.sessions.set(self.chat.key, data, ttl=ttl)

    async def clear_session(self) -> None:
        await self.runtime.sessions.clear(self.chat.key)

    # -- identity ---------------------------------------------------------------------------
    async def user_id(self, *, create: bool = True) -> int | None:
        """The person's account id (for quiz results, subscriptions, roles). Creates the
        account on first use unless `create=False`. The tip flow never calls this."""
        if self.person is None:
            return None
        return await self.runtime.accounts.user_id(
            self.person.channel, self.person.external_id, create=create
        )
