"""Anonymous tips, the citizen's side: categories, the draft, submit, receipt, follow-up,
opt-in reply pings, abuse limits and retention.

What is stored about a tip names nobody: no Telegram user id, chat id, username, name or phone
(see docs/TIPS.md). The draft lives in the chat's sealed session; the tip's text, place, pin,
thread and cleaned photos are sealed with tip-purpose keys; the draft's photos are sealed in
their own rows (keyed by the draft's random id, deleted with the draft); the receipt is kept
only as an argon2id hash plus a short keyed lookup tag. Abuse limits key counters by an HMAC of
the requester key ("<channel>:<external id>", see `requester_key`; never stored) under a random
key of the day that exists only in memory (never written anywhere): a restart or the next day
makes all earlier counters unlinkable, and they are deleted then.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring, random_code, random_digits
from bot.errors import UserError
from bot.i18n import N_, Translator
from bot.screens import Button, Screen, esc
from bot.thread_pages import nav_row, page_index, paginate
from bot.tip_actions import (
    Cancel,
    Category,
    Edit,
    FollowAnswer,
    FollowDone,
    FollowPage,
    FollowPhoto,
    FollowupStart,
    Go,
    PhotosDone,
    Privacy,
    Province,
    ProvincePage,
    Send,
    SkipPlace,
    UrgentOk,
    WardConfirm,
    WatchAsk,
    WatchOn,
    When,
)
from bot.tip_actions import Ward as WardAction
from storage import tip_drafts as drafts_repo
from storage import tips as repo
from storage.db import Database

if TYPE_CHECKING:
    from bot.engine.actions import Action

FLOW = "tip"
FOLLOWUP_FLOW = "tip_fu"
MAX_TEXT = 3000
MAX_PLACE = 300
MAX_PHOTOS = 5
MAX_ANSWER = 3000
RECEIPT_DIGITS = 16
CODE_LENGTH = 6
FOLLOWUP_FAILURES_PER_DAY = 10
FOLLOWUP_TTL = 15 * 60
TELEGRAM = "telegram"  # the channel of opt-ins sealed before channels were recorded  # the follow-up session (it names a tip) is short-lived
# Follow-up answers queue police messages behind nothing but a new tip's card (cards go first
# in the outbox); still, one tip must not flood its unit: per tip a day, per tip in all, and
# per person a day (daily pseudonym).
ANSWERS_PER_TIP_DAY = 10
ANSWERS_PER_TIP = 30
ANSWERS_PER_DAY = 20
# Images one person may have cleaned a day (draft and follow-up photos, failed ones included):
# each costs a download and a decode. 5 tips a day × 5 photos, plus redoing some.
DECODES_PER_DAY = 40
DRAFT_PHOTO_TTL = 48 * 3600  # twice a draft's life: a draft's rows outlive it only if abandoned

P_BODY = "tips/body/v1"
P_ATTACHMENT = "tips/attachment/v1"
P_MESSAGE = "tips/message/v1"
P_WATCH = "tips/watch/v1"
P_LOOKUP = "tips/receipt-lookup/v1"
P_WATCH_CB = "tips/watch-button/v1"
P_DRAFT_PHOTO = "tips/draft-photo/v1"
LOOKUP_BYTES = 5

# (key, label). Order as in the issue.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("spot", N_("📍 Selling or using spot (điểm, tụ điểm)")),
    ("trafficking", N_("🚚 Trafficking or transport")),
    ("plants", N_("🌿 Drug plants (cannabis, poppy…)")),
    ("production", N_("⚗️ Production")),
    ("online", N_("📱 Online advertising or sale (social media)")),
    ("premises", N_("🎤 Business premises (karaoke, bar, guest house)")),
    ("laughing_gas", N_("🎈 Laughing gas selling")),
    ("psychosis", N_("🚨 Someone in drug psychosis (“ngáo đá”) endangering others")),
    ("driving", N_("🚗 Driving under drugs")),
    ("other", N_("❔ Other")),
)
CATEGORY_KEYS = {k for k, _ in CATEGORIES}
URGENT = {"psychosis"}

WHEN: tuple[tuple[str, str], ...] = (
    ("now", N_("Just now")),
    ("today", N_("Today")),
    ("week", N_("This week")),
    ("earlier", N_("Earlier")),
)
WHEN_KEYS = {k for k, _ in WHEN}

STATUS_LABELS = {
    "new": N_("received, waiting for the police"),
    "acknowledged": N_("the police are handling it"),
    "closed": N_("closed"),
}

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("actioned", N_("Actioned")),
    ("unfounded", N_("Unfounded")),
    ("duplicate", N_("Duplicate")),
    ("spam", N_("Prank / spam")),
)
OUTCOME_KEYS = {k for k, _ in OUTCOMES}


def label(options: tuple[tuple[str, str], ...], key: str | None, t: Translator) -> str:
    for k, text in options:
        if k == key:
            return t.gettext(text)
    return "—"


def ward_label(ward_code: Any) -> str:
    ward = directory.get_ward(ward_code) if ward_code not in (None, "") else None
    return ward.label if ward else "—"


class TipError(UserError):
    """A refusal the person can understand; `message` is an English msgid."""


class Police(Protocol):
    """What the citizen side needs from the police side (bot.tip_police.TipPolice)."""

    async def route_new(self, conn: Any, tip_id: int, ward_code: str, now: int) -> None: ...

    async def on_tipster_message(self, conn: Any, tip: Any, msg_id: int, now: int) -> None: ...

    async def on_tipster_photo(self, conn: Any, tip: Any, att_id: int, now: int) -> None: ...


# -- the draft (a plain dict in the protected session) ---------------------------------------
def new_draft() -> dict[str, Any]:
    return {"flow": FLOW, "step": "intro", "d": {"photos": [], "id": secrets.token_hex(16)}}


def draft_key(d: dict[str, Any]) -> bytes:
    """The draft's random id (its photos' rows are keyed by it); made on first use."""
    if not isinstance(d.get("id"), str) or len(d["id"]) != 32:
        d["id"] = secrets.token_hex(16)
    return bytes.fromhex(d["id"])


def draft_missing(d: dict[str, Any]) -> list[str]:
    """Steps still needed before the draft can be submitted."""
    missing = []
    if d.get("category") not in CATEGORY_KEYS:
        missing.append("category")
    if not d.get("ward"):
        missing.append("place")
    if not (d.get("text") or "").strip():
        missing.append("text")
    if d.get("when") not in WHEN_KEYS:
        missing.append("when")
    return missing


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TipError(N_("Please write what happened."))
    if len(text) > MAX_TEXT:
        raise TipError(
            N_("That is {n} characters; the limit is {max}. Please shorten it."),
            n=len(text), max=MAX_TEXT,
        )
    return text


def legacy_photos(d: dict[str, Any]) -> list[bytes]:
    """Photos of a draft begun before they had their own rows (base64 inside the session)."""
    return [base64.b64decode(p) for p in d.get("photos", []) if isinstance(p, str)]


def requester_key(channel: str, external_id: str) -> str:
    """Who asks, for the abuse limits only: the channel and the person's id on it. It is never
    stored: the limits store an HMAC of it under a key of the day held only in memory."""
    return f"{channel}:{external_id}"


Requester = str | int  # a requester key (int: older callers and tests passing a bare id)


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submitted:
    tip_id: int
    code: str
    receipt: str  # shown once, never stored

    @property
    def pretty_receipt(self) -> str:
        r = self.receipt
        return " ".join(r[i : i + 4] for i in range(0, len(r), 4))


@dataclass(frozen=True)
class ThreadItem:
    author: str  # "police" | "tipster"
    text: str
    at: datetime


@dataclass(frozen=True)
class FollowupView:
    tip_id: int
    status: str
    outcome: str | None
    category: str
    ward_code: str
    when_code: str
    created_at: datetime
    thread: list[ThreadItem] = field(default_factory=list)
    photos: int = 0
    watching: bool = False


def normalise_receipt(text: str) -> str | None:
    digits = "".join(ch for ch in str(text or "") if ch.isdigit())
    other = "".join(ch for ch in str(text or "") if not ch.isdigit() and not ch.isspace() and ch != "-")
    if len(digits) != RECEIPT_DIGITS or other:
        return None
    return digits


# -- the service --------------------------------------------------------------------------------
class TipService:
    def __init__(
        self, db: Database, keyring: Keyring, clock: Clock, settings: Settings, police: Police
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.settings = settings
        self.police = police
        # argon2id with OWASP's minimum (19 MiB, t=2, p=1): slow enough for 16 random digits
        # that already resist guessing, light enough for a thousand tips a minute on 2 cores.
        self.hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self._day: tuple[str, bytes] | None = None
        self._day_lock = asyncio.Lock()
        # Called after a commit that queued notifications (the outbox worker's wake-up).
        self.on_outbox: Callable[[], Any] | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None

    # -- helpers --------------------------------------------------------------------------
    def lookup_tag(self, receipt: str) -> bytes:
        return hmac.new(self.keyring.key(P_LOOKUP), receipt.encode(), hashlib.sha256).digest()[
            :LOOKUP_BYTES
        ]

    def seal(self, purpose: str, code: str, data: bytes) -> bytes:
        return self.keyring.seal(purpose, data, aad=code.encode())

    def open(self, purpose: str, code: str, blob: bytes) -> bytes:
        return self.keyring.open(purpose, bytes(blob), aad=code.encode())

    def body(self, tip: Any) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.open(P_BODY, tip["code"], tip["body"]))
        return data

    def _wake(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    def checkpoint_soon(self, delay: float = 1.0) -> None:
        """Checkpoint the WAL shortly (debounced: one checkpoint covers a burst of deletes)."""
        if self._checkpoint_task is not None and not self._checkpoint_task.done():
            return

        async def later() -> None:
            for attempt in range(20):  # a busy moment only delays it
                await asyncio.sleep(delay * (1 + attempt))
                try:
                    if await repo.checkpoint(self.db):
                        return
                except (RuntimeError, ValueError):  # the database closed meanwhile (shutdown)
                    return

        self._checkpoint_task = asyncio.get_running_loop().create_task(later())

    # -- abuse limits ---------------------------------------------------------------------
    def _today(self) -> str:
        return self.clock.now().strftime("%Y-%m-%d")

    async def _day_key(self) -> tuple[str, bytes]:
        """Today's random key. It is never written anywhere: with the database and master.key
        nobody can test a user id against the counters. A new key (the first use after a start,
        or a new day) makes every stored counter unmatchable, so they are all deleted then."""
        day = self._today()
        if self._day and self._day[0] == day:
            return self._day
        async with self._day_lock:
            if self._day and self._day[0] == day:
                return self._day
            self._day = (day, secrets.token_bytes(32))
            async with self.db.transaction() as conn:
                deleted = await repo.delete_rates(conn)
            if deleted:
                self.checkpoint_soon()
            return self._day

    async def forget_past_days(self) -> int:
        """The 10-minute job: drop yesterday's key from memory and delete past days' counters and
        abandoned draft photos at once (not only when the next tip comes), then checkpoint."""
        today = self._today()
        async with self._day_lock:
            if self._day and self._day[0] != today:
                self._day = None
        async with self.db.transaction() as conn:
            deleted = await repo.delete_rates(conn, except_day=today)
        deleted += await drafts_repo.purge_expired(self.db, self.clock.timestamp())
        if deleted:
            await repo.checkpoint(self.db)
        return deleted

    async def _who(self, requester: Requester) -> tuple[str, bytes]:
        day, key = await self._day_key()
        return day, hmac.new(key, str(requester).encode(), hashlib.sha256).digest()

    def _minute(self) -> int:
        now = self.clock.timestamp()
        return now - now % 60

    async def count_decode(self, requester: Requester) -> None:
        """Count one image to clean for this person, or refuse when today's are used up."""
        day, who = await self._who(requester)
        if await repo.count_rate(self.db, who, "decode", 0) >= DECODES_PER_DAY:
            raise TipError(
                N_("You have sent {n} photos today, the most the bot can clean in a day. "
                   "Please try again tomorrow."), n=DECODES_PER_DAY,
            )
        async with self.db.transaction() as conn:
            await repo.add_rate(conn, day, who, "decode", self._minute())

    async def limit_reason(self, requester: Requester) -> str | None:
        """"daily" or "burst" when this person may not send another tip now, else None."""
        _day, who = await self._who(requester)
        now = self.clock.timestamp()
        lim = self.settings.tips
        if await repo.count_rate(self.db, who, "tip", 0) >= lim.daily_limit:
            return "daily"
        if await repo.count_rate(self.db, who, "tip", now - lim.burst_minutes * 60) >= lim.burst_limit:
            return "burst"
        return None

    # -- draft photos -----------------------------------------------------------------------
    async def add_draft_photo(self, d: dict[str, Any], cleaned: bytes) -> int:
        """Keep a cleaned photo of the draft sealed in its own row; returns the draft's count."""
        photos: list[Any] = d.setdefault("photos", [])
        if len(photos) >= MAX_PHOTOS:
            raise TipError(N_("You can attach at most {max} photos."), max=MAX_PHOTOS)
        key = draft_key(d)
        sealed = self.keyring.seal(P_DRAFT_PHOTO, cleaned, aad=key)
        expires = self._minute() + DRAFT_PHOTO_TTL
        photos.append(await drafts_repo.add_photo(self.db, key, sealed, expires))
        return len(photos)

    async def _draft_photos(self, d: dict[str, Any]) -> list[bytes]:
        wanted = {p for p in d.get("photos", []) if isinstance(p, int)}
        if not wanted:
            return legacy_photos(d)
        key = draft_key(d)
        return [self.keyring.open(P_DRAFT_PHOTO, data, aad=key)
                for row_id, data in await drafts_repo.photos(self.db, key) if row_id in wanted
                ] + legacy_photos(d)

    async def discard_draft_photos(self, d: dict[str, Any]) -> None:
        """The draft's photos go (photos redone, draft cancelled or started again)."""
        had = bool(d.get("photos"))
        d["photos"] = []
        if isinstance(d.get("id"), str) and len(d["id"]) == 32:
            async with self.db.transaction() as conn:
                had = bool(await drafts_repo.delete(conn, draft_key(d))) or had
        if had:
            self.checkpoint_soon()

    # -- submit ---------------------------------------------------------------------------
    async def submit(self, requester: Requester, d: dict[str, Any]) -> Submitted:
        """Store the tip and queue its police notifications in one transaction."""
        missing = draft_missing(d)
        if missing:
            raise TipError(N_("The tip is not complete yet."))
        reason = await self.limit_reason(requester)
        if reason == "daily":
            raise TipError(
                N_("You have sent {n} tips today, the daily limit. Please try again tomorrow. "
                   "In an emergency call 113."), n=self.settings.tips.daily_limit,
            )
        if reason == "burst":
            raise TipError(
                N_("You sent several tips just now. Please wait {m} minutes. "
                   "In an emergency call 113."), m=self.settings.tips.burst_minutes,
            )
        ward = directory.get_ward(d["ward"])
        if ward is None:
            raise TipError(N_("Please choose the commune or ward again."))
        text = check_text(str(d.get("text", "")))
        receipt = random_digits(RECEIPT_DIGITS)
        receipt_hash = await asyncio.to_thread(self.hasher.hash, receipt)
        code = await self._new_code()
        body = {
            "text": text,
            "place": str(d.get("place") or "")[:MAX_PLACE],
            "lat": d.get("lat"),
            "lon": d.get("lon"),
        }
        photos = await self._draft_photos(d)
        # Every time written with a new tip (the tip, its photos, routing, audit, outbox and the
        # rate-limit row) is rounded down to the minute, so times cannot link a tip to a
        # pseudonymous rate row or to any other record of the same second.
        now = self.clock.timestamp()
        now = created = now - now % 60
        day, who = await self._who(requester)
        async with self.db.transaction() as conn:
            tip_id = await repo.insert_tip(
                conn,
                code=code,
                lookup=self.lookup_tag(receipt),
                receipt_hash=receipt_hash,
                category=d["category"],
                ward_code=f"{ward.code:05d}",
                province_code=f"{ward.province_code:02d}",
                when_code=d["when"],
                body=self.seal(P_BODY, code, json.dumps(body, ensure_ascii=False).encode()),
                unit_id=None,
                created_at=created,
                routed_at=created,
            )
            for data in photos:
                await repo.add_attachment(conn, tip_id, self.seal(P_ATTACHMENT, code, data), now)
            await self.police.route_new(conn, tip_id, f"{ward.code:05d}", now)
            await repo.add_rate(conn, day, who, "tip", now)
            if isinstance(d.get("id"), str) and len(d["id"]) == 32:
                await drafts_repo.delete(conn, draft_key(d))  # now sealed with the tip
        self._wake()
        return Submitted(tip_id, code, receipt)

    async def _new_code(self) -> str:
        while True:
            code = random_code(CODE_LENGTH)
            if not await repo.code_exists(self.db, code):
                return code

    # -- follow-up ------------------------------------------------------------------------
    async def find_by_receipt(self, requester: Requester, text: str) -> int | None:
        """The tip id for a receipt, or None. Wrong receipts count against a daily limit."""
        day, who = await self._who(requester)
        if await repo.count_rate(self.db, who, "followup_fail", 0) >= FOLLOWUP_FAILURES_PER_DAY:
            raise TipError(N_("Too many wrong receipt numbers today. Please try again tomorrow."))
        receipt = normalise_receipt(text)
        found: int | None = None
        if receipt is not None:
            for row in await repo.by_lookup(self.db, self.lookup_tag(receipt)):
                if await asyncio.to_thread(self._verify, row["receipt_hash"], receipt):
                    found = int(row["id"])
                    break
        if found is None:
            async with self.db.transaction() as conn:
                await repo.add_rate(conn, day, who, "followup_fail", self.clock.timestamp())
        return found

    def _verify(self, hashed: str, receipt: str) -> bool:
        try:
            return self.hasher.verify(hashed, receipt)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def view(self, tip_id: int) -> FollowupView | None:
        tip = await repo.get(self.db, tip_id)
        if tip is None:
            return None
        code = tip["code"]
        thread = [
            ThreadItem(
                str(m["author"]),
                self.open(P_MESSAGE, code, m["body"]).decode(),
                datetime.fromtimestamp(int(m["created_at"]), self.clock.now().tzinfo),
            )
            for m in await repo.messages(self.db, tip_id)
        ]
        return FollowupView(
            tip_id=tip_id,
            status=str(tip["status"]),
            outcome=tip["outcome"],
            category=str(tip["category"]),
            ward_code=str(tip["ward_code"]),
            when_code=str(tip["when_code"]),
            created_at=datetime.fromtimestamp(int(tip["created_at"]), self.clock.now().tzinfo),
            thread=thread,
            photos=await repo.attachment_count(self.db, tip_id),
            watching=await repo.watcher(self.db, tip_id) is not None,
        )

    async def add_answer(self, tip_id: int, text: str, requester: Requester | None = None) -> None:
        """A tipster's answer or new details. Limited per tip a day, per tip in all and (when
        the person is known) per person a day, so one tip cannot flood its unit."""
        text = (text or "").strip()
        if not text:
            raise TipError(N_("Please write your answer or the new details."))
        if len(text) > MAX_ANSWER:
            raise TipError(
                N_("That is {n} characters; the limit is {max}. Please shorten it."),
                n=len(text), max=MAX_ANSWER,
            )
        tip = await repo.get(self.db, tip_id)
        if tip is None or tip["status"] == "closed":
            raise TipError(N_("This tip is closed; it cannot take more details."))
        now = self.clock.timestamp()
        if await repo.count_messages(self.db, tip_id, "tipster") >= ANSWERS_PER_TIP:
            raise TipError(
                N_("This tip has received {n} messages, the most one tip can take. If something "
                   "new happens, please send a new tip. In an emergency call 113."),
                n=ANSWERS_PER_TIP,
            )
        if await repo.count_messages(self.db, tip_id, "tipster", since=now - 86400) >= ANSWERS_PER_TIP_DAY:
            raise TipError(
                N_("This tip has received {n} messages in the last 24 hours, the most it can take "
                   "in a day. Please send more tomorrow. In an emergency call 113."),
                n=ANSWERS_PER_TIP_DAY,
            )
        who: tuple[str, bytes] | None = None
        if requester is not None:
            who = await self._who(requester)
            if await repo.count_rate(self.db, who[1], "answer", 0) >= ANSWERS_PER_DAY:
                raise TipError(
                    N_("You have sent {n} messages to the police today, the daily limit. Please "
                       "try again tomorrow. In an emergency call 113."), n=ANSWERS_PER_DAY,
                )
        async with self.db.transaction() as conn:
            msg_id = await repo.add_message(
                conn, tip_id, "tipster", self.seal(P_MESSAGE, tip["code"], text.encode()), now
            )
            await self.police.on_tipster_message(conn, tip, msg_id, now)
            if who is not None:
                await repo.add_rate(conn, who[0], who[1], "answer", now - now % 60)
        self._wake()

    async def add_followup_photo(self, tip_id: int, cleaned: bytes) -> None:
        tip = await repo.get(self.db, tip_id)
        if tip is None or tip["status"] == "closed":
            raise TipError(N_("This tip is closed; it cannot take more details."))
        if await repo.attachment_count(self.db, tip_id) >= MAX_PHOTOS * 2:
            raise TipError(N_("This tip already has the most photos it can take."))
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            att_id = await repo.add_attachment(
                conn, tip_id, self.seal(P_ATTACHMENT, tip["code"], cleaned), now
            )
            await self.police.on_tipster_photo(conn, tip, att_id, now)
        self._wake()

    # -- opt-in reply pings ---------------------------------------------------------------
    def watch_token(self, tip_id: int) -> str:
        return self.keyring.pseudonym(P_WATCH_CB, tip_id).hex()[:16]

    def check_watch_token(self, tip_id: int, token: str) -> bool:
        return hmac.compare_digest(self.watch_token(tip_id), str(token))

    async def watch(self, tip_id: int, chat: int | str, locale: str = "", *,
                    channel: str = TELEGRAM) -> bool:
        """Opt in to a content-free ping. The channel, its chat key and the language the ping is
        written in are sealed together (bound to the tip), so the ping reaches that chat in the
        tipster's language. (Only the Telegram channel sends pings today.)"""
        tip = await repo.get(self.db, tip_id)
        if tip is None or tip["status"] == "closed":
            return False
        payload = json.dumps({"ch": str(channel), "chat": chat, "lang": str(locale or "")})
        sealed = self.seal(P_WATCH, tip["code"], payload.encode())
        await repo.set_watcher(self.db, tip_id, sealed, self.clock.timestamp())
        return True

    async def unwatch(self, tip_id: int) -> None:
        async with self.db.transaction() as conn:
            await repo.delete_watcher(conn, tip_id)
        await repo.checkpoint(self.db)

    async def erase_watches(self, chat: int | str, *, channel: str = TELEGRAM) -> int:
        """/deleteme: end every reply-ping opt-in of this chat (of that channel).

        Found by opening each opt-in and comparing, not by a lookup tag: a keyed tag of the
        chat id stored next to each opt-in would show, even without master.key, that two tips
        were watched by the same chat, and would add a second way to test a chat id. Opt-ins
        exist only for open tips whose tipster asked for them (few), and opening one is a
        microsecond of AES-GCM."""
        mine = []
        for row in await repo.all_watchers(self.db):
            try:
                found = watcher_payload(self.open(P_WATCH, row["code"], row["chat"]))
            except (InvalidTag, ValueError, KeyError):  # unreadable: not provably this chat's
                continue
            if found.channel == channel and str(found.chat) == str(chat):
                mine.append(int(row["tip_id"]))
        if mine:
            async with self.db.transaction() as conn:
                for tip_id in mine:
                    await repo.delete_watcher(conn, tip_id)
            await repo.checkpoint(self.db)
        return len(mine)

    async def watcher(self, tip_id: int) -> Watcher | None:
        tip = await repo.get(self.db, tip_id)
        sealed = await repo.watcher(self.db, tip_id)
        if tip is None or sealed is None:
            return None
        return watcher_payload(self.open(P_WATCH, tip["code"], sealed))

    async def watcher_chat(self, tip_id: int) -> int | str | None:
        found = await self.watcher(tip_id)
        return None if found is None else found.chat

    # -- retention ------------------------------------------------------------------------
    async def purge(self) -> int:
        """Delete closed tips (and their photos, thread, cards) past the retention period."""
        before = self.clock.timestamp() - self.settings.tips.retention_days * 86400
        ids = await repo.closed_before(self.db, before)
        if ids:
            async with self.db.transaction() as conn:
                await repo.delete_tips(conn, ids)
                for tip_id in ids:
                    await repo.audit(conn, self.clock.timestamp(), None, tip_id, None, "purged")
            await repo.checkpoint(self.db)
        return len(ids)


