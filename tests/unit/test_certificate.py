"""Certificates render Vietnamese with the packaged Be Vietnam Pro font; QR codes are PNGs."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from bot.certificate import HEIGHT, MAX_NAME, WIDTH, clean_text, render_certificate
from bot.qr import qr_png

NAME = "Nguyễn Thị Ánh Tuyết — Cuộc thi tìm hiểu phòng, chống ma túy"


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Dark pixels (text, not the cream paper or the gold lines) inside ``box``."""
    histogram = image.convert("L").crop(box).histogram()
    return sum(histogram[:110])


def test_vietnamese_certificate_has_ink() -> None:
    image = open_png(render_certificate(NAME, "Cuộc thi tìm hiểu phòng, chống ma túy",
                                        "9/10 câu đúng", "Hà Nội, ngày 26 tháng 6 năm 2026"))
    assert image.size == (WIDTH, HEIGHT)
    assert ink(image, (230, 540, WIDTH - 230, 670)) > 5000  # the name line


def test_diacritics_are_drawn_not_dropped() -> None:
    # A font without Vietnamese glyphs draws "ễ" like "e" (or a box); with the marks the name
    # line carries more ink than its bare-ASCII twin.
    marked = open_png(render_certificate("Nguyễn Ánh Tuyết", "T", "", ""))
    bare = open_png(render_certificate("Nguyen Anh Tuyet", "T", "", ""))
    box = (230, 520, WIDTH - 230, 670)
    assert ink(marked, box) > ink(bare, box)
    assert ImageChops.difference(marked.convert("L"), bare.convert("L")).getbbox() is not None


def test_decomposed_input_renders_like_composed() -> None:
    import unicodedata

    composed = render_certificate("Nguyễn Thị Ánh", "T", "1", "2")
    decomposed = render_certificate(unicodedata.normalize("NFD", "Nguyễn Thị Ánh"), "T", "1", "2")
    assert composed == decomposed


def test_long_texts_are_cut_and_still_render() -> None:
    assert len(clean_text("x" * 500, MAX_NAME)) == MAX_NAME
    assert clean_text("  Lan\n\t<b>Anh</b>\u200b ", 60) == "Lan <b>Anh</b>"
    data = render_certificate("Ư" * 500, "Cuộc thi " * 80, "điểm " * 50, "ngày " * 50, "en")
    assert open_png(data).size == (WIDTH, HEIGHT)


@pytest.mark.parametrize("locale", ["vi", "en", "fr"])
def test_every_locale_renders(locale: str) -> None:
    open_png(render_certificate("Lan", "Quiz", "10/10", "26/6/2026", locale))


def test_qr_png_is_a_square_black_and_white_png() -> None:
    image = open_png(qr_png("https://t.me/khong_ma_tuy_bot?start=c_ABC123"))
    assert image.width == image.height >= 21 * 10
    colours = {value for value, count in enumerate(image.convert("L").histogram()) if count}
    assert colours == {0, 255}
    assert qr_png("https://example.org/a") != qr_png("https://example.org/b")


def test_qr_png_rejects_empty_and_huge_input() -> None:
    with pytest.raises(ValueError):
        qr_png(" ")
    with pytest.raises(ValueError):
        qr_png("x" * 5000)
