"""Rebuild centroids.csv and legacy.json from the vietnamadminunits wheel (MIT).

Reproduce (from the repo root):

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau
    .venv/bin/python -m content.directory.build_data \
        /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl

Only the wheel's data files are read (data/dataset.db, data/converter_2025.json); the package
is never imported, so none of its runtime dependencies are needed.

Codes: vietnam-provinces (the installed version) is the ONE source of ward/province codes. The
wheel's rows are joined to it by province code + folded name (tone-mark placement and spacing
ignored); when two wards of a province fold alike ("Văn Lang"/"Văn Lăng") the diacritic-aware
tone key decides. The wheel's own ward codes are ignored (they differ for ~120 wards).
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vietnam_provinces import Province, Ward
from vietnam_provinces import __version__ as vp_version

from bot.directory.text import clean, fold, tone_key

OUT = Path(__file__).resolve().parent
SOURCE_VERSION = "vietnamadminunits 1.0.4"


@dataclass
class JoinReport:
    joined: int = 0
    by_tone_key: list[str] = field(default_factory=list)
    unjoined: list[str] = field(default_factory=list)
    code_differs: int = 0
    name_differs: list[str] = field(default_factory=list)


def _read_wheel(wheel: Path, tmp: Path) -> tuple[sqlite3.Connection, dict[str, Any], str]:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        db_name = next(n for n in names if n.endswith("data/dataset.db"))
        conv_name = next(n for n in names if n.endswith("data/converter_2025.json"))
        lic_name = next(
            n for n in names if n.endswith("licenses/LICENSE") or n.endswith("/LICENSE")
        )
        (tmp / "dataset.db").write_bytes(zf.read(db_name))
        converter = json.loads(zf.read(conv_name))
        licence = zf.read(lic_name).decode()
    conn = sqlite3.connect(tmp / "dataset.db")
    conn.row_factory = sqlite3.Row
    return conn, converter, licence


def _join(rows: list[sqlite3.Row]) -> tuple[dict[tuple[str, str], int], JoinReport]:
    """Map the wheel's (provinceKey, wardKey) to a vietnam-provinces ward code."""
    report = JoinReport()
    by_fold: dict[tuple[int, str], list[sqlite3.Row]] = defaultdict(list)
    for row in rows:
        by_fold[(int(row["provinceCode"]), fold(row["ward"]))].append(row)
    mapping: dict[tuple[str, str], int] = {}
    for ward in Ward.iter_all():
        name = clean(ward.name)
        found = by_fold.get((int(ward.province_code), fold(name)), [])
        if len(found) > 1:
            found = [r for r in found if tone_key(r["ward"]) == tone_key(name)]
            report.by_tone_key.append(name)
        if len(found) != 1:
            report.unjoined.append(f"{ward.code} {name}")
            continue
        row = found[0]
        mapping[(row["provinceKey"], row["wardKey"])] = int(ward.code)
        report.joined += 1
        report.code_differs += int(row["wardCode"]) != int(ward.code)
        if row["ward"] != ward.name:
            report.name_differs.append(f"{row['ward']!r} -> {ward.name!r}")
    return mapping, report


def _centroids(rows: list[sqlite3.Row], mapping: dict[tuple[str, str], int]) -> list[list[Any]]:
    out: list[list[Any]] = []
    seen: set[int] = set()
    for row in rows:
        pcode = int(row["provinceCode"])
        if pcode not in seen:
            seen.add(pcode)
            out.append(["province", pcode, row["provinceLat"], row["provinceLon"], ""])
    for row in rows:
        code = mapping.get((row["provinceKey"], row["wardKey"]))
        if code is not None:
            area = row["wardAreaKm2"] or ""
            out.append(["ward", code, row["wardLat"], row["wardLon"], area])
    return sorted(out, key=lambda r: (r[0] != "province", r[1]))