# -- screens (citizen) ----------------------------------------------------------------------
def intro_screen(t: Translator, app: str) -> Screen:
    """`app`: the messenger the person uses ("Telegram", "Zalo"; `Capabilities.app`), or ""
    on the web, where no app account exists and the browser and network are what can tell."""
    _ = t.gettext
    kept = _(
        "🛡 <b>Report drug activity anonymously</b>\n\n"
        "🚨 <b>In immediate danger? Call 113 now.</b> This bot is not an emergency line.\n\n"
        "<b>What is kept:</b> only what you put in the tip — category, commune/ward, when, your "
        "text, photos (cleaned of location and camera data) and a location pin if you send one. "
        "It is encrypted and goes only to the police of that ward."
    )
    if app:
        not_kept = _(
            "<b>What is not kept:</b> your {app} id, chat, username, name or phone. The police "
            "cannot see who you are.\n\n"
            "{app} itself knows you use this bot: see /privacy."
        ).format(app=app)
    else:
        not_kept = _(
            "<b>What is not kept:</b> who you are — no account, name, phone or internet address. "
            "The police cannot see who you are.\n\n"
            "Your browser and your network can still show that you opened this site: see "
            "/privacy."
        )
    text = f"{kept}\n{not_kept}"
    return Screen(
        text,
        [
            [Button(_("✍️ Start a tip"), action=Go())],
            [Button(_("🔎 Follow up on a tip"), action=FollowupStart())],
            [Button(_("🔒 Privacy"), action=Privacy()), Button(_("✖️ Cancel"), action=Cancel())],
        ],
    )


