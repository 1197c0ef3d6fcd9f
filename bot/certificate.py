"""Participation certificates as PNG, drawn with Pillow in Be Vietnam Pro.

The font comes from the PyPI package ``fontpkg-be-vietnam-pro`` (SIL Open Font License 1.1,
"Copyright 2021 The Be Vietnam Pro Project Authors"), a family designed for Vietnamese, so every
diacritic (ễ, ặ, ự …) is drawn by the font itself rather than stacked by the renderer.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fontpkg_be_vietnam_pro
from PIL import Image, ImageDraw, ImageFont

from bot.i18n import translator

MAX_NAME = 60
"""Longer display names are cut (with "…"); Telegram's own first+last name limit is 128."""
MAX_TITLE = 160
MAX_LINE = 80
"""Score and date texts longer than this are cut."""

WIDTH, HEIGHT = 2000, 1414  # A4 landscape proportions; prints sharp at ~170 dpi
_FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"

_PAPER = (252, 249, 242)
_NAVY = (24, 54, 92)
_GOLD = (176, 134, 52)
_INK = (45, 45, 50)
_MUTED = (100, 104, 112)

@dataclass(frozen=True)
class _Labels:
    heading: str
    sub: str
    certifies: str
    completed: str
    score: str
    footer_title: str
    footer_motto: str
    seal: tuple[str, str] = ("KHÔNG", "MA TÚY")


def _labels(locale: str) -> _Labels:
    """The certificate's words in `locale`, from the gettext catalogs like every other text
    (the product name in the footer and the seal stays as it is)."""
    _ = translator(locale).gettext
    return _Labels(
        heading=_("CERTIFICATE"),
        sub=_("of participation in drug-prevention learning"),
        certifies=_("This certifies that"),
        completed=_("has completed"),
        score=_("Result"),
        footer_title="Không Ma Túy",
        footer_motto=_("Live well, say no to drugs"),
    )


@cache
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONT_DIR / f"BeVietnamPro-{weight}.ttf"), size)


