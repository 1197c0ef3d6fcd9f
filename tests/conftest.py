"""Shared fixtures: a fake Telegram Bot API server and the real bot running against it.

    async def test_start(bot, tg):
        lan = tg.user(id=1001, first_name="Lan", language_code="vi")
        reply = await lan.send("/start")
        assert "Không Ma Túy" in reply.text
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.clock import FrozenClock
from bot.config import Settings, load_settings
from bot.runtime import Runtime

pytest_plugins = ["fakegram.pytest_plugin"]

NATIONAL_ADMIN_ID = 900001


class Restartable:
    """A bot started into `_stack` by `start()`; stopped and restarted on the same data."""

    _stack: AsyncExitStack | None = None

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Restartable]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()


class BotHarness(Restartable):
    """The real application on the fake server, restartable on the same data directory."""

    def __init__(self, settings: Settings, clock: FrozenClock, tg: Any = None) -> None:
        self.settings = settings
        self.clock = clock
        self.tg = tg
        self.app: Any = None

    @property
    def rt(self) -> Runtime:
        runtime: Runtime = self.app.bot_data["rt"]
        return runtime

    async def start(self) -> None:
        self._stack = AsyncExitStack()
        self.app = await self._stack.enter_async_context(
            # Web tests build their own app on a test server: no real port (tests run in
            # parallel, and BOT_WEB_PORT in their settings is only for the links).
            running(self.settings, clock=self.clock, poll_timeout=5, jobs=False,
                    serve_web=False)
        )
        if self.tg is not None:  # replies end when the bot says it is done, not after silence
            self.app.update_processor.on_handled = self.tg.mark_handled
            self.tg.reports_handling = True

    def service(self, name: str) -> Any:
        return getattr(self.rt.services, name)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings, e.g. {"admin_ids": frozenset({1})}."""
    return {}


@pytest.fixture
def outbox_pacing() -> dict[str, Any]:
    """Keyword arguments for the tip outbox worker (bot.tip_outbox.OutboxWorker), e.g.
    {"group_window": 2.0} to pace groups per 2 s instead of per minute; parametrize it like
    settings_overrides. Empty: production pacing."""
    return {}


@pytest.fixture
async def bot(
    fake_telegram: Any, tmp_path: Path, settings_overrides: dict[str, Any],
    outbox_pacing: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[BotHarness]:
    if outbox_pacing:
        # The worker is built with the other services (bot/services.py); give it
        # these arguments there (for every start and restart of this test's bot).
        from bot import services
        from bot.tip_outbox import OutboxWorker

        monkeypatch.setattr(services, "OutboxWorker",
                            functools.partial(OutboxWorker, **outbox_pacing))
    base = load_settings({})
    settings = dataclasses.replace(
        base,
        token=fake_telegram.token,
        api_base_url=fake_telegram.base_url,
        api_file_url=fake_telegram.base_file_url,
        data_dir=tmp_path / "data",
        admin_ids=frozenset({NATIONAL_ADMIN_ID}),
        **settings_overrides,
    )
    harness = BotHarness(settings, FrozenClock(), fake_telegram)
    async with harness.running():
        yield harness


@pytest.fixture
def tg(fake_telegram: Any) -> Any:
    return fake_telegram