def category_screen(t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(t.gettext(text), action=Category(key))] for key, text in CATEGORIES]
    rows.append([Button(_("✖️ Cancel"), action=Cancel())])
    return Screen(_("<b>1/5 · What is it about?</b>"), rows)


def urgent_screen(t: Translator) -> Screen:
    _ = t.gettext
    text = _(
        "🚨🚨 <b>CALL 113 FIRST</b> 🚨🚨\n\n"
        "Someone in drug psychosis can hurt themselves or others within minutes. "
        "If anyone is in danger now, call <b>113</b> (police) or <b>115</b> (ambulance) before "
        "writing anything here. Keep a safe distance.\n\n"
        "When everyone is safe, you can continue the tip."
    )
    return Screen(
        text,
        [[Button(_("I have called / no one is in danger now — continue"), action=UrgentOk())],
         [Button(_("✖️ Cancel"), action=Cancel())]],
    )


def province_screen(t: Translator, page: int, *, pin: bool = True, hint: str = "") -> Screen:
    """The provinces, paged; `pin`: the channel lets the person send a location pin; `hint`:
    how, on that channel (`Capabilities.location_hint`, an untranslated source string)."""
    _ = t.gettext
    provinces = directory.provinces()
    per_page = 12
    pages = (len(provinces) + per_page - 1) // per_page
    page = max(0, min(page, pages - 1))
    chunk = provinces[page * per_page : (page + 1) * per_page]
    buttons = [Button(p.short_name, action=Province(str(p.code))) for p in chunk]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(Button("◀", action=ProvincePage(page - 1)))
    nav.append(Button(f"{page + 1}/{pages}", action=ProvincePage(page)))
    if page + 1 < pages:
        nav.append(Button("▶", action=ProvincePage(page + 1)))
    rows.append(nav)
    rows.append([Button(_("✖️ Cancel"), action=Cancel())])
    if pin and hint:
        text = _(
            "<b>2/5 · Where?</b>\n\nChoose the province or city, or type its name. "
            "You can also type the commune/ward name directly, or send a location pin "
            "({how})."
        ).format(how=_(hint))
    elif pin:
        text = _(
            "<b>2/5 · Where?</b>\n\nChoose the province or city, or type its name. "
            "You can also type the commune/ward name directly, or send a location pin."
        )
    else:
        text = _(
            "<b>2/5 · Where?</b>\n\nChoose the province or city, or type its name. "
            "You can also type the commune/ward name directly."
        )
    return Screen(text, rows)


