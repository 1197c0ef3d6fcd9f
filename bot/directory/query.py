"""Free-text query -> ranked candidate units.

A citizen's text may carry a ward type ("P.", "xã", "TT"), an old district ("Q.1", "huyện Đan
Phượng"), a province ("HCM", "Hà Nội", "Thừa Thiên Huế") and typos, with or without
diacritics. We don't trust any single parse: every plausible reading (province split off or
not, district split off or not) is scored and each unit keeps its best score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .data import DISTRICT_KINDS, Directory
from .models import Candidate, ProvinceInfo
from .names import Hit, district_matches, max_typos
from .text import compact, fold, has_marks, tone_key, words

MAX_QUERY_CHARS = 200
MAX_TOKENS = 24
MIN_SCORE = 62.0
LEGACY_COST = 3.0  # today's name beats an identical old name
DISTRICT_BONUS = 6.0  # an old ward in the district the user named beats a namesake elsewhere
KIND_MATCH, KIND_MISMATCH = 2.0, -4.0
TOWN_AS_COMMUNE = -2.0  # "thị trấn X": no towns exist since 2025, so the old town is likelier
PROVINCE_TEXT_BONUS = 4.0  # a reading that found the province in the text beats one that didn't
CURRENT_WITH_DISTRICT = -4.0  # today's names have no district: that reading is a weaker fit
TONE_BONUS = 3.0  # diacritics the user typed break ties between names that fold alike

# Abbreviations, on folded single tokens.
_ABBREV = {
    "p": ["phuong"], "f": ["phuong"], "x": ["xa"], "q": ["quan"],
    "h": ["huyen"], "tt": ["thi", "tran"], "ttr": ["thi", "tran"], "tx": ["thi", "xa"],
    "tp": ["thanh", "pho"], "dk": ["dac", "khu"],
}  # fmt: skip
_NUMBERED = re.compile(r"(p|f|q|x)(\d{1,2})")  # "P3", "F.3" (Saigon), "Q1"
_WARD_MARKERS = {
    ("phuong",): "phường", ("xa",): "xã", ("thi", "tran"): "thị trấn", ("dac", "khu"): "đặc khu",
}  # fmt: skip
_DISTRICT_MARKERS = {
    ("quan",): "quận", ("huyen",): "huyện", ("thi", "xa"): "thị xã", ("thanh", "pho"): "thành phố",
}  # fmt: skip
_PROVINCE_MARKERS = (("tinh",), ("thanh", "pho"))
_TRAILING_NOISE = {"cu", "moi"}  # "phường Bến Nghé cũ"


@dataclass(frozen=True, slots=True)
class Tok:
    key: str  # folded
    raw: str  # as typed (for the diacritic-aware tie-break)


@dataclass(frozen=True, slots=True)
class Reading:
    """One interpretation of the query."""

    name: tuple[Tok, ...]
    kind: str | None
    district: str | None  # compact short district name
    province: int | None
    bonus: float = 0.0


def _tokens(segment: str) -> list[Tok]:
    out: list[Tok] = []
    for raw in words(segment):
        for key in fold(raw).split():
            numbered = _NUMBERED.fullmatch(key)
            if numbered:
                out += [Tok(_ABBREV[numbered[1]][0], ""), Tok(numbered[2], numbered[2])]
            elif key in _ABBREV and (key != "h" or not out):  # "Ea H'leo": h is a name
                out += [Tok(k, "") for k in _ABBREV[key]]
            else:
                out.append(Tok(key, raw))
    # "T.P" -> "t", "p": a city either way.
    merged: list[Tok] = []
    for tok in out:
        if tok.key == "phuong" and merged and merged[-1].key == "t" and not tok.raw:
            merged[-1:] = [Tok("thanh", ""), Tok("pho", "")]
        else:
            merged.append(tok)
    return merged


def _segments(query: str) -> list[list[Tok]]:
    segs = [_tokens(part) for part in re.split(r"[,;\n|]+", query[:MAX_QUERY_CHARS])]
    segs = [s for s in segs if s]
    total, out = 0, []
    for seg in segs:  # cap work on very long input
        out.append(seg[: MAX_TOKENS - total])
        total += len(out[-1])
        if total >= MAX_TOKENS:
            break
    return out


def _marker(toks: list[Tok], i: int, markers: dict[tuple[str, ...], str]) -> tuple[str, int]:
    for phrase, label in markers.items():
        if tuple(t.key for t in toks[i : i + len(phrase)]) == phrase:
            return label, len(phrase)
    return "", 0


def _strip_province_marker(toks: list[Tok], trailing: bool) -> list[Tok]:
    for phrase in _PROVINCE_MARKERS:
        n = len(phrase)
        part = toks[-n:] if trailing else toks[:n]
        if len(toks) > n and tuple(t.key for t in part) == phrase:
            return toks[:-n] if trailing else toks[n:]
    return toks


_ALIAS_LISTS: dict[int, list[str]] = {}


def _fuzzy_aliases(d: Directory) -> list[str]:
    """Province aliases long enough to be matched with a typo (built once per directory)."""
    if id(d) not in _ALIAS_LISTS:
        _ALIAS_LISTS[id(d)] = [a for a in d.province_aliases if len(a) >= 4]
    return _ALIAS_LISTS[id(d)]


def match_province(d: Directory, key: str, fuzzy: bool = True) -> int | None:
    """Compact folded text -> province code (exact alias, else one clear typo match)."""
    if key in d.province_aliases:
        return d.province_aliases[key]
    budget = max_typos(len(key)) if fuzzy and len(key) >= 5 else 0
    if budget == 0:
        return None
    best: dict[int, int] = {}
    for alias, dist, _ in process.extract(
        key, _fuzzy_aliases(d), scorer=OSA.distance, score_cutoff=budget, limit=None
    ):
        code = d.province_aliases[alias]
        best[code] = min(int(dist), best.get(code, int(dist)))
    if not best:
        return None
    top = min(best.values())
    codes = [c for c, v in best.items() if v == top]
    return codes[0] if len(codes) == 1 else None


def find_province(d: Directory, text: str) -> ProvinceInfo | None:
    toks = _strip_province_marker(_tokens(text[:MAX_QUERY_CHARS]), trailing=False)
    code = match_province(d, "".join(t.key for t in toks))
    return d.provinces[code] if code is not None else None


def _province_splits(
    d: Directory, segs: list[list[Tok]]
) -> list[tuple[list[list[Tok]], int | None, float]]:
    """Readings of where the province is (a last segment, a suffix of the last one, or none),
    each with its bonus."""
    out: list[tuple[list[list[Tok]], int | None, float]] = [(segs, None, 0.0)]
    last = segs[-1]
    if len(segs) > 1:
        whole = _strip_province_marker(last, trailing=False)
        code = match_province(d, "".join(t.key for t in whole))
        if code is not None:
            # "Thanh Ba, Phú Thọ": a trailing province is not also a ward name.
            out = [(segs[:-1], None, 0.0), (segs[:-1], code, PROVINCE_TEXT_BONUS)]
    for k in range(1, min(6, len(last))):
        key = "".join(t.key for t in last[-k:])
        code = match_province(d, key, fuzzy=False)
        if code is None and 2 <= k <= 3 and len(key) >= 5:
            # "... Bến Tr": a misspelt province of two words or more. Such a reading gets no
            # province bonus, so it cannot beat one that eats the end of a ward name.
            code = match_province(d, key)
            if code is not None:
                head = _strip_province_marker(last[:-k], trailing=True)
                out.append(([*segs[:-1], head], code, 0.0))
            continue
        if code is not None:
            head = _strip_province_marker(last[:-k], trailing=True)
            out.append(([*segs[:-1], head], code, PROVINCE_TEXT_BONUS))
    return out


def _ward_parts(toks: list[Tok]) -> list[tuple[tuple[Tok, ...], str | None]]:
    """'ca phuong ben nghe cu' -> [(ben nghe, 'phường'), (ben nghe cu, 'phường'), ...]."""
    starts: list[tuple[int, str | None]] = [(0, None)]
    label, n = _marker(toks, 0, _DISTRICT_MARKERS)
    if label:  # "huyện Côn Đảo" (island districts); also keeps "thị xã" from reading as "xã"
        if not toks[n:]:
            return []
        # "Quan Sơn" is a name too: a type word that begins a name is also kept as the name.
        as_name: list[tuple[tuple[Tok, ...], str | None]] = (
            [(tuple(toks), None)] if _maybe_name(toks[:n], label) else []
        )
        return [(tuple(toks[n:]), label), *as_name]
    for i in range(min(4, len(toks))):  # skip "công an", "UBND" ... before a ward type
        label, n = _marker(toks, i, _WARD_MARKERS)
        if label:
            # "Phương Liễu" folds like "phường Liễu": keep the whole text as a name too.
            whole = i > 0 or (len(toks) > n and _maybe_name(toks[:n], label))
            starts = [(i + n, label), (0, None)] if whole else [(i + n, label)]
            break
    ends: list[tuple[int, str | None]] = []
    for phrase, label in _WARD_MARKERS.items():  # old lists: "Mỹ An (Thị trấn)"
        n = len(phrase)
        if len(toks) > n and tuple(t.key for t in toks[-n:]) == phrase:
            ends.append((len(toks) - n, label))
    out = []
    for start, kind in starts:
        name = toks[start:]
        if name:
            out.append((tuple(name), kind))
        if len(name) > 1 and name[-1].key in _TRAILING_NOISE:
            out.append((tuple(name[:-1]), kind))
    for end, kind in ends:
        out.append((tuple(toks[:end]), kind))
    return out


def _maybe_name(marker: list[Tok], label: str) -> bool:
    """Could these type-word tokens begin a name? "Phương"/"Quan"/"phuong" may ("Phương
    Liễu", "Quan Sơn"); "Phường", "Quận" typed with their marks, or "P.", may not."""
    raw = " ".join(t.raw for t in marker)
    if any(not t.raw for t in marker):
        return False  # an abbreviation
    return not has_marks(raw) or tone_key(raw) != tone_key(label)


def _district_part(toks: list[Tok]) -> str:
    _, n = _marker(toks, 0, _DISTRICT_MARKERS)
    return "".join(t.key for t in toks[n:])


def readings(d: Directory, query: str, province_code: int | None) -> list[Reading]:
    segs = _segments(query)
    if not segs:
        return []
    splits = _province_splits(d, segs)
    # (segments, province, bonus); a province the user chose in the UI binds every reading.
    plans = splits
    if province_code is not None:
        plans = [(s, province_code, 0.0) for s, p, _ in plans if p in (None, province_code)]
    out: dict[Reading, None] = {}
    for segments, province, bonus in plans:
        segments = [s for s in segments if s]
        marked = [i for i, s in enumerate(segments) if _has_ward_marker(s)]
        for i in marked or range(len(segments)):
            seg = segments[i]
            options: list[tuple[list[Tok], str | None]] = [(seg, None)]
            for j in range(1, len(seg)):
                if j < len(seg) - 1 and _marker(seg, j, _DISTRICT_MARKERS)[0]:
                    options.append((seg[:j], _district_part(seg[j:])))
                elif len(seg) - j <= 4:  # unmarked old district: "xa an hiep ba tri"
                    key = "".join(t.key for t in seg[j:])
                    if key in d.district_provinces:
                        options.append((seg[:j], key))
            if i + 1 < len(segments):
                options.append((seg, _district_part(segments[i + 1])))
            for ward_toks, district in options:
                for name, kind in _ward_parts(ward_toks):
                    out[Reading(name, kind, district or None, province, bonus)] = None
    return list(out)


def _has_ward_marker(toks: list[Tok]) -> bool:
    if _marker(toks, 0, _DISTRICT_MARKERS)[0]:
        return False
    return any(_marker(toks, i, _WARD_MARKERS)[0] for i in range(min(4, len(toks))))


def _kind_adjust(hint: str | None, kind: str) -> float:
    if hint is None or hint == kind:
        return KIND_MATCH if hint else 0.0
    if hint == "thị trấn" and kind == "xã":  # towns became communes in 2025
        return TOWN_AS_COMMUNE
    return KIND_MISMATCH


def search(
    d: Directory, query: str, province_code: int | None = None, limit: int = 8
) -> list[Candidate]:
    if limit <= 0 or (province_code is not None and province_code not in d.provinces):
        return []
    best: dict[int, tuple[float, str]] = {}
    cache: dict[tuple[str, int | None], list[Hit]] = {}
    for reading in readings(d, query, province_code):
        name_key = " ".join(t.key for t in reading.name)
        raw = " ".join(t.raw for t in reading.name if t.raw)
        typed_tones = tone_key(raw) if has_marks(raw) else ""
        for province in _scopes(d, reading):
            if (name_key, province) not in cache:
                index = d.national if province is None else d.by_province[province]
                cache[(name_key, province)] = index.lookup(name_key)
            for hit in cache[(name_key, province)]:
                _score_hit(d, hit, reading, typed_tones, best)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], d.units[kv[0]].province_code, kv[0]))
    return [
        Candidate(d.units[code], round(score, 2), reason)
        for code, (score, reason) in ranked[:limit]
        if score >= MIN_SCORE
    ]


