"""Start-up work (`runtime.on_started`, e.g. contest questions owed since before a restart)
runs once every channel of `python -m bot run` can send: Telegram, Zalo beside it, and the web
channel when BOT_WEB_PORT is set. Before, the web app (and Zalo) came up after the hooks ran,
so people on those channels were never re-sent what they were owed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import running
from bot.config import WebSettings, ZaloSettings, load_settings
from bot.runtime import Runtime
from fakezalo import FakeZalo, free_port


async def test_start_up_hooks_run_after_the_web_and_zalo_messengers_exist(
    fake_telegram: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[set[str]] = []
    original = Runtime.started

    async def started(self: Runtime) -> None:
        seen.append(set(self.messengers))
        await original(self)

    monkeypatch.setattr(Runtime, "started", started)
    tg = fake_telegram
    port = free_port()
    async with FakeZalo() as zl:
        base = load_settings({})
        settings = dataclasses.replace(
            base, token=tg.token, api_base_url=tg.base_url, api_file_url=tg.base_file_url,
            data_dir=tmp_path,
            zalo=ZaloSettings(token=zl.token, api_base_url=zl.base_url),
            web=WebSettings("127.0.0.1", port, f"http://127.0.0.1:{port}"),
        )
        async with running(settings, jobs=False, poll_timeout=1):
            assert seen == [{"telegram", "zalo", "web"}]
            async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{port}/healthz"
            ) as resp:
                assert resp.status == 200  # the web channel is served by `running` itself
        zl.assert_no_violations()
