"""Police units: who receives tips for a commune, who may manage them, and how they enrol.

A unit is the police of one commune/ward (kind "ward", keyed by the official 5-digit ward code,
e.g. "26740") or a province-level drug police unit (kind "province", keyed by the 2-digit
province code, e.g. "79"). Units are created lazily (by an invite or a CSV import). A unit is
*reachable* when it has a bound Telegram group or at least one enrolled officer.

Roles: national admins (configuration), province admins (per province, stored), officers (per
unit). Every action re-checks the actor's role here; handlers only translate and render.

Written-out codes (CSV, configuration, commands): a ward by its official code ("26740" or
"00004"), a province unit by "P" + province code ("P79", "P01").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot import directory
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring, random_code
from bot.csv_cells import SafeWriter, read_cell
from bot.i18n import N_, Translator
from bot.screens import Button, Screen, esc
from storage import units as repo
from storage.db import Database

WARD = "ward"
PROVINCE = "province"
GROUP = "group"
OFFICER = "officer"
# Staff roles (see UnitService.staff_roles).
OFFICER_ROLE, PROVINCE_ADMIN_ROLE, NATIONAL_ADMIN_ROLE = "officer", "province_admin", "national_admin"

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
INVITE_TTL_SECONDS = 24 * 3600
SHEET_TTL_SECONDS = 14 * 24 * 3600  # a printed sheet is carried to each ward by hand
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 3600
PURGE_AFTER_SECONDS = 30 * 24 * 3600
PAGE_SIZE = 15
CSV_COLUMNS = ("unit_code", "name", "hotline", "province_admin_ids")
CSV_MAX_ROWS = 5000
CSV_MAX_BYTES = 1_000_000
NAME_MAX = 120
_HOTLINE_RE = re.compile(r"^\+?[0-9][0-9 ().\-]{1,22}$")
_USER_ID_RE = re.compile(r"^\d{1,15}$")

_CODE_PURPOSE = "unit-invite-code"
_LIMIT_PURPOSE = "unit-invite-limit"


def _short(value: object, limit: int = 60) -> str:
    """User-supplied values quoted back in messages: escaped and cut to a sane length."""
    text = str(value)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


# -- plain data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoliceUnit:
    id: int
    kind: str  # "ward" | "province"
    code: str  # "26740" (ward, 5 digits) | "79" (province, 2 digits)
    province_code: str  # "79"
    name: str  # display name, e.g. "Công an phường Sài Gòn"
    hotline: str | None  # public hotline (CSV, else settings.unit_hotlines), if any
    group_chat_id: int | None

    @property
    def ref(self) -> str:
        """The written-out code: "26740" for a ward unit, "P79" for a province unit."""
        return unit_ref(self.kind, self.code)


@dataclass(frozen=True)
class Route:
    primary: PoliceUnit | None
    info_copies: list[PoliceUnit]
    to_national_admins: bool


@dataclass(frozen=True)
class Invite:
    code: str  # the clear code, shown once to the admin and never stored
    unit: PoliceUnit
    purpose: str  # "group" | "officer"
    expires_at: datetime
    revoked: int  # older unused codes revoked by this issue

    @property
    def pretty(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


@dataclass(frozen=True)
class InviteSheet:
    """Officer codes for the wards of one province (clear codes: shown once, never stored)."""

    province: directory.ProvinceInfo
    codes: list[tuple[directory.Unit, str]]  # (ward, clear code)
    skipped: int  # wards left out because they already have a group or an officer
    revoked: int  # older unused officer codes of these wards that stopped working
    expires_at: datetime


@dataclass(frozen=True)
class RedeemResult:
    # "bound" | "enrolled" | "wrong" | "used" | "expired" | "revoked" | "limited"
    # | "group_code_in_private" | "officer_code_in_group" | "group_taken"
    status: str
    unit: PoliceUnit | None = None
    attempts_left: int = 0
    replaced_group: int | None = None  # the unit's previous group, now unbound
    other_unit: PoliceUnit | None = None  # the unit a group is already bound to
    already_officer: bool = False


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header line; the first data row is 2
    reason: str  # English msgid (translate with Translator.gettext)
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, t: Translator) -> str:
        return t.gettext(self.reason).format(**{k: _short(v) for k, v in self.params.items()})


@dataclass(frozen=True)
class ImportResult:
    ok: bool
    errors: list[RowError]
    rows: int = 0
    created: int = 0
    updated: int = 0
    admins_added: int = 0


@dataclass(frozen=True)
class ProvinceCoverage:
    province_code: str
    name: str
    covered: int  # communes whose unit is reachable
    total: int  # communes in the province
    province_unit: bool  # the province unit is reachable


@dataclass(frozen=True)
class WardStatus:
    ward: directory.Unit
    unit: PoliceUnit | None
    officers: int

    @property
    def reachable(self) -> bool:
        return self.unit is not None and (self.unit.group_chat_id is not None or self.officers > 0)


@dataclass(frozen=True)
class ProvincePage:
    coverage: ProvinceCoverage
    province_unit: PoliceUnit | None
    province_officers: int
    wards: list[WardStatus]
    page: int
    pages: int


@dataclass(frozen=True)
class UnitDetail:
    unit: PoliceUnit
    official_name: str
    province_name: str
    officers: list[int]
    pending: Mapping[str, int]  # {"group": n, "officer": n} unused valid codes


class UnitsError(Exception):
    """A refusal or a problem the person can fix; `message` is an English msgid."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, t: Translator) -> str:
        return t.gettext(self.message).format(**{k: _short(v) for k, v in self.params.items()})