def ward_prompt(t: Translator, province_code: int) -> Screen:
    _ = t.gettext
    province = directory.get_province(province_code)
    name = esc(province.name) if province else ""
    return Screen(
        _("<b>{province}</b>\n\nType part of the commune or ward name (for example "
          "“Bến Thành” or an old name you know).").format(province=name),
        [[Button(_("⬅️ Other province"), action=ProvincePage(0)), Button(_("✖️ Cancel"), action=Cancel())]],
    )


def candidates_screen(t: Translator, cands: list[directory.Candidate], *, pin: bool = False) -> Screen:
    _ = t.gettext
    if not cands:
        return Screen(
            _("I could not find that commune or ward. Please type it again (a part of the name "
              "is enough), or choose the province first."),
            [[Button(_("⬅️ Choose province"), action=ProvincePage(0)), Button(_("✖️ Cancel"), action=Cancel())]],
        )
    rows = [[Button(c.unit.label[:60], action=WardAction(str(c.unit.code)))] for c in cands[:8]]
    rows.append([Button(_("None of these"), action=ProvincePage(0)), Button(_("✖️ Cancel"), action=Cancel())])
    text = (
        _("📍 The pin is near these communes/wards. Which one is it?")
        if pin
        else _("Which one do you mean?")
    )
    return Screen(text, rows)


