"""Photo cleaning: EXIF/GPS/camera data gone, orientation kept, non-images refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

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
