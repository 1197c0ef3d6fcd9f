"""Durable delivery of tip notifications (cards, answers, reminders, pings).

Rows of `tip_outbox` are written in the same transaction as the tip or action they announce.
This worker sends them: one task per destination chat (so a backed-up police group does not
hold up the others), each sending its rows in order, paced to Telegram's 20 messages a minute
per group, honouring 429 `retry_after`, retrying other failures with exponential backoff.
A row is marked sent as soon as Telegram accepts it, and a multi-part card records each part
(`step`), so a restart resumes where it stopped and a unit does not get the same card twice in
normal operation. Nothing is dropped: a row stays pending until it is sent, or is marked
failed only when Telegram says the chat can never be reached (bot removed, chat gone) — and
then the renderer re-routes it (the unit's officers, else the next level up) — or when Telegram
refused the message itself REJECTED_ATTEMPTS times (a 400): then it is failed so the chat's later
rows are not held back, and the renderer tells the admins (content-free).

No channel here: the worker sends through the destination channel's chat port
(bot/engine/chat_port.py; Telegram's is bot/channels/telegram/chat_port.py, Zalo's
bot/channels/zalo/chat_port.py), which maps its errors to `RetryLater` / `Undeliverable` /
`Rejected` / `ChatMoved`. Each row names its channel (`tip_outbox.channel`) and goes through
that channel's port; a row whose channel is not running (yet) waits, pending. Chat ids do not
collide across channels: a Telegram chat id, or a Zalo officer's account id (allocated ids
start above every Telegram user id), so one sender task per chat id still holds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.engine.chat_port import (
    ChatMoved,
    ChatPort,
    Destination,
    Rejected,
    RetryLater,
    Undeliverable,
)
from bot.screens import Button, Screen
from bot.sliding_window import SlidingWindow
from storage import tips as repo
from storage.db import Database

log = logging.getLogger(__name__)

GROUP_PER_MINUTE = 20
PRIVATE_PER_SECOND = 1
MAX_BACKOFF = 60.0
NO_PORT_WAIT = 30.0  # seconds before a row for a channel that is not running is looked at again
REJECTED_ATTEMPTS = 3  # a message Telegram refuses this often is failed (admins are told)
PING = 0  # destination key for opted-in tipster pings (resolved per row, sealed)


@dataclass
class Part:
    kind: str  # "text" | "photos" | "location" | "unbuttons" (remove the card's buttons)
    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    photos: list[bytes] = field(default_factory=list)
    lat: float = 0.0
    lon: float = 0.0
    reply_to_card: bool = False  # reply to the tip's card in this chat (or to step 0's message)


@dataclass
class Delivery:
    chat_id: int
    parts: list[Part]
    card: bool = False  # step 0's message is the tip's card in this chat


class Renderer(Protocol):
    async def render(self, row: Any) -> Delivery | None: ...

    async def card_message(self, tip_id: int, chat_id: int) -> int | None: ...

    async def delivered(self, row: Any, message_id: int) -> None: ...

    async def undeliverable(self, row: Any) -> None: ...

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None: ...

    async def rejected(self, row: Any) -> None: ...


async def send_part(port: ChatPort, chat_id: int | str, part: Part, reply_to: int | None,
                    card: int | None = None) -> int:
    """Send one part to `chat_id` on `port`'s channel; returns its message id (the card's own
    id for "unbuttons")."""
    to = Destination(port.channel, chat_id)
    if part.kind == "unbuttons":
        if card is not None:  # no card in this chat: nothing to take back
            await port.remove_buttons(to, card)
        return card or 0
    if part.kind == "text":
        return int(await port.send(to, Screen(part.text, part.buttons), reply_to=reply_to))
    if part.kind == "photos":
        return int(await port.send_photos(to, part.photos, reply_to=reply_to))
    return int(await port.send_location(to, part.lat, part.lon, reply_to=reply_to))


def prioritised(rows: list[Any]) -> list[Any]:
    """A destination's pending rows in sending order: a new tip's card goes ahead of queued
    answers, photos and reminders of other tips (so a tipster's many answers cannot hold up an
    urgent tip for the same unit); each tip's own rows keep their order (a card is moved only
    when it is its tip's first pending row, so nothing overtakes its own notices)."""
    first: dict[Any, int] = {}
    for row in rows:
        first.setdefault(row["tip_id"], int(row["id"]))
    cards = [r for r in rows if r["kind"] == "card" and first[r["tip_id"]] == int(r["id"])]
    ahead = {int(r["id"]) for r in cards}
    return cards + [r for r in rows if int(r["id"]) not in ahead]


