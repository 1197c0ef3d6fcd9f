"""The update inbox: every fetched update is stored, sealed, before Telegram is told it may
forget it (long polling confirms a batch by asking for the next offset; a webhook by answering
200), so a crash or kill between fetching and handling loses nothing.

The body of an update names its sender (user id, chat id, message text — for a tip, the
tipster), so it is sealed with a purpose-bound key and bound to its update id, and
`bot.dedup.UpdateDeduplicator` deletes it (with secure_delete, then a WAL checkpoint) as soon as
the update was handled. Nothing else about an update is kept. Channel-independent: bodies are
the Bot API's JSON.
"""

from __future__ import annotations

import json
from typing import Any

from bot.clock import Clock
from bot.crypto import Keyring
from storage import updates as repo
from storage.db import Database

_PURPOSE = "update-inbox/v1"


class UpdateInbox:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock

        # Ids stored by `keep_many` (a whole getUpdates batch in one transaction) that the
        # update queue has not seen yet: it need not store them again.
        self.stored: set[int] = set()

    def _seal(self, update_id: int, body: dict[str, Any]) -> bytes:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return self.keyring.seal(_PURPOSE, raw, aad=str(update_id).encode())

    async def keep(self, update_id: int, body: dict[str, Any]) -> None:
        await repo.keep_many(self.db, [(update_id, self._seal(update_id, body))],
                             self.clock.timestamp())

    async def keep_many(self, bodies: list[dict[str, Any]]) -> None:
        """Store a batch of updates as Telegram sent them (each has its `update_id`)."""
        rows = [(int(b["update_id"]), self._seal(int(b["update_id"]), b)) for b in bodies]
        await repo.keep_many(self.db, rows, self.clock.timestamp())
        self.stored.update(uid for uid, _ in rows)

    async def unhandled(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates fetched before the last stop and never handled, oldest first. A body that
        does not open (a lost or replaced key file) is skipped: it can never be handled."""
        found, unreadable = [], []
        for update_id, sealed in await repo.unhandled(self.db):
            try:
                raw = self.keyring.open(_PURPOSE, sealed, aad=str(update_id).encode())
            except Exception:
                unreadable.append(update_id)
                continue
            found.append((update_id, json.loads(raw)))
        if unreadable:
            await repo.finish_many(self.db, unreadable, self.clock.timestamp())
        return found
