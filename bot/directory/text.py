"""Vietnamese text keys for matching unit names.

Two keys per string:
- ``fold``: no diacritics, lower case, đ→d, punctuation→space. Used for candidate lookup and
  edit distance, so "Hòa", "Hoà", "hoa" and "HOA" all meet.
- ``tone_key``: keeps vowel quality (ă, â, ê, ô, ơ, ư, đ) and the tone of each syllable but not
  where the tone mark sits, so old-style "Hòa"/"Thủy"/"Qúy" equal new-style "Hoà"/"Thuỷ"/"Quý".
  Only used to break ties between names that fold alike ("Văn Lang" vs "Văn Lăng").
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Combining tone marks: huyền, sắc, ngã, hỏi, nặng (+ the deprecated grave/acute tone marks).
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_TONES["\u0340"] = "2"
_TONES["\u0341"] = "1"
# Lookalikes people type for Đ/đ (Icelandic eth, African D).
_D_MAP = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ɖ": "d", "Ɖ": "d"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[^\W_]+")


def clean(text: str) -> str:
    """NFC, single spaces, trimmed — for display names from the data."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@functools.lru_cache(maxsize=1 << 15)  # names repeat a lot across old wards and districts
def fold(text: str) -> str:
    """ASCII matching key: 'Phường Bến Nghé' -> 'phuong ben nghe'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_ALNUM.split(stripped.lower())).strip()


def compact(text: str) -> str:
    """Folded key without spaces, so 'tanlap' meets 'tân lập'."""
    return fold(text).replace(" ", "")


def _split_tone(word: str) -> tuple[str, str]:
    """('hoà' | 'hòa') -> ('hoa', '2'); vowel-quality marks stay in the base."""
    tone = ""
    kept = []
    for ch in unicodedata.normalize("NFD", word.lower().replace("ð", "đ")):
        if ch in _TONES:
            tone = _TONES[ch]
        elif unicodedata.combining(ch) or ch.isalnum():
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def tone_key(text: str) -> str:
    """Diacritic-aware key that ignores tone placement: 'Hòa'/'Hoà' -> 'hoa2'."""
    return " ".join("".join(_split_tone(w)) for w in _WORD.findall(text))


def has_marks(text: str) -> bool:
    """True if the text carries any Vietnamese diacritic (so tone_key is informative)."""
    return any(ord(ch) > 127 for ch in text)


def words(text: str) -> list[str]:
    """Unicode words, keeping diacritics: 'P.Bến Nghé,Q1' -> ['P', 'Bến', 'Nghé', 'Q1']."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


# Vietnamese alphabet order: a ă â b c d đ e ê ... ; tone is a secondary key.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


def sort_key(text: str) -> tuple[tuple[int, ...], str]:
    """Collation key: 'Đắk Lắk' after every 'D…' name, 'Ân' after 'An'; tones break ties."""
    primary: list[int] = []
    for word in _WORD.findall(text.lower()):
        base = _split_tone(word)[0]
        for ch in base:
            primary.append(_RANK.get(ch, 100 + ord(ch)))
        primary.append(-1)  # word boundary sorts before any letter
    return tuple(primary), tone_key(text)
