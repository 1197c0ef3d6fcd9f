"""Anonymous tips, the police side: routing, the card, actions and their permissions, the
audit log, reminders and escalation, and rendering outbox rows
(statistics are bot/stats.py's).

Every action re-checks here that the actor is an officer of the unit holding the tip now: its
unit until the tip is escalated or re-routed, then the unit it was handed to (national admins for
tips routed or escalated to them). Button actions are never trusted. The audit log names officers,
never tipsters.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring
from bot.engine.actions import Action
from bot.errors import UserError
from bot.i18n import N_, Translator, translator
from bot.screens import Button, Screen, esc
from bot.thread_pages import nav_row, page_index, paginate
from bot.tip_outbox import Delivery, Part
from bot.tips import (
    CATEGORIES,
    OUTCOME_KEYS,
    OUTCOMES,
    P_ATTACHMENT,
    P_BODY,
    P_MESSAGE,
    P_WATCH,
    TELEGRAM,
    URGENT,
    WHEN,
    label,
    ping_text,
    watcher_payload,
)
from storage import tips as repo
from storage import units as units_repo
from storage.db import Database

log = logging.getLogger(__name__)

ADMINS = -1  # escalated_to value: the national admins


class Units(Protocol):
    async def route_for_ward(self, ward_code: int | str) -> Any: ...
    async def destinations(self, unit_id: int) -> list[int]: ...
    async def chat_channel(self, chat_id: int) -> str: ...
    async def is_officer(self, user_id: int, unit_id: int) -> bool: ...
    async def escalation_target(self, unit_id: int) -> Any: ...
    async def get(self, unit_id: int) -> Any: ...
    def is_national_admin(self, user_id: int | None) -> bool: ...
    def national_admin_ids(self) -> list[int]: ...
    async def unit_for_group(self, chat_id: int) -> Any: ...
    async def officer_units(self, user_id: int) -> list[Any]: ...
    async def group_lost(self, chat_id: int) -> Any: ...
    async def group_migrated(self, old_chat_id: int, new_chat_id: int) -> bool: ...
    async def province_admin_of(self, user_id: int) -> set[str]: ...
    async def can_manage_province(self, user_id: int, province_code: int | str) -> bool: ...


class PoliceError(UserError):
    """A refusal of a police action; `message` is an English msgid. `silent`: answer nothing
    (a person refused too often in a short time gets no more answers for a while)."""

    silent = False


class Silenced(PoliceError):
    silent = True

    def __init__(self) -> None:
        super().__init__(N_("Too many refused attempts. Please wait a few minutes."))


NOT_HOLDER = N_("Only officers of the unit that holds this tip can do this.")
NO_TIP = N_("This tip does not exist (any more).")
TOO_MANY = N_("Too many refused attempts. Please wait a few minutes.")
# Refusals (presses of buttons someone may not use, unknown tips) per person and window: the
# first REFUSALS_ANSWERED get the polite reason, the next one "too many", the rest silence.
REFUSAL_WINDOW = 600
REFUSALS_ANSWERED = 3
# Tip references in callback data are the random tip code (never the row id, which would tell
# anyone who sees one how many tips exist).
_CODE_RE = re.compile(r"^[A-Z0-9]{4,12}$")


# -- card actions --------------------------------------------------------------------------------
# The packed forms ("tpol:ack:CODE", …) are those of the buttons already on cards in police
# groups. A tip is named by its random code, never its row id.
class Acknowledge(Action, prefix="tpol:ack"):
    code: str


class CloseMenu(Action, prefix="tpol:cl"):
    code: str


class BackToCard(Action, prefix="tpol:bk"):
    code: str


class CloseAs(Action, prefix="tpol:co"):
    code: str
    outcome: str


class Thread(Action, prefix="tpol:th"):
    code: str
    page: int | None = None  # None: the newest page


class TransferMenu(Action, prefix="tpol:tr"):
    code: str


class TransferProvince(Action, prefix="tpol:tp"):
    code: str
    province: str
    page: int | None = None


class TransferProvinces(Action, prefix="tpol:tl"):
    code: str


class TransferCancel(Action, prefix="tpol:tx"):
    code: str


class TransferTo(Action, prefix="tpol:tw"):
    code: str
    ward: str


class AskPrompt(Action, prefix="tpol:ask"):
    code: str


class TransferPrompt(Action, prefix="tpol:trs"):
    code: str


class OpenDetails(Action, prefix="tpol:op"):
    code: str



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

    async def _enqueue(self, conn: Any, tip_id: int, kind: str, chat_id: int | None, now: int,
                       **kw: Any) -> None:
        """An outbox row for `chat_id`, naming its channel (an officer on Zalo is reached
        there; every other destination is a Telegram chat)."""
        channel = "telegram" if chat_id is None else await self.units.chat_channel(chat_id)
        await repo.enqueue(conn, tip_id, kind, chat_id, now, channel=channel, **kw)

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
            await self._enqueue(conn, tip_id, "card", chat, now, unit_id=primary, role="primary")
        for copy in route.info_copies:
            for chat in await self.units.destinations(copy.id):
                await self._enqueue(conn, tip_id, "card", chat, now, unit_id=copy.id, role="info")
        await repo.audit(conn, now, None, tip_id, primary, "routed",
                         "national_admins" if primary is None else "")

    # -- who holds a tip ------------------------------------------------------------------------
    @staticmethod
    def holder(tip: Any) -> int | None:
        """The unit that may act on the tip now (ADMINS or None: the national admins).
        Escalation hands the tip over: the ward unit that let it wait loses it."""
        if tip["escalated_to"] is not None:
            return int(tip["escalated_to"])
        return None if tip["unit_id"] is None else int(tip["unit_id"])

    async def on_tipster_message(self, conn: Any, tip: Any, msg_id: int, now: int) -> None:
        for chat in await self._holder_chats(tip):
            await self._enqueue(conn, int(tip["id"]), "answer", chat, now, ref=msg_id)

    async def on_tipster_photo(self, conn: Any, tip: Any, att_id: int, now: int) -> None:
        for chat in await self._holder_chats(tip):
            await self._enqueue(conn, int(tip["id"]), "photo", chat, now, ref=att_id)

    async def _holder_chats(self, tip: Any) -> list[int]:
        return list(await self._unit_chats(self.holder(tip)))

    # -- permissions ------------------------------------------------------------------------
    async def can_act(self, actor_id: int, tip: Any) -> bool:
        unit_id = self.holder(tip)
        if unit_id is None or unit_id == ADMINS:
            return self.units.is_national_admin(actor_id)
        return await self.units.is_officer(actor_id, unit_id)

    async def can_view(self, actor_id: int, tip: Any) -> bool:
        """Holders, plus officers of a unit that got a copy of the card (info copy, or the ward
        unit after escalation), may read the tip; only holders may act."""
        if await self.can_act(actor_id, tip):
            return True
        for card in await repo.cards(self.db, int(tip["id"])):
            if card["role"] == "revoked":  # a unit the tip was transferred away from
                continue
            unit_id = card["unit_id"]
            if unit_id is None:
                if self.units.is_national_admin(actor_id):
                    return True
            elif await self.units.is_officer(actor_id, int(unit_id)):
                return True
        return False

    async def _find(self, tip_ref: Any) -> Any:
        """A tip by reference: an int is a row id the bot itself resolved (a session, a code
        looked up); text (callback data, typed) is only ever a tip code."""
        if isinstance(tip_ref, int):
            return await repo.get(self.db, tip_ref) if tip_ref > 0 else None
        code = str(tip_ref or "").strip().lstrip("#").upper()
        return await repo.get_by_code(self.db, code) if _CODE_RE.match(code) else None

    async def _require(self, actor_id: int, tip_ref: Any, action: str, *, view: bool = False) -> Any:
        tip = await self._find(tip_ref)
        if tip is None:
            await self.refuse(actor_id, None, action, NO_TIP)
        allowed = await (self.can_view if view else self.can_act)(actor_id, tip)
        if not allowed:
            await self.refuse(actor_id, tip, action, NOT_HOLDER)
        return tip

    async def require(self, actor_id: int, tip_ref: Any, action: str) -> Any:
        """The tip, if this person may act on it now; else a (rate-limited) refusal."""
        return await self._require(actor_id, tip_ref, action)

    async def card_role(self, tip_id: int, chat_key: int | str) -> str:
        """The role of the tip's card in this chat ("primary" when there is none)."""
        row = await repo.card(self.db, tip_id, chat_key) if isinstance(chat_key, int) else None
        return str(row["role"]) if row else "primary"

    async def is_card(self, tip_id: int, chat_key: int | str, message: Any) -> bool:
        """Whether `message` (a channel's message reference) is the tip's card in this chat."""
        if not isinstance(chat_key, int) or message is None:
            return False
        row = await repo.card(self.db, tip_id, chat_key)
        return row is not None and row["message_id"] == message

    async def refuse(self, actor_id: int, tip: Any, action: str, reason: str) -> NoReturn:
        """Refuse, audited once per person and window (with a count), answered politely only
        the first REFUSALS_ANSWERED times, then "too many", then silence."""
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            count = await repo.count_refusal(
                conn, actor_id, now - now % REFUSAL_WINDOW, now,
                None if tip is None else int(tip["id"]), None if tip is None else tip["unit_id"],
                action)
        if count <= REFUSALS_ANSWERED:
            raise PoliceError(reason)
        if count == REFUSALS_ANSWERED + 1:
            raise PoliceError(TOO_MANY)
        raise Silenced()

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
        tip = await self._require(actor_id, tip_id, "close")
        if outcome not in OUTCOME_KEYS:
            raise PoliceError(N_("Unknown outcome."))
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
                await self._enqueue(conn, int(tip["id"]), "ping", None, now, ref=msg_id)
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
        old_chats = await self._holder_chats(tip)
        async with self.db.transaction() as conn:
            await repo.update(
                conn, int(tip["id"]), unit_id=new_unit, ward_code=f"{ward.code:05d}",
                province_code=f"{ward.province_code:02d}", status="new", acknowledged_at=None,
                reminded_at=None, escalated_at=None, escalated_to=None, routed_at=now,
            )
            for chat in await self._unit_chats(new_unit):
                await repo.forget_card_rows(conn, int(tip["id"]), chat)
                await self._enqueue(conn, int(tip["id"]), "card", chat, now, unit_id=new_unit,
                                   role="primary")
            new_chats = await self._unit_chats(new_unit)
            # Every unit the tip leaves loses read access too (details, thread, /tipaudit, later
            # answers and photos); the new holder and the new ward's info copies keep it.
            keep = {new_unit, *(c.id for c in route.info_copies)}
            revoked = await repo.revoke_cards(conn, int(tip["id"]), keep)
            for chat in dict.fromkeys([*old_chats, *revoked]):
                if chat not in new_chats:  # the old unit learns, under its card, where it went
                    await repo.skip_pending(conn, int(tip["id"]), chat, now)
                    await self._enqueue(conn, int(tip["id"]), "notice", chat, now, ref=now,
                                       role="transferred")
            await repo.audit(conn, now, actor_id, int(tip["id"]), tip["unit_id"], "transfer",
                             f"to_unit={new_unit} ward={ward.code:05d}")
        self._wake()
        return await repo.get(self.db, int(tip["id"]))

    async def transfer_menu(self, actor_id: int, tip_ref: Any) -> Any:
        """The tip, if this person may transfer it now (the picker is shown only then)."""
        tip = await self._require(actor_id, tip_ref, "transfer_menu")
        if tip["status"] == "closed":
            raise PoliceError(N_("This tip is already closed."))
        return tip

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

    async def details(self, actor_id: int, tip_id: Any) -> Delivery:
        """The whole tip (text, place, photos, pin) for one officer's private chat, when cards
        are sent without details (`tips.card_details = "private"`). Every opening is audited."""
        tip = await self._require(actor_id, tip_id, "details", view=True)
        t = self.t()
        body = json.loads(self._open(P_BODY, tip, tip["body"]))
        parts = [Part("text", card_text(t, tip, body, "primary", details=True))]
        parts += await self._media_parts(tip, body, reply=False)
        async with self.db.transaction() as conn:
            await repo.audit(conn, self.clock.timestamp(), actor_id, int(tip["id"]),
                             tip["unit_id"], "view", "details")
        return Delivery(actor_id, parts)

    async def audit_trail(self, actor_id: int, code: str) -> tuple[Any, list[Any]]:
        """The audit rows of one tip, for officers who may read it and for the admins of its
        province (oversight). Reading the trail is itself audited."""
        tip = await self._find(str(code or ""))
        if tip is None:
            await self.refuse(actor_id, None, "audit", NO_TIP)
        allowed = await self.can_view(actor_id, tip) or await self.units.can_manage_province(
            actor_id, str(tip["province_code"]))
        if not allowed:
            await self.refuse(actor_id, tip, "audit", NOT_HOLDER)
        async with self.db.transaction() as conn:
            await repo.audit(conn, self.clock.timestamp(), actor_id, int(tip["id"]), tip["unit_id"],
                             "view", "audit")
        return tip, await repo.audit_rows(self.db, int(tip["id"]))

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
                for chat in await self._holder_chats(tip):
                    await self._enqueue(conn, int(tip["id"]), "remind", chat, now, ref=now)
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
                        await self._enqueue(conn, int(tip["id"]), "card", chat, now,
                                           unit_id=None if target == ADMINS else target, role="escalated")
                    # The ward unit learns that the tip left it (its buttons now refuse).
                    for chat in await self._unit_chats(tip["unit_id"]):
                        await self._enqueue(conn, int(tip["id"]), "notice", chat, now, ref=now,
                                           role="escalated")
                await repo.audit(conn, now, None, int(tip["id"]), tip["unit_id"], "escalated",
                                 f"to={target}")
            escalated += 1
        if reminded or escalated:
            self._wake()
        return reminded, escalated

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """A unit's group was upgraded to a supergroup while we did not see the service
        message: keep the binding and send what was pending to the new id."""
        await self.units.group_migrated(old_chat_id, new_chat_id)
        async with self.db.transaction() as conn:
            await repo.move_chat(conn, old_chat_id, new_chat_id)

    # -- undeliverable destinations ----------------------------------------------------------
    async def undeliverable(self, row: Any) -> None:
        """Telegram says a destination can never be reached (bot removed from the unit's group,
        officer blocked the bot, chat gone). The outbox row is already marked failed; make sure
        the tip still reaches someone who can act: the holder's other chats (a lost group is
        unbound, so its officers' private chats take over), else the next level up (province
        unit, then the national admins)."""
        tip = await repo.get(self.db, int(row["tip_id"]))
        if tip is None:
            return
        now = self.clock.timestamp()
        kind, role = str(row["kind"]), str(row["role"] or "")
        chat = None if row["chat_id"] is None else int(row["chat_id"])
        async with self.db.transaction() as conn:
            await repo.audit(conn, now, None, int(tip["id"]), row["unit_id"], "undeliverable", kind)
            if kind == "ping":  # the tipster blocked the bot or deleted the chat: forget it
                await repo.delete_watcher(conn, int(tip["id"]))
        if kind == "ping":
            await repo.checkpoint(self.db)
            return
        if chat is not None and chat < 0:
            await self.units.group_lost(chat)
        if kind == "notice" or role == "info" or tip["status"] == "closed":
            return
        failed = await repo.failed_chats(self.db, int(tip["id"]))
        chats = [c for c in await self._holder_chats(tip) if c not in failed]
        async with self.db.transaction() as conn:
            if chats:
                for c in chats:
                    await self._enqueue(conn, int(tip["id"]), kind, c, now, unit_id=row["unit_id"],
                                       role=role, ref=int(row["ref"]))
                    if kind != "card" and await repo.card(self.db, int(tip["id"]), c) is None:
                        # a question's answer makes no sense without the card it answers
                        await self._enqueue(conn, int(tip["id"]), "card", c, now,
                                           unit_id=row["unit_id"], role="rerouted")
            else:
                holder = self.holder(tip)
                if holder is None or holder == ADMINS:
                    log.warning("tip notification: no reachable destination left")
                    return
                unit = await self.units.escalation_target(holder)
                target = unit.id if unit is not None else ADMINS
                await repo.update(conn, int(tip["id"]), escalated_to=target,
                                  escalated_at=tip["escalated_at"] or now)
                for c in await self._unit_chats(target):
                    if c not in failed:
                        await self._enqueue(conn, int(tip["id"]), "card", c, now,
                                           unit_id=None if target == ADMINS else target,
                                           role="rerouted")
                await repo.audit(conn, now, None, int(tip["id"]), holder, "rerouted", f"to={target}")
        self._wake()

    async def rejected(self, row: Any) -> None:
        """Telegram refused one message for good (the outbox row is already failed, the chat's
        later rows flow on). Tell the tip's province admins (else the national admins), without
        content: the tip code and the unit, so someone can look at the unit's group."""
        tip = await repo.get(self.db, int(row["tip_id"]))
        if tip is None:
            return
        kind, role = str(row["kind"]), str(row["role"] or "")
        now = self.clock.timestamp()
        admins: list[int] = []
        if kind != "ping" and not (kind == "notice" and role == "rejected"):  # no notice loops
            admins = await units_repo.admins_of_province(self.db, str(tip["province_code"]))
            admins = admins or self.units.national_admin_ids()
        async with self.db.transaction() as conn:
            await repo.audit(conn, now, None, int(tip["id"]), row["unit_id"], "rejected", kind)
            for admin in admins:
                await self._enqueue(conn, int(tip["id"]), "notice", admin, now,
                                   unit_id=row["unit_id"], role="rejected", ref=int(row["id"]))
        self._wake()

    async def _rejected_unit_name(self, row: Any, t: Translator) -> str:
        """The unit a rejected row was for (the outbox row of a rejected notice as `ref`)."""
        failed = await repo.outbox_row(self.db, int(row["ref"]))
        unit = None
        if failed is not None and failed["unit_id"] is not None:
            unit = await self.units.get(int(failed["unit_id"]))
        elif failed is not None and failed["chat_id"] is not None and int(failed["chat_id"]) < 0:
            unit = await self.units.unit_for_group(int(failed["chat_id"]))
        if unit is not None:
            return str(unit.name)
        if failed is not None and failed["chat_id"] in self.units.national_admin_ids():
            return t.gettext("the national administrators")
        return t.gettext("an officer's private chat")

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
        private_details = not self.details_in_card and int(row["chat_id"]) < 0
        if kind in ("answer", "photo") and private_details:
            # Cards without details: the group learns that something came, not what.
            text = (t.gettext("💬 The tipster answered on tip <b>#{code}</b>. Press 💬 Thread on "
                              "the card to read it (logged).") if kind == "answer" else
                    t.gettext("📷 The tipster added a photo to tip <b>#{code}</b>. Press 📄 Open "
                              "details on the card to see it (logged).")).format(code=tip["code"])
            return Delivery(int(row["chat_id"]), [Part("text", text, reply_to_card=True)])
        if kind == "answer":
            msg = await repo.message(self.db, int(row["ref"]))
            if msg is None:
                return None
            text = t.gettext("💬 <b>Tipster's answer</b> on tip <b>#{code}</b>:").format(code=tip["code"])
            body = self._open(P_MESSAGE, tip, msg["body"]).decode()
            # An answer of up to 3,000 characters can pass Telegram's 4,096 once escaped: pages.
            pages = paginate(f"{text}\n", [("", body)])
            return Delivery(int(row["chat_id"]), [Part("text", p, reply_to_card=True) for p in pages])
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
        if kind == "notice" and str(row["role"]) == "rejected":
            text = t.gettext(
                "⚠️ The messaging app refused, several times, a message about tip <b>#{code}</b> for "
                "{unit}. It was set aside so the unit's later tips still arrive. Please check "
                "the unit's group (the bot's rights) and the tip's trail with /tipaudit {code}."
            ).format(code=tip["code"], unit=esc(await self._rejected_unit_name(row, t)))
            return Delivery(int(row["chat_id"]), [Part("text", text)])
        if kind == "notice" and str(row["role"]) == "transferred":
            text = t.gettext(
                "↪️ Tip <b>#{code}</b> now belongs to {unit} ({ward}). Only they can act on it."
            ).format(code=tip["code"], unit=esc(await self._holder_name(tip, t)),
                     ward=esc(_ward(tip["ward_code"])))
            return Delivery(int(row["chat_id"]), [Part("unbuttons"), Part("text", text, reply_to_card=True)])
        if kind == "notice":
            if tip["escalated_to"] is None or tip["status"] == "closed":
                return None  # transferred or closed meanwhile: nothing to announce
            name = await self._holder_name(tip, t)
            limit = self.settings.tips.escalate_after_hours
            text = t.gettext(
                "⚠️ Tip <b>#{code}</b> was not acknowledged within {hours} hours and was handed "
                "to {unit}. Only they can act on it now."
            ).format(code=tip["code"], hours=f"{limit:g}", unit=esc(name))
            return Delivery(int(row["chat_id"]), [Part("unbuttons"), Part("text", text, reply_to_card=True)])
        if kind == "ping":
            sealed = await repo.watcher(self.db, int(tip["id"]))
            if sealed is None:
                return None
            watcher = watcher_payload(self._open(P_WATCH, tip, sealed))
            if watcher.channel != TELEGRAM or not isinstance(watcher.chat, int):
                return None  # only the Telegram channel sends pings today
            lang = watcher.lang
            return Delivery(watcher.chat, [Part("text", ping_text(translator(lang) if lang else t))])
        return None

    async def _holder_name(self, tip: Any, t: Translator) -> str:
        holder = self.holder(tip)
        unit = None if holder is None or holder == ADMINS else await self.units.get(holder)
        return str(unit.name) if unit is not None else t.gettext("the national administrators")

    @property
    def details_in_card(self) -> bool:
        return self.settings.tips.card_details != "private"

    async def _media_parts(self, tip: Any, body: dict[str, Any], *, reply: bool) -> list[Part]:
        parts = []
        photos = [self._open(P_ATTACHMENT, tip, a["data"]) for a in await repo.attachments(self.db, int(tip["id"]))]
        if photos:
            parts.append(Part("photos", photos=photos, reply_to_card=reply))
        if body.get("lat") is not None and body.get("lon") is not None:
            parts.append(Part("location", lat=float(body["lat"]), lon=float(body["lon"]), reply_to_card=reply))
        return parts

    async def _card_delivery(self, tip: Any, chat_id: int, role: str, t: Translator) -> Delivery:
        screen = await self.card_view(tip, role, t)
        parts = [Part("text", screen.text, screen.buttons)]
        if self.details_in_card:
            body = json.loads(self._open(P_BODY, tip, tip["body"]))
            parts += await self._media_parts(tip, body, reply=True)
        return Delivery(chat_id, parts, card=True)

    async def card_view(self, tip: Any, role: str = "primary", t: Translator | None = None) -> Screen:
        """The card's text and buttons now (after an action edits it)."""
        t = t or self.t()
        details = self.details_in_card
        body = json.loads(self._open(P_BODY, tip, tip["body"])) if details else {}
        return Screen(card_text(t, tip, body, role, details=details),
                      card_buttons(t, tip, role, details=details))