class Forbidden(UnitsError):
    pass


class NotFound(UnitsError):
    pass


# -- codes ---------------------------------------------------------------------------------------
def _int(code: int | str) -> int | None:
    try:
        value = int(str(code).strip())
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def ward_key(code: int | str) -> str | None:
    """The canonical code of an official ward ("00004"), or None if there is no such ward."""
    c = _int(code)
    if c is None or directory.get_ward(c) is None:
        return None
    return f"{c:05d}"


def province_key(code: int | str) -> str | None:
    """The canonical code of one of the 34 provinces ("01"), or None."""
    c = _int(code)
    if c is None or directory.get_province(c) is None:
        return None
    return f"{c:02d}"


def unit_ref(kind: str, code: str) -> str:
    return f"P{code}" if kind == PROVINCE else code


def parse_ref(text: str) -> tuple[str, int] | None:
    """"26740" → ("ward", 26740); "P79" / "p 79" → ("province", 79); None if malformed."""
    s = re.sub(r"\s+", "", str(text or ""))
    m = re.fullmatch(r"[Pp](\d{1,3})", s)
    if m:
        return PROVINCE, int(m.group(1))
    if re.fullmatch(r"\d{1,6}", s):
        return WARD, int(s)
    return None


def normalise_code(text: str) -> str:
    return re.sub(r"[\s\-_.]", "", str(text or "")).upper()


def default_name(kind: str, code: str) -> str:
    """"Công an phường Sài Gòn"; "Phòng Cảnh sát điều tra tội phạm về ma túy, Công an tỉnh X"."""
    if kind == WARD:
        ward = directory.get_ward(code)
        return f"Công an {ward.kind} {ward.short_name}" if ward else f"Công an xã/phường {code}"
    province = directory.get_province(code)
    if province is None:
        return f"Công an tỉnh {code}"
    police = (
        f"Công an {province.name}"
        if province.name.startswith("Thành phố")
        else f"Công an tỉnh {province.name}"
    )
    return f"Phòng Cảnh sát điều tra tội phạm về ma túy, {police}"


def province_name(code: str) -> str:
    province = directory.get_province(code)
    return province.short_name if province else code


