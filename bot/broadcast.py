"""The broadcast engine: durable campaigns, paced delivery, resume after a restart.

A campaign holds its content (text per language, optional photo, link buttons), its target
(all / province / ward / topic / language) and its time. When it is due (and it is not quiet
hours), its recipients are copied from the subscriptions into `deliveries` in batches; then a
feeder pages through the pending rows and a pool of sender tasks sends them, each waiting for
the `Pacer` (global rate, one per second per chat, 20 per minute per group, global pause on
429). A row is marked sent only after Telegram confirmed the message; results are written in
small batches every `flush_interval`. So after a crash only messages in flight (sent but not
yet recorded, at most about `flush_interval` × rate) can repeat; in normal operation — a stop,
a cancel, quiet hours — every started send is awaited and recorded before the run ends, and
nobody gets a campaign twice.

Channel-independent: campaigns go to people (user ids) through a `Transport`; a running bot's
transport is `bot.delivery.Delivery` (user id → channel account → that channel's sender, Telegram's
in bot/channels/telegram/broadcast.py), which maps each channel's answers to `SendResult` kinds.
A campaign's photo is stored by value (bot/media.py), never as a channel's file id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES, Settings
from bot.delivery import (
    BLOCKED,
    FAILED,
    GONE,
    RETRY,
    SENT,
    TRANSIENT,
    Media,
    OutMessage,
    SendResult,
)
from bot.engine.actions import Action
from bot.errors import UserError
from bot.i18n import N_, Translator, translator
from bot.media import MediaStore
from bot.pacing import Pacer, effective_rate
from bot.screens import Button, Screen
from storage import broadcasts as repo
from storage import subscriptions as subs_repo
from storage.db import Database

log = logging.getLogger(__name__)

TOPIC_EVENTS = 1
TOPIC_FACTS = 2
TOPIC_QUIZ = 4
ALL_TOPICS = TOPIC_EVENTS | TOPIC_FACTS | TOPIC_QUIZ
TOPIC_NAMES = {
    TOPIC_EVENTS: N_("Events in my area"),
    TOPIC_FACTS: N_("Weekly awareness fact"),
    TOPIC_QUIZ: N_("Quiz contests"),
}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_ATTEMPTS = 3  # network errors / 5xx; a 429 is retried without counting

__all__ = [  # the send results and message types, re-exported for the engine's callers
    "BLOCKED", "FAILED", "GONE", "RETRY", "SENT", "TRANSIENT", "OutMessage", "SendResult",
]


class Unsubscribe(Action, prefix="sub:off"):
    """The one-tap unsubscribe under every campaign message (and on the status screen)."""

    origin: str | None = None  # "s": pressed on the subscription status screen (replace it)


class CancelCampaign(Action, prefix="bc:x"):
    campaign: int


class BroadcastError(UserError):
    """A refusal of this feature; `message` is an English msgid."""


# -- plain data -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    province: str | None = None
    ward: str | None = None
    topic: int | None = None
    locale: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"province": self.province, "ward": self.ward, "topic": self.topic, "locale": self.locale}
        )

    @classmethod
    def from_json(cls, raw: str) -> Target:
        d = json.loads(raw)
        return cls(d.get("province"), d.get("ward"), d.get("topic"), d.get("locale"))


@dataclass(frozen=True)
class LinkButton:
    text: dict[str, str]  # per language
    url: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class Content:
    texts: dict[str, str]  # locale -> HTML text (a caption when there is a photo)
    # A media key (bot/media.py). Campaigns saved before media were stored by value hold a
    # Telegram file id here; `BroadcastService._photo` keeps those working.
    photo: str | None = None
    buttons: tuple[tuple[LinkButton, ...], ...] = ()
    admin_locale: str | None = None  # the language of the progress message

    def to_json(self) -> str:
        return json.dumps(
            {
                "texts": self.texts,
                "photo": self.photo,
                "buttons": [
                    [{"text": b.text, "url": b.url, "data": b.data} for b in row]
                    for row in self.buttons
                ],
                "admin_locale": self.admin_locale,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> Content:
        d = json.loads(raw)
        rows = tuple(
            tuple(LinkButton(dict(b["text"]), b.get("url"), b.get("data")) for b in row)
            for row in d.get("buttons") or []
        )
        return cls(dict(d["texts"]), d.get("photo"), rows, d.get("admin_locale"))

    def text_for(self, locale: str, default: str) -> str:
        return self.texts.get(locale) or self.texts.get(default) or next(iter(self.texts.values()))


class Transport(Protocol):
    async def send(self, user_id: int, message: OutMessage) -> SendResult: ...

    async def prefetch(self, user_ids: list[int]) -> None:
        """The next recipients, before they are sent to (e.g. resolve their channels at once)."""
        ...

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        """Send (message_id None) or edit a progress screen; return its message id."""
        ...

    async def close(self) -> None: ...


@dataclass
class Campaign:
    id: int
    key: str | None
    kind: str
    content: Content
    target: Target
    status: str
    scheduled_at: datetime
    expires_at: datetime | None
    created_by: int | None
    progress_chat: int | None
    progress_msg: int | None
    materialised: bool
    cursor: int

    @classmethod
    def from_row(cls, row: Any) -> Campaign:
        return cls(
            id=int(row["id"]),
            key=row["key"],
            kind=str(row["kind"]),
            content=Content.from_json(row["content"]),
            target=Target.from_json(row["target"]),
            status=str(row["status"]),
            scheduled_at=datetime.fromtimestamp(int(row["scheduled_at"]), UTC),
            expires_at=(
                datetime.fromtimestamp(int(row["expires_at"]), UTC) if row["expires_at"] else None
            ),
            created_by=row["created_by"],
            progress_chat=row["progress_chat"],
            progress_msg=row["progress_msg"],
            materialised=bool(row["materialised"]),
            cursor=int(row["cursor"]),
        )


@dataclass
class Progress:
    campaign_id: int
    total: int = 0
    sent: int = 0
    failed: int = 0
    retries: int = 0
    sent_this_run: int = 0
    started: float = field(default_factory=time.monotonic)
    state: str = "running"  # running | quiet | paused | done | cancelled | expired | stopped
    resume_at: datetime | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.sent - self.failed)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.sent_this_run / elapsed if elapsed > 0.5 else 0.0


# Media key prefix of a campaign photo saved as a Telegram file id (before media by value);
# only the Telegram sender can send those.
LEGACY_TELEGRAM_FILE = "telegram-file:"
BUTTONS_MAX = 3
BUTTON_LABEL_MAX = 40
URL_MAX = 1024


def link_url_ok(url: str) -> bool:
    """A link Telegram accepts on a URL button: http(s) with a host name, or tg://."""
    from urllib.parse import urlsplit

    if not url or len(url) > URL_MAX or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = parts.hostname or ""
        return "." in host and not host.startswith(".") and not host.endswith(".")
    return scheme == "tg" and bool(parts.netloc)