def clean_text(text: str, limit: int) -> str:
    """NFC (so "ễ" is one glyph), control characters and runs of spaces removed, cut at
    ``limit`` characters with an ellipsis."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _width(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont) -> float:
    return draw.textlength(text, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, weight: str, size: int, max_width: int,
         min_size: int) -> ImageFont.FreeTypeFont:
    """The largest font size ≤ ``size`` (down to ``min_size``) at which ``text`` fits."""
    while size > min_size and _width(draw, text, _font(weight, size)) > max_width:
        size -= 2
    return _font(weight, size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          max_width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}".strip()
        if current and _width(draw, candidate, font) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _centered(draw: ImageDraw.ImageDraw, y: float, text: str, font: ImageFont.FreeTypeFont,
              fill: tuple[int, int, int]) -> None:
    draw.text((WIDTH / 2, y), text, font=font, fill=fill, anchor="ms")


def _frame(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((40, 40, WIDTH - 41, HEIGHT - 41), outline=_NAVY, width=14)
    draw.rectangle((72, 72, WIDTH - 73, HEIGHT - 73), outline=_GOLD, width=4)
    # Corner ornaments: a gold diamond inside each corner of the inner frame.
    for cx, cy in ((72, 72), (WIDTH - 73, 72), (72, HEIGHT - 73), (WIDTH - 73, HEIGHT - 73)):
        r = 22
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=_GOLD)
        draw.polygon([(cx, cy - 9), (cx + 9, cy), (cx, cy + 9), (cx - 9, cy)], fill=_PAPER)


def _rule(draw: ImageDraw.ImageDraw, y: int, half: int) -> None:
    cx = WIDTH // 2
    draw.line((cx - half, y, cx - 18, y), fill=_GOLD, width=3)
    draw.line((cx + 18, y, cx + half, y), fill=_GOLD, width=3)
    draw.polygon([(cx, y - 9), (cx + 9, y), (cx, y + 9), (cx - 9, y)], fill=_GOLD)


def _seal(draw: ImageDraw.ImageDraw, cx: int, cy: int, lines: tuple[str, str]) -> None:
    draw.ellipse((cx - 105, cy - 105, cx + 105, cy + 105), fill=_NAVY)
    draw.ellipse((cx - 93, cy - 93, cx + 93, cy + 93), outline=_GOLD, width=4)
    draw.ellipse((cx - 82, cy - 82, cx + 82, cy + 82), outline=_GOLD, width=1)
    font = _font("Bold", 31)
    draw.text((cx, cy - 4), lines[0], font=font, fill=_PAPER, anchor="ms")
    draw.text((cx, cy + 38), lines[1], font=font, fill=_PAPER, anchor="ms")
    draw.polygon([(cx, cy - 64), (cx + 8, cy - 52), (cx, cy - 40), (cx - 8, cy - 52)],
                 fill=_GOLD)


def render_certificate(
    display_name: str,
    contest_title: str,
    score_text: str,
    date_text: str,
    locale: str = "vi",
) -> bytes:
    """A landscape certificate (2000×1414 PNG). Texts are plain strings: nothing is parsed or
    escaped; long ones are cut (name at :data:`MAX_NAME`) or shrunk and wrapped to fit."""
    labels = _labels(locale)
    name = clean_text(display_name, MAX_NAME) or "—"
    title = clean_text(contest_title, MAX_TITLE)
    score = clean_text(score_text, MAX_LINE)
    date = clean_text(date_text, MAX_LINE)

    image = Image.new("RGB", (WIDTH, HEIGHT), _PAPER)
    draw = ImageDraw.Draw(image)
    _frame(draw)
    text_width = WIDTH - 2 * 230

    _centered(draw, 270, labels.heading, _fit(draw, labels.heading, "ExtraBold", 104,
                                                 text_width, 60), _NAVY)
    _centered(draw, 340, labels.sub, _font("Medium", 38), _GOLD)
    _rule(draw, 395, 300)

    _centered(draw, 490, labels.certifies, _font("Italic", 42), _MUTED)
    name_font = _fit(draw, name, "Bold", 110, text_width, 52)
    _centered(draw, 630, name, name_font, _NAVY)
    name_w = min(_width(draw, name, name_font), text_width) / 2 + 40
    draw.line((WIDTH / 2 - name_w, 665, WIDTH / 2 + name_w, 665), fill=_GOLD, width=2)

    _centered(draw, 745, labels.completed, _font("Italic", 42), _MUTED)
    title_font = _font("SemiBold", 58)
    title_lines = _wrap(draw, title, title_font, text_width)
    if len(title_lines) > 2:
        title_font = _font("SemiBold", 44)
        title_lines = _wrap(draw, title, title_font, text_width)[:3]
    y = 830
    for line in title_lines:
        _centered(draw, y, line, title_font, _INK)
        y += int(title_font.size * 1.25)

    if score:
        score_font = _fit(draw, f"{labels.score}: {score}", "Bold", 50, text_width, 30)
        _centered(draw, max(y + 30, 985), f"{labels.score}: {score}", score_font, _GOLD)

    # Bottom band: date on the left, seal in the middle, footer on the right.
    base = HEIGHT - 205
    left_x, right_x = 360, WIDTH - 360
    if date:
        draw.text((left_x, base), date, font=_fit(draw, date, "Regular", 34, 420, 22),
                  fill=_INK, anchor="ms")
    draw.line((left_x - 200, base + 22, left_x + 200, base + 22), fill=_MUTED, width=2)
    draw.text((right_x, base - 44), labels.footer_title, font=_font("Bold", 36), fill=_NAVY,
              anchor="ms")
    draw.text((right_x, base), labels.footer_motto,
              font=_fit(draw, labels.footer_motto, "Regular", 30, 440, 22),
              fill=_INK, anchor="ms")
    draw.line((right_x - 200, base + 22, right_x + 200, base + 22), fill=_MUTED, width=2)
    _seal(draw, WIDTH // 2, base - 20, labels.seal)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
