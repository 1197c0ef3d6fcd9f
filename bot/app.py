"""Application wiring: build the python-telegram-bot Application, start it, stop it.

One code path (`running`) serves the CLI, the webhook mode, the playground and the tests, so
what the tests exercise is what production runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CommandHandler,
    Defaults,
)
from telegram.request import HTTPXRequest

from bot.clock import Clock
from bot.config import Settings
from bot.logging_setup import protect_token
from bot.runtime import Runtime
from storage import updates as updates_repo

log = logging.getLogger(__name__)

Installer = Callable[[Application, Runtime], Awaitable[None] | None]


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats run concurrently; one chat's updates run one at a time, in order.

    Also drops an update whose id was already processed (Telegram delivers at least once).
    The chat lock is taken before anything awaits, so arrival order is kept (asyncio locks
    are FIFO).
    """

    def __init__(self, runtime: Runtime, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self.runtime = runtime
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.duplicates = 0

    @staticmethod
    def key_of(update: object) -> int:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None:
                return update.effective_user.id
        return 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key_of(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                if isinstance(update, Update) and not await updates_repo.claim(
                    self.runtime.db, update.update_id, self.runtime.clock.timestamp()
                ):
                    self.duplicates += 1
                    if asyncio.iscoroutine(coroutine):
                        coroutine.close()
                    return
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:  # forget idle chats so the dict does not grow forever
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def build_application(runtime: Runtime, *, rate_limit: bool = True) -> Application:
    settings = runtime.settings
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .concurrent_updates(ChatOrderedProcessor(runtime))
        .request(HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=30))
        .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=40))
        .arbitrary_callback_data(False)
    )
    if rate_limit:
        # Per-group pacing (20/min) and retry on 429; the overall rate is left to the senders
        # that do bulk work (outbox, broadcasts), which pace themselves.
        limiter: Any = AIORateLimiter(
            overall_max_rate=0, group_max_rate=20, group_time_period=60, max_retries=3
        )
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data["rt"] = runtime
    return app


async def install_features(app: Application, runtime: Runtime) -> None:
    """Register every feature's handlers, then the frame's fallbacks (they must come last)."""
    from handlers import install

    await install(app, runtime)


def installed_commands(app: Application) -> set[str]:
    names: set[str] = set()
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                names.update(handler.commands)
    return names


@asynccontextmanager
async def running(
    settings: Settings,
    *,
    clock: Clock | None = None,
    polling: bool = True,
    poll_timeout: int = 30,
    rate_limit: bool = True,
    jobs: bool = True,
) -> AsyncIterator[Application]:
    """Open storage, start the bot (polling by default) and stop everything on exit."""
    protect_token(settings.token)
    runtime = await Runtime.open(settings, clock)
    app = build_application(runtime, rate_limit=rate_limit)
    try:
        async with app:
            me = await app.bot.get_me()
            runtime.bot_username = me.username or ""
            # Features are installed once the bot's username is known (deep links need it).
            await install_features(app, runtime)
            from handlers.commands import publish

            await publish(app.bot, installed_commands(app))
            await app.start()
            if jobs:
                from bot.jobs import schedule_all

                schedule_all(app, runtime)
            if polling and app.updater is not None:
                await app.updater.start_polling(
                    poll_interval=0, timeout=poll_timeout, drop_pending_updates=False
                )
            try:
                yield app
            finally:
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.job_queue is not None and app.job_queue.scheduler.running:
                    with suppress(Exception):
                        await app.job_queue.stop(wait=False)
                await app.stop()
    finally:
        await runtime.close()