def parse_link_buttons(text: str) -> tuple[tuple[LinkButton, ...], ...]:
    """Lines `Label | https://link` (at most BUTTONS_MAX) → one button per row.

    Raises BroadcastError naming the first bad line; nothing is half-accepted.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise BroadcastError(N_("Send one button per line, like: Register | https://example.org"))
    if len(lines) > BUTTONS_MAX:
        raise BroadcastError(N_("At most {n} buttons, one per line."), n=BUTTONS_MAX)
    rows: list[tuple[LinkButton, ...]] = []
    for number, line in enumerate(lines, 1):
        label, sep, url = line.rpartition("|")
        label, url = " ".join(label.split()), url.strip()
        if not sep or not label or not url:
            raise BroadcastError(
                N_("Line {line}: write the button text, then | and the link, like: "
                   "Register | https://example.org"), line=number,
            )
        if len(label) > BUTTON_LABEL_MAX:
            raise BroadcastError(
                N_("Line {line}: the button text is too long (at most {n} characters)."),
                line=number, n=BUTTON_LABEL_MAX,
            )
        if not link_url_ok(url):
            raise BroadcastError(
                N_("Line {line}: “{url}” is not a link Telegram accepts. Use a full address "
                   "starting with https://, http:// or tg://."), line=number, url=url[:100],
            )
        rows.append((LinkButton({loc: label for loc in SUPPORTED_LOCALES}, url=url),))
    return tuple(rows)


def plain_length(html_text: str) -> int:
    """Length as Telegram counts it after HTML parsing (tags removed, entities unescaped)."""
    return len(plain_text(html_text).encode("utf-16-le")) // 2


def plain_text(html_text: str) -> str:
    """The text a recipient reads: tags removed, entities unescaped."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def in_quiet_hours(now: datetime, quiet: tuple[int, int], tz: Any) -> datetime | None:
    """When quiet hours end, if `now` is inside them (local time), else None."""
    start, end = quiet
    if start == end:
        return None
    local = now.astimezone(tz)
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    end_day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime(end_day.year, end_day.month, end_day.day, end, 0, tzinfo=tz).astimezone(UTC)


