"""The engine's Messenger port (a screen to a person outside a Turn), start-up hooks and
Turn.is_admin: the exact rules."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.engine.conversation import Chat, Person, Turn
from bot.engine.messenger import SendOutcome, send_to_user
from bot.i18n import translator
from bot.runtime import Runtime
from bot.screens import Screen
from tests.flows.stub import StubConversation


class Recorder:
    def __init__(self, channel: str, outcome: SendOutcome) -> None:
        self.channel = channel
        self.outcome = outcome
        self.sent: list[tuple[int | str, str]] = []

    def private_chat(self, external_id: str) -> str:
        return f"{self.channel}:{external_id}"

    async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
        self.sent.append((chat_key, screen.text))
        return self.outcome


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = dataclasses.replace(load_settings({}), data_dir=tmp_path / "data")
    rt = await Runtime.open(settings, FrozenClock())
    try:
        yield rt
    finally:
        await rt.close()


async def test_send_to_user_uses_the_accounts_channels(runtime: Runtime) -> None:
    user = await runtime.accounts.user_id("zalo", "z1")
    assert user is not None
    assert await send_to_user(runtime, user, Screen("hi")) is SendOutcome.UNREACHABLE  # no channel up
    zalo = Recorder("zalo", SendOutcome.SENT)
    runtime.messengers["zalo"] = zalo
    assert await send_to_user(runtime, user, Screen("hi")) is SendOutcome.SENT
    assert zalo.sent == [("zalo:z1", "hi")]
    zalo.outcome = SendOutcome.FAILED
    assert await send_to_user(runtime, user, Screen("again")) is SendOutcome.FAILED
    zalo.outcome = SendOutcome.UNREACHABLE
    assert await send_to_user(runtime, user, Screen("again")) is SendOutcome.UNREACHABLE


async def test_a_telegram_id_without_an_account_row_is_still_reached(runtime: Runtime) -> None:
    telegram = Recorder("telegram", SendOutcome.SENT)
    runtime.messengers["telegram"] = telegram
    assert await send_to_user(runtime, 4242, Screen("q")) is SendOutcome.SENT
    assert telegram.sent == [("telegram:4242", "q")]


async def test_a_failing_start_up_hook_does_not_stop_the_others(runtime: Runtime) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        ran.append("fine")

    runtime.on_started.extend([broken, fine])
    await runtime.started()
    assert ran == ["fine"]


async def test_turn_is_admin(runtime: Runtime) -> None:
    def turn(private: bool, conv: StubConversation) -> Turn:
        return Turn(conv, Chat("stub", "stub:1", private), Person("stub", "1"),
                    translator("en"), runtime)

    plain = StubConversation()
    assert await turn(True, plain).is_admin()  # one's own private chat
    assert not await turn(False, plain).is_admin()  # a channel that cannot tell: no

    async def yes() -> bool:
        return True

    told = StubConversation()
    told.is_admin = yes  # type: ignore[attr-defined]
    assert await turn(False, told).is_admin()
