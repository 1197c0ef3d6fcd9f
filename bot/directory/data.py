"""Load the official units and the shipped legacy/centroid data into one cached index.

Codes and names come from vietnam-provinces (the one source of codes); content/directory/
adds pre-2025 wards and centroids, already joined to those codes by build_data.py.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from vietnam_provinces import Province, Ward

from .models import ProvinceInfo, Unit
from .names import Entry, LegacyInfo, NameIndex, compact_short, make_entry
from .text import clean, compact, fold, sort_key

WARD_KINDS = ("phường", "xã", "đặc khu", "thị trấn")
DISTRICT_KINDS = ("quận", "huyện", "thị xã", "thành phố")
_WARD_PREFIXES = tuple(fold(k) for k in WARD_KINDS)
_DISTRICT_PREFIXES = tuple(fold(k) for k in DISTRICT_KINDS)
_PROVINCE_PREFIXES = ("thanh pho", "tinh")

# Everyday names for provinces that folding and fuzzy matching cannot guess.
_PROVINCE_NICKNAMES = {
    "hn": 1,
    "hcm": 79,
    "tphcm": 79,
    "hcmc": 79,
    "sg": 79,
    "saigon": 79,
    "tpsg": 79,
    "hochiminhcity": 79,
    "hp": 31,
    "tth": 46,
    "brvt": 79,
    "thuathienhue": 46,  # became Thành phố Huế before the 2025 data snapshot
    "tthue": 46,
}


@dataclass(frozen=True, slots=True)
class Point:
    lat: float  # radians
    lon: float  # radians
    radius_km: float  # radius of a disc with the ward's area (≥ 1 km)


@dataclass(frozen=True)
class Directory:
    provinces: dict[int, ProvinceInfo]
    province_order: tuple[ProvinceInfo, ...]
    units: dict[int, Unit]
    wards_by_province: dict[int, tuple[Unit, ...]]
    national: NameIndex
    by_province: dict[int, NameIndex]
    province_aliases: dict[str, int]  # compact key -> province code
    points: dict[int, Point]  # ward code -> centroid
    # Pre-2025 districts by compact short name ("badinh", "1") -> today's province(s).
    district_provinces: dict[str, frozenset[int]]


def _short(name: str, prefixes: tuple[str, ...]) -> str:
    """Drop the type word: 'Thành phố Hà Nội' -> 'Hà Nội', 'Phường Sài Gòn' -> 'Sài Gòn'."""
    folded = fold(name)
    for prefix in prefixes:
        if folded.startswith(prefix + " "):
            return " ".join(name.split()[len(prefix.split()) :])
    return name


def _load_provinces() -> dict[int, ProvinceInfo]:
    out = {}
    for p in Province.iter_all():
        name = clean(p.name)
        out[int(p.code)] = ProvinceInfo(int(p.code), name, _short(name, _PROVINCE_PREFIXES))
    return out


def _load_units(provinces: dict[int, ProvinceInfo]) -> dict[int, Unit]:
    units = {}
    for w in Ward.iter_all():
        name = clean(w.name)
        province = provinces[int(w.province_code)]
        units[int(w.code)] = Unit(
            code=int(w.code),
            name=name,
            short_name=_short(name, _WARD_PREFIXES),
            kind=w.division_type.value,
            province_code=province.code,
            province_name=province.name,
        )
    return units


def _read_content(name: str) -> str:
    return resources.files("content.directory").joinpath(name).read_text(encoding="utf-8")


def _legacy_entries(data: dict[str, Any], units: dict[int, Unit]) -> tuple[list[Entry], dict]:
    """Pre-2025 wards as entries, plus old province names -> today's province code."""
    old_provinces: dict[str, int] = {}
    for name, code in data["provinces"]:
        old_provinces[name] = int(code)
    districts = data["districts"]
    entries = []
    for dist_idx, ward_name, codes in data["wards"]:
        prov_idx, district = districts[dist_idx]
        old_province, new_code = data["provinces"][prov_idx]
        province_short = _short(old_province, _PROVINCE_PREFIXES)
        codes = tuple(c for c in codes if c in units)
        if not codes:
            continue
        district_key = compact_short(district, _DISTRICT_PREFIXES)
        if ward_name:
            folded = fold(ward_name)
            kind = next(
                (k for k, f in zip(WARD_KINDS, _WARD_PREFIXES, strict=True)
                 if folded.startswith(f + " ")),
                "xã",
            )  # fmt: skip
            short = _short(ward_name, _WARD_PREFIXES)
            label = f"{ward_name}, {district}, {province_short}"
        else:  # island district that had no wards: the whole district moved
            folded = fold(district)
            kind = next(
                (k for k, f in zip(DISTRICT_KINDS, _DISTRICT_PREFIXES, strict=True)
                 if folded.startswith(f + " ")),
                "",
            )  # fmt: skip
            short = _short(district, _DISTRICT_PREFIXES)
            label = f"{district}, {province_short}"
        legacy = LegacyInfo(label, district_key, int(new_code))
        entries.append(make_entry(short, kind, codes, legacy))
    return entries, old_provinces