def places_screen(t: Translator, options: list[directory.Place]) -> Screen:
    """The "Where?" step's answer to typed text: provinces and wards ranked together."""
    _ = t.gettext
    if not options:
        return candidates_screen(t, [])
    rows = []
    for option in options[:8]:
        if option.province is not None:
            label = _("🗺 {province} – choose the commune/ward").format(province=option.province.name)
            rows.append([Button(label[:60], action=Province(str(option.province.code)))])
        elif option.ward is not None:
            rows.append([Button(option.ward.unit.label[:60], action=WardAction(str(option.ward.unit.code)))])
    rows.append([Button(_("None of these"), action=ProvincePage(0)), Button(_("✖️ Cancel"), action=Cancel())])
    return Screen(_("Which one do you mean?"), rows)


def confirm_ward_screen(t: Translator, ward_code: int) -> Screen:
    _ = t.gettext
    ward = directory.get_ward(ward_code)
    label_ = esc(ward.name) + ", " + esc(ward.province_name) if ward else "—"
    return Screen(
        _("Is the place in <b>{ward}</b>?").format(ward=label_),
        [[Button(_("✅ Yes"), action=WardConfirm(str(ward_code))), Button(_("❌ No, choose again"), action=ProvincePage(0))]],
    )


def place_prompt(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Optionally describe the place: street, house number, landmark, name of the shop… "
          "(up to {max} characters). Or skip.").format(max=MAX_PLACE),
        [[Button(_("Skip ➡️"), action=SkipPlace())]],
    )


