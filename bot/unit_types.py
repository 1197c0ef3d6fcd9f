"""Police units' plain data: kinds, roles, limits, the values the service returns and the
errors it raises. No I/O (see bot/units.py for the service)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot import directory
from bot.errors import UserError
from bot.i18n import Translator
from bot.screens import esc

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
TELEGRAM = "telegram"  # the channel whose groups receive tips today (bot/tip_police.py)


def _short(value: object, limit: int = 60) -> str:
    """User-supplied values quoted back in messages: escaped and cut to a sane length."""
    text = str(value)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


def unit_ref(kind: str, code: str) -> str:
    """The written-out code of a unit: "26740" for a ward unit, "P79" for a province unit."""
    return f"P{code}" if kind == PROVINCE else code


# -- plain data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupRef:
    """A group chat bound to a unit, as the channel that hosts it names it: the engine's
    `Chat` (channel, key). A Telegram group's key is its chat id."""

    channel: str
    key: str

    @classmethod
    def of(cls, channel: str, key: int | str) -> GroupRef:
        return cls(channel, str(key))

    @classmethod
    def telegram(cls, chat_id: int) -> GroupRef:
        return cls(TELEGRAM, str(int(chat_id)))

    @property
    def telegram_chat_id(self) -> int | None:
        """The Telegram chat id (what tip deliveries use), or None for another channel."""
        return int(self.key) if self.channel == TELEGRAM else None


@dataclass(frozen=True)
class PoliceUnit:
    id: int
    kind: str  # "ward" | "province"
    code: str  # "26740" (ward, 5 digits) | "79" (province, 2 digits)
    province_code: str  # "79"
    name: str  # display name, e.g. "Công an phường Sài Gòn"
    hotline: str | None  # public hotline (CSV, else settings.unit_hotlines), if any
    # The bound Telegram group's chat id (where tips are delivered), else None.
    group_chat_id: int | None
    # The bound group on whichever channel hosts it (the same group when it is on Telegram).
    group: GroupRef | None = None

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
    replaced_group: GroupRef | None = None  # the unit's previous group, now unbound
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


class UnitsError(UserError):
    """A refusal or a problem the person can fix; `message` is an English msgid. Quoted
    values are also cut short (they may be whatever someone typed)."""

    def text(self, t: Translator) -> str:
        return t.gettext(self.message).format(**{k: _short(v) for k, v in self.params.items()})


class Forbidden(UnitsError):
    pass


class NotFound(UnitsError):
    pass

