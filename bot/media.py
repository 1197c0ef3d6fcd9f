"""Campaign media by value: bytes stored once under their SHA-256, loaded when a campaign runs.
Channel-neutral: no Telegram file id is ever stored (the Telegram sender keeps the file id of
its first upload in memory, see bot/channels/telegram/broadcast.py)."""

from __future__ import annotations

import hashlib

from bot.clock import Clock
from bot.delivery import Media
from storage import media as repo
from storage.db import Database

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for photos


class MediaStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def put(self, data: bytes, mime: str = "image/jpeg") -> str:
        key = hashlib.sha256(data).hexdigest()
        await repo.put(self.db, key, mime, data, self.clock.timestamp())
        return key

    async def get(self, key: str) -> Media | None:
        found = await repo.get(self.db, key)
        if found is None:
            return None
        mime, data = found
        return Media(key, data, mime)
