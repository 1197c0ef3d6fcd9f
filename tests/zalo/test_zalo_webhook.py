"""The Zalo webhook: secret checked in constant time (a bad or missing one is refused and
handles nothing), wrapped and bare bodies, duplicates ignored, answered before handling."""

from __future__ import annotations

import asyncio

from fakezalo import FakeZalo
from tests.zalo.conftest import WEBHOOK_SECRET, ZaloHarness


async def test_webhook_is_set_and_both_body_forms_work(zhook: ZaloHarness, zl: FakeZalo) -> None:
    assert zl.webhook_url == "https://bot.example.vn/zalo/webhook"
    assert zl.webhook_secret == WEBHOOK_SECRET
    lan = zl.user("w1", "Lan")
    zl.wrapped = True
    reply = await lan.send("/start")
    assert "1. 📚 Tìm hiểu" in reply.text
    zl.wrapped = False  # the bare update live deliveries are reported to use
    reply = await lan.send("1")
    assert "Chọn một chủ đề" in reply.text
    assert all(status == 200 for status, _ in zl.deliveries)


async def test_bad_or_missing_secret_is_refused(zhook: ZaloHarness, zl: FakeZalo) -> None:
    zl.known_chats.add("w2")
    update = {"event_name": "message.text.received", "message": {
        "from": {"id": "w2", "display_name": "X"}, "chat": {"id": "w2", "chat_type": "PRIVATE"},
        "text": "/start", "message_id": "m-bad-1", "date": 1}}
    assert await zl.post_webhook(update, secret="wrong-secret-123") == 403
    assert await zl.post_webhook(update, secret=None) == 403
    assert await zl.post_webhook(update, secret=WEBHOOK_SECRET[:-1]) == 403
    await asyncio.sleep(0.1)
    assert zl.sent == []
    assert zhook.ch.handled == 0


async def test_duplicate_delivery_is_ignored(zhook: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("w3", "Lan")
    reply = await lan.send("/start")
    assert len(reply.sent) == 1
    sent_before = len(zl.sent)
    await zl.deliver_again(zl.last_update)  # Zalo retries the same event + message id
    zl.wrapped = not zl.wrapped
    await zl.deliver_again(zl.last_update)  # in the other body form, too
    await asyncio.sleep(0.2)
    assert len(zl.sent) == sent_before
    assert zhook.ch.duplicates == 2
    assert [s for s, _ in zl.deliveries] == [200, 200, 200]


async def test_garbage_bodies_are_refused_politely(zhook: ZaloHarness, zl: FakeZalo) -> None:
    import aiohttp

    url = zl.proxy_to + "/zalo/webhook"
    headers = {"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"{not json", headers=headers) as resp:
            assert resp.status == 400
        async with http.post(url, json={"event_name": "x"}, headers=headers) as resp:
            assert resp.status == 200  # acknowledged, nothing to handle
        async with http.post(url, data=b"x" * 300_000, headers=headers) as resp:
            assert resp.status == 413
    assert zl.sent == []


async def test_polling_is_refused_while_webhook_set(zhook: ZaloHarness, zl: FakeZalo) -> None:
    from bot.channels.zalo.client import ZaloClient, ZaloError

    client = ZaloClient(zl.token, zl.base_url)
    try:
        try:
            await client.get_updates(1)
        except ZaloError as exc:
            assert exc.code == 400
        else:
            raise AssertionError("getUpdates worked while a webhook was set")
    finally:
        await client.close()
    zl.violations.clear()  # that refusal was the point
