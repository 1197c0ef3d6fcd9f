"""The delivery port: user id -> channel account -> that channel's sender; and the Telegram
sender uploads a campaign photo once, then reuses Telegram's file id."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.accounts import AccountService
from bot.broadcast import LEGACY_TELEGRAM_FILE
from bot.channels.telegram.broadcast import TelegramSender
from bot.delivery import GONE, SENT, Delivery, Media, OutMessage, SendResult
from storage.db import Database


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = 0

    async def send(self, external_id: str, message: OutMessage) -> SendResult:
        self.sent.append(external_id)
        return SendResult(SENT, message_id=len(self.sent))

    async def close(self) -> None:
        self.closed += 1


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = await Database(tmp_path / "t.sqlite3").open()
    yield database
    await database.close()


async def test_people_are_reached_on_the_channel_of_their_account(db: Database) -> None:
    accounts = AccountService(db)
    zalo_user = await accounts.user_id("zalo", "z-123")
    assert zalo_user is not None
    telegram, zalo = Recorder(), Recorder()
    delivery = Delivery(accounts, {"telegram": telegram, "zalo": zalo})
    message = OutMessage("hi")
    assert (await delivery.send(4242, message)).kind == SENT  # a Telegram id from before accounts
    assert (await delivery.send(zalo_user, message)).kind == SENT
    assert telegram.sent == ["4242"] and zalo.sent == ["z-123"]


async def test_nobody_reachable_is_gone_not_sent_elsewhere(db: Database) -> None:
    accounts = AccountService(db)
    web_user = await accounts.user_id("web", "w-1")
    assert web_user is not None
    telegram = Recorder()
    delivery = Delivery(accounts, {"telegram": telegram})
    result = await delivery.send(web_user, OutMessage("hi"))  # no web sender installed yet
    assert result.kind == GONE and telegram.sent == []


async def test_prefetch_resolves_a_page_in_one_query(db: Database) -> None:
    accounts = AccountService(db)
    zalo_user = await accounts.user_id("zalo", "z-9")
    assert zalo_user is not None
    telegram, zalo = Recorder(), Recorder()
    delivery = Delivery(accounts, {"telegram": telegram, "zalo": zalo})
    await delivery.prefetch([7, 8, zalo_user])
    queries: list[str] = []
    original = db.fetchall

    async def counting(sql: str, params: Any = ()) -> Any:
        queries.append(sql)
        return await original(sql, params)

    db.fetchall = counting  # type: ignore[method-assign]
    for uid in (7, 8, zalo_user):
        await delivery.send(uid, OutMessage("hi"))
    assert queries == []  # every route came from the page
    assert telegram.sent == ["7", "8"] and zalo.sent == ["z-9"]
    await delivery.close()
    assert telegram.closed == 1 and zalo.closed == 1


class FakeBot:
    def __init__(self) -> None:
        self.photos: list[Any] = []

    async def send_photo(self, chat_id: int, photo: Any, **kwargs: Any) -> Any:
        self.photos.append(photo)
        await asyncio.sleep(0.01)  # the other senders arrive while the upload is on its way
        return SimpleNamespace(message_id=len(self.photos),
                               photo=[SimpleNamespace(file_id="small"), SimpleNamespace(file_id="AgAD-big")])


async def test_telegram_sender_uploads_a_photo_once() -> None:
    bot = FakeBot()
    sender = TelegramSender(bot)  # type: ignore[arg-type]
    message = OutMessage("caption", photo=Media("k1", b"\x89PNG bytes"))
    results = await asyncio.gather(*(sender.send(str(uid), message) for uid in range(1, 6)))
    assert [r.kind for r in results] == [SENT] * 5
    uploads = [p for p in bot.photos if not isinstance(p, str)]
    assert len(uploads) == 1  # the bytes went up once
    assert bot.photos.count("AgAD-big") == 4  # then Telegram's own file id


async def test_telegram_sender_sends_a_legacy_file_id_as_is() -> None:
    bot = FakeBot()
    sender = TelegramSender(bot)  # type: ignore[arg-type]
    message = OutMessage("caption", photo=Media(LEGACY_TELEGRAM_FILE + "AgAD-old", b""))
    assert (await sender.send("5", message)).kind == SENT
    assert bot.photos == ["AgAD-old"]
