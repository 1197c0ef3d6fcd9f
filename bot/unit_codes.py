"""Written-out unit codes: a ward by its official code ("26740" or "00004"), a province unit
by "P" + province code ("P79", "P01"); invite codes as people type them; default names."""

from __future__ import annotations

import re

from bot import directory
from bot.unit_types import PROVINCE, WARD, unit_ref

__all__ = [
    "default_name", "int_code", "normalise_code", "parse_ref", "province_arg", "province_key",
    "province_name", "province_of", "unit_ref", "ward_key",
]

def int_code(code: int | str) -> int | None:
    try:
        value = int(str(code).strip())
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def ward_key(code: int | str) -> str | None:
    """The canonical code of an official ward ("00004"), or None if there is no such ward."""
    c = int_code(code)
    if c is None or directory.get_ward(c) is None:
        return None
    return f"{c:05d}"


def province_key(code: int | str) -> str | None:
    """The canonical code of one of the 34 provinces ("01"), or None."""
    c = int_code(code)
    if c is None or directory.get_province(c) is None:
        return None
    return f"{c:02d}"


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



def province_of(kind: str, code: str) -> str:
    """The province code ("79") of a unit given by its kind and canonical code."""
    if kind == PROVINCE:
        return code
    ward = directory.get_ward(code)
    assert ward is not None, code
    return f"{ward.province_code:02d}"


def province_arg(text: str) -> str | None:
    """A province given as its code ("79") or its name ("hcm", "Hà Nội") -> "79", or None."""
    text = text.strip()
    if not text:
        return None
    province = directory.get_province(int(text)) if text.isdigit() else directory.find_province(text)
    return f"{province.code:02d}" if province else None
