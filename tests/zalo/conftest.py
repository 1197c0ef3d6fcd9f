"""The bot on Zalo alone, against the fake Zalo Bot Platform (fakezalo), restartable on the
same data directory.

    async def test_start(zbot, zl):
        reply = await zl.user("u1").send("/start")
        assert "Không Ma Túy" in reply.text
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.run import zalo_only
from bot.clock import FrozenClock
from bot.config import Settings, ZaloSettings, load_settings
from fakezalo import FakeZalo, free_port
from tests.conftest import Restartable

WEBHOOK_SECRET = "s3cret-webhook-token"


class ZaloHarness(Restartable):
    def __init__(self, settings: Settings, clock: FrozenClock, zl: FakeZalo, *,
                 webhook: bool = False) -> None:
        self.settings = settings
        self.clock = clock
        self.zl = zl
        self.webhook = webhook
        self.channel: ZaloChannel | None = None

    @property
    def ch(self) -> ZaloChannel:
        assert self.channel is not None
        return self.channel

    async def start(self) -> None:
        self._stack = AsyncExitStack()
        self.channel = await self._stack.enter_async_context(
            zalo_only(self.settings, clock=self.clock, webhook=self.webhook, poll_timeout=5)
        )
        self.channel.on_handled = self.zl.mark_handled


@pytest.fixture
async def zl() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake
        fake.assert_no_violations()


def zalo_settings(zl: FakeZalo, tmp_path: Path, **zalo: Any) -> Settings:
    base = load_settings({})
    return dataclasses.replace(
        base, data_dir=tmp_path / "data",
        # the bot's own server (signed photo URLs, the webhook): a free port, tests run in
        # parallel
        webhook=dataclasses.replace(base.webhook, listen="127.0.0.1", port=free_port()),
        zalo=ZaloSettings(token=zl.token, api_base_url=zl.base_url,
                          public_url="https://bot.example.vn", **zalo),
    )


@pytest.fixture
async def zbot(zl: FakeZalo, tmp_path: Path) -> AsyncIterator[ZaloHarness]:
    harness = ZaloHarness(zalo_settings(zl, tmp_path), FrozenClock(), zl)
    async with harness.running():
        yield harness


@pytest.fixture
async def zhook(zl: FakeZalo, tmp_path: Path) -> AsyncIterator[ZaloHarness]:
    """The bot on Zalo in webhook mode, its small server on 127.0.0.1 behind the fake's
    stand-in for a TLS proxy."""
    port = free_port()
    settings = zalo_settings(zl, tmp_path, webhook_secret=WEBHOOK_SECRET)
    settings = dataclasses.replace(
        settings, webhook=dataclasses.replace(settings.webhook, listen="127.0.0.1", port=port))
    zl.proxy_to = f"http://127.0.0.1:{port}"
    harness = ZaloHarness(settings, FrozenClock(), zl, webhook=True)
    async with harness.running():
        yield harness