def _ts_to_dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# -- the service ---------------------------------------------------------------------------------
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
        )

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
        ward = directory.get_ward(ward_code) if _int(ward_code) is not None else None
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
        """The bound group's chat id if any, else the officers' user ids (private chats)."""
        unit = await self.get(unit_id)
        if unit is None:
            return []
        if unit.group_chat_id is not None:
            return [unit.group_chat_id]
        return await repo.officers(self.db, unit.id)

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
        row = await repo.unit_by_group(self.db, int(chat_id))
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
        unit = await self.get(int(unit_id)) if _int(unit_id) is not None else None
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

    def _province_of(self, kind: str, code: str) -> str:
        if kind == PROVINCE:
            return code
        ward = directory.get_ward(code)
        assert ward is not None
        return f"{ward.province_code:02d}"

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
        province = self._province_of(kind, key)
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

    async def redeem(self, user_id: int, code_text: str, group_chat_id: int | None) -> RedeemResult:
        """`/bind CODE`: in a group (group_chat_id given) binds it and enrols the sender; in a
        private chat (None) enrols the sender as an officer. Wrong codes are rate-limited."""
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
            if group_chat_id is None and purpose == GROUP:
                return RedeemResult("group_code_in_private", unit)
            if group_chat_id is not None and purpose == OFFICER:
                return RedeemResult("officer_code_in_group", unit)
            replaced: int | None = None
            if group_chat_id is not None:
                other = await repo.unit_by_group(self.db, group_chat_id)
                if other is not None and int(other["id"]) != unit.id:
                    return RedeemResult("group_taken", unit, other_unit=self._unit(other))
                if not await repo.mark_invite_used(conn, code_hash, now):
                    return RedeemResult("used", unit)
                if unit.group_chat_id is not None and unit.group_chat_id != group_chat_id:
                    replaced = unit.group_chat_id
                await repo.set_group(conn, unit.id, group_chat_id)
                await repo.audit(conn, now, user_id, unit.id, "bind_group", str(group_chat_id))
            elif not await repo.mark_invite_used(conn, code_hash, now):
                return RedeemResult("used", unit)
            added = await repo.add_officer(conn, unit.id, user_id, now)
            if added:
                await repo.audit(conn, now, user_id, unit.id, "enrol_officer", str(user_id))
            await repo.delete_failures(conn, key)
        fresh = await self.get(unit.id)
        return RedeemResult(
            "bound" if group_chat_id is not None else "enrolled",
            fresh,
            replaced_group=replaced,
            already_officer=not added,
        )

    # -- management -------------------------------------------------------------------------
    async def unbind_group(self, actor_id: int, unit_id: int | str) -> int | None:
        """Unbind the unit's group; returns the former group chat id (None if none was bound)."""
        unit = await self.require_unit(actor_id, unit_id)
        if unit.group_chat_id is None:
            return None
        now = self.clock.timestamp()
        async with self.db.transaction() as conn:
            await repo.set_group(conn, unit.id, None)
            await repo.audit(conn, now, actor_id, unit.id, "unbind_group", str(unit.group_chat_id))
        return unit.group_chat_id

    async def unbind_chat(self, actor_id: int, chat_id: int) -> PoliceUnit:
        """`/unbind` inside a group: only an admin who manages the group's unit."""
        unit = await self.unit_for_group(chat_id)
        if unit is None:
            raise NotFound(N_("This group is not bound to any police unit."))
        await self.unbind_group(actor_id, unit.id)
        return unit

    async def remove_officer(self, actor_id: int, unit_id: int | str, user_id: int | str) -> bool:
        unit = await self.require_unit(actor_id, unit_id)
        uid = _int(user_id)
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
        buf = io.StringIO()
        writer = SafeWriter(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for key in scope:
            rows = await repo.units_in_province(self.db, key)
            ids = ";".join(str(i) for i in admins.get(key, []))
            if ids and not any(r["kind"] == PROVINCE for r in rows):
                writer.writerow([unit_ref(PROVINCE, key), "", "", ids])
            for row in rows:
                unit = self._unit(row)
                writer.writerow([unit.ref, unit.name, row["hotline"] or "", ids])
        return buf.getvalue()

    async def import_csv(self, text: str, actor_id: int) -> ImportResult:
        """Create/update units and add province admins from CSV; all or nothing.

        An empty name or hotline cell resets it (to the official name / configuration); a
        missing column leaves that field as it is. Province admins are only added. A row for a
        unit not created yet, with neither name nor hotline, creates nothing (units are created
        by invites or with details)."""
        await self._require_admin(actor_id)
        national = self.is_national_admin(actor_id)
        mine = await self.province_admin_of(actor_id)
        if len(text.encode("utf-8", "replace")) > CSV_MAX_BYTES:
            return ImportResult(False, [RowError(0, N_("The file is larger than 1 MB."))])
        text = text.lstrip("\ufeff")
        reader = csv.reader(io.StringIO(text))
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return ImportResult(False, [RowError(1, N_("The file is empty."))])
        columns = [h.strip().lower().lstrip("\ufeff") for h in header]
        if "unit_code" not in columns:
            return ImportResult(
                False,
                [RowError(1, N_("The first line must name the columns: {columns}."),
                          {"columns": ", ".join(CSV_COLUMNS)})],
            )
        index = {name: columns.index(name) for name in CSV_COLUMNS if name in columns}
        errors: list[RowError] = []
        plans: list[dict[str, Any]] = []
        seen: dict[tuple[str, str], int] = {}
        existing_admins: dict[str, set[int]] = {}
        row_no = 1
        try:
            for cells in reader:
                row_no += 1
                if row_no - 1 > CSV_MAX_ROWS:
                    return ImportResult(
                        False, [RowError(row_no, N_("Too many rows (at most {n})."), {"n": CSV_MAX_ROWS})]
                    )
                if not any(c.strip() for c in cells):
                    continue

                def cell(name: str, cells: list[str] = cells) -> str | None:
                    if name not in index:
                        return None
                    i = index[name]
                    # An exported file marks formula-like cells with ' (bot.csv_cells).
                    return read_cell(cells[i].strip()) if i < len(cells) else ""

                ref = cell("unit_code") or ""
                parsed = parse_ref(ref)
                if parsed is None:
                    errors.append(RowError(row_no, N_("“{code}” is not a unit code (use a ward code such as 26740, or P79 for a province unit)."), {"code": ref}))
                    continue
                kind, c = parsed
                key = ward_key(c) if kind == WARD else province_key(c)
                if key is None:
                    reason = (
                        N_("unknown ward code {code}")
                        if kind == WARD
                        else N_("unknown province code {code}")
                    )
                    errors.append(RowError(row_no, reason, {"code": ref}))
                    continue
                province = self._province_of(kind, key)
                if not national and province not in mine:
                    errors.append(
                        RowError(row_no, N_("{code} is outside your province"), {"code": ref})
                    )
                    continue
                if (kind, key) in seen:
                    errors.append(
                        RowError(row_no, N_("duplicate of row {other}"), {"other": seen[(kind, key)]})
                    )
                    continue
                seen[(kind, key)] = row_no
                name = cell("name")
                if name is not None:
                    name = re.sub(r"\s+", " ", name)
                    if len(name) > NAME_MAX or any(ord(ch) < 32 for ch in name):
                        errors.append(RowError(row_no, N_("the name is too long (at most {n} characters)"), {"n": NAME_MAX}))
                        continue
                hotline = cell("hotline")
                if hotline and (not _HOTLINE_RE.match(hotline) or sum(ch.isdigit() for ch in hotline) < 3):
                    errors.append(RowError(row_no, N_("“{value}” is not a phone number"), {"value": hotline}))
                    continue
                ids_cell = cell("province_admin_ids") or ""
                ids: list[int] = []
                bad = False
                for part in re.split(r"[;,\s]+", ids_cell):
                    if not part:
                        continue
                    if not _USER_ID_RE.match(part) or int(part) == 0:
                        errors.append(RowError(row_no, N_("bad Telegram user id “{value}”"), {"value": part}))
                        bad = True
                        break
                    ids.append(int(part))
                if bad:
                    continue
                if ids and not national:
                    if province not in existing_admins:
                        existing_admins[province] = set(await repo.admins_of_province(self.db, province))
                    new = [i for i in ids if i not in existing_admins[province]]
                    if new:
                        errors.append(RowError(row_no, N_("only a national administrator can add province administrators ({value})"), {"value": new[0]}))
                        continue
                plans.append(
                    {"kind": kind, "code": key, "province": province, "name": name,
                     "hotline": hotline, "ids": ids}
                )
        except csv.Error:
            errors.append(RowError(row_no, N_("the line cannot be read as CSV")))
        if errors:
            return ImportResult(False, errors, rows=row_no - 1)
        now = self.clock.timestamp()
        created = updated = admins_added = 0
        async with self.db.transaction() as conn:
            for plan in plans:
                before = await repo.find_unit(self.db, plan["kind"], plan["code"])
                for uid in plan["ids"]:
                    if await repo.add_province_admin(conn, plan["province"], uid, actor_id, now):
                        admins_added += 1
                        await repo.audit(conn, now, actor_id, None, "add_province_admin", f"{plan['province']}:{uid}")
                if before is None and not plan["name"] and not plan["hotline"]:
                    continue  # nothing to keep: units are created by invites or with details
                unit_id = await repo.insert_unit(conn, plan["kind"], plan["code"], plan["province"], now)
                name = before["name"] if before is not None and plan["name"] is None else plan["name"]
                if name and name == default_name(plan["kind"], plan["code"]):
                    name = None
                hotline = (
                    before["hotline"] if before is not None and plan["hotline"] is None else plan["hotline"]
                )
                await repo.set_details(conn, unit_id, name or None, hotline or None)
                if before is None:
                    created += 1
                elif (before["name"], before["hotline"]) != (name or None, hotline or None):
                    updated += 1
            await repo.audit(
                conn, now, actor_id, None, "import_csv",
                f"rows={len(plans)} created={created} updated={updated} admins={admins_added}",
            )
        return ImportResult(True, [], rows=len(plans), created=created, updated=updated, admins_added=admins_added)


# -- screens (text for any channel) ------------------------------------------------------------
def _status_line(t: Translator, unit: PoliceUnit | None, officers: int) -> str:
    _ = t.gettext
    if unit is None:
        return _("not set up")
    parts = []
    if unit.group_chat_id is not None:
        parts.append(_("group bound"))
    if officers:
        parts.append(_("officers: {n}").format(n=officers))
    if unit.hotline:
        parts.append("☎ " + esc(unit.hotline))
    return ", ".join(parts) if parts else _("created, not reachable yet")


def coverage_screen(t: Translator, rows: list[ProvinceCoverage]) -> Screen:
    _ = t.gettext
    lines = [
        _("<b>Coverage</b>: communes/wards whose police unit is reachable on the bot "
          "(bound group or enrolled officer). 🏛 = the province unit is reachable."),
        "",
    ]
    covered = sum(r.covered for r in rows)
    total = sum(r.total for r in rows)
    for r in rows:
        mark = " 🏛" if r.province_unit else ""
        lines.append(f"{esc(r.name)}: {r.covered}/{r.total}{mark}")
    if len(rows) > 1:
        lines += ["", _("Total: {covered}/{total}").format(covered=covered, total=total)]
    buttons = [Button(f"{r.name} {r.covered}/{r.total}", data=f"units:p:{r.province_code}:0") for r in rows]
    grid = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen("\n".join(lines), grid)


def province_screen(t: Translator, page: ProvincePage, *, back: bool) -> Screen:
    _ = t.gettext
    cov = page.coverage
    lines = [
        _("<b>{province}</b>: {covered}/{total} communes/wards reachable").format(
            province=esc(cov.name), covered=cov.covered, total=cov.total
        ),
        _("Province unit: {status}").format(status=_status_line(t, page.province_unit, page.province_officers)),
        "",
    ]
    buttons: list[Button] = []
    for w in page.wards:
        icon = "✅" if w.reachable else ("🟡" if w.unit is not None else "⬜")
        status = _status_line(t, w.unit, w.officers) if w.unit else ""
        line = f"{icon} {esc(w.ward.name)} <code>{w.ward.code:05d}</code>"
        lines.append(line + (f" — {status}" if status else ""))
        if w.unit is not None:
            buttons.append(Button("⚙️ " + w.ward.short_name, data=f"units:u:{w.unit.id}"))
    lines += ["", _("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages)]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if page.province_unit is not None:
        rows.append([Button(_("⚙️ Province unit"), data=f"units:u:{page.province_unit.id}")])
    nav = []
    if page.page > 0:
        nav.append(Button("◀", data=f"units:p:{cov.province_code}:{page.page - 1}"))
    if page.page + 1 < page.pages:
        nav.append(Button("▶", data=f"units:p:{cov.province_code}:{page.page + 1}"))
    if nav:
        rows.append(nav)
    last = [Button(_("➕ Invite code"), data=f"units:iv:{cov.province_code}")]
    if back:
        last.append(Button(_("⬅️ Provinces"), data="units:cov"))
    rows.append(last)
    return Screen("\n".join(lines), rows)


def unit_screen(t: Translator, detail: UnitDetail, notice: str = "") -> Screen:
    _ = t.gettext
    unit = detail.unit
    lines = []
    if notice:
        lines += [notice, ""]
    lines += [
        f"<b>{esc(unit.name)}</b>",
        _("Official: {name} ({province}), code <code>{code}</code>").format(
            name=esc(detail.official_name), province=esc(detail.province_name), code=esc(unit.ref)
        ),
        _("Hotline: {hotline}").format(hotline=esc(unit.hotline) if unit.hotline else "—"),
        _("Group: {group}").format(
            group=_("bound") if unit.group_chat_id is not None else _("none")
        ),
        _("Officers: {ids}").format(
            ids=", ".join(f"<code>{i}</code>" for i in detail.officers) if detail.officers else "—"
        ),
        _("Unused codes: {group} group, {officer} officer").format(
            group=detail.pending.get(GROUP, 0), officer=detail.pending.get(OFFICER, 0)
        ),
    ]
    rows = [
        [Button(_("🔑 Group code"), data=f"units:c:{unit.id}:g"),
         Button(_("🔑 Officer code"), data=f"units:c:{unit.id}:o")],
        [Button(_("🔁 Re-issue codes"), data=f"units:ri:{unit.id}")],
    ]
    if unit.group_chat_id is not None:
        rows.append([Button(_("🔌 Unbind group"), data=f"units:ub:{unit.id}")])
    for uid in detail.officers[:10]:
        rows.append([Button(_("❌ Remove officer {id}").format(id=uid), data=f"units:ro:{unit.id}:{uid}")])
    rows.append([Button(_("⬅️ Back"), data=f"units:p:{unit.province_code}:0")])
    return Screen("\n".join(lines), rows)


def invite_screen(t: Translator, invite: Invite, bot_username: str) -> Screen:
    _ = t.gettext
    unit = esc(invite.unit.name)
    expires = t.datetime(invite.expires_at)
    if invite.purpose == GROUP:
        how = _(
            "Add me to the unit's Telegram group, then send this in the group:\n"
            "<code>/bind {code}</code>"
        ).format(code=invite.pretty)
    else:
        how = _(
            "Give it to the officer. They open a private chat with me and send:\n"
            "<code>/bind {code}</code>"
        ).format(code=invite.pretty)
    lines = [
        _("🔑 <b>{kind} code for {unit}</b>").format(
            kind=_("Group") if invite.purpose == GROUP else _("Officer"), unit=unit
        ),
        "",
        f"<code>{invite.pretty}</code>",
        "",
        how,
        "",
        _("It works once and expires at {time}.").format(time=esc(expires)),
    ]
    if invite.revoked:
        lines.append(
            _("Older unused codes that no longer work: {n}.").format(n=invite.revoked)
        )
    rows = []
    if invite.purpose == OFFICER and bot_username:
        rows.append([Button(_("Officer link"), url=f"https://t.me/{bot_username}?start=u_{invite.code}")])
    rows.append([Button(_("⚙️ Unit"), data=f"units:u:{invite.unit.id}")])
    return Screen("\n".join(lines), rows)


def redeem_text(t: Translator, result: RedeemResult) -> str:
    _ = t.gettext
    name = esc(result.unit.name) if result.unit else ""
    status = result.status
    if status == "bound":
        text = _(
            "✅ This group now receives tips for <b>{unit}</b>. You are enrolled as an officer. "
            "Tips are sent here without anything that identifies the person who sent them."
        ).format(unit=name)
        if result.replaced_group is not None:
            text += "\n" + _("The unit's previous group no longer receives tips.")
        return text
    if status == "enrolled":
        if result.already_officer:
            return _("You were already an officer of <b>{unit}</b>. Nothing changed.").format(unit=name)
        return _(
            "✅ You are now an officer of <b>{unit}</b>. Tips for the unit come to this chat "
            "when the unit has no bound group."
        ).format(unit=name)
    if status == "wrong":
        if result.attempts_left <= 0:
            return _("❌ This code is not valid. Too many wrong codes: please try again in an hour.")
        return _("❌ This code is not valid. Check it and try again ({n} attempts left this hour).").format(
            n=result.attempts_left
        )
    if status == "used":
        return _("This code has already been used. Ask your administrator for a new code.")
    if status == "expired":
        return _("This code has expired. Ask your administrator for a new code.")
    if status == "revoked":
        return _("This code was replaced by a newer one. Ask your administrator for the new code.")
    if status == "limited":
        return _("Too many wrong codes. Please wait an hour and try again.")
    if status == "group_code_in_private":
        return _(
            "This is a group code. Add me to the unit's Telegram group and send "
            "<code>/bind CODE</code> there."
        )
    if status == "officer_code_in_group":
        return _("This is an officer code. Send it to me in a private chat instead.")
    if status == "group_taken":
        other = esc(result.other_unit.name) if result.other_unit else ""
        return _(
            "This group already receives tips for <b>{other}</b>. An administrator must unbind "
            "it first."
        ).format(other=other)
    return _("Something went wrong. Please try again.")


def import_text(t: Translator, result: ImportResult, limit: int = 25) -> str:
    _ = t.gettext
    if result.ok:
        return _(
            "✅ Imported {rows} rows: {created} units created, {updated} updated, "
            "{admins} province administrators added."
        ).format(rows=result.rows, created=result.created, updated=result.updated,
                 admins=result.admins_added)
    lines = [_("❌ Nothing was imported. Fix these rows and send the file again:"), ""]
    for err in result.errors[:limit]:
        prefix = _("Row {row}").format(row=err.row) if err.row else _("File")
        lines.append(f"• {prefix}: {err.text(t)}")
    if len(result.errors) > limit:
        lines.append(_("… and {n} more.").format(n=len(result.errors) - limit))
    return "\n".join(lines)