def progress_screen(t: Translator, campaign_id: int, p: Progress, *, pacer_paused: float = 0) -> Screen:
    _ = t.gettext
    state_text = {
        "running": _("Sending…"),
        "quiet": _("Waiting: quiet hours (sending resumes at {time}).").format(
            time=t.datetime(p.resume_at) if p.resume_at else ""
        ),
        "scheduled": _("Scheduled for {time}.").format(
            time=t.datetime(p.resume_at) if p.resume_at else ""
        ),
        "done": _("✅ Finished."),
        "cancelled": _("❌ Cancelled. Nothing more will be sent."),
        "expired": _("⌛ Expired: it is too late to send the rest."),
        "stopped": _("⏸ Paused: the bot is restarting and will resume where it stopped."),
    }.get(p.state, p.state)
    if p.state == "running" and pacer_paused > 0:
        state_text = _("Telegram asked to slow down: pausing {seconds} s.").format(
            seconds=round(pacer_paused)
        )
    lines = [
        _("📣 <b>Campaign #{id}</b>").format(id=campaign_id),
        state_text,
        "",
        _("Recipients: {n}").format(n=t.number(p.total)),
        _("Sent: {n}").format(n=t.number(p.sent)),
        _("Failed or blocked: {n}").format(n=t.number(p.failed)),
        _("Remaining: {n}").format(n=t.number(p.remaining)),
    ]
    rate = p.rate()
    if p.state == "running" and rate > 0:
        eta = timedelta(seconds=int(p.remaining / rate))
        lines.append(_("Rate: {rate} msg/s, about {eta} left").format(
            rate=t.number(round(rate, 1)), eta=t.duration(eta)
        ))
    buttons: list[list[Button]] = []
    if p.state in ("running", "quiet", "scheduled", "stopped"):
        buttons = [[Button(_("⏹ Cancel campaign"), action=CancelCampaign(campaign_id))]]
    return Screen("\n".join(lines), buttons)


