"""Webhook mode: the secret token is checked, updates are processed once, /healthz answers."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import running
from bot.channels.telegram.webhook import SECRET_HEADER, make_web_app, serve_webhook
from bot.config import ConfigError, WebhookSettings, load_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(tg: Any, tmp_path: Path, port: int, secret: str) -> Any:
    return dataclasses.replace(
        load_settings({}),
        token=tg.token,
        api_base_url=tg.base_url,
        api_file_url=tg.base_file_url,
        data_dir=tmp_path,
        webhook=WebhookSettings(
            url="https://bot.example.org/telegram", listen="127.0.0.1", port=port,
            path="telegram", secret_token=secret,
        ),
    )


def _help_update(update_id: int, user_id: int, name: str) -> dict[str, Any]:
    """What Telegram would POST for `/help` sent in a private chat."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 1780000000, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"},
        },
    }


async def test_webhook_secret_health_and_dedup(fake_telegram: Any, tmp_path: Path) -> None:
    tg = fake_telegram
    port = _free_port()
    settings = _settings(tg, tmp_path, port, "s3cret-Token")
    tom = tg.user(id=3001, first_name="Tom", language_code="en", started=True)
    update = _help_update(777001, 3001, "Tom")
    async with running(settings, polling=False, jobs=False) as app:
        runner = await serve_webhook(app, app.bot_data["rt"])
        url = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{url}/telegram", json=update) as resp:
                    assert resp.status == 403  # no secret: refused, nothing processed
                for _ in range(2):  # Telegram retries deliveries: the second has no effect
                    async with http.post(
                        f"{url}/telegram", json=update, headers={SECRET_HEADER: "s3cret-Token"}
                    ) as resp:
                        assert resp.status == 200
                await tom.wait_for("How to use this bot", timeout=5)
                await tom.expect_no_reply(timeout=0.5)
                assert sum("How to use this bot" in m.text for m in tom.messages) == 1
                async with http.get(f"{url}/healthz") as resp:
                    assert resp.status == 200
                    assert (await resp.json())["ok"] is True
        finally:
            await runner.cleanup()
    assert tg.webhook is not None and tg.webhook["url"] == "https://bot.example.org/telegram"
    assert tg.webhook["secret_token"] == "s3cret-Token"


async def test_forged_updates_change_nothing(fake_telegram: Any, tmp_path: Path) -> None:
    """A POST without the secret, with a wrong one or with one Telegram could never send is
    refused before anything is read, and leaves no trace (issue 11, item 1)."""
    tg = fake_telegram
    port = _free_port()
    settings = _settings(tg, tmp_path, port, "s3cret-Token-0123456789")
    admin = tg.user(id=3002, first_name="Mallory", language_code="en", started=True)
    forged = _help_update(778001, 3002, "Mallory")
    async with running(settings, polling=False, jobs=False) as app:
        runner = await serve_webhook(app, app.bot_data["rt"])
        db = app.bot_data["rt"].db
        url = f"http://127.0.0.1:{port}/telegram"
        try:
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "s3cret-Token"},
                                {SECRET_HEADER: "s3cret-Token-0123456789x"},
                                {SECRET_HEADER: "s3cret-Tokén-0123456789"}):
                    async with http.post(url, json=forged, headers=headers) as resp:
                        assert resp.status == 403, headers
            await admin.expect_no_reply(timeout=0.5)
            assert admin.messages == []
            seen = await db.fetchone("SELECT count(*) FROM processed_updates")
            assert seen is not None and seen[0] == 0
        finally:
            await runner.cleanup()


async def test_webhook_without_secret_is_never_served(fake_telegram: Any, tmp_path: Path) -> None:
    settings = _settings(fake_telegram, tmp_path, _free_port(), "")
    async with running(settings, polling=False, jobs=False) as app:
        with pytest.raises(ConfigError, match="BOT_WEBHOOK_SECRET is required"):
            make_web_app(app, app.bot_data["rt"])
    assert fake_telegram.webhook is None  # nothing was registered with Telegram