def text_prompt(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("<b>3/5 · What happened?</b>\n\nDescribe what you saw: who (appearance, not your "
          "relation to them), what, vehicles, times. Up to {max} characters. Do not write your "
          "own name or anything that identifies you.").format(max=MAX_TEXT),
        [[Button(_("✖️ Cancel"), action=Cancel())]],
    )


def photos_prompt(t: Translator, count: int) -> Screen:
    _ = t.gettext
    text = _(
        "📷 You may add up to {max} photos (sent as photos or image files). Location and camera "
        "data are removed before anyone sees them. Voice and video messages are not accepted: "
        "they can identify you.\n\nPhotos so far: {n}."
    ).format(max=MAX_PHOTOS, n=count)
    return Screen(text, [[Button(_("Done ➡️") if count else _("No photos ➡️"), action=PhotosDone())]])


def when_screen(t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(t.gettext(text), action=When(key)) for key, text in WHEN[:2]],
            [Button(t.gettext(text), action=When(key)) for key, text in WHEN[2:]]]
    return Screen(_("<b>4/5 · When did it happen?</b>"), rows)


def review_screen(t: Translator, d: dict[str, Any]) -> Screen:
    _ = t.gettext
    text = str(d.get("text") or "")
    short = text if len(text) <= 600 else text[:600] + "…"
    lines = [
        _("<b>5/5 · Check your tip</b>"),
        "",
        _("<b>Category:</b> {v}").format(v=esc(label(CATEGORIES, d.get("category"), t))),
        _("<b>Place:</b> {v}").format(v=esc(ward_label(d.get("ward")))),
    ]
    if d.get("place"):
        lines.append(_("<b>Details of the place:</b> {v}").format(v=esc(d["place"])))
    if d.get("lat") is not None:
        lines.append(_("<b>Location pin:</b> attached"))
    lines += [
        _("<b>When:</b> {v}").format(v=esc(label(WHEN, d.get("when"), t))),
        _("<b>Photos:</b> {n}").format(n=len(d.get("photos", []))),
        "",
        esc(short),
    ]
    rows = [
        [Button(_("✏️ Category"), action=Edit("cat")), Button(_("✏️ Place"), action=Edit("place"))],
        [Button(_("✏️ Text"), action=Edit("text")), Button(_("✏️ Photos"), action=Edit("photos"))],
        [Button(_("✏️ When"), action=Edit("when"))],
    ]
    if d.get("lat") is not None:
        rows.append([Button(_("🗑 Remove the location pin"), action=Edit("nopin"))])
    rows.append([Button(_("📨 Send to the police"), action=Send())])
    rows.append([Button(_("✖️ Cancel"), action=Cancel())])
    return Screen("\n".join(lines), rows)


