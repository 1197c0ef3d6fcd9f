"""Regenerate tests/data/directory_queries.csv (seeded, so the file is stable).

    .venv/bin/python tests/data/make_directory_queries.py

Generated rows come straight from the data (official names, pre-2025 wards) with realistic
corruptions; expected codes come from the data too, never from the search under test. Queries
without any province are drawn only from names that are unique nationally once diacritics are
dropped: for the rest even a perfect search could only guess, and the bot asks for the province
first. Hand-written rows (HAND) are real-world phrasings with codes checked by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from vietnam_provinces import Province, Ward

from bot.directory.text import clean, fold, tone_key

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "directory_queries.csv"
SEED = 20250701
AddRow = Callable[[str, "int | None", int, str], None]

# (query, province_hint, expected code, kind); codes checked against vietnam-provinces and the
# pre-2025 → 2025 conversion tables (Resolutions of the NA Standing Committee, 2025).
HAND: list[tuple[str, str, str, str]] = [
    # (query, province_hint, target, kind). target "new:<official name>@<province code>" or
    # "old:<pre-2025 ward>@<pre-2025 district>" — resolved from the data by main(), so the
    # expected code is the official one for that name, never the search's own answer.
    ("phường Bến Nghé, quận 1", "", "old:Phường Bến Nghé@Quận 1", "legacy"),
    ("P. Bến Nghé Q1 TP.HCM", "", "old:Phường Bến Nghé@Quận 1", "legacy"),
    ("ben nghe quan 1", "", "old:Phường Bến Nghé@Quận 1", "legacy"),
    ("phuong ben nghe cu", "79", "old:Phường Bến Nghé@Quận 1", "legacy"),
    ("Phường Sài Gòn", "", "new:Phường Sài Gòn@79", "exact"),
    ("phuong sai gon", "", "new:Phường Sài Gòn@79", "no-diacritics"),
    ("P. Sài Gòn, TP HCM", "", "new:Phường Sài Gòn@79", "abbrev"),
    ("p ben thanh hcm", "", "new:Phường Bến Thành@79", "abbrev"),
    (
        "Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh",
        "",
        "old:Phường Bến Thành@Quận 1",
        "legacy",
    ),
    ("phường Hàng Bạc, Hoàn Kiếm, Hà Nội", "", "old:Phường Hàng Bạc@Quận Hoàn Kiếm", "legacy"),
    ("P.Hoàn Kiếm HN", "", "new:Phường Hoàn Kiếm@1", "abbrev"),
    ("hoan kiem ha noi", "", "new:Phường Hoàn Kiếm@1", "no-diacritics"),
    ("Phường Cửa Nam", "1", "new:Phường Cửa Nam@1", "exact"),
    ("cua nam", "1", "new:Phường Cửa Nam@1", "no-diacritics"),
    ("Phường Láng, Hà Nội", "", "new:Phường Láng@1", "exact"),
    ("phuong lang ha noi", "", "new:Phường Láng@1", "no-diacritics"),
    ("Ba Đình, HN", "", "new:Phường Ba Đình@1", "exact"),
    ("phuong ba dinh", "1", "new:Phường Ba Đình@1", "no-diacritics"),
    ("Côn Đảo", "", "new:Đặc khu Côn Đảo@79", "exact"),
    ("huyện Côn Đảo, Bà Rịa - Vũng Tàu", "", "new:Đặc khu Côn Đảo@79", "legacy"),
    ("dac khu con dao", "", "new:Đặc khu Côn Đảo@79", "no-diacritics"),
    ("dk phu quoc", "", "new:Đặc khu Phú Quốc@91", "abbrev"),
    ("Phú Quốc", "91", "new:Đặc khu Phú Quốc@91", "exact"),
    ("đặc khu Lý Sơn", "", "new:Đặc khu Lý Sơn@51", "exact"),
    ("ly son quang ngai", "", "new:Đặc khu Lý Sơn@51", "no-diacritics"),
    ("Bạch Long Vĩ", "", "new:Đặc khu Bạch Long Vĩ@31", "exact"),
    ("Xã Thạnh An", "79", "new:Xã Thạnh An@79", "exact"),
    ("Xã Thanh An", "79", "new:Xã Thanh An@79", "exact"),
    ("Xã Văn Lăng", "19", "new:Xã Văn Lăng@19", "exact"),
    ("Xã Văn Lang", "19", "new:Xã Văn Lang@19", "exact"),
    ("Xã Cẩm Giàng", "31", "new:Xã Cẩm Giàng@31", "exact"),
    ("Phường Thủy Nguyên, Hải Phòng", "", "new:Phường Thuỷ Nguyên@31", "tone-variant"),
    ("phường thuỷ nguyên", "31", "new:Phường Thuỷ Nguyên@31", "tone-variant"),
    ("Xã Giao Thủy", "37", "new:Xã Giao Thuỷ@37", "tone-variant"),
    ("Phường Nguyễn Úy", "", "new:Phường Nguyễn Uý@37", "tone-variant"),
    ("Phường Buôn Ma Thuột", "", "new:Phường Buôn Ma Thuột@66", "exact"),
    ("p buon ma thuot dak lak", "", "new:Phường Buôn Ma Thuột@66", "abbrev"),
    ("buon me thuot", "66", "new:Phường Buôn Ma Thuột@66", "typo"),
    ("Xã Cư M'gar", "66", "new:Xã Cư M’gar@66", "exact"),
    ("xa cu mgar", "66", "new:Xã Cư M’gar@66", "no-diacritics"),
    ("Chân Mây - Lăng Cô", "46", "new:Xã Chân Mây – Lăng Cô@46", "exact"),
    ("chan may lang co hue", "", "new:Xã Chân Mây – Lăng Cô@46", "no-diacritics"),
    ("Thị trấn Đông Anh, Hà Nội", "", "old:Thị trấn Đông Anh@Huyện Đông Anh", "legacy"),
    ("TT Đông Anh", "1", "old:Thị trấn Đông Anh@Huyện Đông Anh", "legacy"),
    ("phường Hòa Bình, Phú Thọ", "", "new:Phường Hòa Bình@25", "tone-variant"),
    ("Phường Hoà Bình", "25", "new:Phường Hòa Bình@25", "tone-variant"),
    ("phuong hai chau da nang", "", "new:Phường Hải Châu@48", "no-diacritics"),
    ("Hải Châu, Đà Nẵng", "", "new:Phường Hải Châu@48", "exact"),
    (
        "phường Thạch Thang, quận Hải Châu, Đà Nẵng",
        "",
        "old:Phường Thạch Thang@Quận Hải Châu",
        "legacy",
    ),
    ("P.Ninh Kiều, Cần Thơ", "", "new:Phường Ninh Kiều@92", "abbrev"),
    ("ninh kieu can tho", "", "new:Phường Ninh Kiều@92", "no-diacritics"),
    ("phường Tân An, quận Ninh Kiều, Cần Thơ", "", "old:Phường Tân An@Quận Ninh Kiều", "legacy"),
    ("Phường Vũng Tàu", "79", "new:Phường Vũng Tàu@79", "exact"),
    (
        "phường 1, thành phố Vũng Tàu, Bà Rịa - Vũng Tàu",
        "",
        "old:Phường 1@Thành phố Vũng Tàu",
        "legacy",
    ),
    ("P1 Vũng Tàu", "79", "old:Phường 1@Thành phố Vũng Tàu", "legacy"),
    ("F1 q5", "79", "old:Phường 1@Quận 5", "legacy"),
    ("phường 9, quận 5", "", "old:Phường 9@Quận 5", "legacy"),
    ("P.14 Q.5 TPHCM", "", "old:Phường 14@Quận 5", "legacy"),
    ("phuong 2 quan 3 tp hcm", "", "old:Phường 2@Quận 3", "legacy"),
    ("Phuong Vo Thi Sau quan 3", "", "old:Phường Võ Thị Sáu@Quận 3", "legacy"),
    ("Xuân Hoà", "79", "new:Phường Xuân Hòa@79", "tone-variant"),
    ("Bàn Cờ", "79", "new:Phường Bàn Cờ@79", "exact"),
    ("phường Thảo Điền, thành phố Thủ Đức", "", "old:Phường Thảo Điền@Thành phố Thủ Đức", "legacy"),
    ("phuong linh trung thu duc", "", "old:Phường Linh Trung@Thành phố Thủ Đức", "legacy"),
    ("Phường Thủ Đức", "79", "new:Phường Thủ Đức@79", "exact"),
    ("xã Tân Thông Hội, huyện Củ Chi", "", "old:Xã Tân Thông Hội@Huyện Củ Chi", "legacy"),
    ("Xã Củ Chi, TP HCM", "", "new:Xã Củ Chi@79", "exact"),
    ("cu chi", "79", "new:Xã Củ Chi@79", "no-diacritics"),
    ("ca phuong phu nhuan", "79", "new:Phường Phú Nhuận@79", "abbrev"),
    ("Công an phường Phú Nhuận", "", "new:Phường Phú Nhuận@79", "abbrev"),
    ("phường Dĩ An, Bình Dương", "", "old:Phường Dĩ An@Thành phố Dĩ An", "legacy"),
    ("Phường Dĩ An", "79", "new:Phường Dĩ An@79", "exact"),
    ("Phường Thủ Dầu Một", "79", "new:Phường Thủ Dầu Một@79", "exact"),
    (
        "phường Trần Hưng Đạo, TP Thái Bình",
        "",
        "old:Phường Trần Hưng Đạo@Thành phố Thái Bình",
        "legacy",
    ),
    ("Phường Thái Bình, Hưng Yên", "", "new:Phường Thái Bình@33", "exact"),
    ("phường Trường Thi, Nam Định", "", "old:Phường Trường Thi@Thành phố Nam Định", "legacy"),
    ("Phường Nam Định", "37", "new:Phường Nam Định@37", "exact"),
    ("phuong hong gai quang ninh", "", "new:Phường Hồng Gai@22", "no-diacritics"),
    ("Phường Móng Cái 1", "22", "new:Phường Móng Cái 1@22", "exact"),
    ("mong cai 1", "22", "new:Phường Móng Cái 1@22", "no-diacritics"),
    ("Phường Hà Giang 1", "", "new:Phường Hà Giang 1@8", "exact"),
    ("p ha giang 2", "8", "new:Phường Hà Giang 2@8", "abbrev"),
    ("Xã Sơn Kim 1", "42", "new:Xã Sơn Kim 1@42", "exact"),
    ("xã A Lưới 2", "46", "new:Xã A Lưới 2@46", "exact"),
    ("phường Sa Pa, thị xã Sa Pa, Lào Cai", "", "old:Phường Sa Pa@Thị xã Sa Pa", "legacy"),
    ("phường Phúc Xá, Ba Đình", "", "old:Phường Phúc Xá@Quận Ba Đình", "legacy"),
    ("phuong dich vong hau cau giay", "", "old:Phường Dịch Vọng Hậu@Quận Cầu Giấy", "legacy"),
    ("Phường Cầu Giấy", "1", "new:Phường Cầu Giấy@1", "exact"),
    ("phuong cau giay hn", "", "new:Phường Cầu Giấy@1", "no-diacritics"),
]

NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "g": "fh", "h": "gj", "i": "uo",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "wa", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "x": "zc", "y": "tu",
}  # fmt: skip
TONE_SWAPS = {"oa": 1, "oe": 1, "uy": 1}  # vowel pairs whose tone may sit on either vowel


def strip_marks(text: str) -> str:
    return fold(text) if random.random() < 0.5 else _title_fold(text)


def _title_fold(text: str) -> str:
    return " ".join(w.capitalize() for w in fold(text).split())


def swap_tone(text: str) -> str:
    """Old ↔ new tone placement: 'Hòa' <-> 'Hoà', 'Thủy' <-> 'Thuỷ'."""
    out = []
    tones = "\u0300\u0301\u0303\u0309\u0323"
    for word in text.split():
        nfd = unicodedata.normalize("NFD", word)
        tone = next((c for c in nfd if c in tones), "")
        base = "".join(c for c in nfd if c not in tones)
        low = base.lower()
        for pair in TONE_SWAPS:
            pos = low.find(pair)
            if tone and pos >= 0 and pos + 2 == len(low):
                on_first = nfd.lower().find(pair[0] + tone) >= 0
                at = pos + (1 if on_first else 0)
                base = base[: at + 1] + tone + base[at + 1 :]
                word = unicodedata.normalize("NFC", base)
                break
        out.append(word)
    return " ".join(out)


def typo(text: str, n: int) -> str:
    """n keyboard-style errors inside the words (never on the first letter)."""
    chars = list(text)
    for _ in range(n):
        spots = [i for i in range(1, len(chars)) if chars[i].isalpha() and chars[i - 1] != " "]
        if not spots:
            break
        i = random.choice(spots)
        op = random.choice(["sub", "del", "ins", "swap"])
        c = chars[i].lower()
        if op == "sub" and c in NEIGHBOURS:
            chars[i] = random.choice(NEIGHBOURS[c])
        elif op == "del":
            del chars[i]
        elif op == "ins":
            chars.insert(i, random.choice(NEIGHBOURS.get(c, "a")))
        elif i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = random.choice(NEIGHBOURS.get(c, "e"))
    return "".join(chars)


def abbreviate(name: str, kind: str) -> str:
    short = name.split(" ", 2 if kind == "đặc khu" else 1)[-1]
    forms = {
        "phường": ["P. {}", "P.{}", "p {}", "F. {}", "phuong {}"],
        "xã": ["X. {}", "x {}", "xa {}", "X.{}"],
        "đặc khu": ["ĐK {}", "dac khu {}", "đặc khu {}"],
    }[kind]
    text = random.choice(forms).format(short)
    return strip_marks(text) if random.random() < 0.5 else text


def province_suffix(code: int) -> str:
    p = Province.from_code(code)  # type: ignore[arg-type]
    short = clean(p.name).replace("Thành phố ", "")
    options = [short, fold(short), clean(p.name)]
    if code == 79:
        options += ["HCM", "TP.HCM", "tphcm", "Sài Gòn", "tp hcm"]
    if code == 1:
        options += ["HN", "Hà Nội", "tp ha noi"]
    return random.choice(options)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the directory query set.")
    parser.add_argument("--seed", type=int, default=SEED, help="another seed = a held-out set")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    random.seed(args.seed)
    wards = sorted(Ward.iter_all(), key=lambda w: int(w.code))
    folded = Counter(fold(clean(w.name).split(" ", 1)[-1]) for w in wards)
    unique = [w for w in wards if folded[fold(clean(w.name).split(" ", 1)[-1])] == 1]
    rows = [(q, hint, _resolve(target), kind) for q, hint, target, kind in HAND]

    def add(query: str, hint: int | None, code: int, kind: str) -> None:
        rows.append((query, "" if hint is None else str(hint), code, kind))

    for w in random.sample(wards, 70):  # exact official name, province chosen in the UI
        add(clean(w.name), int(w.province_code), int(w.code), "exact")
    for w in random.sample(wards, 60):  # province typed in the text instead
        name = clean(w.name)
        sep = random.choice([", ", " ", " - "])
        add(f"{name}{sep}{province_suffix(int(w.province_code))}", None, int(w.code), "exact")
    for w in random.sample(unique, 50):  # nationally unique: no province needed
        add(strip_marks(clean(w.name)), None, int(w.code), "no-diacritics")
    for w in random.sample(wards, 60):
        add(strip_marks(clean(w.name)), int(w.province_code), int(w.code), "no-diacritics")
    for w in random.sample(wards, 70):
        text = abbreviate(clean(w.name), w.division_type.value)
        if random.random() < 0.4:
            add(f"{text} {province_suffix(int(w.province_code))}", None, int(w.code), "abbrev")
        else:
            add(text, int(w.province_code), int(w.code), "abbrev")
    toned = [w for w in wards if swap_tone(clean(w.name)) != clean(w.name)]
    for w in random.sample(toned, 40):
        add(swap_tone(clean(w.name)), int(w.province_code), int(w.code), "tone-variant")
    for w in random.sample(wards, 120):
        name = clean(w.name)
        short = name.split(" ", 1)[-1]
        n = 1 if len(fold(short).replace(" ", "")) < 10 else random.choice([1, 2])
        text = typo(short if random.random() < 0.5 else strip_marks(short), n)
        add(text, int(w.province_code), int(w.code), "typo")
    _legacy_rows(add)
    _hard_rows(add, wards)
    rows.sort(key=lambda r: (r[3], r[0]))
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["query", "province_hint", "expected_ward_code", "kind"])
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {args.out}")


def _hard_rows(add: AddRow, wards: list[Ward]) -> None:
    """Harder mixes: typos with the province typed (also misspelt), old wards without district."""
    for w in random.sample(wards, 60):
        name = clean(w.name)
        short = name.split(" ", 1)[-1]
        n = 1 if len(fold(short).replace(" ", "")) < 10 else random.choice([1, 2])
        text = typo(short if random.random() < 0.5 else strip_marks(short), n)
        province = province_suffix(int(w.province_code))
        if len(fold(province).replace(" ", "")) >= 8 and random.random() < 0.5:
            province = typo(province, 1)
        add(f"{text}, {province}", None, int(w.code), "typo")
    data = json.loads((ROOT / "content" / "directory" / "legacy.json").read_text("utf-8"))
    provinces, districts = data["provinces"], data["districts"]
    named = [w for w in data["wards"] if w[1]]
    per_old_province = Counter((fold(w[1]), districts[w[0]][0]) for w in named)
    unique = [w for w in named if per_old_province[(fold(w[1]), districts[w[0]][0])] == 1]
    for dist_idx, ward, codes in random.sample(unique, 50):
        old_province = provinces[districts[dist_idx][0]][0]
        old_short = old_province.replace("Thành phố ", "").replace("Tỉnh ", "")
        text = f"{ward}, {old_short}"
        if random.random() < 0.4:
            text = strip_marks(text)
        add(text, None, codes[0], "legacy-split" if len(codes) > 1 else "legacy")
    for dist_idx, ward, codes in random.sample(named, 40):
        district = districts[dist_idx][1]
        short = ward.split(" ", 1)[-1]
        if ward.startswith("Thị trấn"):
            short = ward.split(" ", 2)[-1]
        n = 1 if len(fold(short).replace(" ", "")) < 10 else random.choice([1, 2])
        text = f"{ward.split(' ')[0]} {typo(short, n)}, {district}"
        add(strip_marks(text) if random.random() < 0.5 else text, None, codes[0], "legacy-typo")


def _resolve(target: str) -> int:
    """'new:Phường Láng@1' or 'old:Phường Bến Nghé@Quận 1' -> the official code from the data."""
    side, rest = target.split(":", 1)
    name, where = rest.rsplit("@", 1)
    if side == "new":
        found = [
            int(w.code)
            for w in Ward.iter_all()
            if tone_key(clean(w.name)) == tone_key(name) and int(w.province_code) == int(where)
        ]
    else:
        data = json.loads((ROOT / "content" / "directory" / "legacy.json").read_text("utf-8"))
        found = [
            codes[0]
            for dist_idx, ward, codes in data["wards"]
            if tone_key(ward) == tone_key(name)
            and tone_key(data["districts"][dist_idx][1]) == tone_key(where)
        ]
    if len(found) != 1:
        raise SystemExit(f"hand-written target {target!r} matches {found}")
    return found[0]


def _legacy_rows(add: AddRow) -> None:
    data = json.loads((ROOT / "content" / "directory" / "legacy.json").read_text("utf-8"))
    provinces, districts = data["provinces"], data["districts"]
    wards = [w for w in data["wards"] if w[1]]
    pairs = Counter((fold(w[1]), fold(districts[w[0]][1])) for w in wards)
    splits = [w for w in wards if len(w[2]) > 1]
    for dist_idx, ward, codes in random.sample(wards, 160) + random.sample(splits, 40):
        prov_idx, district = districts[dist_idx]
        old_province, new_code = provinces[prov_idx]
        old_short = old_province.replace("Thành phố ", "").replace("Tỉnh ", "")
        kind = "legacy-split" if len(codes) > 1 else "legacy"
        form = random.random()
        if form < 0.3:
            text, hint = f"{ward}, {district}, {old_short}", None
        elif form < 0.55:
            text, hint = f"{ward}, {district}", new_code
        elif form < 0.75:
            text, hint = strip_marks(f"{ward} {district} {old_short}"), None
        else:
            d_short = district.split(" ", 1)[-1]
            if district.startswith("Thị xã") or district.startswith("Thành phố"):
                d_short = district.split(" ", 2)[-1]
            if d_short.isdigit():  # "Quận 8" is never written as a bare "8"
                d_short = random.choice(["Q.", "Q", "quận "]) + d_short
            text = f"{abbreviate(ward, 'xã' if ward.startswith('Xã') else 'phường')} {d_short}"
            if ward.startswith("Thị trấn"):
                text = f"TT {ward.split(' ', 2)[-1]}, {d_short}"
            hint = new_code
        if hint is None and pairs[(fold(ward), fold(district))] > 1:
            hint = new_code  # same ward+district names in two old provinces
        add(text, hint, codes[0], kind)


if __name__ == "__main__":
    main()