class _Pacer:
    """Sliding window per chat: ≤ 20 a minute into a group, ≤ 1 a second into a private chat.

    `group_window` (seconds) is the group window's length; tests shorten it (and the fake
    server's group flood window with it) instead of waiting a real minute.
    """

    def __init__(self, group_limit: int = GROUP_PER_MINUTE, group_window: float = 60.0) -> None:
        self._windows: dict[int, SlidingWindow] = {}
        self.group_limit = group_limit
        self.group_window = group_window

    def _window(self, chat_id: int) -> SlidingWindow:
        if chat_id not in self._windows:
            self._windows[chat_id] = (SlidingWindow(self.group_limit, self.group_window)
                                      if chat_id < 0 else SlidingWindow(PRIVATE_PER_SECOND, 1.0))
        return self._windows[chat_id]

    def wait(self, chat_id: int) -> float:
        delay = self._window(chat_id).delay()
        return delay + 0.01 if delay > 0 else 0.0

    def note(self, chat_id: int) -> None:
        self._window(chat_id).note()

    def forget(self, chat_id: int) -> None:
        """The chat's sender is done: drop its window once nothing in it can still count."""
        window = self._windows.get(chat_id)
        if window is not None and (window.latest is None
                                   or time.monotonic() - window.latest >= window.period):
            self._windows.pop(chat_id, None)


