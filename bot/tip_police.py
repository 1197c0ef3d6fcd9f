"""Anonymous tips, the police side: routing, the card, actions and their permissions, the
audit log, reminders and escalation, per-unit statistics, and rendering outbox rows.

Every action re-checks here that the actor is an officer of a unit holding the tip now (its
unit, or the province unit it was escalated to; national admins for tips routed to them).
Callback data is never trusted. The audit log names officers, never tipsters.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring
from bot.errors import UserError
from bot.i18n import N_, Translator, translator
from bot.screens import Button, Screen, esc
from bot.tip_outbox import Delivery, Part
from bot.tips import (
    CATEGORIES,
    OUTCOME_KEYS,
    OUTCOMES,
    P_ATTACHMENT,
    P_BODY,
    P_MESSAGE,
    P_WATCH,
    URGENT,
    WHEN,
    label,
    ping_text,
)
from storage import tips as repo
from storage.db import Database

ADMINS = -1  # escalated_to value: the national admins


class Units(Protocol):
    async def route_for_ward(self, ward_code: int | str) -> Any: ...
    async def destinations(self, unit_id: int) -> list[int]: ...
    async def is_officer(self, user_id: int, unit_id: int) -> bool: ...
    async def escalation_target(self, unit_id: int) -> Any: ...
    async def get(self, unit_id: int) -> Any: ...
    def is_national_admin(self, user_id: int | None) -> bool: ...
    def national_admin_ids(self) -> list[int]: ...
    async def unit_for_group(self, chat_id: int) -> Any: ...
    async def officer_units(self, user_id: int) -> list[Any]: ...


class PoliceError(UserError):
    """A refusal of a police action; `message` is an English msgid."""


@dataclass(frozen=True)
class UnitStats:
    unit_name: str
    received: int
    acknowledged: int
    closed: int
    outcomes: dict[str, int]
    median_ack_seconds: float | None


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


class TipPolice:
    def __init__(
        self, db: Database, keyring: Keyring, clock: Clock, settings: Settings, units: Units
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.settings = settings
        self.units = units
        self.on_outbox: Any = None

    def t(self) -> Translator:
        return translator(self.settings.default_locale)

    def _open(self, purpose: str, tip: Any, blob: bytes) -> bytes:
        return self.keyring.open(purpose, bytes(blob), aad=str(tip["code"]).encode())

    def _wake(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    async def _unit_chats(self, unit_id: int | None) -> list[int]:
        if unit_id is None or unit_id == ADMINS:
            return self.units.national_admin_ids()
        return await self.units.destinations(unit_id)

    # -- routing (inside the submit transaction) -------------------------------------------
    async def route_new(self, conn: Any, tip_id: int, ward_code: str, now: int) -> None:
        route = await self.units.route_for_ward(ward_code)
        primary = route.primary.id if route.primary is not None else None
        await repo.update(conn, tip_id, unit_id=primary)
        for chat in await self._unit_chats(primary):
            await repo.enqueue(conn, tip_id, "card", chat, now, unit_id=primary, role="primary")
        for copy in route.info_copies:
            for chat in await self.units.destinations(copy.id):
                await repo.enqueue(conn, tip_id, "card", chat, now, unit_id=copy.id, role="info")
        await repo.audit(conn, now, None, tip_id, primary, "routed",
                         "national_admins" if primary is None else "")

    async def on_tipster_message(self, conn: Any, tip: Any, msg_id: int, now: int) -> None:
        for chat in await self._holder_chats(tip):
            await repo.enqueue(conn, int(tip["id"]), "answer", chat, now, ref=msg_id)

    async def on_tipster_photo(self, conn: Any, tip: Any, att_id: int, now: int) -> None:
        for chat in await self._holder_chats(tip):
            await repo.enqueue(conn, int(tip["id"]), "photo", chat, now, ref=att_id)

    async def _holder_chats(self, tip: Any) -> list[int]:
        chats = list(await self._unit_chats(tip["unit_id"]))
        if tip["escalated_to"] is not None:
            chats += [c for c in await self._unit_chats(int(tip["escalated_to"])) if c not in chats]
        return chats

    # -- permissions ------------------------------------------------------------------------
    async def can_act(self, actor_id: int, tip: Any) -> bool:
        holders: list[int | None] = [tip["unit_id"]]
        if tip["escalated_to"] is not None:
            holders.append(int(tip["escalated_to"]))
        for unit_id in holders:
            if unit_id is None or unit_id == ADMINS:
                if self.units.is_national_admin(actor_id):
                    return True
            elif await self.units.is_officer(actor_id, int(unit_id)):
                return True
        return False

    async def _require(self, actor_id: int, tip_id: Any, action: str) -> Any:
        try:
            tid = int(tip_id)
        except (TypeError, ValueError):
            tid = -1
        tip = await repo.get(self.db, tid) if tid > 0 else None
        if tip is None:
            raise PoliceError(N_("This tip does not exist (any more)."))
        if not await self.can_act(actor_id, tip):
            async with self.db.transaction() as conn:
                await repo.audit(conn, self.clock.timestamp(), actor_id, tid, tip["unit_id"],
                                 "refused", action)
            raise PoliceError(N_("Only officers of the unit that holds this tip can do this."))
        return tip

    # -- actions ------------------------------------------------------------------------------
    async def acknowledge(self, actor_id: int, tip_id: Any) -> Any:
        tip = await self._require(actor_id, tip_id, "acknowledge")
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            changed = await repo.update(conn, int(tip["id"]), "status = 'new'",
                                        status="acknowledged", acknowledged_at=now)
            if changed:
                await repo.audit(conn, now, actor_id, int(tip["id"]), tip["unit_id"], "acknowledge")
        if not changed:
            raise PoliceError(N_("This tip was already acknowledged or closed."))
        return await repo.get(self.db, int(tip["id"]))

    async def close(self, actor_id: int, tip_id: Any, outcome: str) -> Any:
        if outcome not in OUTCOME_KEYS:
            raise PoliceError(N_("Unknown outcome."))
        tip = await self._require(actor_id, tip_id, "close")
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            changed = await repo.update(
                conn, int(tip["id"]), "status <> 'closed'", status="closed", outcome=outcome,
                closed_at=now,
            )
            if changed:
                if tip["acknowledged_at"] is None:
                    await repo.update(conn, int(tip["id"]), acknowledged_at=now)
                await repo.delete_watcher(conn, int(tip["id"]))  # the opt-in ends with the tip
                await repo.audit(conn, now, actor_id, int(tip["id"]), tip["unit_id"], "close", outcome)
        if not changed:
            raise PoliceError(N_("This tip is already closed."))
        await repo.checkpoint(self.db)
        return await repo.get(self.db, int(tip["id"]))

    async def ask(self, actor_id: int, tip_id: Any, question: str) -> Any:
        question = (question or "").strip()
        if not question:
            raise PoliceError(N_("Please write the question."))
        if len(question) > 1500:
            raise PoliceError(N_("Please keep the question under {max} characters."), max=1500)
        tip = await self._require(actor_id, tip_id, "ask")
        if tip["status"] == "closed":
            raise PoliceError(N_("This tip is already closed."))
        now = self.clock.timestamp()
        sealed = self.keyring.seal(P_MESSAGE, question.encode(), aad=str(tip["code"]).encode())
        async with self.db.transaction() as conn:
            msg_id = await repo.add_message(conn, int(tip["id"]), "police", sealed, now, actor_id)
            if await repo.watcher(self.db, int(tip["id"])) is not None:
                await repo.enqueue(conn, int(tip["id"]), "ping", None, now, ref=msg_id)
            await repo.audit(conn, now, actor_id, int(tip["id"]), tip["unit_id"], "ask")
        self._wake()
        return tip

    async def transfer(self, actor_id: int, tip_id: Any, ward_code: Any) -> Any:
        tip = await self._require(actor_id, tip_id, "transfer")
        if tip["status"] == "closed":
            raise PoliceError(N_("This tip is already closed."))
        ward = directory.get_ward(ward_code)
        if ward is None:
            raise PoliceError(N_("There is no such commune or ward."))
        route = await self.units.route_for_ward(ward.code)
        new_unit = route.primary.id if route.primary is not None else None
        if new_unit == tip["unit_id"] and f"{ward.code:05d}" == tip["ward_code"]:
            raise PoliceError(N_("The tip is already with this unit."))
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            await repo.update(
                conn, int(tip["id"]), unit_id=new_unit, ward_code=f"{ward.code:05d}",
                province_code=f"{ward.province_code:02d}", status="new", acknowledged_at=None,
                reminded_at=None, escalated_at=None, escalated_to=None, routed_at=now,
            )
            for chat in await self._unit_chats(new_unit):
                await conn.execute(
                    "DELETE FROM tip_outbox WHERE tip_id = ? AND kind = 'card' AND chat_id = ?"
                    " AND state <> 'pending'", (int(tip["id"]), chat),
                )
                await repo.enqueue(conn, int(tip["id"]), "card", chat, now, unit_id=new_unit,
                                   role="primary")
            await repo.audit(conn, now, actor_id, int(tip["id"]), tip["unit_id"], "transfer",
                             f"to_unit={new_unit} ward={ward.code:05d}")
        self._wake()
        return await repo.get(self.db, int(tip["id"]))

    async def thread(self, actor_id: int, tip_id: Any) -> tuple[Any, list[tuple[str, str]]]:
        tip = await self._require(actor_id, tip_id, "view")
        items = [
            (str(m["author"]), self._open(P_MESSAGE, tip, m["body"]).decode())
            for m in await repo.messages(self.db, int(tip["id"]))
        ]
        async with self.db.transaction() as conn:
            await repo.audit(conn, self.clock.timestamp(), actor_id, int(tip["id"]), tip["unit_id"],
                             "view")
        return tip, items

    async def tip_by_code(self, code: str) -> Any:
        return await repo.get_by_code(self.db, str(code or "").strip().lstrip("#").upper())

    # -- reminders and escalation ----------------------------------------------------------
    async def run_reminders(self) -> tuple[int, int]:
        """Remind units of unacknowledged tips after N h; escalate after M h. Returns counts."""
        lim = self.settings.tips
        now = self.clock.timestamp()
        reminded = escalated = 0
        for tip in await repo.due_reminders(self.db, now - int(lim.remind_after_hours * 3600)):
            async with self.db.transaction() as conn:
                if not await repo.update(conn, int(tip["id"]), "status = 'new' AND reminded_at IS NULL",
                                         reminded_at=now):
                    continue
                for chat in await self._unit_chats(tip["unit_id"]):
                    await repo.enqueue(conn, int(tip["id"]), "remind", chat, now, ref=now)
                await repo.audit(conn, now, None, int(tip["id"]), tip["unit_id"], "reminder")
            reminded += 1
        for tip in await repo.due_escalations(self.db, now - int(lim.escalate_after_hours * 3600)):
            target = None
            if tip["unit_id"] is not None:
                unit = await self.units.escalation_target(int(tip["unit_id"]))
                target = unit.id if unit is not None else ADMINS
            async with self.db.transaction() as conn:
                if not await repo.update(conn, int(tip["id"]), "status = 'new' AND escalated_at IS NULL",
                                         escalated_at=now, escalated_to=target):
                    continue
                if target is not None:
                    for chat in await self._unit_chats(target):
                        await repo.enqueue(conn, int(tip["id"]), "card", chat, now,
                                           unit_id=None if target == ADMINS else target, role="escalated")
                await repo.audit(conn, now, None, int(tip["id"]), tip["unit_id"], "escalated",
                                 f"to={target}")
            escalated += 1
        if reminded or escalated:
            self._wake()
        return reminded, escalated

    # -- statistics ------------------------------------------------------------------------------
    async def stats_units(self, actor_id: int, chat_id: int, is_group: bool) -> list[Any]:
        if is_group:
            unit = await self.units.unit_for_group(chat_id)
            if unit is None or not await self.units.is_officer(actor_id, unit.id):
                raise PoliceError(N_("Statistics are for officers of the unit bound to this group."))
            return [unit]
        units = await self.units.officer_units(actor_id)
        if not units:
            raise PoliceError(N_("Statistics are only for police officers."))
        return units

    async def stats(self, unit: Any) -> UnitStats:
        raw = await repo.unit_stats(self.db, unit.id)
        delays = raw["ack_delays"]
        async with self.db.transaction() as conn:
            await repo.audit(conn, self.clock.timestamp(), None, None, unit.id, "stats")
        return UnitStats(
            unit_name=unit.name, received=raw["received"], acknowledged=raw["acknowledged"],
            closed=raw["closed"], outcomes=raw["outcomes"],
            median_ack_seconds=statistics.median(delays) if delays else None,
        )

    # -- outbox rendering ----------------------------------------------------------------------
    async def card_message(self, tip_id: int, chat_id: int) -> int | None:
        row = await repo.card(self.db, tip_id, chat_id)
        return int(row["message_id"]) if row and row["message_id"] is not None else None

    async def delivered(self, row: Any, message_id: int) -> None:
        await repo.record_card(self.db, int(row["tip_id"]), int(row["chat_id"]), row["unit_id"],
                               str(row["role"]), message_id)
        async with self.db.transaction() as conn:
            await repo.audit(conn, self.clock.timestamp(), None, int(row["tip_id"]), row["unit_id"],
                             "delivered", str(row["role"]))

    async def render(self, row: Any) -> Delivery | None:
        tip = await repo.get(self.db, int(row["tip_id"]))
        if tip is None:
            return None
        t = self.t()
        kind = str(row["kind"])
        if kind == "card":
            return await self._card_delivery(tip, int(row["chat_id"]), str(row["role"]), t)
        if kind == "answer":
            msg = await repo.message(self.db, int(row["ref"]))
            if msg is None:
                return None
            text = t.gettext("💬 <b>Tipster's answer</b> on tip <b>#{code}</b>:").format(code=tip["code"])
            body = esc(self._open(P_MESSAGE, tip, msg["body"]).decode())
            return Delivery(int(row["chat_id"]), [Part("text", f"{text}\n\n{body}", reply_to_card=True)])
        if kind == "photo":
            att = await repo.attachment(self.db, int(row["ref"]))
            if att is None:
                return None
            data = self._open(P_ATTACHMENT, tip, att["data"])
            return Delivery(int(row["chat_id"]), [Part("photos", photos=[data], reply_to_card=True)])
        if kind == "remind":
            if tip["status"] != "new":
                return None  # someone acted: reminders stop
            hours = max(1, (self.clock.timestamp() - int(tip["routed_at"])) // 3600)
            text = t.gettext(
                "⏰ <b>Reminder</b>: tip <b>#{code}</b> ({category}, {ward}) arrived {hours} hours "
                "ago and nobody has acknowledged it yet."
            ).format(code=tip["code"], category=esc(label(CATEGORIES, tip["category"], t)),
                     ward=esc(_ward(tip["ward_code"])), hours=hours)
            return Delivery(int(row["chat_id"]), [Part("text", text, reply_to_card=True)])
        if kind == "ping":
            sealed = await repo.watcher(self.db, int(tip["id"]))
            if sealed is None:
                return None
            chat = int(self._open(P_WATCH, tip, sealed).decode())
            return Delivery(chat, [Part("text", ping_text(t))])
        return None

    async def _card_delivery(self, tip: Any, chat_id: int, role: str, t: Translator) -> Delivery:
        body = json.loads(self._open(P_BODY, tip, tip["body"]))
        parts = [Part("text", card_text(t, tip, body, role), card_buttons(t, tip, role))]
        photos = [self._open(P_ATTACHMENT, tip, a["data"]) for a in await repo.attachments(self.db, int(tip["id"]))]
        if photos:
            parts.append(Part("photos", photos=photos, reply_to_card=True))
        if body.get("lat") is not None and body.get("lon") is not None:
            parts.append(Part("location", lat=float(body["lat"]), lon=float(body["lon"]), reply_to_card=True))
        return Delivery(chat_id, parts, card=True)

    async def card_view(self, tip: Any, role: str = "primary") -> Screen:
        """The card's text and buttons now (after an action edits it)."""
        t = self.t()
        body = json.loads(self._open(P_BODY, tip, tip["body"]))
        return Screen(card_text(t, tip, body, role), card_buttons(t, tip, role))