# -- the service ----------------------------------------------------------------------------
class BroadcastService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        units: Any = None,
        rate: float | None = None,
        workers: int | None = None,
        page_size: int = 1000,
        materialise_batch: int = 5000,
        flush_interval: float = 0.2,
        progress_interval: float = 4.0,
        watch_interval: float = 0.25,
        media: MediaStore | None = None,
    ) -> None:
        self.db = db
        self.media = media or MediaStore(db, clock)
        self.settings = settings
        self.clock = clock
        self.units = units
        self.paid = settings.paid_broadcast
        self.rate = rate or effective_rate(settings.broadcast_rate, settings.paid_broadcast)
        # Senders wait for their slot and then for Telegram's answer, so the pool must cover
        # rate × (round trip + lateness); paid mode gets more of them to keep its exact pace.
        per_worker, most = (8, 128) if self.paid else (12, 64)
        self.workers = workers or max(2, min(most, int(self.rate // per_worker) + 1))
        self.page_size = page_size
        self.materialise_batch_size = materialise_batch
        self.flush_interval = flush_interval
        self.progress_interval = progress_interval
        self.watch_interval = watch_interval
        # Paid broadcasts keep exactly to their rate (see bot.pacing); the strict free tier
        # keeps the answer-based window.
        self.pacer = Pacer(self.rate, exact=self.paid)
        self._cancelled: set[int] = set()
        self._runner: asyncio.Task[None] | None = None
        self._make_transport: Callable[[], Awaitable[Transport]] | None = None
        self._keep_going: Callable[[], bool] = lambda: True
        self._spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]] = asyncio.create_task
        self.live: dict[int, Progress] = {}

    def attach(
        self,
        make_transport: Callable[[], Awaitable[Transport]],
        keep_going: Callable[[], bool],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]] | None = None,
    ) -> None:
        """How to reach Telegram, when to stop (the application is stopping), how to spawn."""
        self._make_transport = make_transport
        self._keep_going = keep_going
        if spawn is not None:
            self._spawn = spawn

    # -- permissions -----------------------------------------------------------------------
    async def can_broadcast(self, user_id: int) -> bool:
        if user_id in self.settings.admin_ids:
            return True
        if self.units is None:
            return False
        return bool(await self.units.province_admin_of(user_id))

    async def allowed_provinces(self, user_id: int) -> set[str] | None:
        """None = every province (national admin); else the provinces the admin manages."""
        if user_id in self.settings.admin_ids:
            return None
        if self.units is None:
            return set()
        return set(await self.units.province_admin_of(user_id))

    async def check_target(self, user_id: int, target: Target) -> None:
        allowed = await self.allowed_provinces(user_id)
        if allowed is None:
            return
        if not allowed:
            raise BroadcastError(N_("Only administrators can send broadcasts."))
        if target.province is None or target.province not in allowed:
            raise BroadcastError(N_("You can only send broadcasts to your own province."))
        if target.ward is not None:
            from bot import directory

            ward = directory.get_ward(target.ward)
            if ward is None or f"{ward.province_code:02d}" != target.province:
                raise BroadcastError(N_("You can only send broadcasts to your own province."))

    # -- creating and cancelling ---------------------------------------------------------
    @staticmethod
    def validate_content(content: Content) -> None:
        for row in content.buttons:
            for button in row:
                if button.url is not None and not link_url_ok(button.url):
                    raise BroadcastError(
                        N_("“{url}” is not a link Telegram accepts."), url=button.url[:100]
                    )
        limit = CAPTION_LIMIT if content.photo else TEXT_LIMIT
        for text in content.texts.values():
            length = plain_length(text)
            # Telegram refuses a message of only spaces: it would fail for every recipient.
            if not plain_text(text).strip() and not content.photo:
                raise BroadcastError(N_("The message is empty."))
            # Leave room: nothing is appended to the text, but be strict about the limit.
            if length > limit:
                raise BroadcastError(
                    N_("The message is too long ({length} characters; the limit is {limit})."),
                    length=length, limit=limit,
                )

    @staticmethod
    def normalise_target(target: Target) -> Target:
        """A ward target always carries its province (so province-wide subscribers of that
        province are reached too, see `storage.subscriptions.target_where`)."""
        if target.ward is None:
            return target
        from bot import directory

        ward = directory.get_ward(target.ward)
        province = f"{ward.province_code:02d}" if ward is not None else None
        if ward is None or (target.province is not None and target.province != province):
            raise BroadcastError(N_("This commune/ward is not in the chosen province."))
        return Target(province, f"{ward.code:05d}", target.topic, target.locale)

    async def count_recipients(self, target: Target) -> int:
        target = self.normalise_target(target)
        return await subs_repo.count(
            self.db, target.province, target.ward, target.topic, target.locale,
            self.settings.default_locale,
        )

    async def create(
        self,
        content: Content,
        target: Target,
        *,
        scheduled_at: datetime | None = None,
        created_by: int | None = None,
        key: str | None = None,
        kind: str = "manual",
        expires_at: datetime | None = None,
        progress_chat: int | None = None,
        check_permission: bool = True,
    ) -> int | None:
        """Store a campaign; with `key`, at most once (None if it already exists)."""
        target = self.normalise_target(target)
        if check_permission:
            if created_by is None or not await self.can_broadcast(created_by):
                raise BroadcastError(N_("Only administrators can send broadcasts."))
            await self.check_target(created_by, target)
        self.validate_content(content)
        now = self.clock.timestamp()
        when = int(scheduled_at.timestamp()) if scheduled_at else now
        return await repo.create(
            self.db,
            key=key,
            kind=kind,
            content=content.to_json(),
            target=target.to_json(),
            scheduled_at=when,
            expires_at=int(expires_at.timestamp()) if expires_at else None,
            created_by=created_by,
            progress_chat=progress_chat,
            now=now,
        )

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await repo.get(self.db, campaign_id)
        return Campaign.from_row(row) if row else None

    async def recent(self, limit: int = 8) -> list[Campaign]:
        return [Campaign.from_row(row) for row in await repo.recent(self.db, limit)]

    async def check_visible(self, actor_id: int, campaign: Campaign) -> None:
        """National admins and the author see any campaign; a province admin those of their
        province (raises BroadcastError otherwise)."""
        if actor_id in self.settings.admin_ids or actor_id == campaign.created_by:
            return
        if not await self.can_broadcast(actor_id):
            raise BroadcastError(N_("Only administrators can send broadcasts."))
        await self.check_target(actor_id, campaign.target)

    async def set_progress_message(self, campaign_id: int, chat_id: int, message_id: int) -> None:
        await repo.set_progress_message(self.db, campaign_id, chat_id, message_id)

    async def cancel(self, actor_id: int, campaign_id: int) -> bool:
        campaign = await self.get(campaign_id)
        if campaign is None:
            raise BroadcastError(N_("This campaign does not exist."))
        if actor_id not in self.settings.admin_ids and actor_id != campaign.created_by:
            if not await self.can_broadcast(actor_id):
                raise BroadcastError(N_("Only administrators can send broadcasts."))
            await self.check_target(actor_id, campaign.target)
        return await self._cancel(campaign_id)

    async def _cancel(self, campaign_id: int) -> bool:
        self._cancelled.add(campaign_id)
        changed = await repo.set_status(self.db, campaign_id, "cancelled", self.clock.timestamp())
        if changed and campaign_id not in self.live:
            # A running campaign skips what is left itself, after its in-flight sends end.
            await repo.skip_pending(self.db, campaign_id, self.clock.timestamp())
        return bool(changed)

    async def cancel_keys(self, prefix: str) -> int:
        ids = await repo.open_ids_by_key_prefix(self.db, prefix)
        for campaign_id in ids:
            await self._cancel(campaign_id)
        return len(ids)

    async def progress(self, campaign_id: int) -> Progress:
        if campaign_id in self.live:
            return self.live[campaign_id]
        campaign = await self.get(campaign_id)
        counts = await repo.counts(self.db, campaign_id)
        p = Progress(campaign_id)
        p.sent = counts.get("sent", 0)
        p.failed = sum(v for k, v in counts.items() if k not in ("sent", "pending"))
        p.total = sum(counts.values())
        if campaign is not None:
            p.state = campaign.status
            if campaign.status == "scheduled":
                p.resume_at = campaign.scheduled_at
            if not campaign.materialised:
                p.total = max(p.total, await self.count_recipients(campaign.target))
        return p

    # -- quiet hours ---------------------------------------------------------------------------
    def quiet_until(self) -> datetime | None:
        return in_quiet_hours(self.clock.now(), self.settings.quiet_hours, self.settings.tz)

    # -- the runner ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def has_due(self) -> bool:
        return bool(await repo.due(self.db, self.clock.timestamp()))

    async def tick(self, *, wait: bool = False) -> None:
        """Start the runner if something is due and none runs (the job calls this)."""
        if not self.running and await self.has_due():
            self._runner = self._spawn(self._run_all())
        if wait:
            await self.wait_idle()

    async def wait_idle(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._runner)

    async def _run_all(self) -> None:
        if self._make_transport is None:
            raise RuntimeError("BroadcastService.attach() was not called")
        transport = await self._make_transport()
        try:
            done_ids: set[int] = set()
            while self._keep_going():
                rows = [r for r in await repo.due(self.db, self.clock.timestamp())
                        if int(r["id"]) not in done_ids]
                if not rows:
                    break
                campaign = Campaign.from_row(rows[0])
                finished = await self._run_campaign(campaign, transport)
                if not finished:
                    break  # quiet hours or stopping: the next tick resumes
                done_ids.add(campaign.id)
        except Exception as exc:
            log.error("broadcast runner failed: %s", type(exc).__name__)
            raise
        finally:
            with contextlib.suppress(Exception):
                await transport.close()

    async def _photo(self, key: str | None) -> Media | None:
        if not key:
            return None
        found = await self.media.get(key)
        if found is None:  # saved before media were stored by value: a Telegram file id
            return Media(LEGACY_TELEGRAM_FILE + key, b"")
        return found

    async def _messages(self, content: Content) -> dict[str, OutMessage]:
        """The message in each language, the photo loaded once for the whole run."""
        photo = await self._photo(content.photo)
        return {loc: self._render(content, loc, photo) for loc in SUPPORTED_LOCALES}

    def _render(self, content: Content, locale: str, photo: Media | None = None) -> OutMessage:
        t = translator(locale)
        rows: list[list[Button]] = []
        for row in content.buttons:
            rows.append([
                Button(b.text.get(locale) or next(iter(b.text.values())), data=b.data, url=b.url)
                for b in row
            ])
        rows.append([Button(t.gettext("🔕 Unsubscribe"), action=Unsubscribe())])
        return OutMessage(
            content.text_for(locale, self.settings.default_locale), photo, rows, self.paid
        )

    async def _show_progress(self, transport: Transport, campaign: Campaign, p: Progress) -> None:
        if campaign.progress_chat is None:
            return
        locale = campaign.content.admin_locale or self.settings.default_locale
        if campaign.content.admin_locale is None and campaign.created_by is not None:
            from storage import users as users_repo

            locale = await users_repo.get_locale(self.db, campaign.created_by) or locale
        screen = progress_screen(
            translator(locale), campaign.id, p, pacer_paused=self.pacer.paused_for
        )
        try:
            mid = await transport.show(campaign.progress_chat, campaign.progress_msg, screen)
        except Exception as exc:  # the progress message must never stop a campaign
            log.info("progress update failed: %s", type(exc).__name__)
            return
        if mid is not None and mid != campaign.progress_msg:
            campaign.progress_msg = mid
            await repo.set_progress_message(self.db, campaign.id, campaign.progress_chat, mid)

    async def _run_campaign(self, campaign: Campaign, transport: Transport) -> bool:
        """Send what is pending. True when the campaign is finished (done/cancelled/expired)."""
        cid = campaign.id
        now = self.clock.timestamp()
        p = Progress(cid)
        self.live[cid] = p
        try:
            if campaign.expires_at is not None and now >= campaign.expires_at.timestamp():
                await repo.set_status(self.db, cid, "expired", now)
                await repo.skip_pending(self.db, cid, now)
                p.state = "expired"
                counts = await repo.counts(self.db, cid)
                p.total, p.sent = sum(counts.values()), counts.get("sent", 0)
                p.failed = p.total - p.sent
                await self._show_progress(transport, campaign, p)
                return True
            quiet = self.quiet_until()
            if quiet is not None:
                p.state, p.resume_at = "quiet", quiet
                await self._show_progress(transport, campaign, p)
                return False
            await repo.set_status(self.db, cid, "running", now)
            cursor = campaign.cursor
            if not campaign.materialised:
                t = campaign.target
                while True:
                    n, cursor = await repo.materialise_batch(
                        self.db, cid, cursor, self.materialise_batch_size, province=t.province,
                        ward=t.ward, topic=t.topic, locale=t.locale,
                        default_locale=self.settings.default_locale,
                    )
                    if n == 0:
                        break
            counts = await repo.counts(self.db, cid)
            p.total = sum(counts.values())
            p.sent = counts.get("sent", 0)
            p.failed = p.total - p.sent - counts.get("pending", 0)
            stop = await self._send_pending(campaign, transport, p)
            if stop == "cancelled" or cid in self._cancelled:
                p.failed += await repo.skip_pending(self.db, cid, self.clock.timestamp())
                p.state = "cancelled"
                await self._show_progress(transport, campaign, p)
                return True
            if stop == "expired":
                now = self.clock.timestamp()
                await repo.set_status(self.db, cid, "expired", now)
                skipped = await repo.skip_pending(self.db, cid, now)
                p.failed += skipped
                p.state = "expired"
                await self._show_progress(transport, campaign, p)
                return True
            if stop == "quiet":
                p.state, p.resume_at = "quiet", self.quiet_until()
                await self._show_progress(transport, campaign, p)
                return False
            if stop == "stopping":
                p.state = "stopped"
                await self._show_progress(transport, campaign, p)
                return False
            left = await repo.counts(self.db, cid)
            if left.get("pending", 0):
                return False  # transient failures left for the next tick
            await repo.set_status(self.db, cid, "done", self.clock.timestamp())
            p.state = "done"
            await self._show_progress(transport, campaign, p)
            return True
        finally:
            self.live.pop(cid, None)

    async def _send_pending(self, campaign: Campaign, transport: Transport, p: Progress) -> str:
        """Feed pending deliveries to the sender pool until none is left or a stop reason."""
        messages = await self._messages(campaign.content)
        return await _Sending(self, campaign, transport, p, messages).run()

    # -- erasure / housekeeping ----------------------------------------------------------------
    async def forget_user(self, user_id: int) -> None:
        await repo.forget_user(self.db, user_id)

    async def purge(self, older_than_days: int = 30) -> int:
        return await repo.purge_finished(
            self.db, self.clock.timestamp() - older_than_days * 24 * 3600
        )