def receipt_screen(t: Translator, sub: Submitted, watch_token: str, home: Action, *,
                   app: str) -> Screen:
    """`home`: the frame's main-menu action (services do not know the frame); `app`: the
    messenger ("Telegram", "Zalo"), or "" on the web (no chat to delete: the page shows the
    receipt once and never again)."""
    _ = t.gettext
    if app:
        text = _(
            "✅ <b>Your tip was sent to the police.</b> Thank you.\n\n"
            "Your receipt number (shown only this once):\n<code>{receipt}</code>\n\n"
            "Write it down somewhere safe. With it, /followup shows the status and any "
            "questions from the police, from any {app} account. It is stored only as a one-way "
            "hash: if you lose it, nobody can find your tip for you. You may delete this chat "
            "afterwards."
        ).format(receipt=sub.pretty_receipt, app=app)
    else:
        text = _(
            "✅ <b>Your tip was sent to the police.</b> Thank you.\n\n"
            "Your receipt number (shown only this once):\n<code>{receipt}</code>\n\n"
            "Write it down somewhere safe. With it, /followup shows the status and any "
            "questions from the police, from any device. It is stored only as a one-way hash: "
            "if you lose it, nobody can find your tip for you. This page will not show it "
            "again, even if you reload it."
        ).format(receipt=sub.pretty_receipt)
    return Screen(
        text,
        [[Button(_("🔔 Tell me when police reply"), action=WatchAsk(sub.tip_id, watch_token))],
         [Button(_("⬅️ Main menu"), action=home)]],
    )


