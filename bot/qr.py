"""QR codes as PNG bytes (e.g. a contest's join link to project in a classroom)."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

MAX_QR_TEXT = 2000
"""Far below a QR code's capacity; a join link is ~60 characters."""


def qr_png(url: str, box_size: int = 10, border: int = 4) -> bytes:
    """A black-on-white PNG QR code for ``url``; medium error correction survives a
    projector's glare or a crumpled printout."""
    if not url or not url.strip():
        raise ValueError("nothing to encode")
    if len(url) > MAX_QR_TEXT:
        raise ValueError(f"text too long for a QR code ({len(url)} > {MAX_QR_TEXT})")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
