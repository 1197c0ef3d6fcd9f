"""The Zalo channel in the running bot: updates in (long polling or the webhook), stored,
deduplicated, handled in order per chat, answered through the engine.

Every update is stored sealed in `zalo_inbox` before anything else happens: getUpdates consumes
an update once it returns it and a webhook delivery is answered at once, so the inbox is what
lets a restart handle what a crash interrupted. Its key (a keyed pseudonym of event name and
message id) makes a second delivery of the same message a no-op. Different chats run
concurrently; one chat's updates run one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from bot.channels.zalo import events as ev
from bot.channels.zalo.client import (
    PatientSender,
    ZaloClient,
    ZaloError,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloUnauthorized,
)
from bot.channels.zalo.conversation import (
    CHANNEL,
    MENU_FLOW,
    ZaloConversation,
    capabilities,
    chat_key,
    load_menu,
    save_menu,
)
from bot.channels.zalo.events import ZaloEvent, parse_event
from bot.channels.zalo.inputs import StaleChoice, to_input
from bot.channels.zalo.media import MediaStore
from bot.channels.zalo.render import (
    apology_text,
    stale_choice_text,
    unsupported_text,
)
from bot.engine.conversation import Chat, Person, Turn
from bot.engine.inputs import Input, Text
from bot.i18n import translator
from bot.runtime import Runtime
from bot.screens import Screen
from storage import zalo_inbox as repo

log = logging.getLogger(__name__)

_INBOX = "zalo/inbox/v1"
_KEY = "zalo/update-key/v1"
KEEP_KEYS_SECONDS = 2 * 24 * 3600


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-4:]))


class ZaloChannel:
    def __init__(self, runtime: Runtime, client: ZaloClient, *,
                 max_concurrent: int = 16) -> None:
        self.runtime = runtime
        self.client = client
        self.sender = PatientSender(client)
        settings = runtime.settings.zalo
        runtime.sessions.protect(MENU_FLOW)  # see conversation.save_menu
        # Campaigns reach Zalo subscribers through this channel (bot/delivery.py).
        runtime.channel_senders[CHANNEL] = self.broadcast_sender
        self.media = MediaStore(runtime.keyring, runtime.clock, settings.public_url)
        self.groups = False
        self.caps = capabilities(False)
        self.bot_id = ""
        self._queues: dict[str, deque[tuple[bytes, ZaloEvent]]] = {}
        self._slots = asyncio.Semaphore(max_concurrent)
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None
        self._stopping = False
        self.duplicates = 0
        self.handled = 0
        # Told each dedup key once its handling is over (tests wait on it, like fakegram).
        self.on_handled: Callable[[str], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        me = await self.client.get_me()
        self.bot_id = me.id
        self.groups = me.can_join_groups
        self.caps = capabilities(self.groups)
        await repo.purge(self.runtime.db, self.runtime.clock.timestamp() - KEEP_KEYS_SECONDS)
        leftovers = await repo.unhandled(self.runtime.db)
        for key, sealed in leftovers:
            try:
                body = json.loads(self.runtime.keyring.open(_INBOX, sealed, aad=key))
            except Exception:  # another master.key: it cannot be handled any more
                await repo.handled(self.runtime.db, key)
                continue
            event = parse_event(body)
            if event is None:
                await repo.handled(self.runtime.db, key)
                continue
            self._schedule(key, event)
        if leftovers:
            log.info("zalo: handling %d update(s) received before the last stop", len(leftovers))

    def start_housekeeping(self, every: float = 3600, *, also: Callable[[], Any] | None = None
                           ) -> None:
        """Hourly: forget dedup keys older than two days (and run `also`, e.g. the session
        purge when no Telegram JobQueue runs the bot's jobs)."""

        async def loop() -> None:
            while not self._stopping:
                await asyncio.sleep(every)
                try:
                    await repo.purge(self.runtime.db,
                                     self.runtime.clock.timestamp() - KEEP_KEYS_SECONDS)
                    if also is not None:
                        await also()
                except Exception as exc:  # never stop the loop
                    log.error("zalo: housekeeping failed: %s", type(exc).__name__)

        self._housekeeper = asyncio.create_task(loop(), name="zalo-housekeeping")

    def start_polling(self, timeout: int = 30) -> None:
        self._poller = asyncio.create_task(self._poll(timeout), name="zalo-polling")

    async def stop(self, *, close_client: bool = True) -> None:
        self._stopping = True
        for task in (self._poller, self._housekeeper):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        if self._tasks:  # let the handling in progress finish (its updates stay in the inbox)
            await asyncio.wait(self._tasks, timeout=10)
        for task in list(self._tasks):
            task.cancel()
        if close_client:
            await self.client.close()

    async def _poll(self, poll_seconds: int) -> None:
        backoff = 1.0
        while not self._stopping:
            try:
                update = await self.client.get_updates(poll_seconds)
            except asyncio.CancelledError:
                raise
            except ZaloUnauthorized:
                log.error("zalo: the platform refused the token (reset in Zalo Bot Manager?)")
                await asyncio.sleep(60)
                continue
            except (ZaloRateLimited, ZaloNetworkError, ZaloError) as exc:
                log.warning("zalo: getUpdates failed (%s %s); retrying in %.0f s",
                            type(exc).__name__, exc.code, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            backoff = 1.0
            if update is not None:
                await self.submit(update)

    # -- intake ------------------------------------------------------------------------------
    async def submit(self, body: object) -> bool:
        """Store an update and queue it; False for a duplicate or something that is not an
        update. Returns once the update is stored (the webhook answers after this)."""
        event = parse_event(body)
        if event is None:
            return False
        key = self.runtime.keyring.pseudonym(_KEY, event.dedup_key)
        # What was kept of it, never the raw body (it carries the sender's display name).
        raw = json.dumps(event.to_update(), ensure_ascii=False).encode()
        sealed = self.runtime.keyring.seal(_INBOX, raw, aad=key)
        if not await repo.keep(self.runtime.db, key, sealed, self.runtime.clock.timestamp()):
            self.duplicates += 1
            return False
        self._schedule(key, event)
        return True

    def _schedule(self, key: bytes, event: ZaloEvent) -> None:
        queue = self._queues.get(event.chat_id)
        if queue is not None:  # that chat is busy: its worker takes this next, in order
            queue.append((key, event))
            return
        queue = self._queues[event.chat_id] = deque([(key, event)])
        task = asyncio.create_task(self._drain(event.chat_id, queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, chat_id: str, queue: deque[tuple[bytes, ZaloEvent]]) -> None:
        try:
            while queue:
                key, event = queue[0]
                async with self._slots:
                    await self._handle_safely(key, event)
                queue.popleft()
        finally:
            self._queues.pop(chat_id, None)

    async def _handle_safely(self, key: bytes, event: ZaloEvent) -> None:
        try:
            await self.handle(event)
        except asyncio.CancelledError:
            raise  # stopped mid-way: the update stays in the inbox for the next start
        except Exception as exc:
            # Only the error's type and code location: str(exc) may quote user input.
            log.error("zalo: unhandled %s at %s", type(exc).__name__, _where(exc))
            await self._apologise(event)
        await repo.handled(self.runtime.db, key)
        self.handled += 1
        if self.on_handled is not None:
            self.on_handled(event.dedup_key)

    async def _apologise(self, event: ZaloEvent) -> None:
        try:
            t = translator(await self._locale(event.user_id))
            await self.client.send_message(event.chat_id, apology_text(t))
        except Exception as exc:  # the apology itself must never raise
            log.warning("zalo: could not send apology: %s", type(exc).__name__)

    # -- one update --------------------------------------------------------------------------
    async def _locale(self, user_id: str) -> str:
        runtime = self.runtime
        account = await runtime.accounts.user_id(CHANNEL, user_id, create=False)
        return await runtime.users.locale(account, None)

    def make_turn(self, event: ZaloEvent, locale: str) -> Turn:
        conv = ZaloConversation(self, event.chat_id, self.caps)
        turn = Turn(
            conv=conv,
            chat=Chat(CHANNEL, chat_key(event.chat_id), private=event.private),
            # The display name never got this far (events.parse_event drops it).
            person=Person(CHANNEL, event.user_id, None),
            t=translator(locale),
            runtime=self.runtime,
        )
        conv.turn = turn
        return turn

    async def handle(self, event: ZaloEvent) -> None:
        if not event.private and not self.groups:
            return  # Zalo has not enabled groups for this bot: never act in one
        runtime = self.runtime
        turn = self.make_turn(event, await self._locale(event.user_id))
        key = str(turn.chat.key)
        if event.event_name == ev.UNSUPPORTED:
            if event.private:
                await self._explain_unsupported(turn)
            return
        menu = await load_menu(runtime.sessions, key) if event.private else {}
        settings = runtime.settings.zalo
        inp: Input | StaleChoice = to_input(
            event, menu,
            # Cut just above the cap: the conversation's own size check answers politely.
            lambda url: self.client.download(url, max_bytes=settings.photo_max_bytes,
                                             truncate=True),
        )
        if isinstance(inp, StaleChoice):
            session = await turn.session()
            if session.get("flow") or not event.private:
                inp = Text(inp.text)  # a flow may take a bare number as text
            else:
                await turn.show(Screen(stale_choice_text(turn.t, inp.number, len(menu))))
                return  # the same list stays valid
        await runtime.engine.dispatch(turn, inp)
        conv = turn.conv
        if isinstance(conv, ZaloConversation) and conv.menu is not None and event.private \
                and conv.menu != menu:  # unchanged (e.g. the same list again): no write
            await save_menu(runtime.sessions, key, conv.menu)

    async def _explain_unsupported(self, turn: Turn) -> None:
        public = self.runtime.settings.zalo.public_url
        await turn.show(Screen(unsupported_text(turn.t, public + "/" if public else "")))

    # -- media -------------------------------------------------------------------------------
    def publish_media(self, data: bytes) -> str | None:
        if not self.media.available:
            log.warning("zalo: a photo was not sent: BOT_PUBLIC_URL (https) is not set")
            return None
        return self.media.publish(data)

    # -- sending outside a turn (police cards, broadcasts, reminders) ------------------------
    async def send_screen(self, chat_id: str, screen: Screen, locale: str, *,
                          keep_flow_menu: bool = False, patient: bool = True) -> str | None:
        """Show a screen in a chat the bot has seen, outside any incoming update; its numbered
        options become that chat's menu. With `keep_flow_menu`, a chat in the middle of a flow
        keeps its menu and gets only the screen's link buttons (a campaign must not turn a
        tipster's "2" into something else)."""
        key = chat_key(chat_id)
        if keep_flow_menu and (await self.runtime.sessions.get(key)).get("flow"):
            links = [[b for b in row if b.url] for row in screen.buttons]
            screen = Screen(screen.text, [row for row in links if row], screen.photo,
                            screen.document)
            keep = True
        else:
            keep = False
        conv = ZaloConversation(self, chat_id, self.caps, patient=patient)
        conv.turn = Turn(conv, Chat(CHANNEL, key), None, translator(locale), self.runtime)
        ref = await conv.show(screen)
        if conv.menu is not None and not keep:
            await save_menu(self.runtime.sessions, key, conv.menu)
        return ref if isinstance(ref, str) else None

    def broadcast_sender(self) -> Any:
        """The campaign engine's sender for Zalo accounts (bot/delivery.py)."""
        from bot.channels.zalo.broadcast import ZaloSender

        return ZaloSender(self, self.runtime.settings.zalo.broadcast_rate)
