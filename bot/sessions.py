"""Per-chat flow state that survives restarts and names nobody.

A chat's state (which flow, which step, the draft so far) is stored sealed under a keyed
pseudonym of the chat id, written through on every change so a restart resumes where the
person was. Nothing in the row says whose chat it is without the key.

Flows that must never be linkable to a chat (the anonymous tip draft and follow-up, which can
name a tip) are *protected*: their row is named and sealed with a key that exists only in the
bot's memory, never derived from master.key. Whoever later holds the database and master.key
cannot tell which chat a protected row belongs to, nor read it. A clean shutdown writes that
key sealed (`session_restart`), and the next start reads it and deletes it at once, so a
restart or deploy resumes drafts; after a crash the key is gone: the person starts the tip
again and the orphaned rows expire unread.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.exceptions import InvalidTag

from bot.clock import Clock
from bot.crypto import Keyring
from storage import sessions as repo
from storage.db import Database

DEFAULT_TTL = 24 * 3600  # an abandoned flow (e.g. a tip draft) is forgotten after 24 hours
_PURPOSE = "session/v1"
_PROTECTED = "session/protected/v1"  # under the in-memory key only
_RESTART = "session/restart-key/v1"


class SessionStore:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self._memory = Keyring.ephemeral()  # random; replaced by the restart copy, if any
        self._protected_flows: set[str] = set()
        self._on_end: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}

    def protect(self, *flows: str) -> None:
        """Keep these flows' state under the in-memory key (see the module docstring)."""
        self._protected_flows.update(flows)

    def on_end(self, flow: str, fn: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Call `fn(state)` when a chat's state of this flow is cleared (/cancel, /deleteme, the
        flow's own end) or replaced by another flow's: for data a flow keeps beside its state
        (a tip draft's photos). Expiry does not call it: such data needs its own expiry."""
        self._on_end[flow] = fn

    async def _ending(self, chat_id: int | str, new_flow: Any) -> None:
        if not self._on_end:
            return
        old = await self.get(chat_id)
        fn = self._on_end.get(str(old.get("flow")))
        if fn is not None and old.get("flow") != new_flow:
            await fn(old)

    def _key(self, chat_id: int | str) -> bytes:
        return self.keyring.pseudonym(_PURPOSE, chat_id)

    def _memory_key(self, chat_id: int | str) -> bytes:
        return self._memory.pseudonym(_PROTECTED, chat_id)

    async def get(self, chat_id: int | str) -> dict[str, Any]:
        now = self.clock.timestamp()
        name = self._memory_key(chat_id)
        blob = await repo.load(self.db, name, now)
        if blob is not None:
            plain = self._memory.open(_PROTECTED, blob, aad=name)
        else:
            blob = await repo.load(self.db, self._key(chat_id), now)
            if blob is None:
                return {}
            plain = self.keyring.open(_PURPOSE, blob)
        data: dict[str, Any] = json.loads(plain)
        return data

    async def set(self, chat_id: int | str, data: dict[str, Any], ttl: int = DEFAULT_TTL) -> None:
        if not data:
            await self.clear(chat_id)
            return
        await self._ending(chat_id, data.get("flow"))
        plain = json.dumps(data, ensure_ascii=False).encode()
        expires = self.clock.timestamp() + ttl
        stable, memory = self._key(chat_id), self._memory_key(chat_id)
        if data.get("flow") in self._protected_flows:
            sealed = self._memory.seal(_PROTECTED, plain, aad=memory)
            await repo.save(self.db, memory, sealed, expires, replaces=stable)
        else:
            sealed = self.keyring.seal(_PURPOSE, plain)
            await repo.save(self.db, stable, sealed, expires, replaces=memory)

    async def clear(self, chat_id: int | str) -> None:
        await self._ending(chat_id, None)
        await repo.delete(self.db, self._key(chat_id), self._memory_key(chat_id))

    async def purge_expired(self) -> int:
        return await repo.purge_expired(self.db, self.clock.timestamp())

    # -- restarts ---------------------------------------------------------------------------
    async def resume(self) -> None:
        """At start: take the in-memory key back from a clean shutdown's copy, and delete it."""
        sealed = await repo.take_restart_key(self.db)
        if sealed is not None:
            try:
                master = self.keyring.open(_RESTART, sealed)
            except InvalidTag:  # another master.key: the protected rows cannot be read anyway
                master = b""
            if len(master) == 32:
                self._memory = Keyring(master=master)
            await self.db.checkpoint()  # the copy must not linger in the WAL

    async def suspend(self) -> None:
        """At a clean shutdown: keep the in-memory key, sealed, until the next start — only if
        some flow state could still be resumed with it."""
        if await repo.any_live(self.db, self.clock.timestamp()):
            await repo.save_restart_key(self.db, self.keyring.seal(_RESTART, self._memory.master))