def _ward(code: Any) -> str:
    ward = directory.get_ward(code) if code else None
    return ward.label if ward else str(code)


def card_text(t: Translator, tip: Any, body: dict[str, Any], role: str, *, details: bool = True) -> str:
    _ = t.gettext
    head = {
        "info": _("ℹ️ <b>Tip #{code}</b> (information copy)"),
        "escalated": _("⚠️ <b>Tip #{code}</b> — escalated: not acknowledged by the ward unit"),
        "rerouted": _("⚠️ <b>Tip #{code}</b> — forwarded: the responsible unit's chat cannot be "
                      "reached"),
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
    if not details:
        lines += ["", _("🔒 Text, place and photos open in your private chat with the bot "
                        "(📄 Open details); every opening is logged.")]
    else:
        if body.get("place"):
            lines.append(_("<b>Place:</b> {v}").format(v=esc(body["place"])))
        lines += ["", esc(body.get("text", ""))]
    status = tip["status"]
    if status == "acknowledged":
        lines += ["", _("✅ Acknowledged")]
    elif status == "closed":
        lines += ["", _("🔒 Closed: {outcome}").format(outcome=esc(label(OUTCOMES, tip["outcome"], t)))]
    return "\n".join(lines)


def card_buttons(t: Translator, tip: Any, role: str, *, details: bool = True) -> list[list[Button]]:
    _ = t.gettext
    tid = tip["code"]
    rows = [] if details else [[Button(_("📄 Open details"), action=OpenDetails(tid))]]
    if role == "info" or tip["status"] == "closed":
        return rows
    if tip["status"] == "new":
        rows.append([Button(_("✅ Acknowledge"), action=Acknowledge(tid))])
    rows.append([Button(_("❓ Ask the tipster"), action=AskPrompt(tid)),
                 Button(_("💬 Thread"), action=Thread(tid))])
    rows.append([Button(_("↪️ Transfer"), action=TransferMenu(tid)),
                 Button(_("🔒 Close"), action=CloseMenu(tid))])
    return rows


def thread_screen(t: Translator, tip: Any, items: list[tuple[str, str]], page: int | None) -> Screen:
    """The thread for officers, one page (None: the newest) of pages that each fit a message,
    with ◀/▶ buttons to the older and newer pages."""
    _ = t.gettext
    header = _("💬 <b>Thread of tip #{code}</b>").format(code=tip["code"])
    if not items:
        return Screen(f"{header}\n{_('No questions or answers yet.')}")
    who = {"police": _("👮 Police"), "tipster": _("🙋 Tipster")}
    pages = paginate(header, [(f"{who.get(a, who['tipster'])}: ", text) for a, text in items])
    index = page_index(page, len(pages))
    code = str(tip["code"])
    nav = nav_row(index, len(pages), lambda p: Thread(code, p), _("◀️ Older"), _("Newer ▶️"))
    return Screen(pages[index], [nav] if nav else [])


WARDS_PER_PAGE = 16


def transfer_wards_buttons(t: Translator, tip: Any, province: Any, page: int) -> list[list[Button]]:
    """The transfer picker on the card: a page of one province's communes/wards (the tip's own
    province first), a way to another province, typing a name, and Cancel (back to the card)."""
    _ = t.gettext
    code = tip["code"]
    wards = directory.wards_of(province)
    pages = max(1, -(-len(wards) // WARDS_PER_PAGE))
    page = min(max(0, page), pages - 1)
    chunk = wards[page * WARDS_PER_PAGE:(page + 1) * WARDS_PER_PAGE]
    rows = [[Button(w.name[:40], action=TransferTo(code, str(w.code))) for w in chunk[i:i + 2]]
            for i in range(0, len(chunk), 2)]
    nav = nav_row(page, pages, lambda p: TransferProvince(code, str(int(province)), p),
                  _("◀️ Previous"), _("Next ▶️"))
    if nav:
        rows.append(nav)
    rows.append([Button(_("🔎 Type a name"), action=TransferPrompt(code)),
                 Button(_("🗺 Another province…"), action=TransferProvinces(code))])
    rows.append([Button(_("✖️ Cancel"), action=TransferCancel(code))])
    return rows


def transfer_provinces_buttons(t: Translator, tip: Any) -> list[list[Button]]:
    """Every province (two a row), then Cancel."""
    code = tip["code"]
    provinces = directory.provinces()
    rows = [[Button(p.short_name[:40], action=TransferProvince(code, str(p.code), 0)) for p in provinces[i:i + 2]]
            for i in range(0, len(provinces), 2)]
    rows.append([Button(t.gettext("✖️ Cancel"), action=TransferCancel(code))])
    return rows


def close_buttons(t: Translator, code: str) -> list[list[Button]]:
    _ = t.gettext
    rows = [[Button(t.gettext(text), action=CloseAs(code, key))] for key, text in OUTCOMES]
    rows.append([Button(_("⬅️ Back"), action=BackToCard(code))])
    return rows


AUDIT_ACTIONS: dict[str, str] = {
    "routed": N_("routed"),
    "delivered": N_("card delivered"),
    "view": N_("viewed"),
    "refused": N_("refused"),
    "acknowledge": N_("acknowledged"),
    "ask": N_("asked the tipster"),
    "transfer": N_("transferred"),
    "close": N_("closed"),
    "reminder": N_("reminder sent"),
    "escalated": N_("escalated"),
    "undeliverable": N_("could not be delivered"),
    "rerouted": N_("re-routed"),
    "rejected": N_("refused by the messaging app"),
    "stats": N_("statistics"),
    "purged": N_("purged"),
}


def audit_text(t: Translator, tip: Any, rows: list[Any], limit: int = 40) -> str:
    """The trail, newest last: time (bot time zone), who (officer id, or the bot), what."""
    _ = t.gettext
    lines = [_("🧾 <b>Audit of tip #{code}</b> ({n} entries)").format(code=tip["code"], n=len(rows))]
    if len(rows) > limit:
        lines.append(_("… {n} older entries not shown").format(n=len(rows) - limit))
    for r in rows[-limit:]:
        who = _("bot") if r["actor_id"] is None else f"👮 {int(r['actor_id'])}"
        what = t.gettext(AUDIT_ACTIONS.get(str(r["action"]), str(r["action"])))
        detail = f" ({r['detail']})" if r["detail"] else ""
        lines.append(esc(f"{t.datetime(_dt(r['at']))} · {who} · {what}{detail}"))
    return "\n".join(lines)
