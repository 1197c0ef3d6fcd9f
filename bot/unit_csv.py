"""The units CSV: what /exportunits writes and /importunits reads (unit_code, name, hotline,
province_admin_ids). Parsing and checking only; the service (bot/units.py) checks the actor's
roles and applies a checked file in one transaction, so a file with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.csv_cells import SafeWriter, read_cell
from bot.i18n import N_
from bot.unit_codes import parse_ref, province_key, province_of, ward_key
from bot.unit_types import WARD, RowError

CSV_COLUMNS = ("unit_code", "name", "hotline", "province_admin_ids")
CSV_MAX_ROWS = 5000
CSV_MAX_BYTES = 1_000_000
NAME_MAX = 120
_HOTLINE_RE = re.compile(r"^\+?[0-9][0-9 ().\-]{1,22}$")
_USER_ID_RE = re.compile(r"^\d{1,15}$")


@dataclass(frozen=True)
class RowPlan:
    """One checked row: what to create or change. None = the column is missing (keep)."""

    kind: str
    code: str
    province: str
    name: str | None
    hotline: str | None
    admin_ids: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    plans: list[RowPlan]
    errors: list[RowError]
    rows: int  # data rows read


async def check_import(
    text: str,
    *,
    national: bool,
    mine: set[str],
    admins_of: Callable[[str], Awaitable[Iterable[int]]],
) -> Checked:
    """Every row of `text` checked; `errors` lists each bad row (nothing is applied then).
    A province admin (`national` False) may touch only the provinces in `mine` and may not add
    new province admins; `admins_of(province)` gives a province's current admins."""
    if len(text.encode("utf-8", "replace")) > CSV_MAX_BYTES:
        return Checked([], [RowError(0, N_("The file is larger than 1 MB."))], 0)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return Checked([], [RowError(1, N_("The file is empty."))], 0)
    columns = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "unit_code" not in columns:
        return Checked([], [RowError(1, N_("The first line must name the columns: {columns}."),
                                     {"columns": ", ".join(CSV_COLUMNS)})], 0)
    index = {name: columns.index(name) for name in CSV_COLUMNS if name in columns}
    errors: list[RowError] = []
    plans: list[RowPlan] = []
    seen: dict[tuple[str, str], int] = {}
    existing_admins: dict[str, set[int]] = {}
    row_no = 1
    try:
        for cells in reader:
            row_no += 1
            if row_no - 1 > CSV_MAX_ROWS:
                return Checked([], [RowError(row_no, N_("Too many rows (at most {n})."),
                                             {"n": CSV_MAX_ROWS})], row_no - 1)
            if not any(c.strip() for c in cells):
                continue
            plan = await _check_row(row_no, cells, index, national, mine, seen, existing_admins,
                                    admins_of, errors)
            if plan is not None:
                plans.append(plan)
    except csv.Error:
        errors.append(RowError(row_no, N_("the line cannot be read as CSV")))
    return Checked(plans, errors, row_no - 1 if errors else len(plans))


async def _check_row(
    row_no: int,
    cells: Sequence[str],
    index: dict[str, int],
    national: bool,
    mine: set[str],
    seen: dict[tuple[str, str], int],
    existing_admins: dict[str, set[int]],
    admins_of: Callable[[str], Awaitable[Iterable[int]]],
    errors: list[RowError],
) -> RowPlan | None:
    def cell(name: str) -> str | None:
        if name not in index:
            return None
        i = index[name]
        # An exported file marks formula-like cells with ' (bot.csv_cells).
        return read_cell(cells[i].strip()) if i < len(cells) else ""

    def refuse(reason: str, **params: object) -> None:
        errors.append(RowError(row_no, reason, params))

    ref = cell("unit_code") or ""
    parsed = parse_ref(ref)
    if parsed is None:
        refuse(N_("“{code}” is not a unit code (use a ward code such as 26740, or P79 for a province unit)."), code=ref)
        return None
    kind, c = parsed
    key = ward_key(c) if kind == WARD else province_key(c)
    if key is None:
        refuse(N_("unknown ward code {code}") if kind == WARD else N_("unknown province code {code}"),
               code=ref)
        return None
    province = province_of(kind, key)
    if not national and province not in mine:
        refuse(N_("{code} is outside your province"), code=ref)
        return None
    if (kind, key) in seen:
        refuse(N_("duplicate of row {other}"), other=seen[(kind, key)])
        return None
    seen[(kind, key)] = row_no
    name = cell("name")
    if name is not None:
        name = re.sub(r"\s+", " ", name)
        if len(name) > NAME_MAX or any(ord(ch) < 32 for ch in name):
            refuse(N_("the name is too long (at most {n} characters)"), n=NAME_MAX)
            return None
    hotline = cell("hotline")
    if hotline and (not _HOTLINE_RE.match(hotline) or sum(ch.isdigit() for ch in hotline) < 3):
        refuse(N_("“{value}” is not a phone number"), value=hotline)
        return None
    ids: list[int] = []
    for part in re.split(r"[;,\s]+", cell("province_admin_ids") or ""):
        if not part:
            continue
        if not _USER_ID_RE.match(part) or int(part) == 0:
            refuse(N_("bad Telegram user id “{value}”"), value=part)
            return None
        ids.append(int(part))
    if ids and not national:
        if province not in existing_admins:
            existing_admins[province] = set(await admins_of(province))
        new = [i for i in ids if i not in existing_admins[province]]
        if new:
            refuse(N_("only a national administrator can add province administrators ({value})"),
                   value=new[0])
            return None
    return RowPlan(kind, key, province, name, hotline, tuple(ids))


def write_csv(rows: Iterable[Sequence[object]]) -> str:
    """The export file: the header, then `rows` (formula-like cells made inert)."""
    buf = io.StringIO()
    writer = SafeWriter(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()
