"""Browser sessions: a random token in an HttpOnly cookie, sealed and expiring; the state held
server-side in memory only.

The cookie is `seal(session id, expiry)` under a purpose key of the keyring, so a forged or
altered cookie, or an expired one, is simply a new visitor. Nothing here ever sees an IP
address or a user agent. The chat's flow state (drafts, steps) lives in the ordinary
`SessionStore` under the chat key `web:<session id>`; the transcript shown in the page lives
only here, bounded, and is gone when the session expires or the process stops.

Abuse limits: each session may send at most `PER_SESSION` inputs a minute and the whole
process creates at most `NEW_PER_MINUTE` sessions a minute (a coarse in-memory limiter keyed
by nothing about the person); the tip service adds its own daily-rotating pseudonym limits.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag

from bot.crypto import Keyring
from bot.sliding_window import SlidingWindow

COOKIE = "kmt"
_PURPOSE = "web/session-cookie/v1"
CITIZEN_TTL = 24 * 3600  # like an abandoned tip draft
OFFICER_TTL = 8 * 3600  # one shift; then bind again
MAX_BUBBLES = 40  # transcript kept per session
MAX_SESSIONS = 50_000
PER_SESSION = 60  # inputs a minute
NEW_PER_MINUTE = 3000


@dataclass
class Bubble:
    id: int
    mine: bool  # written by the person (else by the bot)
    html: str  # already safe HTML
    buttons: list[list[Any]] = field(default_factory=list)  # bot.screens.Button rows
    photo: bytes | None = None
    document: tuple[str, bytes] | None = None
    once: bool = False  # shown in one page only (a tip receipt), then hidden
    shown: bool = False


@dataclass
class WebSession:
    sid: str
    person_id: str
    csrf: str
    expires: float
    locale: str | None = None
    bubbles: list[Bubble] = field(default_factory=list)
    next_bubble: int = 1
    version: int = 0
    officer_id: int | None = None  # the account id a bound officer acts as
    officer_expires: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    limiter: SlidingWindow = field(default_factory=lambda: SlidingWindow(PER_SESSION, 60.0))
    data: dict[str, Any] = field(default_factory=dict)  # channel-only extras (demo persona)
    restored: bool = False  # recreated from its cookie after a restart

    @property
    def chat_key(self) -> str:
        return f"web:{self.sid}"

    def add(self, html: str, *, mine: bool = False, buttons: list[list[Any]] | None = None,
            photo: bytes | None = None, document: tuple[str, bytes] | None = None,
            replace: bool = False, once: bool = False) -> Bubble:
        if replace and self.bubbles and not self.bubbles[-1].mine:
            bubble = self.bubbles[-1]
            bubble.html, bubble.buttons = html, buttons or []
            bubble.photo, bubble.document = photo, document
            bubble.once, bubble.shown = once, False
            bubble.id = self.next_bubble  # a new id: a stale form for the old one is refused
        else:
            bubble = Bubble(self.next_bubble, mine, html, buttons or [], photo, document, once)
            self.bubbles.append(bubble)
            del self.bubbles[:-MAX_BUBBLES]
        self.next_bubble += 1
        self.touch()
        return bubble

    def touch(self) -> None:
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def bubble(self, bubble_id: int) -> Bubble | None:
        return next((b for b in self.bubbles if b.id == bubble_id), None)

    def officer(self, now: float) -> int | None:
        return self.officer_id if self.officer_id is not None and now < self.officer_expires else None


class SessionLimit(Exception):
    """Too many sessions or inputs: the person gets a polite "try again in a minute"."""


class WebSessions:
    def __init__(self, keyring: Keyring, clock: Any) -> None:
        self.keyring = keyring
        self.clock = clock  # bot.clock.Clock: timestamp()
        self._live: OrderedDict[str, WebSession] = OrderedDict()
        # Sessions ended on purpose (demo reset, sign-out of everything): their cookies must not
        # bring them back. Bounded by the cookie lifetime.
        self._ended: set[str] = set()
        self._new = SlidingWindow(NEW_PER_MINUTE, 60.0)

    def __len__(self) -> int:
        return len(self._live)

    def cookie_value(self, session: WebSession) -> str:
        plain = json.dumps({"s": session.sid, "p": session.person_id,
                            "e": int(session.expires)}).encode()
        return base64.urlsafe_b64encode(self.keyring.seal(_PURPOSE, plain)).decode().rstrip("=")

    def find(self, cookie: str | None) -> WebSession | None:
        """The live session a cookie names, or None (absent, forged, expired or forgotten)."""
        if not cookie or len(cookie) > 300:
            return None
        try:
            blob = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            data = json.loads(self.keyring.open(_PURPOSE, blob))
            sid, person, expires = str(data["s"]), str(data["p"]), float(data["e"])
        except (ValueError, InvalidTag, KeyError, TypeError):
            return None
        now = self.clock.timestamp()
        if expires <= now:
            self._live.pop(sid, None)
            return None
        session = self._live.get(sid)
        if session is None and sid not in self._ended:
            # The process restarted (or forgot it): the sealed cookie still names the session,
            # so its flow state (a tip draft after a clean restart) and account come back.
            session = WebSession(sid=sid, person_id=person, csrf=secrets.token_urlsafe(24),
                                 expires=expires, restored=True)
            self._live[sid] = session
        if session is None or session.expires <= now:
            return None
        self._live.move_to_end(sid)
        return session

    def create(self, ttl: int = CITIZEN_TTL) -> WebSession:
        self._expire()
        if len(self._live) >= MAX_SESSIONS or self._new.delay() > 0:
            raise SessionLimit()
        self._new.note()
        session = WebSession(
            sid=secrets.token_urlsafe(24),
            person_id=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(24),
            expires=self.clock.timestamp() + ttl,
        )
        self._live[session.sid] = session
        return session

    def by_person(self, person_id: str) -> WebSession | None:
        """The live session of a person id (the Messenger port; linear, sessions are few)."""
        now = self.clock.timestamp()
        return next((s for s in reversed(self._live.values())
                     if s.person_id == person_id and s.expires > now), None)

    def by_chat_key(self, chat_key: str) -> WebSession | None:
        session = self._live.get(chat_key.removeprefix("web:"))
        return session if session is not None and session.expires > self.clock.timestamp() else None

    def forget_all(self) -> list[WebSession]:
        """Every live session, forgotten (the demo's reset); returns them so their flow state
        can be cleared too."""
        gone = list(self._live.values())
        self._ended.update(self._live)
        self._live.clear()
        for session in gone:
            session.touch()
        return gone

    def end(self, session: WebSession) -> None:
        self._ended.add(session.sid)
        self._live.pop(session.sid, None)
        session.touch()  # wakes live streams, which then end

    def _expire(self) -> None:
        now = self.clock.timestamp()
        while self._live:
            sid, oldest = next(iter(self._live.items()))
            if oldest.expires > now and len(self._live) < MAX_SESSIONS:
                break
            del self._live[sid]  # expired, or the store is full: the least recently used goes

    def allow_input(self, session: WebSession) -> bool:
        if session.limiter.delay() > 0:
            return False
        session.limiter.note()
        return True