def _ward(code: Any) -> str:
    ward = directory.get_ward(code) if code else None
    return ward.label if ward else str(code)


def card_text(t: Translator, tip: Any, body: dict[str, Any], role: str) -> str:
    _ = t.gettext
    head = {
        "info": _("ℹ️ <b>Tip #{code}</b> (information copy)"),
        "escalated": _("⚠️ <b>Tip #{code}</b> — escalated: not acknowledged by the ward unit"),
    }.get(role, _("🛡 <b>New tip #{code}</b>"))
    lines = [head.format(code=tip["code"])]
    if tip["category"] in URGENT:
        lines.append(_("🚨 <b>URGENT</b>: danger to others"))
    lines += [
        _("<b>Category:</b> {v}").format(v=esc(label(CATEGORIES, tip["category"], t))),
        _("<b>Ward:</b> {v}").format(v=esc(_ward(tip["ward_code"]))),
        _("<b>When:</b> {v}").format(v=esc(label(WHEN, tip["when_code"], t))),
        _("<b>Received:</b> {v}").format(v=esc(t.datetime(_dt(tip["routed_at"])))),
    ]
    if body.get("place"):
        lines.append(_("<b>Place:</b> {v}").format(v=esc(body["place"])))
    lines += ["", esc(body.get("text", ""))]
    status = tip["status"]
    if status == "acknowledged":
        lines += ["", _("✅ Acknowledged")]
    elif status == "closed":
        lines += ["", _("🔒 Closed: {outcome}").format(outcome=esc(label(OUTCOMES, tip["outcome"], t)))]
    return "\n".join(lines)


