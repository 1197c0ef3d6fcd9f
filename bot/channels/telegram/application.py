"""Telegram's python-telegram-bot Application: the update processor (chats concurrent, one
chat in order, duplicates dropped), the durable update queue and the long-poll request that
store updates before Telegram forgets them, the request client and rate limiter, and the
installation of the engine and the Telegram-only handlers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CommandHandler,
    Defaults,
)
from telegram.request import HTTPXRequest

from bot.channels.telegram.rate_limit import ReplyRateLimiter
from bot.channels.telegram.request import AiohttpRequest
from bot.dedup import UpdateDeduplicator
from bot.inbox import UpdateInbox
from bot.runtime import Runtime

log = logging.getLogger("bot.app")



class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats run concurrently; one chat's updates run one at a time, in order.

    An update for a chat that is busy joins that chat's queue and returns at once, so it does
    not hold one of the few concurrency slots while it waits (a person sending twenty messages
    cannot starve everyone else). The chat's running worker drains its queue in arrival order.
    Updates whose id was already processed are dropped (Telegram delivers at least once).
    """

    def __init__(self, runtime: Runtime, max_concurrent_updates: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        self.runtime = runtime
        self.dedup = UpdateDeduplicator(runtime.db, runtime.clock)
        self._queues: dict[int, deque[tuple[object, Awaitable[Any]]]] = {}
        self.duplicates = 0
        # Told each update id once its handling is over (tests wait on it instead of on a
        # quiet period; see fakegram.FakeTelegram.mark_handled).
        self.on_handled: Callable[[int], None] | None = None

    @staticmethod
    def key_of(update: object) -> int:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None:
                return update.effective_user.id
        return 0

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        try:
            await self._run_once(update, coroutine)
        finally:
            if self.on_handled is not None:
                self.on_handled(update.update_id)

    async def _run_once(self, update: Update, coroutine: Awaitable[Any]) -> None:
        if await self.dedup.is_duplicate(update.update_id):
            self.duplicates += 1
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        try:
            await coroutine
        except asyncio.CancelledError:
            raise  # stopped mid-way (a crash, a cancelled task): it stays in the inbox
        except Exception:
            self.dedup.finish(update.update_id)  # handled, with an error: do not replay
            raise
        self.dedup.finish(update.update_id)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key_of(update)
        queue = self._queues.get(key)
        if queue is not None:  # no await between this check and the append: order is kept
            queue.append((update, coroutine))
            return
        queue = self._queues[key] = deque()
        try:
            await self._run(update, coroutine)
            while queue:
                next_update, next_coroutine = queue.popleft()
                try:
                    await self._run(next_update, next_coroutine)
                except Exception:  # PTB's error handlers already ran inside the coroutine
                    log.exception("update processing failed")
        finally:
            del self._queues[key]

    async def initialize(self) -> None:
        await self.dedup.start()

    async def shutdown(self) -> None:
        await self.dedup.stop()


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue: `put` stores the update (sealed) before it returns.

    The Updater awaits `put` for each fetched update before it asks Telegram for the next
    offset (which confirms the batch), and the webhook answers 200 only after `put`; so an
    update Telegram was told it may forget is always in the inbox until it is handled.
    """

    def __init__(self, inbox: UpdateInbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            if item.update_id in self.inbox.stored:  # stored with its getUpdates batch
                self.inbox.stored.discard(item.update_id)
            else:  # a webhook delivery
                await self.inbox.keep(item.update_id, item.to_dict())
        await super().put(item)

    async def replay(self, bot: Any) -> int:
        """Queue the updates fetched before the last stop and never handled, oldest first."""
        pending = await self.inbox.unhandled()
        for _update_id, body in pending:
            await super().put(Update.de_json(body, bot))
        return len(pending)


class InboxedGetUpdatesRequest(HTTPXRequest):
    """The connection long polling uses: a getUpdates answer is stored in the inbox, the whole
    batch in one transaction and from Telegram's own JSON, before PTB sees it (serialising each
    parsed `Update` again with `to_dict` cost 0.4 ms of CPU per update). If storing fails the
    call fails, PTB retries with the same offset and Telegram sends the batch again."""

    def __init__(self, inbox: UpdateInbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any
                         ) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if code == 200 and url.endswith("/getUpdates"):
            result = json.loads(payload).get("result")
            if result:
                await self.inbox.keep_many(result)
        return code, payload


def build_application(runtime: Runtime, *, rate_limit: bool = True) -> Application:
    settings = runtime.settings
    inbox = UpdateInbox(runtime.db, runtime.keyring, runtime.clock)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .update_queue(DurableUpdateQueue(inbox))
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .concurrent_updates(ChatOrderedProcessor(runtime))
        .request(AiohttpRequest(connection_pool_size=32, read_timeout=15, write_timeout=30))
        .get_updates_request(
            InboxedGetUpdatesRequest(inbox, connection_pool_size=2, read_timeout=40))
        .arbitrary_callback_data(False)
    )
    if rate_limit:
        limiter: Any = ReplyRateLimiter(group_per_minute=20, max_retries=3)
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data["rt"] = runtime
    return app


async def install_features(app: Application, runtime: Runtime) -> None:
    """Create every feature's services, build the engine, and register the Telegram side:
    the bridge into the engine first, the Telegram-only handlers after it, the error handler
    last."""
    from bot.channels.telegram import (
        blocking,
        broadcast,
        command_menus,
        dispatch,
        errors,
        inline,
        police_groups,
        quiz_polls,
        tip_outbox,
    )
    from bot.channels.telegram.messenger import TelegramMessenger
    from handlers import build_engine, feature_modules

    modules = feature_modules()
    for module in modules:
        await module.setup(runtime)
    runtime.engine = build_engine(modules)
    runtime.messengers["telegram"] = TelegramMessenger(app.bot)
    tip_outbox.install(app, runtime)
    inline.register(app, runtime)
    blocking.register(app, runtime)
    broadcast.install(app, runtime)
    police_groups.register(app, runtime)
    quiz_polls.register(app, runtime)
    dispatch.register(app)
    dispatch.register_fallbacks(app)
    errors.register(app)
    runtime.commands_available = set(runtime.engine.commands) | installed_commands(app)
    command_menus.attach(app.bot, runtime)


def installed_commands(app: Application) -> set[str]:
    names: set[str] = set()
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                names.update(handler.commands)
    return names
