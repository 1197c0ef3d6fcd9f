"""Protected flows (tip draft and follow-up): their session row cannot be linked to the chat by
whoever holds the database and master.key; a clean restart resumes them, a crash forgets them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bot.clock import FrozenClock
from bot.crypto import Keyring
from bot.sessions import SessionStore
from storage.db import Database

CHAT = 987654321


async def _rows(db: Database) -> list[tuple[bytes, bytes]]:
    return [(bytes(r["key"]), bytes(r["value"])) for r in await db.fetchall("SELECT * FROM sessions")]


async def test_a_tip_draft_cannot_be_linked_with_the_database_and_master_key(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        store.protect("tip", "tip_fu")
        await store.set(CHAT, {"flow": "tip_fu", "step": "menu", "tip": 17}, ttl=900)
        assert (await store.get(CHAT))["tip"] == 17
        # The thief: the database and master.key, but not the running bot's memory.
        thief = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        assert await thief.get(CHAT) == {}
        rows = await _rows(db)
        assert len(rows) == 1
        assert rows[0][0] != thief.keyring.pseudonym("session/v1", CHAT)
        with pytest.raises(InvalidTag):  # nor can the value be read with master.key
            thief.keyring.open("session/v1", rows[0][1])
        # Other flows keep the stable, crash-proof row; switching moves the chat's one row.
        await store.set(CHAT, {"flow": "quiz", "q": 1})
        rows = await _rows(db)
        assert len(rows) == 1 and rows[0][0] == thief.keyring.pseudonym("session/v1", CHAT)
        assert await thief.get(CHAT) == {"flow": "quiz", "q": 1}
        await store.set(CHAT, {"flow": "tip", "step": "text"})
        assert len(await _rows(db)) == 1
        await store.clear(CHAT)
        assert await _rows(db) == []


async def test_clean_restart_resumes_and_forgets_the_copy_crash_forgets_the_draft(tmp_path: Path) -> None:
    clock = FrozenClock()
    draft = {"flow": "tip", "step": "text", "d": {"category": "spot"}}
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        store.protect("tip")
        await store.set(CHAT, draft)
        await store.suspend()  # clean shutdown
        assert len(await db.fetchall("SELECT * FROM session_restart")) == 1
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        await store.resume()
        assert await store.get(CHAT) == draft
        assert await db.fetchall("SELECT * FROM session_restart") == []  # read once, deleted
        # A crash: no suspend, so the next process has a new key and cannot find the draft.
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), clock)
        await store.resume()
        assert await store.get(CHAT) == {}
        clock.advance(days=2)
        assert await store.purge_expired() == 1  # the orphan expires unread


async def test_no_restart_copy_when_nothing_could_use_it(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.db") as db:
        store = SessionStore(db, Keyring.load_or_create(tmp_path), FrozenClock())
        await store.suspend()
        assert await db.fetchall("SELECT * FROM session_restart") == []
