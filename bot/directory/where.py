"""The tip flow's "Where?" step: one ranked list of provinces and communes/wards.

At that step people type a province ("Đà Nẵng") as often as a bare ward name ("hai chau").
Reading the text as a province first sends one ward name in seven to a look-alike province
("Hải Châu" is one typo from "Lai Châu"), so both readings are scored on one scale and shown
together: an exact province name still wins, a one-typo province loses to an exact ward.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .data import Directory
from .models import Candidate, ProvinceInfo
from .names import EXACT, TYPO_COST, max_typos
from .query import (
    MAX_QUERY_CHARS,
    TONE_BONUS,
    _fuzzy_aliases,
    _strip_province_marker,
    _tokens,
    search,
)
from .text import compact, has_marks, tone_key

PROVINCE_MARKED_BONUS = 6.0  # "tỉnh Lai Châu", "TP Huế": the user said it is a province
PROVINCE_EXACT_BONUS = 1.0  # "Lai Châu" exactly: the province beats a namesake ward


@dataclass(frozen=True, slots=True)
class Place:
    """One option of the "Where?" step: a province (choose its ward next) or a ward."""

    score: float
    province: ProvinceInfo | None = None
    ward: Candidate | None = None

    @property
    def exact_province(self) -> bool:
        return self.province is not None and self.score >= EXACT


def province_matches(d: Directory, text: str) -> list[tuple[ProvinceInfo, float]]:
    """Provinces the text may name, scored like ward names (exact 100, each typo −12)."""
    toks = _tokens(text[:MAX_QUERY_CHARS])
    stripped = _strip_province_marker(toks, trailing=False)
    marked = len(stripped) < len(toks)
    key = "".join(t.key for t in stripped)
    if not key:
        return []
    bonus = PROVINCE_MARKED_BONUS if marked else 0.0
    raw = " ".join(t.raw for t in stripped if t.raw)
    if key in d.province_aliases:
        province = d.provinces[d.province_aliases[key]]
        if has_marks(raw):  # the same tie-break by typed diacritics as ward names get
            bonus += TONE_BONUS * fuzz.ratio(tone_key(raw), tone_key(province.short_name)) / 100
        return [(province, EXACT + PROVINCE_EXACT_BONUS + bonus)]
    budget = max_typos(len(key)) if len(key) >= 5 else 0
    best: dict[int, int] = {}
    if budget:
        for alias, dist, _ in process.extract(
            key, _fuzzy_aliases(d), scorer=OSA.distance, score_cutoff=budget, limit=None
        ):
            code = d.province_aliases[alias]
            best[code] = min(int(dist), best.get(code, int(dist)))
    ranked = sorted(best.items(), key=lambda kv: (kv[1], kv[0]))
    return [(d.provinces[c], EXACT - TYPO_COST * dist + bonus) for c, dist in ranked]


def places(d: Directory, text: str, limit: int = 8) -> list[Place]:
    """Best-first provinces and wards for free text typed at the "Where?" step."""
    if limit <= 0 or not text.strip():
        return []
    options = [Place(score, province=p) for p, score in province_matches(d, text)]
    options += [Place(c.score, ward=c) for c in search(d, text, None, limit)]
    # Stable sort: on equal scores a province comes first (it was added first).
    options.sort(key=lambda p: -p.score)
    return options[:limit]


def chosen_province(d: Directory, text: str, options: list[Place]) -> ProvinceInfo | None:
    """The province to go straight to: named exactly, first, and no ward bears the name.

    "Hà Nội" skips the list; "Lào Cai" (also a ward), "Bắc Giang" (a ward of today's Bắc Ninh)
    and "hai chau" (a ward, and one typo from Lai Châu) show it.
    """
    if not options or not options[0].exact_province:
        return None
    toks = _strip_province_marker(_tokens(text[:MAX_QUERY_CHARS]), trailing=False)
    key = "".join(t.key for t in toks)
    if any(o.ward is not None and compact(o.ward.unit.short_name) == key for o in options):
        return None
    return options[0].province
