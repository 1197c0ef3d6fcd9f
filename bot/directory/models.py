"""Plain data returned by the directory service (no Telegram types)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProvinceInfo:
    """One of the 34 provincial units (since 1 July 2025)."""

    code: int  # GSO code, e.g. 79
    name: str  # "Thành phố Hồ Chí Minh", "Cao Bằng" (as in vietnam-provinces)
    short_name: str  # "Hồ Chí Minh", "Cao Bằng"


@dataclass(frozen=True, slots=True)
class Unit:
    """One of the 3,321 commune-level units: the routing target of a tip."""

    code: int  # GSO code, e.g. 26740 (vietnam-provinces is the one source of codes)
    name: str  # "Phường Sài Gòn"
    short_name: str  # "Sài Gòn"
    kind: str  # "phường" | "xã" | "đặc khu"
    province_code: int
    province_name: str  # "Thành phố Hồ Chí Minh"

    @property
    def label(self) -> str:
        """Name with its province, for candidates shown without a chosen province."""
        return f"{self.name}, {self.province_name}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit the user may mean; the UI asks them to confirm one."""

    unit: Unit
    score: float  # higher is better; ~100 = exact name match
    reason: str  # "name", "name (typo)", "legacy: Phường Bến Nghé, Quận 1, Hồ Chí Minh", ...
    distance_km: float | None = None  # set by nearest() only
