"""The tip outbox sends a new tip's card ahead of queued answers of other tips (issue 11)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.chat_port import Destination
from bot.screens import Screen
from bot.tip_outbox import Delivery, OutboxWorker, Part, prioritised
from storage import tips as repo
from storage.db import Database

GROUP = -100555


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "o.sqlite3").open()
    yield database
    await database.close()


async def _tip(db: Database, code: str) -> int:
    async with db.transaction() as conn:
        return await repo.insert_tip(
            conn, code=code, lookup=b"x", receipt_hash="h", category="spot", ward_code="26740",
            province_code="79", when_code="now", body=b"b", unit_id=None, created_at=0, routed_at=0)


class Renderer:
    async def render(self, row: Any) -> Delivery:
        return Delivery(int(row["chat_id"]), [Part("text", f"{row['kind']}:{row['tip_id']}")])

    async def card_message(self, tip_id: int, chat_id: int) -> int | None:
        return None

    async def delivered(self, row: Any, message_id: int) -> None: ...

    async def undeliverable(self, row: Any) -> None: ...

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None: ...


class Sender:
    """A chat port (bot/engine/chat_port.py) that records the texts it sends."""

    channel = "test"

    def __init__(self, on_send: Any = None) -> None:
        self.sent: list[str] = []
        self.on_send = on_send

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> int:
        assert to == Destination("test", GROUP)
        self.sent.append(screen.text)
        if self.on_send is not None:
            await self.on_send(len(self.sent))
        return len(self.sent)

    async def send_photos(self, to: Destination, photos: list[bytes], *, reply_to: Any = None) -> int:
        raise AssertionError

    async def send_location(self, to: Destination, latitude: float, longitude: float, *,
                            reply_to: Any = None) -> int:
        raise AssertionError

    async def replace(self, to: Destination, message: Any, screen: Screen) -> int:
        raise AssertionError

    async def remove_buttons(self, to: Destination, message: Any) -> None: ...


async def _enqueue(db: Database, tip_id: int, kind: str, ref: int = 0) -> None:
    async with db.transaction() as conn:
        await repo.enqueue(conn, tip_id, kind, GROUP, 0, ref=ref)


async def test_card_goes_ahead_of_sixty_queued_answers(db: Database) -> None:
    old, urgent = await _tip(db, "AAAAAA"), await _tip(db, "BBBBBB")
    for i in range(60):
        await _enqueue(db, old, "answer", ref=i + 1)
    await _enqueue(db, urgent, "card")
    worker = OutboxWorker(db, Renderer(), lambda: 0, group_limit=1000, group_window=1.0)
    sender = Sender()
    worker.ports = {"telegram": sender}
    await worker._destination(GROUP)
    assert sender.sent[0] == f"card:{urgent}"
    assert len(sender.sent) == 61


async def test_card_queued_while_answers_are_sent_jumps_the_queue(db: Database) -> None:
    old, urgent = await _tip(db, "AAAAAA"), await _tip(db, "BBBBBB")
    for i in range(60):
        await _enqueue(db, old, "answer", ref=i + 1)
    worker = OutboxWorker(db, Renderer(), lambda: 0, group_limit=1000, group_window=1.0)

    async def on_send(n: int) -> None:
        if n == 3:  # a new tip is filed while the answers go out
            await _enqueue(db, urgent, "card")
            worker.kick()

    sender = Sender(on_send)
    worker.ports = {"telegram": sender}
    await asyncio.wait_for(worker._destination(GROUP), 10)
    assert sender.sent.index(f"card:{urgent}") == 3  # right after the message in flight


def test_a_tips_own_rows_keep_their_order() -> None:
    rows = [{"id": 1, "tip_id": 7, "kind": "notice"}, {"id": 2, "tip_id": 8, "kind": "answer"},
            {"id": 3, "tip_id": 7, "kind": "card"}, {"id": 4, "tip_id": 9, "kind": "card"}]
    assert [r["id"] for r in prioritised(rows)] == [4, 1, 2, 3]