# -- one campaign's sending run --------------------------------------------------------------
Item = tuple[int, int, str, int]  # delivery id, user id, locale, attempts


class _Sending:
    """One run over a campaign's pending deliveries, in small steps: a feeder pages pending
    rows into a bounded queue, `workers` senders take them (each waiting for the pacer), a
    flusher records results in batches every `flush_interval`, a watcher checks the stop
    reasons and refreshes the progress message. Every started send is awaited and recorded
    before `run` returns (stop, cancel, quiet hours), so only a crash can repeat a message."""

    def __init__(self, svc: BroadcastService, campaign: Campaign, transport: Transport,
                 p: Progress, messages: dict[str, OutMessage]) -> None:
        self.svc = svc
        self.campaign = campaign
        self.transport = transport
        self.p = p
        self.messages = messages
        self.fallback = messages[svc.settings.default_locale]
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.done: list[tuple[str, int | None, int, int]] = []
        self.retried: list[int] = []
        self.blocked: list[int] = []
        self.stop: str | None = None  # the first stop reason wins
        self.closing = asyncio.Event()
        self.high_water = max(svc.page_size, svc.workers * 4)

    async def run(self) -> str:
        helpers = [asyncio.create_task(self.worker()) for _ in range(self.svc.workers)]
        helpers.append(asyncio.create_task(self.watcher()))
        flushing = asyncio.create_task(self.flusher())
        try:
            await self.feed()
            await self.queue.join()
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self.closing.set()
            await flushing
            await self.flush()
        return self.stop or "finished"

    # -- stop reasons ----------------------------------------------------------------------
    def check_stop(self) -> str | None:
        if self.stop is None:
            self.stop = self.stop_reason()
        return self.stop

    def stop_reason(self) -> str | None:
        svc, campaign = self.svc, self.campaign
        if campaign.id in svc._cancelled:
            return "cancelled"
        if not svc._keep_going():
            return "stopping"
        if campaign.expires_at is not None and svc.clock.now() >= campaign.expires_at:
            return "expired"
        if svc.quiet_until() is not None:
            return "quiet"
        return None

    # -- the feeder ------------------------------------------------------------------------
    async def feed(self) -> None:
        """Page pending rows into the queue, keeping it below the high-water mark."""
        last_id = 0
        while self.check_stop() is None:
            rows = await repo.pending_page(self.svc.db, self.campaign.id, last_id, self.svc.page_size)
            if not rows:
                return
            items = [(int(r["id"]), int(r["user_id"]), str(r["locale"]), int(r["attempts"]))
                     for r in rows]
            await self.transport.prefetch([item[1] for item in items])
            for item in items:
                self.queue.put_nowait(item)
            last_id = items[-1][0]
            while self.queue.qsize() > self.high_water and self.stop is None:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    # -- the senders -----------------------------------------------------------------------
    async def worker(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                if self.stop is None:
                    result = await self.send(item)
                    if result is not None:
                        self.record(item, result)
            finally:
                self.queue.task_done()

    async def send(self, item: Item) -> SendResult | None:
        """One paced send; None when a stop came while waiting for the slot."""
        _delivery_id, user_id, locale, _attempts = item
        ticket = await self.svc.pacer.acquire(user_id)
        try:
            if self.stop is not None:
                return None
            return await self.transport.send(user_id, self.messages.get(locale) or self.fallback)
        finally:
            self.svc.pacer.done(ticket)

    def record(self, item: Item, result: SendResult) -> None:
        """What the answer means for this delivery: done, blocked, again now, again later."""
        delivery_id, user_id, locale, attempts = item
        p, now = self.p, self.svc.clock.timestamp()
        if result.kind == SENT:
            self.done.append((SENT, result.message_id, now, delivery_id))
            p.sent += 1
            p.sent_this_run += 1
        elif result.kind in (BLOCKED, GONE):
            self.done.append((BLOCKED, None, now, delivery_id))
            self.blocked.append(user_id)
            p.failed += 1
        elif result.kind == RETRY:  # a 429: everyone pauses, this one goes again uncounted
            self.svc.pacer.pause(result.retry_after)
            p.retries += 1
            self.queue.put_nowait(item)
        elif result.kind == TRANSIENT and attempts + 1 < MAX_ATTEMPTS:
            self.retried.append(delivery_id)
            p.retries += 1
            self.queue.put_nowait((delivery_id, user_id, locale, attempts + 1))
        else:
            self.done.append((FAILED, None, now, delivery_id))
            p.failed += 1

    # -- results and progress --------------------------------------------------------------
    async def flush(self) -> None:
        if not (self.done or self.retried or self.blocked):
            return
        done, retried, blocked = self.done, self.retried, self.blocked
        self.done, self.retried, self.blocked = [], [], []
        await repo.record_results(self.svc.db, done, retried)
        if blocked:
            await subs_repo.set_inactive_many(self.svc.db, blocked, self.svc.clock.timestamp())

    async def flusher(self) -> None:
        # Stopped through `closing`, never cancelled in the middle of a write.
        while not self.closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.svc.flush_interval)
            await self.flush()

    async def watcher(self) -> None:
        last_progress = 0.0
        while True:
            self.check_stop()
            if time.monotonic() - last_progress >= self.svc.progress_interval:
                last_progress = time.monotonic()
                await self.svc._show_progress(self.transport, self.campaign, self.p)
            await asyncio.sleep(self.svc.watch_interval)


# -- jobs (listed in bot.wiring.JOBS) ---------------------------------------------------------
async def broadcast_tick(bot: Any, runtime: Any) -> None:
    """Start (or resume) due campaigns; quiet hours and a running sender are respected."""
    svc: BroadcastService | None = runtime.services.broadcast
    if svc is not None:
        await svc.tick()


async def broadcast_purge(bot: Any, runtime: Any) -> None:
    """Forget who received campaigns that ended more than 30 days ago."""
    svc: BroadcastService | None = runtime.services.broadcast
    if svc is not None:
        await svc.purge(30)