class OutboxWorker:
    def __init__(
        self, db: Database, renderer: Renderer, now: Callable[[], int],
        *, base_backoff: float = 0.5, group_limit: int = GROUP_PER_MINUTE,
        group_window: float = 60.0,
    ) -> None:
        self.db = db
        self.renderer = renderer
        self.now = now
        self.base_backoff = base_backoff
        self.ports: Mapping[str, ChatPort] = {}
        self.running: Callable[[], bool] = lambda: True
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._pacer = _Pacer(group_limit, group_window)
        self.sent_count = 0
        self.retries = 0
        self._generation = 0  # bumped by kick(): something new was queued
        self._rejections: dict[int, int] = {}  # outbox row id -> refusals seen (this run)

    # -- control ------------------------------------------------------------------------
    def kick(self) -> None:
        """Something was queued: look now (called right after a commit)."""
        self._generation += 1
        self._wake.set()

    async def run(self, sender: ChatPort, running: Callable[[], bool], idle: float = 5.0, *,
                  ports: Mapping[str, ChatPort] | None = None) -> None:
        """The long-lived loop: drain at start (restart recovery), then on every kick.
        `ports`: the running channels' chat ports by name (a live mapping: a channel that
        starts later adds its own), else `sender` alone."""
        self.ports = ports if ports is not None else {sender.channel: sender}
        self.running = running
        try:
            while self.running():
                self._wake.clear()
                try:
                    await self.drain()
                except Exception as exc:  # keep the loop alive; the rows stay pending
                    log.error("tip outbox drain failed: %s", type(exc).__name__)
                deadline = time.monotonic() + idle
                while self.running() and not self._wake.is_set() and time.monotonic() < deadline:
                    try:
                        await asyncio.wait_for(self._wake.wait(), 0.2)
                    except TimeoutError:
                        pass
        finally:
            await self.wait_idle(timeout=5.0)

    async def wait_idle(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def drain(self) -> None:
        """Start a sender task for every destination with pending rows and no task yet."""
        rows = await repo.pending(self.db, limit=100000)
        keys = {PING if r["kind"] == "ping" else int(r["chat_id"]) for r in rows}
        for key in keys:
            task = self._tasks.get(key)
            if task is None or task.done():
                self._tasks[key] = asyncio.create_task(self._destination(key))

    # -- one destination -------------------------------------------------------------------
    async def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on shutdown; False if the bot is stopping."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.running():
                return False
            await asyncio.sleep(min(0.1, max(0.0, end - time.monotonic())))
        return self.running()

    async def _rows(self, key: int) -> list[Any]:
        return await repo.pending_for(self.db, None if key == PING else key)

    async def _destination(self, key: int) -> None:
        failures = 0
        try:
            while self.running():
                generation = self._generation
                rows = prioritised(await self._rows(key))
                if not rows:
                    return
                for row in rows:
                    if not self.running():
                        return
                    try:
                        await self._send_row(row)
                        failures = 0
                        if self._generation != generation:
                            break  # something was queued meanwhile: a new card goes first
                    except RetryLater as exc:
                        self.retries += 1
                        if not await self._sleep(exc.seconds + 0.05):
                            return
                        break  # re-read the queue (the row is still pending)
                    except ChatMoved as exc:
                        # Move this chat's binding, pending rows and cards to the new id; the
                        # next drain sends them there (nothing is marked failed).
                        await self.renderer.chat_moved(int(row["chat_id"]), exc.new_chat_id)
                        self.kick()
                        return
                    except Undeliverable:
                        await repo.mark(self.db, int(row["id"]), "failed", self.now())
                        log.warning("tip notification undeliverable (kind %s)", row["kind"])
                        await self.renderer.undeliverable(row)  # re-route: nothing is lost
                    except Rejected:
                        row_id = int(row["id"])
                        await repo.bump_attempts(self.db, row_id)
                        self._rejections[row_id] = self._rejections.get(row_id, 0) + 1
                        if self._rejections[row_id] >= REJECTED_ATTEMPTS:
                            # Refused for good: fail it and let the chat's later rows flow.
                            self._rejections.pop(row_id, None)
                            await repo.mark_rejected(self.db, row_id, self.now())
                            log.warning("tip notification rejected by Telegram (kind %s)", row["kind"])
                            await self.renderer.rejected(row)
                            continue
                        self.retries += 1
                        failures += 1
                        if not await self._sleep(self._backoff(failures)):
                            return
                        break
                    except Exception as exc:  # 5xx, timeouts, network: back off and retry
                        self.retries += 1
                        failures += 1
                        await repo.bump_attempts(self.db, int(row["id"]))
                        delay = self._backoff(failures)
                        log.info("tip notification retry in %.1fs: %s", delay, type(exc).__name__)
                        if not await self._sleep(delay):
                            return
                        break
        finally:
            if self._tasks.get(key) is asyncio.current_task():
                self._tasks.pop(key, None)
            self._pacer.forget(key)

    def _backoff(self, failures: int) -> float:
        delay = min(MAX_BACKOFF, self.base_backoff * 2 ** min(failures - 1, 8))
        return delay * (0.8 + 0.4 * random.random())

    def _port(self, row: Any) -> ChatPort:
        channel = str(row["channel"] or "telegram")
        port = self.ports.get(channel)
        if port is None:  # that channel is not running (yet): the row stays pending
            log.info("tip notification waits: channel %s is not running", channel)
            raise RetryLater(NO_PORT_WAIT)
        return port

    async def _send_row(self, row: Any) -> None:
        port = self._port(row)
        delivery = await self.renderer.render(row)
        if delivery is None:  # nothing to send any more (acknowledged, closed, purged, unwatched)
            await repo.mark(self.db, int(row["id"]), "skipped", self.now())
            return
        chat_id = delivery.chat_id
        step = int(row["step"])
        anchor = await self.renderer.card_message(int(row["tip_id"]), chat_id)
        for index in range(step, len(delivery.parts)):
            part = delivery.parts[index]
            wait = self._pacer.wait(chat_id)
            if wait > 0 and not await self._sleep(wait):
                raise RetryLater(0)
            reply_to = anchor if part.reply_to_card else None
            mid = await send_part(port, chat_id, part, reply_to, anchor)
            self._pacer.note(chat_id)
            self.sent_count += 1
            if index == 0 and delivery.card:
                await self.renderer.delivered(row, mid)
                anchor = mid
            if index + 1 < len(delivery.parts):
                await repo.set_step(self.db, int(row["id"]), index + 1)
        await repo.mark(self.db, int(row["id"]), "sent", self.now())
