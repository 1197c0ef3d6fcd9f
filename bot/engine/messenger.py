"""Showing a screen to a person outside a Turn: a job (a contest's final ranking for its
teacher), start-up (a contest question owed since before a restart).

Each channel that can start a conversation on its own implements `Messenger` and registers it
in `runtime.messengers[channel]`; `send_to_user` finds where an account can be reached
(`AccountService.channels_of`) and sends there. A conversation answering a person uses its
Turn, never this.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.screens import Screen

if TYPE_CHECKING:
    from bot.runtime import Runtime


class SendOutcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # blocked the bot, chat gone: trying again will not help
    FAILED = "failed"  # network or server trouble: worth trying again later


class Messenger(Protocol):
    channel: str

    def private_chat(self, external_id: str) -> int | str:
        """The chat key (as in `Chat.key`) of the private chat with this account."""

    async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
        """Show `screen` in the chat `chat_key` as a new message. Never raises for a failed
        delivery: the result says whether to try again."""


async def send_to_user(runtime: Runtime, user_id: int, screen: Screen) -> SendOutcome:
    """Show `screen` to account `user_id` on the first of their channels that takes it.
    UNREACHABLE when no channel of theirs can (or no channel of theirs is running);
    FAILED when one might later."""
    result = SendOutcome.UNREACHABLE
    for channel, external_id in await runtime.accounts.channels_of(user_id):
        messenger = runtime.messengers.get(channel)
        if messenger is None:
            continue
        outcome = await messenger.send(messenger.private_chat(external_id), screen)
        if outcome is SendOutcome.SENT:
            return outcome
        if outcome is SendOutcome.FAILED:
            result = outcome
    return result
