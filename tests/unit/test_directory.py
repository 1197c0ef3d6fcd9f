"""bot.directory: official units, free-text search, legacy names, location pins."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import pytest
from vietnam_provinces import Province, Ward

from bot import directory as D
from bot.directory.text import fold, sort_key, tone_key

QUERIES = Path(__file__).resolve().parents[1] / "data" / "directory_queries.csv"


def _codes(results: list[D.Candidate]) -> list[int]:
    return [c.unit.code for c in results]


def _code(name: str, province: int) -> int:
    """Code of an official name, looked up in the data (not by the search under test)."""
    (code,) = [u.code for u in D.wards_of(province) if tone_key(u.name) == tone_key(name)]
    return code


def _legacy() -> dict:
    text = resources.files("content.directory").joinpath("legacy.json").read_text("utf-8")
    return json.loads(text)


# --- the official units -------------------------------------------------------------------


def test_all_units_from_vietnam_provinces() -> None:
    provinces = D.provinces()
    assert len(provinces) == 34
    assert {p.code for p in provinces} == {int(p.code) for p in Province.iter_all()}
    units = [u for p in provinces for u in D.wards_of(p.code)]
    assert len(units) == 3321
    assert {u.code for u in units} == {int(w.code) for w in Ward.iter_all()}
    assert Counter(u.kind for u in units) == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_unit_fields() -> None:
    u = D.get_ward(26740)
    assert u is not None
    assert (u.name, u.short_name, u.kind, u.province_code) == ("Phường Sài Gòn", "Sài Gòn",
                                                               "phường", 79)  # fmt: skip
    assert u.province_name == "Thành phố Hồ Chí Minh"
    assert D.get_ward("00070") == D.get_ward(70)  # zero-padded GSO code
    assert D.get_ward("nope") is None and D.get_ward(999999) is None
    assert D.get_province(1) == D.ProvinceInfo(1, "Thành phố Hà Nội", "Hà Nội")
    assert D.get_province("x") is None and D.wards_of(999) == []
    # Official names are cleaned of the source's stray double spaces.
    assert all("  " not in u.name for p in D.provinces() for u in D.wards_of(p.code))


def test_provinces_in_vietnamese_order() -> None:
    names = [p.short_name for p in D.provinces()]
    assert names[0] == "An Giang" and names[-1] == "Vĩnh Long"
    assert names.index("Đà Nẵng") < names.index("Đắk Lắk") < names.index("Điện Biên")
    # Vietnamese alphabet: a < ă < â, d < đ; tones only break ties.
    words = ["Đa", "Bê", "Ân", "Da", "Ăn", "An", "Án"]
    assert sorted(words, key=sort_key) == ["An", "Án", "Ăn", "Ân", "Bê", "Da", "Đa"]
    assert names == sorted(names, key=sort_key)


# --- search: every unit, exactly --------------------------------------------------------------


def test_every_ward_rank_one_by_exact_name_in_its_province() -> None:
    misses = []
    for p in D.provinces():
        for u in D.wards_of(p.code):
            got = _codes(D.search(u.name, p.code, limit=3))
            if got[:1] != [u.code]:
                misses.append((u.code, u.name, got))
    assert misses == []


def test_every_ward_top3_nationally_with_province_appended() -> None:
    misses = []
    for p in D.provinces():
        for u in D.wards_of(p.code):
            got = _codes(D.search(f"{u.name}, {p.name}", limit=3))
            if u.code not in got:
                misses.append((u.code, u.name, got))
    assert misses == []


def test_province_shown_when_no_province_given() -> None:
    results = D.search("xa tan thanh")
    assert len({c.unit.province_code for c in results}) > 1  # namesakes across provinces
    assert all(c.unit.label.endswith(c.unit.province_name) for c in results)


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("Hòa", "Hoà"), ("Thủy", "Thuỷ"), ("Quý", "Qúy"), ("Khỏe", "Khoẻ"), ("Đ", "Ð")],
)
def test_tone_placement_variants_share_keys(a: str, b: str) -> None:
    assert fold(a) == fold(b)
    assert tone_key(a) == tone_key(b)


def test_tone_key_keeps_vowel_quality() -> None:
    assert fold("Văn Lăng") == fold("Văn Lang")
    assert tone_key("Văn Lăng") != tone_key("Văn Lang")


@pytest.mark.parametrize(
    "query",
    ["Phường Thuỷ Nguyên", "phường thủy nguyên", "PHUONG THUY NGUYEN", "p.Thuy Nguyen",
     "Thuy nguyen", "P. Thủy Nguyên, Hải Phòng", "thuy nguyen hp"],
)  # fmt: skip
def test_diacritics_case_and_tone_variants(query: str) -> None:
    # vietnam-provinces spells it new-style "Thuỷ"; the other dataset old-style "Thủy".
    assert _codes(D.search(query))[:1] == [_code("Phường Thủy Nguyên", 31)]


def test_diacritics_break_ties_between_names_that_fold_alike() -> None:
    lang = _codes(D.search("Xã Văn Lang", 19))
    lang2 = _codes(D.search("Xã Văn Lăng", 19))
    assert lang[0] == 2143 and lang2[0] == 5665
    assert set(_codes(D.search("xa van lang", 19))[:2]) == {2143, 5665}  # no marks: both


@pytest.mark.parametrize(
    ("query", "province", "name", "in_province"),
    [
        ("P. Bến Thành", 79, "Phường Bến Thành", 79),
        ("p ben thanh, HCM", None, "Phường Bến Thành", 79),
        ("Phường Bến Thành, Tp.HCM", None, "Phường Bến Thành", 79),
        ("phuong sai gon", None, "Phường Sài Gòn", 79),
        ("x cu chi", 79, "Xã Củ Chi", 79),
        ("Hoàn Kiếm HN", None, "Phường Hoàn Kiếm", 1),
        ("Đặc khu Côn Đảo", None, "Đặc khu Côn Đảo", 79),
        ("dk con dao", None, "Đặc khu Côn Đảo", 79),
        ("Công an phường Cửa Nam", 1, "Phường Cửa Nam", 1),
        ("Xã Ea H'leo", 66, "Xã Ea H’leo", 66),
        ("ben thnah", 79, "Phường Bến Thành", 79),  # transposition
        ("Ben Tanh", 79, "Phường Bến Thành", 79),  # one letter dropped
        ("Buon Ma Thout", None, "Phường Buôn Ma Thuột", 66),  # two errors, long name
    ],
)
def test_abbreviations_and_typos(
    query: str, province: int | None, name: str, in_province: int
) -> None:
    assert _codes(D.search(query, province))[:1] == [_code(name, in_province)]


def test_province_typed_in_the_query_restricts() -> None:
    results = D.search("xa tan lap ha noi")
    assert results and all(c.unit.province_code == 1 for c in results)


# --- provinces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hcm", 79), ("tp hcm", 79), ("Tp.HCM", 79), ("TPHCM", 79), ("sai gon", 79),
        ("Sài Gòn", 79), ("Hồ Chí Minh", 79), ("ha noi", 1), ("HN", 1), ("Hà Nội", 1),
        ("Thành phố Hà Nội", 1), ("Thừa Thiên Huế", 46), ("Huế", 46), ("Bình Dương", 79),
        ("Bà Rịa - Vũng Tàu", 79), ("Hà Giang", 8), ("Quảng Nam", 48), ("đắc lắc", 66),
        ("tinh dak lak", 66), ("Khánh Hoà", 56), ("can tho", 92), ("ha noii", 1),
    ],
)  # fmt: skip
def test_find_province(text: str, code: int) -> None:
    found = D.find_province(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["", "   ", "xyz", "phường", "!!!", "a" * 5000])
def test_find_province_none(text: str) -> None:
    assert D.find_province(text) is None


# --- pre-2025 names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["phường Bến Nghé, quận 1", "P. Bến Nghé Q1 TP.HCM", "ben nghe quan 1",
     "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh", "phuong ben nghe cu"],
)  # fmt: skip
def test_legacy_ben_nghe_is_sai_gon(query: str) -> None:
    top = D.search(query)[0]
    assert top.unit.code == 26740
    assert top.reason.startswith("legacy: Phường Bến Nghé, Quận 1")


def test_island_district_is_special_zone() -> None:
    assert _codes(D.search("huyện Côn Đảo, Bà Rịa - Vũng Tàu"))[:1] == [26732]


def test_every_split_old_ward_offers_every_new_ward() -> None:
    data = _legacy()
    provinces, districts = data["provinces"], data["districts"]
    splits = [w for w in data["wards"] if len(w[2]) > 1]
    assert len(splits) > 400
    misses = []
    for dist_idx, ward, codes in splits:
        prov_idx, district = districts[dist_idx]
        query = f"{ward}, {district}, {provinces[prov_idx][0]}"
        results = D.search(query, limit=8)
        got = _codes(results)
        if got[0] != codes[0] or not set(codes) <= set(got):
            misses.append((query, codes, got))
        assert all("legacy" in c.reason for c in results[: len(codes)] if c.unit.code in codes)
    assert misses == []


# --- location pins ---------------------------------------------------------------------------------


def _centroids() -> dict[int, tuple[float, float]]:
    text = resources.files("content.directory").joinpath("centroids.csv").read_text("utf-8")
    return {
        int(r["code"]): (float(r["lat"]), float(r["lon"]))
        for r in csv.DictReader(text.splitlines())
        if r["level"] == "ward"
    }


@pytest.mark.parametrize(
    ("name", "province"),
    [("Phường Sài Gòn", 79), ("Phường Hoàn Kiếm", 1), ("Phường Láng", 1), ("Phường Hải Châu", 48),
     ("Phường Ninh Kiều", 92), ("Phường Hà Giang 1", 8), ("Đặc khu Côn Đảo", 79),
     ("Xã Mường Nhé", 11)],
)  # fmt: skip
def test_nearest_on_ward_centroid(name: str, province: int) -> None:
    code = _code(name, province)
    lat, lon = _centroids()[code]
    results = D.nearest(lat, lon)
    assert results[0].unit.code == code
    assert results[0].distance_km == 0.0
    unit = D.get_ward(code)
    assert unit is not None
    assert all(c.unit.province_code == unit.province_code for c in results)


def test_every_ward_has_a_centroid() -> None:
    assert set(_centroids()) == {int(w.code) for w in Ward.iter_all()}


def test_nearest_in_a_given_province_and_off_the_map() -> None:
    lat, lon = _centroids()[26740]
    assert all(c.unit.province_code == 1 for c in D.nearest(lat, lon, province_code=1))
    assert D.nearest(0.0, 0.0) == []  # Gulf of Guinea
    assert D.nearest(float("nan"), 106.0) == []
    assert D.nearest(91, 0) == []
    assert len(D.nearest(21.0285, 105.8542, limit=5)) == 5  # Hoàn Kiếm Lake


# --- robustness --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "   ", "!!!", "\x00\x01", "😀😀", "a" * 10000, "phường", "xã", ", , ,", "12345678",
     "zzzzqqqq", "Q.1", "p." * 500, "ă" * 300, "x " * 2000, "SELECT * FROM wards;--"],
)  # fmt: skip
def test_garbage_returns_empty(query: str) -> None:
    assert D.search(query) == []


def test_bad_arguments() -> None:
    assert D.search(None) == []  # type: ignore[arg-type]
    assert D.search("Sài Gòn", province_code=999) == []
    assert D.search("Sài Gòn", province_code="abc") == []
    assert D.search("Sài Gòn", limit=0) == []
    assert len(D.search("tan", limit=2)) <= 2


def test_no_telegram_import() -> None:
    src = Path(D.__file__).parent
    for path in src.glob("*.py"):
        text = path.read_text("utf-8")
        assert "import telegram" not in text and "from telegram" not in text, path


# --- accuracy on realistic queries ----------------------------------------------------------------


def test_query_set_top3_accuracy() -> None:
    rows = list(csv.DictReader(QUERIES.open(encoding="utf-8")))
    assert len(rows) >= 400
    hits: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        hint = row["province_hint"] or None
        got = _codes(D.search(row["query"], hint, limit=3))
        hits[row["kind"]].append(int(row["expected_ward_code"]) in got)
    overall = sum(sum(v) for v in hits.values()) / len(rows)
    per_kind = {k: round(sum(v) / len(v), 3) for k, v in hits.items()}
    assert overall >= 0.97, per_kind
    assert min(per_kind.values()) >= 0.9, per_kind


# --- the tip flow's "Where?" step: provinces and wards ranked together ----------------------


def _first_screen(text: str) -> list[int]:
    """Ward codes on the first screen of the step ([] when it goes straight to a province)."""
    options, province = D.places(text, limit=8)
    return [] if province else [o.ward.unit.code for o in options if o.ward]


def test_where_step_bare_ward_name_is_not_taken_for_a_lookalike_province() -> None:
    # "Hải Châu" is one typo from "Lai Châu": the ward comes first, the province still listed.
    options, province = D.places("hai chau")
    assert province is None
    assert _code("Phường Hải Châu", 48) in _first_screen("hai chau")
    scores = {o.province.code: o.score for o in options if o.province}
    best_ward = max(o.score for o in options if o.ward)
    assert all(s < best_ward for s in scores.values())


def test_where_step_every_bare_ward_name_on_the_first_screen() -> None:
    """Every ward whose bare name has at most 8 namesakes is on the first screen, with or
    without diacritics (the old province-first rule lost ~15% of them)."""
    units = [u for p in D.provinces() for u in D.wards_of(p.code)]
    namesakes = Counter(fold(u.short_name) for u in units)
    missed = [
        (typed, u.province_name)
        for u in units
        if namesakes[fold(u.short_name)] <= 8
        for typed in (u.short_name, fold(u.short_name))
        if u.code not in _first_screen(typed)
    ]
    assert missed == []


@pytest.mark.parametrize("spelling", ["short_name", "folded", "name"])
def test_where_step_exact_province_names_come_first(spelling: str) -> None:
    for p in D.provinces():
        text = {"short_name": p.short_name, "folded": fold(p.short_name), "name": p.name}[spelling]
        options, _ = D.places(text)
        assert options[0].province is not None and options[0].province.code == p.code, text


def test_where_step_goes_straight_only_when_no_ward_has_the_name() -> None:
    assert D.places("Hà Nội")[1] is not None
    assert D.places("tỉnh Lai Châu")[1] is not None
    assert D.places("Lào Cai")[1] is None  # also Phường Lào Cai
    assert D.places("Bắc Giang")[1] is None  # old province, and a ward of today's Bắc Ninh
    assert D.places("   ") == ([], None)


@pytest.mark.parametrize(
    "query",
    [
        "Mỹ An (Thị trấn), Tháp Mười, Đồng Tháp",  # type word after the name
        "My An (Thi tran), Thap Muoi, Dong Thap",
        "Mỹ An (Thị trấn), Tháp Mưoi, Đồng Tháp",  # one typo in the district
        "Mỹ An (Thị trấn), Tháp Mười, Đồng Thpá",  # one typo in the province
        "Mỹ An thị trấn Tháp Mười Đồng Thap",
    ],
)
def test_old_address_with_type_word_after_the_name(query: str) -> None:
    assert _codes(D.search(query, limit=1)) == [_code("Xã Tháp Mười", 82)]


@pytest.mark.parametrize(
    ("query", "name", "province"),
    [
        ("An Hiep Ba Tri Ben Tr", "Xã An Hiệp", 86),  # misspelt two-word province, no commas
        ("An Hiep, Ba Tr, Ben Tre", "Xã An Hiệp", 86),  # one typo in a five-letter district
        ("Tân Định Quận 1 Hồ Chí Mnh", "Phường Tân Định", 79),
        ("Phương Liễu", "Phường Phương Liễu", 24),  # a name that begins like "phường"
        ("phuong lieu", "Phường Phương Liễu", 24),
        ("Bến Nghé (Phường), Quận 1, TP HCM", "Phường Sài Gòn", 79),
    ],
)
def test_typos_in_old_district_or_province_and_type_word_names(
    query: str, name: str, province: int
) -> None:
    assert _code(name, province) in _codes(D.search(query, limit=3))
