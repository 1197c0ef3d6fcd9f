"""The Telegram conversation reports a failed screen with the port's errors (ShowLater,
Unreachable, ShowRefused), so conversations never see python-telegram-bot's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.conversation import TelegramConversation
from bot.engine.conversation import ShowError, ShowLater, ShowRefused, Unreachable
from bot.screens import Screen


class FailingBot:
    username = "kmt_bot"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


def conversation(error: Exception) -> TelegramConversation:
    update = SimpleNamespace(callback_query=None, effective_chat=SimpleNamespace(id=42))
    return TelegramConversation(update, FailingBot(error))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "expected", "after"),
    [
        (RetryAfter(3), ShowLater, 3.0),
        (TimedOut(), ShowLater, None),
        (NetworkError("Bad Gateway"), ShowLater, None),
        (Forbidden("Forbidden: bot was blocked by the user"), Unreachable, None),
        (BadRequest("Bad Request: can't parse entities"), ShowRefused, None),
    ],
)
async def test_errors_become_the_ports(error: Exception, expected: type[ShowError],
                                       after: float | None) -> None:
    with pytest.raises(expected) as caught:
        await conversation(error).show(Screen("hi"))
    if isinstance(caught.value, ShowLater):
        assert caught.value.retry_after == after
    if isinstance(caught.value, ShowRefused):
        assert not caught.value.replacing  # it was a new message, not an edit


class EditableMessage:
    text = "the review"

    async def edit_text(self, *args: Any, **kwargs: Any) -> Any:
        raise BadRequest("Bad Request: message to edit not found")


async def test_a_refused_edit_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.telegram import conversation as module

    monkeypatch.setattr(module, "Message", EditableMessage)
    query = SimpleNamespace(message=EditableMessage())
    update = SimpleNamespace(callback_query=query, effective_chat=SimpleNamespace(id=42))
    conv = TelegramConversation(update, FailingBot(TimedOut()))  # type: ignore[arg-type]
    with pytest.raises(ShowRefused) as caught:
        await conv.show(Screen("the receipt"), replace=True)
    assert caught.value.replacing