def watch_explain_screen(t: Translator, tip_id: int, token: str, home: Action) -> Screen:
    _ = t.gettext
    text = _(
        "🔔 <b>Reply notifications (optional)</b>\n\n"
        "If you turn this on, the bot keeps this chat's id, encrypted and stored apart from the "
        "tip, only to send you a short message “the police replied” — never the content. "
        "It is deleted when the tip is closed. Note that this links this chat to the tip inside "
        "the bot's encrypted database; without it, nothing does. Use /followup with your "
        "receipt to read replies either way."
    )
    return Screen(
        text,
        [[Button(_("Turn on"), action=WatchOn(tip_id, token))],
         [Button(_("No, thanks"), action=home)]],
    )


def followup_prompt(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("🔎 Send your 16-digit receipt number."),
        [[Button(_("✖️ Cancel"), action=Cancel())]],
    )


def followup_screen(t: Translator, v: FollowupView, watch_token: str = "",
                    page: int | None = None) -> Screen:
    """The tipster's view of the tip; a long thread is paged (page None: the newest)."""
    _ = t.gettext
    status = t.gettext(STATUS_LABELS.get(v.status, v.status))
    if v.status == "closed" and v.outcome:
        status += " — " + label(OUTCOMES, v.outcome, t)
    lines = [
        _("<b>Your tip</b> ({date})").format(date=esc(t.date(v.created_at))),
        _("<b>Status:</b> {v}").format(v=esc(status)),
        _("<b>Category:</b> {v}").format(v=esc(label(CATEGORIES, v.category, t))),
        _("<b>Place:</b> {v}").format(v=esc(ward_label(v.ward_code))),
        _("<b>Photos:</b> {n}").format(n=v.photos),
    ]
    rows = []
    if v.thread:
        lines += ["", _("<b>Messages</b>")]
        who = {"police": _("👮 Police"), "tipster": _("🙋 You")}
        pages = paginate("\n".join(lines), [(f"{who.get(i.author, who['tipster'])}: ", i.text)
                                             for i in v.thread])
        index = page_index(page, len(pages))
        text = pages[index]
        nav = nav_row(index, len(pages), FollowPage, _("◀️ Older"), _("Newer ▶️"))
        if nav:
            rows.append(nav)
    else:
        lines += ["", _("No questions from the police yet.")]
        text = "\n".join(lines)
    if v.status != "closed":
        rows.append([Button(_("✍️ Answer / add details"), action=FollowAnswer())])
        rows.append([Button(_("📷 Add a photo"), action=FollowPhoto())])
        if not v.watching and watch_token:
            rows.append([Button(_("🔔 Tell me when police reply"), action=WatchAsk(v.tip_id, watch_token))])
    rows.append([Button(_("✅ Done"), action=FollowDone())])
    return Screen(text, rows)


class Watcher(NamedTuple):
    """Where an opted-in tipster's ping goes: the channel, its chat key, the language."""

    channel: str
    chat: int | str
    lang: str


def watcher_payload(plain: bytes) -> Watcher:
    """The opt-in sealed in `plain`. Rows sealed before languages were kept hold the bare chat
    id, rows sealed before channels were kept have no "ch": both are Telegram's."""
    text = plain.decode()
    if text.lstrip("-").isdigit():
        return Watcher(TELEGRAM, int(text), "")
    data = json.loads(text)
    channel = str(data.get("ch") or TELEGRAM)
    chat = data["chat"]
    if channel == TELEGRAM or isinstance(chat, bool) or not isinstance(chat, int | str):
        chat = int(chat)  # Telegram chat ids are numbers (a str or bool here is not valid)
    return Watcher(channel, chat, str(data.get("lang") or ""))


def ping_text(t: Translator) -> str:
    return t.gettext(
        "🔔 The police replied to a tip you sent. Use /followup with your receipt number to read it."
    )