def _scopes(d: Directory, reading: Reading) -> Sequence[int | None]:
    """Which name indexes to search: an old district pins the reading to its province(s)."""
    if reading.province is not None:
        return [reading.province]
    if reading.district is None:
        return [None]
    key = compact(reading.district)
    if key in d.district_provinces:
        return [*sorted(d.district_provinces[key])]
    found = process.extract(
        key, list(d.district_provinces), scorer=OSA.distance, score_cutoff=1, limit=None
    )
    codes = {c for k, _, _ in found if district_matches(key, k) for c in d.district_provinces[k]}
    return sorted(codes)


def _score_hit(
    d: Directory,
    hit: Hit,
    reading: Reading,
    typed_tones: str,
    best: dict[int, tuple[float, str]],
) -> None:
    entry = hit.entry
    # "huyện Côn Đảo" may only mean an island district; "Côn Đảo" alone may mean either.
    entry_is_district = entry.kind in DISTRICT_KINDS
    if reading.kind in DISTRICT_KINDS and not entry_is_district:
        return
    if entry_is_district and reading.kind is not None and reading.kind not in DISTRICT_KINDS:
        return
    score = hit.score + reading.bonus + _kind_adjust(reading.kind, entry.kind)
    if typed_tones:
        score += TONE_BONUS * fuzz.ratio(typed_tones, entry.tkey) / 100.0
    if entry.legacy is None:
        reason = "name" if hit.how == "exact" else f"name ({hit.how})"
        if reading.district is not None:
            score += CURRENT_WITH_DISTRICT
    else:
        if reading.district is not None:
            if not district_matches(compact(reading.district), entry.legacy.district_key):
                return
            score += DISTRICT_BONUS
        score -= LEGACY_COST
        split = len(entry.codes) > 1
        reason = f"legacy{' (split)' if split else ''}: {entry.legacy.label}"
    for rank, code in enumerate(entry.codes):
        # A split old ward offers every new ward; the data's default one first.
        s = score - (1.0 + 0.1 * rank if rank else 0.0)
        if code not in best or s > best[code][0]:
            best[code] = (s, reason)
