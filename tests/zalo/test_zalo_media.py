"""Photos both ways: the bot's photos go out as signed, expiring https URLs it serves itself;
a person's photo is downloaded from Zalo's URL with a size cap."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.webhook import make_app
from bot.screens import Button, Screen
from fakezalo import FakeZalo
from fakezalo import option_number as number_of
from fakezalo.server import PNG_1PX
from handlers.start import SetLanguage
from tests.zalo.conftest import ZaloHarness


async def test_bot_photo_is_a_signed_url_it_serves(zbot: ZaloHarness, zl: FakeZalo) -> None:
    await zl.user("p1", "Lan").send("/start")
    ref = await zbot.ch.send_screen(
        "p1", Screen("Giấy chứng nhận", [[Button("A", action=SetLanguage("vi"))]],
                     photo=PNG_1PX), "vi")
    assert ref
    photo = zl.sent[-1]
    assert photo.method == "sendPhoto"
    assert photo.photo.startswith("https://bot.example.vn/zalo/media/")
    assert photo.caption.startswith("Giấy chứng nhận") and "1. A" in photo.caption
    path = photo.photo.removeprefix("https://bot.example.vn")
    async with TestClient(TestServer(make_app(zbot.ch, webhook=False))) as http:
        ok = await http.get(path)
        assert ok.status == 200 and await ok.read() == PNG_1PX
        assert ok.headers["Content-Type"] == "image/png"
        assert (await http.get(path[:-4] + "0000")).status == 404  # forged signature
        zbot.clock.advance(seconds=16 * 60)
        assert (await http.get(path)).status == 404  # expired


async def test_photo_download_is_capped(zl: FakeZalo) -> None:
    client = ZaloClient(zl.token, zl.base_url)
    try:
        url = zl.host_image(b"x" * 5000)
        assert await client.download(url, max_bytes=5000) == b"x" * 5000
        try:
            await client.download(url, max_bytes=4999)
        except ZaloError as exc:
            assert exc.code == 413
        else:
            raise AssertionError("an oversized photo was accepted")
        # cut just above the cap, for the conversation's own polite size check
        assert len(await client.download(url, max_bytes=4000, truncate=True)) == 4001
    finally:
        await client.close()


async def test_a_message_outside_a_turn_leaves_a_flow_list_alone(
        zbot: ZaloHarness, zl: FakeZalo) -> None:
    from bot.channels.zalo.conversation import load_menu

    lan = zl.user("p2", "Lan")
    topics = await lan.send("/learn")
    await lan.send(number_of(topics.text, "Tìm kiếm"))  # the learn_search flow
    before = await load_menu(zbot.ch.runtime.sessions, "zalo:p2")
    await zbot.ch.send_screen("p2", Screen("Tin mới", [
        [Button("Đổi", action=SetLanguage("en"))], [Button("Đăng ký", url="https://e.vn/r")]]),
        "vi", keep_flow_menu=True)
    assert zl.sent[-1].text == "Tin mới\n\nĐăng ký: https://e.vn/r"
    assert await load_menu(zbot.ch.runtime.sessions, "zalo:p2") == before
    reply = await lan.send("bóng cười")  # the flow goes on
    assert "1." in reply.text


async def test_failed_screens_raise_the_ports_errors(zbot: ZaloHarness, zl: FakeZalo) -> None:
    import pytest

    from bot.channels.zalo.conversation import ZaloConversation
    from bot.engine.conversation import ShowLater, ShowRefused, Turn, Unreachable
    from bot.i18n import translator

    ch = zbot.ch
    ch.sender.delays = (0.01,)
    zl.known_chats.add("e1")

    def conv(chat_id: str) -> ZaloConversation:
        c = ZaloConversation(ch, chat_id, ch.caps)
        c.turn = Turn(c, None, None, translator("vi"), ch.runtime)  # type: ignore[arg-type]
        return c

    with pytest.raises(Unreachable):
        await conv("never-wrote").show(Screen("x"))
    zl.fail_next("sendMessage", 429, times=2)
    with pytest.raises(ShowLater) as later:
        await conv("e1").show(Screen("x"))
    assert later.value.retry_after
    zl.fail_next("sendMessage", 400)
    with pytest.raises(ShowRefused):
        await conv("e1").show(Screen("x"))
