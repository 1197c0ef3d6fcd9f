"""Directory of official units: the 34 provinces and 3,321 communes/wards since 1 July 2025.

Finds the ward a citizen means from free text (any case, with or without diacritics,
abbreviations, typos, pre-2025 ward/district names) or from a location pin, so that a tip is
routed to the right commune police. Plain data in, plain data out; no Telegram types.

Codes are the official GSO codes from vietnam-provinces; pre-2025 names and centroids come
from content/directory/ (built from vietnamadminunits, MIT; see build_data.py).
"""

from __future__ import annotations

from . import geo
from . import query as _query
from . import where as _where
from .data import directory
from .models import Candidate, ProvinceInfo, Unit
from .where import Place

__all__ = [
    "Candidate",
    "Place",
    "ProvinceInfo",
    "Unit",
    "find_province",
    "get_province",
    "get_ward",
    "nearest",
    "places",
    "provinces",
    "search",
    "wards_of",
    "warm_up",
]


def warm_up() -> None:
    """Build the index now (≈0.2 s) instead of on the first user query."""
    directory()


def _code(code: int | str) -> int | None:
    try:
        return int(code)  # accepts "00070" as well as 70
    except (TypeError, ValueError):
        return None


def provinces() -> list[ProvinceInfo]:
    """All 34 provinces in Vietnamese alphabetical order of their short names (for a keyboard)."""
    return list(directory().province_order)


def get_province(code: int | str) -> ProvinceInfo | None:
    c = _code(code)
    return None if c is None else directory().provinces.get(c)


def get_ward(code: int | str) -> Unit | None:
    c = _code(code)
    return None if c is None else directory().units.get(c)


def wards_of(province_code: int | str) -> list[Unit]:
    """A province's communes/wards in Vietnamese alphabetical order ([] for an unknown code)."""
    c = _code(province_code)
    return [] if c is None else list(directory().wards_by_province.get(c, ()))


def find_province(text: str) -> ProvinceInfo | None:
    """'hcm', 'tp hcm', 'Sài Gòn', 'HN', 'Thừa Thiên Huế' (merged: Huế), 'Bình Dương' -> HCM."""
    return _query.find_province(directory(), text)


def places(text: str, limit: int = 8) -> tuple[list[Place], ProvinceInfo | None]:
    """The "Where?" step: provinces and wards ranked together, and the province to go straight
    to when the text names one exactly and no ward (None: show the list)."""
    if not isinstance(text, str) or not text.strip():
        return [], None
    options = _where.places(directory(), text, limit)
    return options, _where.chosen_province(directory(), text, options)


def search(query: str, province_code: int | str | None = None, limit: int = 8) -> list[Candidate]:
    """Best-first candidates for free text; restricted to province_code when given.

    Never raises on user text; returns [] when nothing is plausibly meant.
    """
    if not isinstance(query, str) or not query.strip():
        return []
    c = None if province_code is None else _code(province_code)
    if province_code is not None and c is None:
        return []
    return _query.search(directory(), query, c, limit)


def nearest(
    lat: float, lon: float, province_code: int | str | None = None, limit: int = 3
) -> list[Candidate]:
    """Wards whose centres are nearest a location pin, within the pin's province.

    The province is the one of the nearest ward centre unless province_code is given.
    Returns [] for coordinates far from every ward (outside Viet Nam, invalid).
    """
    c = None if province_code is None else _code(province_code)
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return []
    return geo.nearest(directory(), la, lo, c, limit)
