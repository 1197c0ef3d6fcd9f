"""Bulk enrolment sheets: a province's officer invite codes as CSV and as a printable PDF.

A province admin enrols every commune/ward police at once instead of running /invite 168
times: one card per ward with its code, the bot link and a QR code of that link, cut out and
handed to each ward. The codes come from UnitService.issue_province_sheet; this module only
renders them (no telegram import, no storage).

The PDF uses fpdf2 (LGPL-3.0) with the Be Vietnam Pro font (SIL OFL 1.1, from the
fontpkg-be-vietnam-pro package that the certificate already uses), so every diacritic prints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import fontpkg_be_vietnam_pro
from fpdf import FPDF

from bot.i18n import Translator
from bot.qr import qr_png
from bot.unit_types import InviteSheet

SHEET_COLUMNS = ("ward_code", "ward", "province", "invite_code", "link", "expires")
_FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
_FONT = "BeVietnamPro"

# A4 portrait in mm: 2 × 4 cards of 95 × 68 mm inside 10 mm margins.
_PAGE_W, _PAGE_H, _MARGIN = 210.0, 297.0, 10.0
_COLS, _ROWS = 2, 4
_CARD_W = (_PAGE_W - 2 * _MARGIN) / _COLS
_CARD_H = (_PAGE_H - 2 * _MARGIN - 8.0) / _ROWS  # 8 mm for the page header
_QR = 40.0


def pretty(code: str) -> str:
    """ABCDEFGHJKLM -> ABCD-EFGH-JKLM, as /invite shows codes."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# code -> the deep link that enrols whoever opens it (the same one /invite offers); the
# channel builds it (Telegram: t.me/<bot>?start=u_<code>).
LinkFor = Callable[[str], str]


def _local(t: Translator, when: datetime) -> str:
    return when.astimezone(t.tz).strftime("%Y-%m-%d %H:%M")


def sheet_csv(t: Translator, sheet: InviteSheet, link_for: LinkFor) -> str:
    """One row per ward; times in the bot's time zone (Asia/Ho_Chi_Minh by default)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    expires = _local(t, sheet.expires_at)
    for ward, code in sheet.codes:
        writer.writerow([
            f"{ward.code:05d}", ward.name, sheet.province.name, pretty(code),
            link_for(code), expires,
        ])  # fmt: skip
    return buf.getvalue()


def sheet_pdf(t: Translator, sheet: InviteSheet, link_for: LinkFor, bot_username: str) -> bytes:
    """A4 pages of cut-out cards, one per ward: name, code, QR of the link, how to use it."""
    _ = t.gettext
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(sheet.expires_at)  # the same sheet renders to the same bytes
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_font(_FONT, "", str(_FONT_DIR / "BeVietnamPro-Regular.ttf"))
    pdf.add_font(_FONT, "B", str(_FONT_DIR / "BeVietnamPro-Bold.ttf"))
    pdf.set_title(_("Officer invite codes – {province}").format(province=sheet.province.name))
    header = _(
        "Officer invite codes – {province} · each code works once, until {time}"
    ).format(province=sheet.province.name, time=_local(t, sheet.expires_at))
    how = _(
        "Scan the QR code with the phone's camera, or open the link, and press Start. "
        "Or send /bind and the code to @{bot} in a private chat."
    ).format(bot=bot_username)
    per_page = _COLS * _ROWS
    for i, (ward, code) in enumerate(sheet.codes):
        if i % per_page == 0:
            pdf.add_page()
            pdf.set_font(_FONT, "B", 10)
            pdf.set_xy(_MARGIN, _MARGIN)
            pdf.cell(_PAGE_W - 2 * _MARGIN, 6, header)
        slot = i % per_page
        x = _MARGIN + (slot % _COLS) * _CARD_W
        y = _MARGIN + 8.0 + (slot // _COLS) * _CARD_H
        _card(pdf, x, y, ward.name, sheet.province.name, code, link_for(code), how)
    if not sheet.codes:
        pdf.add_page()
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(_PAGE_W - 2 * _MARGIN, 6, header)
    return bytes(pdf.output())


def _card(pdf: FPDF, x: float, y: float, ward: str, province: str, code: str,
          link: str, how: str) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)  # a cutting line
    pdf.rect(x, y, _CARD_W, _CARD_H)
    pdf.set_dash_pattern()
    pdf.image(io.BytesIO(qr_png(link, box_size=4, border=2)), x=x + 3, y=y + 3, w=_QR, h=_QR)
    text_x, text_w = x + _QR + 6, _CARD_W - _QR - 9
    pdf.set_xy(text_x, y + 4)
    pdf.set_font(_FONT, "B", 11)
    pdf.multi_cell(text_w, 5, ward, new_x="LEFT", new_y="NEXT", max_line_height=5)
    pdf.set_font(_FONT, "", 8)
    pdf.multi_cell(text_w, 4, province, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(text_x, pdf.get_y() + 3)
    pdf.set_font(_FONT, "B", 13)
    pdf.cell(text_w, 7, pretty(code))
    pdf.set_xy(x + 3, y + _QR + 5)
    pdf.set_font(_FONT, "", 7)
    pdf.multi_cell(_CARD_W - 6, 3.5, link, new_x="LEFT", new_y="NEXT")
    pdf.multi_cell(_CARD_W - 6, 3.5, how, new_x="LEFT", new_y="NEXT")
