"""Photo cleaning: EXIF/GPS/camera data gone, orientation kept, non-images refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from bot.photos import NotAnImage, clean_image


def _jpeg_with_exif(orientation: int = 1) -> bytes:
    img = Image.new("RGB", (80, 40), (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x0110] = "SN-998877"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (10.0, 46.0, 30.0), 3: "E", 4: (106.0, 42.0, 10.0)}
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif, comment=b"author: Lan")
    return buf.getvalue()


def test_exif_gps_and_comments_are_removed() -> None:
    raw = _jpeg_with_exif()
    assert b"SecretCam" in raw
    out = clean_image(raw)
    assert b"SecretCam" not in out and b"SN-998877" not in out and b"author: Lan" not in out
    img = Image.open(io.BytesIO(out))
    assert img.format == "JPEG"
    assert not img.getexif()
    assert "icc_profile" not in img.info and "comment" not in img.info


def test_orientation_is_applied_to_pixels() -> None:
    out = Image.open(io.BytesIO(clean_image(_jpeg_with_exif(orientation=6))))
    assert out.size == (40, 80)


def test_png_and_animated_gif_become_clean_jpeg() -> None:
    png = io.BytesIO()
    Image.new("RGBA", (30, 30), (1, 2, 3, 128)).save(png, format="PNG", pnginfo=None)
    assert Image.open(io.BytesIO(clean_image(png.getvalue()))).format == "JPEG"
    gif = io.BytesIO()
    frames = [Image.new("P", (10, 10), i) for i in range(3)]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(clean_image(gif.getvalue()))).format == "JPEG"


def test_large_images_are_downscaled() -> None:
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000)).save(big, format="JPEG")
    assert max(Image.open(io.BytesIO(clean_image(big.getvalue()))).size) == 1600


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4 not an image", b"\xff\xd8\xff broken jpeg", b"GIF89a"])
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        clean_image(data)


def test_too_big_is_refused() -> None:
    with pytest.raises(NotAnImage) as exc:
        clean_image(b"\0" * (21 * 1024 * 1024))
    assert exc.value.reason == "too_big"


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 0).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def test_pixel_bomb_is_refused_from_its_header_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _png((7070, 7070))  # ~6 KiB declaring 50 megapixels
    assert len(bomb) < 10 * 1024
    loads: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        loads.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    with pytest.raises(NotAnImage) as exc:
        clean_image(bomb)
    assert exc.value.reason == "too_many_pixels"
    assert loads == []  # not a single pixel was decoded
    # Just over 20 MP is refused too; a 20 MP picture is cleaned.
    with pytest.raises(NotAnImage):
        clean_image(_png((5000, 4001)))
    assert max(Image.open(io.BytesIO(clean_image(_png((5000, 4000), "L")))).size) == 1600


def test_jpeg_is_decoded_reduced(monkeypatch: pytest.MonkeyPatch) -> None:
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 10, 10)).save(big, format="JPEG")
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        result = real_load(self)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    out = Image.open(io.BytesIO(clean_image(big.getvalue())))
    assert out.size == (1600, 1200)
    # DCT scaling: decoded at half size (2000 × 1500), never at 12 MP.
    assert decoded and max(w * h for w, h in decoded) <= 2000 * 1500


def test_large_png_keeps_orientation_after_reduce() -> None:
    img = Image.new("RGB", (4000, 2000), (10, 200, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    buf = io.BytesIO()
    img.save(buf, format="PNG", exif=exif)
    out = Image.open(io.BytesIO(clean_image(buf.getvalue())))
    assert out.size == (800, 1600)
