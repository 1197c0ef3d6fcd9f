"""Clean images before anyone sees them: decode, keep only the pixels, re-encode as JPEG.

Re-encoding from the decoded pixels drops EXIF (GPS position, camera make/model/serial, time),
XMP, IPTC, ICC profiles, comments and any trailing data. Orientation is applied to the pixels
first so the picture still looks right. Anything Pillow cannot decode as a still image is
refused: it cannot be cleaned, so it is never stored or forwarded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000  # decompression-bomb guard
MAX_SIDE = 1600  # enough for police to read a number plate; keeps cards small
QUALITY = 82
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}


class NotAnImage(Exception):
    """The bytes are not an image this bot can clean (code in `reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_big" | "not_image" | "too_many_pixels"


def clean_image(data: bytes) -> bytes:
    """Return a metadata-free JPEG of the image, or raise NotAnImage."""
    if len(data) > MAX_INPUT_BYTES:
        raise NotAnImage("too_big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in ALLOWED_FORMATS:
                    raise NotAnImage("not_image")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise NotAnImage("too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.seek(0)  # first frame only (animated GIF/WebP → still picture)
                img.load()
                upright = ImageOps.exif_transpose(img) or img
                rgb = upright.convert("RGB")
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAnImage("not_image") from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image holding only the pixels: no info dict, no EXIF, no ICC profile.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
