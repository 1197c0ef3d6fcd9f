"""Pacing for bulk sends within Telegram's limits.

* a global rate (messages per second), spread evenly: slots `1/rate` apart, never bursting to
  catch up after a pause (a burst is what trips Telegram's sliding window);
* one message per second per chat, 20 per minute per group (negative chat ids);
* a 429 answer pauses every sender for its `retry_after`;
* a hard sliding window, one of two kinds:
  - free mode (`exact=False`, 30/s): message n is sent only once message n-R (R = the rate per
    second) has been *answered* more than one second (+ a small guard) ago. Telegram had
    received n-R before answering it and receives n after we send it, so no one-second window
    on Telegram's side can hold more than R messages, whatever the network or server jitter.
    It costs about one round trip per second (the rate ends ~2% under R), which is worth it
    where the limit is strict and small. Callers report each answer with `done(ticket)`.
  - paid mode (`exact=True`, up to 1,000/s): slots exactly `1/R` apart on a fixed grid (a
    sender that woke a little late is caught up, at most `catch_up` seconds), and a sliding
    window over the moments messages are *handed to the network*: a message leaves only when
    fewer than R left in the last second. So no one-second window of our sends holds more
    than R, and the long-run rate is R itself instead of R / (1 s + round trip).

Time comes from `time.monotonic` (or an injected function), never from the wall clock, so the
pace holds when tests move the bot's clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from bot.sliding_window import SlidingWindow

FREE_RATE_LIMIT = 30.0  # Telegram: about 30 messages/second to different chats
PAID_RATE_LIMIT = 1000.0  # with allow_paid_broadcast
# Aim this fraction below the configured rate: network jitter must not put 31 messages in one
# of Telegram's one-second windows.
DEFAULT_SAFETY = 0.985


def effective_rate(configured: float, paid: bool) -> float:
    """The rate a broadcast may use: the setting, capped by what Telegram allows."""
    ceiling = PAID_RATE_LIMIT if paid else FREE_RATE_LIMIT
    return max(0.1, min(configured, ceiling))


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        safety: float | None = None,
        exact: bool = False,
        catch_up: float = 0.02,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.exact = exact
        self.catch_up = catch_up if exact else 0.0
        if safety is None:
            safety = 1.0 if exact else DEFAULT_SAFETY
        self.interval = 1.0 / (rate * safety)
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self._now = monotonic
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_last: dict[int, float] = {}
        self._groups: dict[int, SlidingWindow] = {}
        self._lock = asyncio.Lock()
        self.window = max(1, int(rate))
        self.window_guard = 0.01
        self._seq = 0
        self._answered: dict[int, float] = {}
        self._sent: deque[float] = deque(maxlen=self.window)  # exact mode: the last R sends
        # One second plus 1 ms, so that clocks read a few microseconds later (the HTTP client,
        # the benchmark) still see at most R in any second.
        self.exact_span = 1.001
        self.window_waits = 0
        self.log: list[float] | None = None  # a benchmark sets a list: every hand-over time
        self.pauses = 0
        self.paused_seconds = 0.0

    # -- 429 -----------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """Every sender waits `seconds` (Telegram's retry_after) from now."""
        until = self._now() + max(0.0, seconds)
        if until > self._paused_until:
            self.paused_seconds += until - max(self._paused_until, self._now())
            self._paused_until = until
            self.pauses += 1

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._now())

    # -- per chat / group ----------------------------------------------------------------------
    def _chat_ready_at(self, chat_id: int, now: float) -> float:
        ready = self._chat_last.get(chat_id, -1e9) + self.per_chat_interval
        window = self._groups.get(chat_id) if chat_id < 0 else None
        if window is not None:
            ready = max(ready, now + window.delay(now))
        return ready

    def _note_chat(self, chat_id: int, at: float) -> None:
        self._chat_last[chat_id] = at
        if chat_id < 0:
            if chat_id not in self._groups:
                self._groups[chat_id] = SlidingWindow(self.group_per_minute, 60.0, self._now)
            self._groups[chat_id].note(at)
        if len(self._chat_last) > 4096:  # forget chats whose second has passed
            cutoff = at - self.per_chat_interval
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}
            self._groups = {
                c: w for c, w in self._groups.items()
                if w.latest is not None and at - w.latest < 60.0
            }

    # -- the one entry point --------------------------------------------------------------------
    def done(self, ticket: int) -> None:
        """The request of `ticket` was answered (or abandoned)."""
        self._answered[ticket] = self._now()
        if len(self._answered) > 2 * self.window + 64:
            floor = self._seq - self.window - 1
            self._answered = {k: v for k, v in self._answered.items() if k >= floor}

    def _window_ready_at(self, now: float) -> float | None:
        """When the next message fits the one-second window (None: wait for an answer)."""
        if self.exact or self._seq < self.window:
            return now
        answered = self._answered.get(self._seq - self.window)
        if answered is None:
            return None
        return answered + 1.0 + self.window_guard

    async def acquire(self, chat_id: int | None = None) -> int:
        """Wait until one message to `chat_id` may be sent now; returns the ticket to pass to
        `done()` once Telegram answered."""
        while True:
            async with self._lock:
                now = self._now()
                wait = self._paused_until - now
                if wait <= 0 and chat_id is not None:
                    wait = self._chat_ready_at(chat_id, now) - now
                if wait <= 0:
                    ready = self._window_ready_at(now)
                    wait = 0.002 if ready is None else ready - now
                if wait <= 0:
                    # Exact mode keeps to its grid: a slot missed by a late wake-up is used
                    # now (at most `catch_up` back), so small delays do not lower the rate.
                    slot = max(now - self.catch_up, self._next_slot)
                    self._next_slot = slot + self.interval
                    if chat_id is not None:
                        self._note_chat(chat_id, max(slot, now))
                    ticket = self._seq
                    self._seq += 1
                    delay = slot - now
                    break
            await asyncio.sleep(min(wait, 0.5))
        if delay > 0:
            await asyncio.sleep(delay)
        # A 429 that arrived while this sender slept applies to it as well.
        while (left := self._paused_until - self._now()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, 0.5))
        if self.exact:
            # The sliding window over hand-over times; check and record with no await between.
            while True:
                now = self._now()
                if len(self._sent) < self.window or now - self._sent[0] >= self.exact_span:
                    self._sent.append(now)
                    if self.log is not None:
                        self.log.append(now)
                    break
                self.window_waits += 1
                await asyncio.sleep(self._sent[0] + self.exact_span - now)
        return ticket
