"""Clean images before anyone sees them: decode, keep only the pixels, re-encode as JPEG.

Re-encoding from the decoded pixels drops EXIF (GPS position, camera make/model/serial, time),
XMP, IPTC, ICC profiles, comments and any trailing data. Orientation is applied to the pixels
first so the picture still looks right. Anything Pillow cannot decode as a still image is
refused: it cannot be cleaned, so it is never stored or forwarded.

Cleaning must stay cheap whatever someone uploads (issue 11): the pixel count is read from the
header and checked before a single pixel is decoded (a 6 KiB PNG can declare 50 megapixels),
JPEGs are decoded already reduced (DCT scaling via `draft`, 1/2 … 1/8), and other formats are
shrunk with `reduce` before any further copy is made. How many images one person may have
cleaned a day is limited by the tip service (a daily pseudonym, never the chat id).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 20_000_000  # checked on the header, before decoding (a 20 MP phone photo passes)
MAX_SIDE = 1600  # enough for police to read a number plate; keeps cards small
QUALITY = 82
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}


class NotAnImage(Exception):
    """The bytes are not an image this bot can clean (code in `reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_big" | "not_image" | "too_many_pixels"


def _fit(width: int, height: int, side: int = MAX_SIDE) -> tuple[int, int]:
    """The size of a width × height picture scaled down to fit a side × side box."""
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def clean_image(data: bytes) -> bytes:
    """Return a metadata-free JPEG of the image, or raise NotAnImage."""
    if len(data) > MAX_INPUT_BYTES:
        raise NotAnImage("too_big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                fmt = probe.format or ""
                if fmt not in ALLOWED_FORMATS:
                    raise NotAnImage("not_image")
                width, height = probe.size
                if width <= 0 or height <= 0:
                    raise NotAnImage("not_image")
                if width * height > MAX_PIXELS:
                    raise NotAnImage("too_many_pixels")
                probe.verify()  # structure and checksums, no pixel decoding
            with Image.open(io.BytesIO(data)) as img:
                img.seek(0)  # first frame only (animated GIF/WebP → still picture)
                if fmt in ("JPEG", "MPO"):
                    # Decode at the smallest DCT scale still at least the target size.
                    img.draft("RGB", _fit(width, height))
                img.load()
                small = _shrink(img)
                # (Each step copies the picture: skip the ones with nothing to do.)
                if small.getexif().get(0x0112, 1) != 1:
                    small = ImageOps.exif_transpose(small) or small
                rgb = small if small.mode == "RGB" else small.convert("RGB")
                rgb.thumbnail((MAX_SIDE, MAX_SIDE))
                # A fresh image holding only the pixels: no info dict, no EXIF, no ICC profile.
                clean = Image.new("RGB", rgb.size)
                clean.paste(rgb)
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAnImage("not_image") from None
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _shrink(img: Image.Image) -> Image.Image:
    """Box-reduce a decoded picture far larger than needed, keeping its EXIF (orientation)."""
    factor = max(img.size) // MAX_SIDE
    if factor < 2:
        return img
    if img.mode not in ("L", "LA", "RGB", "RGBA", "RGBX", "I", "F", "La", "RGBa"):
        img = img.convert("RGBA" if "transparency" in img.info or img.mode == "PA" else "RGB")
    reduced = img.reduce(factor)
    reduced.info = dict(img.info)  # exif_transpose reads the orientation from here
    return reduced
