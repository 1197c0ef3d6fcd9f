"""The CSV cell rule (issue 11, item 11): formula-like text cells get a leading apostrophe."""

from __future__ import annotations

import csv
import io

import pytest

from bot.csv_cells import SafeWriter, read_cell, safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("https://x.example","a")', "+1", "-2+3",
                                  "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_made_inert_and_reads_back(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert read_cell("'" + text) == text


@pytest.mark.parametrize("value", ["Công an phường Sài Gòn", "028 3829 7643", "", "a=b",
                                   "'quoted", 5, -3, 1.5, None])
def test_other_cells_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert read_cell(value) == value


def test_writer_neutralises_every_cell_of_a_row() -> None:
    out = io.StringIO()
    SafeWriter(out, lineterminator="\n").writerow(["=1+1", -1, "ok", "@x"])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-1", "ok", "'@x"]]