def _legacy(
    conn: sqlite3.Connection,
    converter: dict[str, Any],
    new_rows: list[sqlite3.Row],
    mapping: dict[tuple[str, str], int],
) -> tuple[dict[str, Any], int]:
    """Old (pre-2025) province/district/ward -> today's ward codes, default first for splits."""
    new_prov_code = {r["provinceKey"]: int(r["provinceCode"]) for r in new_rows}
    old_to_new_prov = {
        old: new_prov_code[new] for new, olds in converter["DICT_PROVINCE"].items() for old in olds
    }
    targets: dict[str, list[int]] = {}
    for pkey, new_wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, olds in new_wards.items():
            for old in olds:
                targets[old] = [mapping[(pkey, wkey)]]
    for pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, news in olds.items():
            ordered = sorted(news, key=lambda n: not n["isDefaultNewWard"])
            targets[old] = [mapping[(pkey, n["newWardKey"])] for n in ordered]

    provinces: list[list[Any]] = []
    districts: list[list[Any]] = []
    wards: list[list[Any]] = []
    prov_idx: dict[str, int] = {}
    dist_idx: dict[tuple[str, str], int] = {}
    unmapped = 0
    query = "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
    for row in conn.execute(query):
        pkey, dkey, wkey = row["provinceKey"], row["districtKey"], row["wardKey"] or ""
        if pkey not in prov_idx:
            prov_idx[pkey] = len(provinces)
            provinces.append([clean(row["province"]), old_to_new_prov[pkey]])
        if (pkey, dkey) not in dist_idx:
            dist_idx[(pkey, dkey)] = len(districts)
            districts.append([prov_idx[pkey], clean(row["district"])])
        codes = targets.get(f"{pkey}_{dkey}_{wkey}")
        if codes is None:
            unmapped += 1
            continue
        # Island districts had no wards: the row stands for the whole district (name "").
        name = clean(row["ward"]) if row["ward"] else ""
        wards.append([dist_idx[(pkey, dkey)], name, codes])
    data = {
        "source": f"{SOURCE_VERSION} data/dataset.db + data/converter_2025.json (MIT)",
        "codes": f"vietnam-provinces {vp_version}",
        "provinces": provinces,
        "districts": districts,
        "wards": wards,
    }
    return data, unmapped


def _write(
    rows: list[sqlite3.Row], mapping: dict[tuple[str, str], int], legacy: dict, licence: str
) -> None:
    with (OUT / "centroids.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["level", "code", "lat", "lon", "area_km2"])
        writer.writerows(_centroids(rows, mapping))
    (OUT / "legacy.json").write_text(
        json.dumps(legacy, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    (OUT / "LICENSE.vietnamadminunits").write_text(licence, encoding="utf-8")


def _evaluate_nearest(conn: sqlite3.Connection, legacy: dict[str, Any]) -> None:
    """Score bot.directory.nearest() on old ward centroids whose whole ward moved to one ward."""
    from bot.directory import get_ward, nearest

    query = "SELECT ward, district, wardLat, wardLon FROM admin_units_legacy WHERE ward IS NOT NULL"
    located = {(clean(r[1]), clean(r[0])): (r[2], r[3]) for r in conn.execute(query)}
    n = top1 = top3 = province = 0
    for dist_idx, ward, codes in legacy["wards"]:
        point = located.get((legacy["districts"][dist_idx][1], ward))
        if len(codes) != 1 or point is None or point[0] is None:
            continue
        got = nearest(point[0], point[1])
        target = get_ward(codes[0])
        n += 1
        top1 += bool(got) and got[0].unit.code == codes[0]
        top3 += codes[0] in [c.unit.code for c in got[:3]]
        province += (
            bool(got) and target is not None and got[0].unit.province_code == (target.province_code)
        )
    print(f"nearest() on {n} old ward centroids (whole moves): right ward first {top1 / n:.1%},"
          f" in top 3 {top3 / n:.1%}, right province {province / n:.1%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="vietnamadminunits-1.0.4-py3-none-any.whl")
    parser.add_argument("--evaluate", action="store_true", help="also score nearest()")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        conn, converter, licence = _read_wheel(args.wheel, Path(tmp))
        rows = list(conn.execute("SELECT * FROM admin_units"))
        mapping, report = _join(rows)
        legacy, unmapped = _legacy(conn, converter, rows, mapping)
        if args.evaluate:
            _write(rows, mapping, legacy, licence)
            _evaluate_nearest(conn, legacy)
        conn.close()
    _write(rows, mapping, legacy, licence)

    n_prov = sum(1 for _ in Province.iter_all())
    print(f"codes from vietnam-provinces {vp_version}: {n_prov} provinces")
    print(f"joined {report.joined} wards; unjoined {len(report.unjoined)}: {report.unjoined}")
    print(f"  resolved by tone key (fold collisions): {len(report.by_tone_key)}")
    print(
        f"  wheel code differs: {report.code_differs}; name spelled differently:"
        f" {len(report.name_differs)}"
    )
    for line in report.name_differs:
        print(f"    {line}")
    n_split = sum(len(w[2]) > 1 for w in legacy["wards"])
    print(
        f"legacy rows {len(legacy['wards'])} (split {n_split}), unmapped {unmapped},"
        f" districts {len(legacy['districts'])}, provinces {len(legacy['provinces'])}"
    )
    if report.unjoined or unmapped:
        raise SystemExit("join incomplete: fix before shipping")


if __name__ == "__main__":
    main()
