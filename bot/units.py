"""Police units: who receives tips for a commune, who may manage them, and how they enrol.

A unit is the police of one commune/ward (kind "ward", keyed by the official 5-digit ward code,
e.g. "26740") or a province-level drug police unit (kind "province", keyed by the 2-digit
province code, e.g. "79"). Units are created lazily (by an invite or a CSV import). A unit is
*reachable* when it has a bound Telegram group or at least one enrolled officer (tips are
delivered on Telegram, and to officers on Zalo in their private chat; a group bound on another
channel is kept, see GroupRef).

Roles: national admins (configuration), province admins (per province, stored), officers (per
unit). Every action re-checks the actor's role here; handlers only translate and render.

This module is the service. Its plain data and errors are in bot/unit_types.py, code parsing
in bot/unit_codes.py, the CSV format in bot/unit_csv.py, the screens in bot/unit_screens.py;
the names below stay importable from here for the modules that use the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring, random_code
from bot.i18n import N_
from bot.unit_codes import (
    default_name,
    int_code,
    normalise_code,
    parse_ref,
    province_key,
    province_name,
    province_of,
    unit_ref,
    ward_key,
)
from bot.unit_csv import CSV_MAX_BYTES, check_import, write_csv
from bot.unit_types import (
    CODE_ALPHABET,
    CODE_LENGTH,
    FAILURE_WINDOW_SECONDS,
    GROUP,
    INVITE_TTL_SECONDS,
    MAX_FAILURES,
    NATIONAL_ADMIN_ROLE,
    OFFICER,
    OFFICER_ROLE,
    PAGE_SIZE,
    PROVINCE,
    PROVINCE_ADMIN_ROLE,
    PURGE_AFTER_SECONDS,
    SHEET_TTL_SECONDS,
    TELEGRAM,
    WARD,
    Forbidden,
    GroupRef,
    ImportResult,
    Invite,
    InviteSheet,
    NotFound,
    PoliceUnit,
    ProvinceCoverage,
    ProvincePage,
    RedeemResult,
    Route,
    RowError,
    UnitDetail,
    UnitsError,
    WardStatus,
)
from storage import accounts as accounts_repo
from storage import units as repo
from storage.accounts import FIRST_ALLOCATED_ID
from storage.db import Database

__all__ = [
    "CODE_ALPHABET", "CODE_LENGTH", "CSV_MAX_BYTES", "GROUP", "NATIONAL_ADMIN_ROLE", "OFFICER",
    "OFFICER_ROLE", "PROVINCE", "PROVINCE_ADMIN_ROLE", "TELEGRAM", "WARD", "Forbidden",
    "GroupRef", "ImportResult", "Invite", "InviteSheet", "NotFound", "PoliceUnit",
    "ProvinceCoverage", "ProvincePage", "RedeemResult", "Route", "RowError", "UnitDetail",
    "UnitService", "UnitsError", "WardStatus", "default_name", "normalise_code", "parse_ref",
    "province_key", "province_name", "unit_ref", "ward_key",
]

_CODE_PURPOSE = "unit-invite-code"
_LIMIT_PURPOSE = "unit-invite-limit"


def _ts_to_dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _audit_group(group: GroupRef) -> str:
    """A bound group in the audit trail: a Telegram chat id as before, else "<channel>:<key>"."""
    return group.key if group.channel == TELEGRAM else f"{group.channel}:{group.key}"


class UnitService:
    """Units, roles, enrolment and routing. Never imports telegram; checks roles itself."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        keyring: Keyring,
        *,
        invite_ttl: int = INVITE_TTL_SECONDS,
        max_failures: int = MAX_FAILURES,
        failure_window: int = FAILURE_WINDOW_SECONDS,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.keyring = keyring
        self.invite_ttl = invite_ttl
        self.max_failures = max_failures
        self.failure_window = failure_window
        self._hotlines = self._normalise_hotlines(settings.unit_hotlines)

    @staticmethod
    def _normalise_hotlines(raw: Mapping[str, str]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for key, value in (raw or {}).items():
            parsed = parse_ref(str(key))
            if parsed and str(value).strip():
                kind, c = parsed
                out[(kind, f"{c:02d}" if kind == PROVINCE else f"{c:05d}")] = str(value).strip()
        return out

    def _unit(self, row: Any) -> PoliceUnit:
        kind, code = str(row["kind"]), str(row["code"])
        hotline = row["hotline"] or self._hotlines.get((kind, code))
        return PoliceUnit(
            id=int(row["id"]),
            kind=kind,
            code=code,
            province_code=str(row["province_code"]),
            name=row["name"] or default_name(kind, code),
            hotline=hotline,
            group_chat_id=None if row["group_chat_id"] is None else int(row["group_chat_id"]),
            group=self._group(row),
        )

    @staticmethod
    def _group(row: Any) -> GroupRef | None:
        if row["group_key"] is not None:
            return GroupRef(str(row["group_channel"]), str(row["group_key"]))
        if row["group_chat_id"] is not None:  # written before migration 016
            return GroupRef.telegram(int(row["group_chat_id"]))
        return None

    async def _reachable(self, unit: PoliceUnit | None) -> bool:
        if unit is None:
            return False
        return unit.group_chat_id is not None or bool(await repo.officers(self.db, unit.id))

    # -- routing API (used by tips) ---------------------------------------------------------
    async def get(self, unit_id: int) -> PoliceUnit | None:
        try:
            uid = int(unit_id)
        except (TypeError, ValueError):
            return None
        row = await repo.get_unit(self.db, uid)
        return self._unit(row) if row else None

    async def find(self, kind: str, code: int | str) -> PoliceUnit | None:
        """The unit for a ward or province code, if one was created."""
        key = ward_key(code) if kind == WARD else province_key(code)
        if key is None:
            return None
        row = await repo.find_unit(self.db, kind, key)
        return self._unit(row) if row else None

    async def route_for_ward(self, ward_code: int | str) -> Route:
        """Where a tip about this ward goes: its unit, else its province unit, else national
        admins (only reachable units count). Info-only copies to the province unit when
        `settings.tips.province_info_copies` and the primary is a ward unit."""
        ward = directory.get_ward(ward_code) if int_code(ward_code) is not None else None
        if ward is None:
            return Route(None, [], True)
        ward_unit = await self.find(WARD, ward.code)
        province_unit = await self.find(PROVINCE, ward.province_code)
        province_ok = await self._reachable(province_unit)
        if ward_unit is not None and await self._reachable(ward_unit):
            copies = (
                [province_unit]
                if province_unit is not None and province_ok and self.settings.tips.province_info_copies
                else []
            )
            return Route(ward_unit, copies, False)
        if province_unit is not None and province_ok:
            return Route(province_unit, [], False)
        return Route(None, [], True)

    async def destinations(self, unit_id: int) -> list[int]:
        """The bound group's chat id if any, else the officers' private chats: a Telegram
        officer's user id, or a Zalo officer's account id (`chat_channel` says which)."""
        unit = await self.get(unit_id)
        if unit is None:
            return []
        if unit.group_chat_id is not None:
            return [unit.group_chat_id]
        officers = await repo.officers(self.db, unit.id)
        # Officers who exist only on the web read tips in its console: no chat can be sent to.
        # (Telegram accounts have ids below FIRST_ALLOCATED_ID and no account rows needed; an
        # officer on Zalo is reached there, see chat_channel.)
        allocated = [u for u in officers if u >= FIRST_ALLOCATED_ID]
        channels = await self._channels(allocated)
        web_only = {u for u in allocated if channels.get(u) == {"web"}}
        return [u for u in officers if u not in web_only]

    async def _channels(self, user_ids: list[int]) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {u: set() for u in user_ids}
        for user_id, channel, _external in await accounts_repo.of_users(self.db, user_ids):
            found[user_id].add(channel)
        return found

    async def chat_channel(self, chat_id: int) -> str:
        """The channel of a tip destination from `destinations` (or an admin's chat): "zalo"
        for an officer whose account is on Zalo, else "telegram"."""
        if chat_id >= FIRST_ALLOCATED_ID and "zalo" in (await self._channels([chat_id]))[chat_id]:
            return "zalo"
        return "telegram"

    async def is_officer(self, user_id: int, unit_id: int) -> bool:
        return await repo.is_officer(self.db, int(user_id), int(unit_id))

    async def officer_units(self, user_id: int) -> list[PoliceUnit]:
        return [self._unit(r) for r in await repo.units_of_officer(self.db, int(user_id))]

    def is_national_admin(self, user_id: int | None) -> bool:
        return user_id is not None and int(user_id) in self.settings.admin_ids

    def national_admin_ids(self) -> list[int]:
        return sorted(self.settings.admin_ids)

    async def province_admin_of(self, user_id: int) -> set[str]:
        return await repo.provinces_of_admin(self.db, int(user_id))

    async def staff_roles(self, user_id: int) -> frozenset[str]:
        """The staff roles a user holds now (empty for a citizen): OFFICER_ROLE,
        PROVINCE_ADMIN_ROLE, NATIONAL_ADMIN_ROLE. Decides which commands /help and the
        command menu show; every command still checks its own permission."""
        roles = set()
        if self.is_national_admin(user_id):
            roles.add(NATIONAL_ADMIN_ROLE)
        if await self.province_admin_of(user_id):
            roles.add(PROVINCE_ADMIN_ROLE)
        if await repo.units_of_officer(self.db, int(user_id)):
            roles.add(OFFICER_ROLE)
        return frozenset(roles)

    async def is_admin(self, user_id: int) -> bool:
        return self.is_national_admin(user_id) or bool(await self.province_admin_of(user_id))

    async def can_manage_province(self, user_id: int, province_code: int | str) -> bool:
        key = province_key(province_code)
        if key is None:
            return False
        return self.is_national_admin(user_id) or key in await self.province_admin_of(user_id)

    async def can_manage_unit(self, user_id: int, unit_id: int) -> bool:
        unit = await self.get(unit_id)
        return unit is not None and await self.can_manage_province(user_id, unit.province_code)

    async def unit_for_group(self, chat_id: int) -> PoliceUnit | None:
        """The unit bound to this Telegram group chat id."""
        row = await repo.unit_by_group(self.db, int(chat_id))
        return self._unit(row) if row else None

    async def unit_for_chat(self, group: GroupRef) -> PoliceUnit | None:
        """The unit bound to this group chat, on any channel."""
        row = await repo.unit_by_chat(self.db, group.channel, group.key)
        return self._unit(row) if row else None

    async def escalation_target(self, unit_id: int) -> PoliceUnit | None:
        """The reachable province unit above a ward unit; None for a province unit or when the
        province unit is missing or unreachable (escalate to the national admins then)."""
        unit = await self.get(unit_id)
        if unit is None or unit.kind != WARD:
            return None
        province_unit = await self.find(PROVINCE, unit.province_code)
        return province_unit if await self._reachable(province_unit) else None

    # -- permission helpers -----------------------------------------------------------------
    async def _require_admin(self, actor_id: int) -> None:
        if not await self.is_admin(actor_id):
            raise Forbidden(N_("This is only for police administrators."))

    async def require_province(self, actor_id: int, province_code: int | str) -> str:
        """The canonical province code if the actor may manage it; raises otherwise."""
        key = province_key(province_code)
        if key is None:
            raise NotFound(N_("There is no province with code {code}."), code=province_code)
        if not await self.can_manage_province(actor_id, key):
            raise Forbidden(N_("You can only manage police units of your own province."))
        return key

    async def require_unit(self, actor_id: int, unit_id: int | str) -> PoliceUnit:
        unit = await self.get(int(unit_id)) if int_code(unit_id) is not None else None
        if unit is None:
            raise NotFound(N_("This police unit does not exist (any more)."))
        if not await self.can_manage_province(actor_id, unit.province_code):
            raise Forbidden(N_("You can only manage police units of your own province."))
        return unit

    async def managed_provinces(self, actor_id: int) -> list[str]:
        """Province codes the actor manages, in directory order."""
        if self.is_national_admin(actor_id):
            return [f"{p.code:02d}" for p in directory.provinces()]
        mine = await self.province_admin_of(actor_id)
        return [f"{p.code:02d}" for p in directory.provinces() if f"{p.code:02d}" in mine]

    def resolve_target(self, ref: str) -> tuple[str, str]:
        """A written-out unit code → (kind, canonical code); raises NotFound."""
        parsed = parse_ref(ref)
        if parsed is None:
            raise NotFound(
                N_("“{code}” is not a unit code: use a ward code such as 26740, or P79 for a province unit."),
                code=ref,
            )
        kind, c = parsed
        key = ward_key(c) if kind == WARD else province_key(c)
        if key is None:
            if kind == WARD:
                raise NotFound(N_("There is no commune/ward with code {code}."), code=ref)
            raise NotFound(N_("There is no province with code {code}."), code=ref)
        return kind, key

    async def find_wards(self, actor_id: int, province_code: str, text: str) -> list[directory.Unit]:
        """Wards of a province the actor manages that match free text (for the invite wizard)."""
        key = await self.require_province(actor_id, province_code)
        return [c.unit for c in directory.search(text[:200], int(key), limit=8)]

    # -- invites ----------------------------------------------------------------------------
    def _code_hash(self, code: str) -> bytes:
        return self.keyring.pseudonym(_CODE_PURPOSE, code)

    def _limit_key(self, user_id: int) -> bytes:
        return self.keyring.pseudonym(_LIMIT_PURPOSE, int(user_id))

    async def issue_invite(
        self, actor_id: int, kind: str, code: int | str, purpose: str, *, revoke_old: bool = False
    ) -> Invite:
        """A one-time code for a unit (created if needed). A new group code revokes the unit's
        older unused group codes; `revoke_old` (re-issue) revokes every unused code of the unit."""
        if purpose not in (GROUP, OFFICER):
            raise NotFound(N_("This button is no longer available."))
        key = province_key(code) if kind == PROVINCE else ward_key(code) if kind == WARD else None
        if key is None:
            raise NotFound(N_("There is no commune/ward or province with code {code}."), code=code)
        province = province_of(kind, key)
        await self.require_province(actor_id, province)
        now = self.clock.timestamp()
        clear = random_code(CODE_LENGTH, CODE_ALPHABET)
        async with self.db.transaction() as conn:
            unit_id = await repo.insert_unit(conn, kind, key, province, now)
            revoked = 0
            if revoke_old:
                revoked = await repo.revoke_invites(conn, unit_id, now)
            elif purpose == GROUP:
                revoked = await repo.revoke_invites(conn, unit_id, now, GROUP)
            await repo.insert_invite(
                conn, self._code_hash(clear), unit_id, purpose, actor_id, now, now + self.invite_ttl
            )
            await repo.audit(conn, now, actor_id, unit_id, "invite", f"{purpose} revoked={revoked}")
            await repo.purge_invites(conn, now - PURGE_AFTER_SECONDS)
        unit = await self.get(unit_id)
        assert unit is not None
        return Invite(clear, unit, purpose, _ts_to_dt(now + self.invite_ttl), revoked)

    async def issue_province_sheet(
        self, actor_id: int, province_code: int | str, *, include_enrolled: bool = False
    ) -> InviteSheet:
        """Officer codes for every ward of a province at once (bulk enrolment, one printed
        sheet). Wards that already have a group or an officer are left out unless
        `include_enrolled`. Each ward's older unused officer codes stop working, so a lost
        or re-printed sheet leaves only the newest codes valid. Codes last SHEET_TTL_SECONDS:
        a sheet travels by hand."""
        province = await self.require_province(actor_id, province_code)
        reachable = set()
        existing = await repo.units_in_province(self.db, province)
        counts = await repo.officer_counts(self.db, [int(r["id"]) for r in existing])
        for row in existing:
            if row["kind"] == WARD and (row["group_chat_id"] is not None or counts.get(int(row["id"]))):
                reachable.add(str(row["code"]))
        wards = [w for w in directory.wards_of(province)
                 if include_enrolled or f"{w.code:05d}" not in reachable]
        now = self.clock.timestamp()
        expires = now + SHEET_TTL_SECONDS
        rows: list[tuple[directory.Unit, str]] = []
        revoked = 0
        async with self.db.transaction() as conn:
            for ward in wards:
                key = f"{ward.code:05d}"
                clear = random_code(CODE_LENGTH, CODE_ALPHABET)
                unit_id = await repo.insert_unit(conn, WARD, key, province, now)
                n = await repo.revoke_invites(conn, unit_id, now, OFFICER)
                revoked += n
                await repo.insert_invite(conn, self._code_hash(clear), unit_id, OFFICER, actor_id, now, expires)
                await repo.audit(conn, now, actor_id, unit_id, "invite", f"{OFFICER} sheet revoked={n}")
                rows.append((ward, clear))
            await repo.purge_invites(conn, now - PURGE_AFTER_SECONDS)
        info = directory.get_province(province)
        assert info is not None  # require_province accepted it
        skipped = 0 if include_enrolled else len(reachable)
        return InviteSheet(info, rows, skipped, revoked, _ts_to_dt(expires))

    async def issue_invite_for_unit(
        self, actor_id: int, unit_id: int | str, purpose: str, *, revoke_old: bool = False
    ) -> Invite:
        unit = await self.require_unit(actor_id, unit_id)
        return await self.issue_invite(actor_id, unit.kind, unit.code, purpose, revoke_old=revoke_old)

    async def revoke_invites(self, actor_id: int, unit_id: int | str) -> int:
        unit = await self.require_unit(actor_id, unit_id)
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            n = await repo.revoke_invites(conn, unit.id, now)
            await repo.audit(conn, now, actor_id, unit.id, "revoke_invites", str(n))
        return n

    async def redeem(
        self, user_id: int, code_text: str, group: GroupRef | int | None
    ) -> RedeemResult:
        """`/bind CODE`: in a group (`group` given; an int is a Telegram group chat id) binds it
        and enrols the sender; in a private chat (None) enrols the sender as an officer. Wrong
        codes are rate-limited."""
        if isinstance(group, int):
            group = GroupRef.telegram(group)
        key = self._limit_key(user_id)
        now = self.clock.timestamp()
        failures = await repo.count_failures(self.db, key, now - self.failure_window)
        if failures >= self.max_failures:
            return RedeemResult("limited")
        code = normalise_code(code_text)
        valid_shape = len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)
        code_hash = self._code_hash(code)
        async with self.db.transaction() as conn:
            invite = await repo.get_invite(self.db, code_hash) if valid_shape else None
            if invite is None:
                await repo.add_failure(conn, key, now, now - self.failure_window)
                return RedeemResult("wrong", attempts_left=max(0, self.max_failures - failures - 1))
            unit_row = await repo.get_unit(self.db, int(invite["unit_id"]))
            unit = self._unit(unit_row) if unit_row else None
            if invite["used_at"] is not None:
                return RedeemResult("used", unit)
            if invite["revoked_at"] is not None:
                return RedeemResult("revoked", unit)
            if int(invite["expires_at"]) <= now or unit is None:
                return RedeemResult("expired", unit)
            purpose = str(invite["purpose"])
            if group is None and purpose == GROUP:
                return RedeemResult("group_code_in_private", unit)
            if group is not None and purpose == OFFICER:
                return RedeemResult("officer_code_in_group", unit)
            replaced: GroupRef | None = None
            if group is not None:
                other = await repo.unit_by_chat(self.db, group.channel, group.key)
                if other is not None and int(other["id"]) != unit.id:
                    return RedeemResult("group_taken", unit, other_unit=self._unit(other))
                if not await repo.mark_invite_used(conn, code_hash, now):
                    return RedeemResult("used", unit)
                if unit.group is not None and unit.group != group:
                    replaced = unit.group
                await repo.set_group(conn, unit.id, group.channel, group.key)
                await repo.audit(conn, now, user_id, unit.id, "bind_group", _audit_group(group))
            elif not await repo.mark_invite_used(conn, code_hash, now):
                return RedeemResult("used", unit)
            added = await repo.add_officer(conn, unit.id, user_id, now)
            if added:
                await repo.audit(conn, now, user_id, unit.id, "enrol_officer", str(user_id))
            await repo.delete_failures(conn, key)
        fresh = await self.get(unit.id)
        return RedeemResult(
            "bound" if group is not None else "enrolled",
            fresh,
            replaced_group=replaced,
            already_officer=not added,
        )

    # -- management -------------------------------------------------------------------------
    async def unbind_group(self, actor_id: int, unit_id: int | str) -> GroupRef | None:
        """Unbind the unit's group; returns the former group (None if none was bound)."""
        unit = await self.require_unit(actor_id, unit_id)
        if unit.group is None:
            return None
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            await repo.set_group(conn, unit.id, None)
            await repo.audit(conn, now, actor_id, unit.id, "unbind_group", _audit_group(unit.group))
        return unit.group

    async def unbind_chat(self, actor_id: int, group: GroupRef | int) -> PoliceUnit:
        """`/unbind` inside a group: only an admin who manages the group's unit."""
        if isinstance(group, int):
            group = GroupRef.telegram(group)
        unit = await self.unit_for_chat(group)
        if unit is None:
            raise NotFound(N_("This group is not bound to any police unit."))
        await self.unbind_group(actor_id, unit.id)
        return unit

    async def remove_officer(self, actor_id: int, unit_id: int | str, user_id: int | str) -> bool:
        unit = await self.require_unit(actor_id, unit_id)
        uid = int_code(user_id)
        if uid is None:
            raise NotFound(N_("This officer is not enrolled in this unit."))
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            removed = await repo.remove_officer(conn, unit.id, uid)
            if removed:
                await repo.audit(conn, now, actor_id, unit.id, "remove_officer", str(uid))
        if not removed:
            raise NotFound(N_("This officer is not enrolled in this unit."))
        return True

    async def set_province_admin(
        self, actor_id: int, province_code: int | str, user_id: int, *, remove: bool = False
    ) -> bool:
        """National admins only. True if something changed."""
        if not self.is_national_admin(actor_id):
            raise Forbidden(N_("Only a national administrator can appoint province administrators."))
        key = province_key(province_code)
        if key is None:
            raise NotFound(N_("There is no province with code {code}."), code=province_code)
        if int(user_id) <= 0:
            raise NotFound(N_("“{value}” is not a Telegram user id."), value=user_id)
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            if remove:
                changed = await repo.remove_province_admin(conn, key, int(user_id)) > 0
            else:
                changed = await repo.add_province_admin(conn, key, int(user_id), actor_id, now)
            if changed:
                action = "remove_province_admin" if remove else "add_province_admin"
                await repo.audit(conn, now, actor_id, None, action, f"{key}:{user_id}")
        return changed

    async def province_admins(self, actor_id: int, province_code: str) -> list[int]:
        key = await self.require_province(actor_id, province_code)
        return await repo.admins_of_province(self.db, key)

    async def group_lost(self, chat_id: int) -> PoliceUnit | None:
        """Telegram says the bot left or was removed from a group: stop routing tips there."""
        unit = await self.unit_for_group(chat_id)
        if unit is None:
            return None
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            await repo.set_group(conn, unit.id, None)
            await repo.audit(conn, now, None, unit.id, "group_lost", str(chat_id))
        return unit

    async def group_migrated(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup (new chat id): keep its binding."""
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            moved = await repo.move_group(conn, old_chat_id, new_chat_id) > 0
            if moved:
                await repo.audit(conn, now, None, None, "group_migrated", f"{old_chat_id}->{new_chat_id}")
        return moved

    async def erase_user(self, user_id: int) -> None:
        """/deleteme: officer enrolments, province-admin roles and the guessing counter."""
        async with self.db.transaction() as conn:
            await repo.remove_officer_everywhere(conn, int(user_id))
            await repo.remove_province_admin(conn, None, int(user_id))
            await repo.delete_failures(conn, self._limit_key(user_id))

    # -- coverage and listings --------------------------------------------------------------
    async def coverage(self, actor_id: int) -> list[ProvinceCoverage]:
        await self._require_admin(actor_id)
        counts = await repo.reachable_ward_counts(self.db)
        out = []
        for key in await self.managed_provinces(actor_id):
            out.append(await self._province_coverage(key, counts))
        return out

    async def _province_coverage(self, key: str, counts: Mapping[str, int] | None = None) -> ProvinceCoverage:
        if counts is None:
            counts = await repo.reachable_ward_counts(self.db)
        province = directory.get_province(key)
        return ProvinceCoverage(
            province_code=key,
            name=province.short_name if province else key,
            covered=counts.get(key, 0),
            total=len(directory.wards_of(key)),
            province_unit=await self._reachable(await self.find(PROVINCE, key)),
        )

    async def province_page(self, actor_id: int, province_code: str, page: int = 0) -> ProvincePage:
        key = await self.require_province(actor_id, province_code)
        rows = await repo.units_in_province(self.db, key)
        units = [self._unit(r) for r in rows]
        counts = await repo.officer_counts(self.db, [u.id for u in units])
        by_ward = {u.code: u for u in units if u.kind == WARD}
        province_unit = next((u for u in units if u.kind == PROVINCE), None)
        wards = directory.wards_of(key)
        pages = max(1, -(-len(wards) // PAGE_SIZE))
        page = min(max(0, page), pages - 1)
        shown = wards[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        statuses = []
        for w in shown:
            unit = by_ward.get(f"{w.code:05d}")
            statuses.append(WardStatus(w, unit, counts.get(unit.id, 0) if unit else 0))
        return ProvincePage(
            coverage=await self._province_coverage(key),
            province_unit=province_unit,
            province_officers=counts.get(province_unit.id, 0) if province_unit else 0,
            wards=statuses,
            page=page,
            pages=pages,
        )

    async def unit_detail(self, actor_id: int, unit_id: int | str) -> UnitDetail:
        unit = await self.require_unit(actor_id, unit_id)
        if unit.kind == WARD:
            ward = directory.get_ward(unit.code)
            official = ward.name if ward else unit.code
        else:
            prov = directory.get_province(unit.code)
            official = prov.name if prov else unit.code
        return UnitDetail(
            unit=unit,
            official_name=official,
            province_name=province_name(unit.province_code),
            officers=await repo.officers(self.db, unit.id),
            pending=await repo.pending_invites(self.db, unit.id, self.clock.timestamp()),
        )

    # -- CSV ----------------------------------------------------------------------------------
    async def export_csv(self, province_code: str | None = None, *, actor_id: int) -> str:
        """Units (of one province, or all the actor manages) as CSV: unit_code, name, hotline,
        province_admin_ids. The province's admins are repeated on each of its rows, and a
        province row (P..) is written for a province that has admins but no units."""
        await self._require_admin(actor_id)
        if province_code is not None:
            scope = [await self.require_province(actor_id, province_code)]
        else:
            scope = await self.managed_provinces(actor_id)
        admins: dict[str, list[int]] = {}
        for row in await repo.all_province_admins(self.db):
            admins.setdefault(str(row["province_code"]), []).append(int(row["user_id"]))
        out: list[list[object]] = []
        for key in scope:
            rows = await repo.units_in_province(self.db, key)
            ids = ";".join(str(i) for i in admins.get(key, []))
            if ids and not any(r["kind"] == PROVINCE for r in rows):
                out.append([unit_ref(PROVINCE, key), "", "", ids])
            for row in rows:
                unit = self._unit(row)
                out.append([unit.ref, unit.name, row["hotline"] or "", ids])
        return write_csv(out)

    async def import_csv(self, text: str, actor_id: int) -> ImportResult:
        """Create/update units and add province admins from CSV; all or nothing.

        An empty name or hotline cell resets it (to the official name / configuration); a
        missing column leaves that field as it is. Province admins are only added. A row for a
        unit not created yet, with neither name nor hotline, creates nothing (units are created
        by invites or with details)."""
        await self._require_admin(actor_id)

        async def admins_of(province: str) -> list[int]:
            return await repo.admins_of_province(self.db, province)

        checked = await check_import(
            text, national=self.is_national_admin(actor_id),
            mine=await self.province_admin_of(actor_id), admins_of=admins_of,
        )
        if checked.errors:
            return ImportResult(False, checked.errors, rows=checked.rows)
        now = self.clock.timestamp()
        created = updated = admins_added = 0
        async with self.db.transaction() as conn:
            for plan in checked.plans:
                before = await repo.find_unit(self.db, plan.kind, plan.code)
                for uid in plan.admin_ids:
                    if await repo.add_province_admin(conn, plan.province, uid, actor_id, now):
                        admins_added += 1
                        await repo.audit(conn, now, actor_id, None, "add_province_admin", f"{plan.province}:{uid}")
                if before is None and not plan.name and not plan.hotline:
                    continue  # nothing to keep: units are created by invites or with details
                unit_id = await repo.insert_unit(conn, plan.kind, plan.code, plan.province, now)
                name = before["name"] if before is not None and plan.name is None else plan.name
                if name and name == default_name(plan.kind, plan.code):
                    name = None
                hotline = (
                    before["hotline"] if before is not None and plan.hotline is None else plan.hotline
                )
                await repo.set_details(conn, unit_id, name or None, hotline or None)
                if before is None:
                    created += 1
                elif (before["name"], before["hotline"]) != (name or None, hotline or None):
                    updated += 1
            await repo.audit(
                conn, now, actor_id, None, "import_csv",
                f"rows={len(checked.plans)} created={created} updated={updated} admins={admins_added}",
            )
        return ImportResult(True, [], rows=len(checked.plans), created=created, updated=updated,
                            admins_added=admins_added)
