"""Contract transcripts on Zalo: the frame and learn through the fake Bot Platform
(numbered menus, stale numbers, receipts that look like numbers, unsupported events, a restart
mid-flow, groups, 429s)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from fakezalo import FakeZalo
from fakezalo import option_number as number_of
from tests.zalo.conftest import ZaloHarness


async def test_numbered_menu_and_reply_forms(zbot: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("u1001", "Lan")
    reply = await lan.send("/start")
    assert "Không Ma Túy" in reply.text
    assert "1. 📚 Tìm hiểu" in reply.text
    assert re.search(r"\n\nTrả lời 1–\d+ · 0: menu chính$", reply.text)
    assert "<b>" not in reply.text  # formatting falls back to plain text
    for form in ("1", "1.", " 1 "):
        reply = await lan.send(form)
        assert "Chọn một chủ đề" in reply.text, form
        await lan.send("0")  # back to the main menu
    reply = await lan.send("0")
    assert "Không Ma Túy" in reply.text and "1. 📚 Tìm hiểu" in reply.text


async def test_stale_number_is_reprompted_and_long_numbers_are_text(
        zbot: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("u1002", "Lan")
    menu = await lan.send("/start")
    count = len(re.findall(r"^\d+\. ", menu.text, re.M))
    reply = await lan.send("42")
    assert reply.texts == [
        f"Số 42 không có trong danh sách vừa gửi. Trả lời 1–{count} · 0: menu chính"]
    # the same list still counts after the re-prompt
    reply = await lan.send(number_of(menu.text, "Cài đặt"))
    assert "Chọn ngôn ngữ" in reply.text
    # A 16-digit receipt (or any longer number) is never read as a choice.
    reply = await lan.send("1234567812345678")
    assert reply.text.startswith("Bot chưa hiểu ý bạn")
    reply = await lan.send("1 2")
    assert reply.text.startswith("Bot chưa hiểu ý bạn")


async def test_language_choice_by_number_and_english_hint(zbot: ZaloHarness, zl: FakeZalo) -> None:
    tom = zl.user("u1003", "Tom")
    choose = await tom.send("/language")
    reply = await tom.send(number_of(choose.text, "English"))
    assert re.search(r"\n\nReply 1–\d+ · 0: main menu$", reply.text)
    assert "Learn" in reply.text


async def test_learn_article_split_within_2000_and_search_survives_restart(
        zbot: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("u1004", "Lan")
    topics = await lan.send("/learn")
    reply = await lan.send(number_of(topics.text, "Tìm kiếm"))
    assert reply.text
    await zbot.restart()  # mid-flow: the flow and its numbered menu survive
    reply = await lan.send("bóng cười")
    assert "1." in reply.text
    reply = await lan.send("1")
    assert all(len(t) <= 2000 for t in reply.texts)
    assert "Trả lời" in reply.texts[-1]


async def test_unsupported_sticker_and_image_outside_a_flow(zbot: ZaloHarness, zl: FakeZalo) -> None:
    kid = zl.user("u1005", "Bé")
    reply = await kid.send_unsupported()
    assert "Zalo không chuyển tin nhắn này" in reply.text
    assert "https://bot.example.vn/" in reply.text
    reply = await kid.send_sticker()
    assert reply.texts  # the frame answers politely, never silence
    reply = await kid.send_image()
    assert reply.texts


async def test_display_name_never_stored_or_logged(
        zbot: ZaloHarness, zl: FakeZalo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hoa = zl.user("u1006", "Nguyễn Thị Hoa Độc Nhất")
    await hoa.send("/start")
    await hoa.send("2")
    await hoa.send("1")
    await zbot.stop()
    data = b"".join(p.read_bytes() for p in (zbot.settings.data_dir).glob("bot.sqlite3*"))
    assert "Độc Nhất".encode() not in data
    assert "Độc Nhất" not in caplog.text
    assert zl.token not in caplog.text
    await zbot.start()


async def test_groups_ignored_unless_getme_allows(zbot: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("u1007", "Lan")
    reply = await lan.send_in_group("g1", "/start")
    assert reply.sent == []


async def test_rate_limited_get_updates_backs_off_and_recovers(
        zbot: ZaloHarness, zl: FakeZalo) -> None:
    zl.fail_next("getUpdates", 429)
    lan = zl.user("u1008", "Lan")
    reply = await lan.send("/start")
    assert "Không Ma Túy" in reply.text


async def test_quota_on_a_reply_is_waited_out(zbot: ZaloHarness, zl: FakeZalo,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    zbot.ch.sender.delays = (0.01, 0.01, 0.01)
    zl.fail_next("sendMessage", 429, times=2)
    reply = await zl.user("u1009", "Lan").send("/start")
    assert len(reply.sent) == 1 and "Không Ma Túy" in reply.text


async def test_update_stored_before_a_crash_is_handled_at_start(
        zbot: ZaloHarness, zl: FakeZalo) -> None:
    from bot.channels.zalo.channel import ZaloChannel
    from bot.channels.zalo.client import ZaloClient
    from bot.runtime import Runtime

    await zbot.stop()
    zl.known_chats.add("u1010")
    update = {"event_name": "message.text.received", "message": {
        "from": {"id": "u1010", "display_name": "Lan"}, "chat": {"id": "u1010"},
        "text": "/start", "message_id": "crash-1", "date": 1}}
    runtime = await Runtime.open(zbot.settings, zbot.clock)
    crashed = ZaloChannel(runtime, ZaloClient(zl.token, zl.base_url))
    crashed._schedule = lambda key, event: None  # type: ignore[method-assign]  # died here
    assert await crashed.submit(update)
    await crashed.client.close()
    await runtime.close()
    await zbot.start()
    sent = await zl.sent_to("u1010", 1)
    assert sent and "Không Ma Túy" in sent[0].text
    # and it is not handled a third time after another restart
    await zbot.restart()
    await zl.user("u1010", "Lan").send("/help")
    assert len([s for s in zl.sent if s.chat_id == "u1010"]) == 2


async def test_groups_where_zalo_allows_them(zl: FakeZalo, tmp_path: Path) -> None:
    from bot.clock import FrozenClock
    from tests.zalo.conftest import zalo_settings

    zl.can_join_groups = True
    harness = ZaloHarness(zalo_settings(zl, tmp_path), FrozenClock(), zl)
    async with harness.running():
        assert harness.ch.caps.groups
        reply = await zl.user("u1011", "Lan").send_in_group("g2", "/start")
        assert "trò chuyện riêng" in reply.text  # a group gets the short "open a private chat"
        reply = await zl.user("u1011", "Lan").send_in_group("g2", "xin chào mọi người")
        assert reply.sent == []  # ordinary group chatter is never answered


async def test_zalo_admin_ids_are_national_admins(zl: FakeZalo, tmp_path: Path) -> None:
    from bot.clock import FrozenClock
    from tests.zalo.conftest import zalo_settings

    harness = ZaloHarness(zalo_settings(zl, tmp_path, admin_ids=frozenset({"adm1"})),
                          FrozenClock(), zl)
    async with harness.running():
        admin = await harness.ch.runtime.accounts.user_id("zalo", "adm1", create=False)
        assert admin is not None and admin in harness.ch.runtime.settings.admin_ids
        other = await harness.ch.runtime.accounts.user_id("zalo", "cit1")
        assert other not in harness.ch.runtime.settings.admin_ids


async def test_housekeeping_forgets_old_dedup_keys(zbot: ZaloHarness, zl: FakeZalo) -> None:
    import asyncio

    lan = zl.user("u1012", "Lan")
    await lan.send("/start")
    update = zl.last_update
    assert not await zbot.ch.submit(update)  # a duplicate within two days
    ran: list[int] = []

    async def also() -> None:
        ran.append(1)

    assert zbot.ch._housekeeper is not None
    zbot.ch._housekeeper.cancel()
    zbot.clock.advance(days=3)
    zbot.ch.start_housekeeping(every=0.01, also=also)
    for _ in range(200):
        if ran:
            break
        await asyncio.sleep(0.01)
    assert ran
    assert await zbot.ch.submit(update)  # its key was forgotten
