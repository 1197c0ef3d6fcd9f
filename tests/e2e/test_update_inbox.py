"""Fetched updates survive a crash (issue 11, item 20): Telegram is told it may forget an
update (next getUpdates offset, or the webhook's 200) only after the bot stored it, so updates
fetched but not handled when the process dies are handled, once, after the restart."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import running
from bot.channels.telegram.application import ChatOrderedProcessor
from bot.channels.telegram.webhook import SECRET_HEADER, serve_webhook
from bot.config import WebhookSettings, load_settings

HELP = "How to use this bot"


class Crash:
    """Lets the bot handle the first `survivors` updates, then acts as if the process died:
    the other fetched updates are never handled (their coroutines are dropped unrun)."""

    def __init__(self, survivors: int) -> None:
        self.survivors = survivors
        self.handled: list[int] = []
        self.lost: list[int] = []
        self.original = ChatOrderedProcessor.do_process_update

    def __enter__(self) -> Crash:
        crash = self

        async def process(self: ChatOrderedProcessor, update: Any, coro: Awaitable[Any]) -> None:
            if len(crash.handled) < crash.survivors:
                crash.handled.append(update.update_id)
                await crash.original(self, update, coro)
            else:
                crash.lost.append(update.update_id)
                coro.close()  # type: ignore[attr-defined]

        ChatOrderedProcessor.do_process_update = process  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        ChatOrderedProcessor.do_process_update = self.original  # type: ignore[method-assign]

    async def reached(self, count: int) -> None:
        for _ in range(500):
            if len(self.handled) + len(self.lost) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"only {len(self.handled) + len(self.lost)} of {count} fetched")


async def _inbox_rows(bot: Any) -> int:
    row = await bot.rt.db.fetchone("SELECT COUNT(*) FROM update_inbox")
    return int(row[0])


async def test_updates_fetched_before_a_crash_are_handled_once_after_restart(
    bot: Any, tg: Any
) -> None:
    people = [tg.user(id=5100 + i, first_name=f"P{i}", language_code="en") for i in range(6)]
    with Crash(survivors=2) as crash:
        for person in people:
            await person.send("/help", wait=False)
        await tg.wait_delivered()
        await crash.reached(len(people))
        await bot.stop()  # PTB confirms the offset of everything it fetched
    assert len(crash.lost) == 4
    await bot.start()
    for person in people:
        await person.wait_for(HELP, timeout=5)
    for person in people:
        await person.expect_no_reply(timeout=0.2)
        assert sum(HELP in m.text for m in person.messages) == 1, person.messages
    await asyncio.sleep(0.3)  # one flush interval of the deduplicator
    assert await _inbox_rows(bot) == 0
    # A later redelivery of a replayed update (Telegram's at-least-once) has no second effect.
    await tg.redeliver_last_update()
    await people[-1].expect_no_reply(timeout=0.3)


async def test_handled_updates_leave_no_stored_body(bot: Any, tg: Any) -> None:
    tom = tg.user(id=5200, first_name="Tom", language_code="en")
    await tom.send("/help")
    await asyncio.sleep(0.3)
    assert await _inbox_rows(bot) == 0
    await bot.restart()
    await tom.expect_no_reply(timeout=0.3)  # nothing replayed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_update_acknowledged_only_once_stored(
    fake_telegram: Any, tmp_path: Path
) -> None:
    tg = fake_telegram
    port = _free_port()
    settings = dataclasses.replace(
        load_settings({}), token=tg.token, api_base_url=tg.base_url,
        api_file_url=tg.base_file_url, data_dir=tmp_path,
        webhook=WebhookSettings(
            url="https://bot.example.org/telegram", listen="127.0.0.1", port=port,
            path="telegram", secret_token="s3cret-Token",
        ),
    )
    tom = tg.user(id=5300, first_name="Tom", language_code="en", started=True)
    update = {
        "update_id": 888001,
        "message": {
            "message_id": 1, "date": 1780000000, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "chat": {"id": 5300, "type": "private", "first_name": "Tom"},
            "from": {"id": 5300, "is_bot": False, "first_name": "Tom", "language_code": "en"},
        },
    }
    with Crash(survivors=0) as crash:
        async with running(settings, polling=False, jobs=False) as app:
            runner = await serve_webhook(app, app.bot_data["rt"])
            try:
                async with aiohttp.ClientSession() as http, http.post(
                    f"http://127.0.0.1:{port}/telegram", json=update,
                    headers={SECRET_HEADER: "s3cret-Token"},
                ) as resp:
                    assert resp.status == 200  # Telegram will not send it again
                await crash.reached(1)
            finally:
                await runner.cleanup()
    async with running(settings, polling=False, jobs=False):
        await tom.wait_for(HELP, timeout=5)
        await tom.expect_no_reply(timeout=0.3)
    assert sum(HELP in m.text for m in tom.messages) == 1
