"""Name index: exact, typo-tolerant and prefix lookup over folded unit names."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .text import compact, fold, tone_key

# Scores are on a 0–100 scale: exact 100, each typo −12, prefix 60–90.
EXACT = 100.0
TYPO_COST = 12.0
MIN_PREFIX = 3


@dataclass(frozen=True, slots=True)
class LegacyInfo:
    """Where a pre-2025 ward was; shown to the user as the reason for a candidate."""

    label: str  # "Phường Bến Nghé, Quận 1, Hồ Chí Minh"
    district_key: str  # compact short district name: "1", "danphuong"
    province_code: int  # today's province


@dataclass(frozen=True, slots=True)
class Entry:
    """A matchable name: a current unit, or a pre-2025 ward pointing at current unit(s)."""

    key: str  # folded short name, spaced: "ben nghe"
    ckey: str  # compact: "bennghe"
    tkey: str  # tone key of the short name
    digits: tuple[str, ...]  # numbers in the name must match exactly ("Phường 3" ≠ "Phường 8")
    kind: str  # "phường", "xã", "đặc khu", "thị trấn", or a district kind for island districts
    codes: tuple[int, ...]  # today's unit codes; default (most likely) first
    legacy: LegacyInfo | None = None


def make_entry(
    short_name: str, kind: str, codes: tuple[int, ...], legacy: LegacyInfo | None = None
) -> Entry:
    key = fold(short_name)
    digits = tuple(t for t in key.split() if t.isdigit())
    return Entry(key, key.replace(" ", ""), tone_key(short_name), digits, kind, codes, legacy)


def max_typos(length: int) -> int:
    """Edit budget by name length: short names must be exact, long ones allow two."""
    if length <= 3:
        return 0
    return 1 if length <= 5 else 2


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float  # name similarity only (0–100)
    how: str  # "exact" | "typo" | "prefix"


class NameIndex:
    """Entries grouped by compact key, searchable by edit distance and by prefix."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        groups: dict[str, list[Entry]] = {}
        for entry in entries:
            groups.setdefault(entry.ckey, []).append(entry)
        self._keys = list(groups)
        self._groups = [tuple(groups[k]) for k in self._keys]
        self._by_key = dict(zip(self._keys, self._groups, strict=True))
        self._sorted = sorted(self._keys)
        self._by_len: dict[int, list[str]] = {}
        for key in self._keys:
            self._by_len.setdefault(len(key), []).append(key)
        self._windows: dict[int, list[str]] = {}

    def _window(self, length: int) -> list[str]:
        """Keys within the widest edit budget in length: the only ones worth comparing."""
        if length not in self._windows:
            spread = max_typos(99)
            self._windows[length] = [
                k
                for n in range(length - spread, length + spread + 1)
                for k in self._by_len.get(n, ())
            ]
        return self._windows[length]

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, name_key: str) -> list[Hit]:
        """All entries whose name is within the edit budget of, or starts with, name_key."""
        ckey = name_key.replace(" ", "")
        if not ckey:
            return []
        digits = tuple(t for t in name_key.split() if t.isdigit())
        hits: list[Hit] = []
        seen: set[str] = set()
        if len(ckey) < MIN_PREFIX:
            matches = [(ckey, 0)] if ckey in self._by_key else []
        else:
            # Widest budget any key could allow; each key's own budget is checked below.
            found = process.extract(
                ckey,
                self._window(len(ckey)),
                scorer=OSA.distance,
                score_cutoff=max_typos(99),
                limit=None,
            )
            matches = [(key, int(dist)) for key, dist, _ in found]
        for key, dist in matches:
            if dist > max_typos(len(key)):
                continue
            seen.add(key)
            for entry in self._by_key[key]:
                if entry.digits != digits:
                    continue
                if dist == 0:
                    score = EXACT if entry.key == name_key else EXACT - 1  # spacing differs
                    hits.append(Hit(entry, score, "exact"))
                else:
                    hits.append(Hit(entry, EXACT - TYPO_COST * dist, "typo"))
        if len(ckey) >= MIN_PREFIX:
            hits.extend(self._prefix(ckey, digits, seen))
        return hits

    def _prefix(self, ckey: str, digits: tuple[str, ...], seen: set[str]) -> list[Hit]:
        """'benngh' -> 'bennghe': for citizens who type only the start of a name."""
        hits: list[Hit] = []
        start = bisect.bisect_left(self._sorted, ckey)
        for key in self._sorted[start : start + 50]:
            if not key.startswith(ckey):
                break
            if key in seen:
                continue
            score = 60.0 + 30.0 * len(ckey) / len(key)
            for entry in self._by_key[key]:
                if entry.digits[: len(digits)] == digits:
                    hits.append(Hit(entry, score, "prefix"))
        return hits


def district_matches(query_key: str, district_key: str) -> bool:
    """Old district given by the user ('1', 'dan phuong', 'cu chi') vs the data's key."""
    if query_key == district_key:
        return True
    # Stricter than ward names: district names are short and many differ by two letters, so
    # one typo at most, and none in names of three letters or fewer ("Quận 10" ≠ "Quận 11").
    budget = 1 if len(district_key) >= 4 else 0
    if budget <= 0 or not query_key:
        return False
    return OSA.distance(query_key, district_key, score_cutoff=budget) <= budget


def compact_short(name: str, prefixes: Iterable[str]) -> str:
    """Compact key of a name without its type word: 'Quận Ba Đình' -> 'badinh'."""
    key = fold(name)
    for prefix in prefixes:
        if key.startswith(prefix + " "):
            key = key[len(prefix) + 1 :]
            break
    return compact(key)