def card_buttons(t: Translator, tip: Any, role: str) -> list[list[Button]]:
    _ = t.gettext
    if role == "info" or tip["status"] == "closed":
        return []
    tid = tip["id"]
    rows = []
    if tip["status"] == "new":
        rows.append([Button(_("✅ Acknowledge"), data=f"tpol:ack:{tid}")])
    rows.append([Button(_("❓ Ask the tipster"), data=f"tpol:ask:{tid}"),
                 Button(_("💬 Thread"), data=f"tpol:th:{tid}")])
    rows.append([Button(_("↪️ Transfer"), data=f"tpol:tr:{tid}"),
                 Button(_("🔒 Close"), data=f"tpol:cl:{tid}")])
    return rows


def close_buttons(t: Translator, tip_id: int) -> list[list[Button]]:
    _ = t.gettext
    rows = [[Button(t.gettext(text), data=f"tpol:co:{tip_id}:{key}")] for key, text in OUTCOMES]
    rows.append([Button(_("⬅️ Back"), data=f"tpol:bk:{tip_id}")])
    return rows


def stats_text(t: Translator, s: UnitStats) -> str:
    _ = t.gettext
    lines = [
        _("📊 <b>Tips — {unit}</b>").format(unit=esc(s.unit_name)),
        _("Received: {n}").format(n=s.received),
        _("Acknowledged: {n}").format(n=s.acknowledged),
        _("Closed: {n}").format(n=s.closed),
    ]
    for key, text in OUTCOMES:
        lines.append(f"  • {t.gettext(text)}: {s.outcomes.get(key, 0)}")
    if s.median_ack_seconds is None:
        lines.append(_("Median time to acknowledge: —"))
    else:
        hours = s.median_ack_seconds / 3600
        lines.append(_("Median time to acknowledge: {h} h").format(h=f"{hours:.1f}"))
    return "\n".join(lines)