def _province_aliases(
    provinces: dict[int, ProvinceInfo], old_provinces: dict[str, int]
) -> dict[str, int]:
    aliases: dict[str, int] = {}
    named = [(p.name, p.code) for p in provinces.values()]
    # Old names first so that a current name always wins a clash.
    for name, code in [*old_provinces.items(), *named]:
        short = compact(_short(name, _PROVINCE_PREFIXES))
        for key in (short, compact(name), "tinh" + short, "tp" + short, "thanhpho" + short):
            aliases[key] = code
    aliases.update(_PROVINCE_NICKNAMES)
    return aliases


def _load_points() -> dict[int, Point]:
    points = {}
    for row in csv.DictReader(_read_content("centroids.csv").splitlines()):
        if row["level"] != "ward":
            continue
        area = float(row["area_km2"] or 0.0)
        radius = max(1.0, math.sqrt(area / math.pi))
        lat, lon = math.radians(float(row["lat"])), math.radians(float(row["lon"]))
        points[int(row["code"])] = Point(lat, lon, radius)
    return points


def _district_provinces(legacy: list[Entry]) -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for entry in legacy:
        if entry.legacy:
            out.setdefault(entry.legacy.district_key, set()).add(entry.legacy.province_code)
    return {key: frozenset(codes) for key, codes in out.items()}


@functools.cache
def directory() -> Directory:
    """Build every index once (≈0.1 s) on first use; later calls are free."""
    provinces = _load_provinces()
    units = _load_units(provinces)
    legacy, old_provinces = _legacy_entries(json.loads(_read_content("legacy.json")), units)
    current = [make_entry(u.short_name, u.kind, (u.code,)) for u in units.values()]

    per_province: dict[int, list[Entry]] = {code: [] for code in provinces}
    for entry in [*current, *legacy]:
        per_province[units[entry.codes[0]].province_code].append(entry)
    wards_by_province: dict[int, list[Unit]] = {code: [] for code in provinces}
    for unit in units.values():
        wards_by_province[unit.province_code].append(unit)

    order = sorted(provinces.values(), key=lambda p: sort_key(p.short_name))
    return Directory(
        provinces=provinces,
        province_order=tuple(order),
        units=units,
        wards_by_province={
            code: tuple(sorted(ws, key=lambda u: sort_key(u.short_name)))
            for code, ws in wards_by_province.items()
        },
        national=NameIndex([*current, *legacy]),
        by_province={code: NameIndex(es) for code, es in per_province.items()},
        province_aliases=_province_aliases(provinces, old_provinces),
        points=_load_points(),
        district_provinces=_district_provinces(legacy),
    )
