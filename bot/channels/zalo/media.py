"""Photos the bot sends on Zalo (certificates, QR codes, cleaned tip photos for officers).

The Bot Platform takes photos only as https URLs it fetches itself. Each photo is kept in
memory for a short time under a random id and served at a signed, expiring URL under
`BOT_PUBLIC_URL`: `/zalo/media/<id>?exp=<unix time>&sig=<HMAC>`. The HMAC key comes from the
keyring (purpose "zalo/media-url/v1"), so a URL cannot be forged or its expiry extended, and
nothing is written to disk. A restart forgets every photo (their URLs expire soon anyway).

(The web channel will serve signed media too; when it lands the two should share one signer.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web

from bot.clock import Clock
from bot.crypto import Keyring

PURPOSE = "zalo/media-url/v1"
ROUTE = "/zalo/media/{media_id}"
DEFAULT_TTL = 15 * 60  # Zalo fetches a photo when it is sent; officers' tip photos are sensitive
MAX_TOTAL = 64 * 1024 * 1024


@dataclass
class _Item:
    data: bytes
    mime: str
    expires: int


def _mime_of(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


class MediaStore:
    def __init__(self, keyring: Keyring, clock: Clock, public_url: str, *,
                 ttl: int = DEFAULT_TTL, max_total: int = MAX_TOTAL) -> None:
        self._key = keyring.key(PURPOSE)
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.ttl = ttl
        self.max_total = max_total
        self._items: OrderedDict[str, _Item] = OrderedDict()
        self._total = 0

    @property
    def available(self) -> bool:
        return self.public_url.startswith("https://")

    def _sign(self, media_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{media_id}.{expires}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def publish(self, data: bytes) -> str:
        """A signed URL serving `data` until it expires."""
        self._expire()
        media_id = secrets.token_urlsafe(16)
        expires = self.clock.timestamp() + self.ttl
        self._items[media_id] = _Item(data, _mime_of(data), expires)
        self._total += len(data)
        while self._total > self.max_total and len(self._items) > 1:
            _old_id, old = self._items.popitem(last=False)
            self._total -= len(old.data)
        return (f"{self.public_url}/zalo/media/{media_id}"
                f"?exp={expires}&sig={self._sign(media_id, expires)}")

    def get(self, media_id: str, exp: str, sig: str) -> _Item | None:
        if not exp.isdigit() or len(sig) != 32:
            return None
        expires = int(exp)
        if not hmac.compare_digest(sig, self._sign(media_id, expires)):
            return None
        if expires < self.clock.timestamp():
            return None
        item = self._items.get(media_id)
        if item is None or item.expires != expires:
            return None
        return item

    def _expire(self) -> None:
        now = self.clock.timestamp()
        for media_id in [k for k, v in self._items.items() if v.expires < now]:
            self._total -= len(self._items.pop(media_id).data)

    async def serve(self, request: web.Request) -> web.Response:
        item = self.get(request.match_info.get("media_id", ""),
                        request.query.get("exp", ""), request.query.get("sig", ""))
        if item is None:
            return web.Response(status=404)
        return web.Response(body=item.data, content_type=item.mime, headers={
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        })
