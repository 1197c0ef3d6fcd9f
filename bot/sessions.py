"""Per-chat flow state that survives restarts and names nobody.

A chat's state (which flow, which step, the draft so far) is stored sealed under a keyed
pseudonym of the chat id, written through on every change so a crash or restart resumes where
the person was. Nothing in the row says whose chat it is without the key file.
"""

from __future__ import annotations

import json
from typing import Any

from bot.clock import Clock
from bot.crypto import Keyring
from storage import sessions as repo
from storage.db import Database

DEFAULT_TTL = 24 * 3600  # an abandoned flow (e.g. a tip draft) is forgotten after 24 hours
_PURPOSE = "session/v1"


class SessionStore:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock

    def _key(self, chat_id: int) -> bytes:
        return self.keyring.pseudonym(_PURPOSE, chat_id)

    async def get(self, chat_id: int) -> dict[str, Any]:
        blob = await repo.load(self.db, self._key(chat_id), self.clock.timestamp())
        if blob is None:
            return {}
        data: dict[str, Any] = json.loads(self.keyring.open(_PURPOSE, blob))
        return data

    async def set(self, chat_id: int, data: dict[str, Any], ttl: int = DEFAULT_TTL) -> None:
        if not data:
            await self.clear(chat_id)
            return
        sealed = self.keyring.seal(_PURPOSE, json.dumps(data, ensure_ascii=False).encode())
        await repo.save(self.db, self._key(chat_id), sealed, self.clock.timestamp() + ttl)

    async def clear(self, chat_id: int) -> None:
        await repo.delete(self.db, self._key(chat_id))

    async def purge_expired(self) -> int:
        return await repo.purge_expired(self.db, self.clock.timestamp())
