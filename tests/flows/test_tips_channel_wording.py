"""What the tip flow and the privacy texts say about the channel: a person on the web or on
Zalo never reads about Telegram or a Telegram gesture (📎 → Location, "delete this chat" on a
page), and a Telegram user still reads what the Telegram transcripts expect. The wording comes
from the channel's capabilities (`Capabilities.app`, `location_hint`)."""

from __future__ import annotations

import pytest

from bot import tips as rules
from bot.channels.telegram.conversation import CAPABILITIES as TELEGRAM
from bot.channels.web.conversation import CAPABILITIES as WEB
from bot.channels.zalo.conversation import capabilities as zalo_capabilities
from bot.engine.conversation import Capabilities
from bot.i18n import translator
from handlers.start import OpenMenu, privacy_screen
from tests.flows.conftest import Flow
from tests.flows.stub import StubChat
from tests.flows.test_tips_flow import file_tip

ZALO = zalo_capabilities(groups=False)


async def _everything(flow: Flow, caps: Capabilities, user: int, locale: str = "en") -> str:
    """A whole tip (intro, every step, receipt) and /privacy, as one text."""
    chat = StubChat(flow.runtime, user, locale, capabilities=caps)
    await file_tip(chat)
    await chat.command("privacy")
    return "\n".join(shown.text for shown in chat.conv.shown)


async def test_telegram_keeps_its_wording(flow: Flow) -> None:
    said = await _everything(flow, TELEGRAM, 31)
    assert "<b>What is not kept:</b> your Telegram id, chat, username" in said
    assert "Telegram itself knows you use this bot: see /privacy." in said
    assert "or send a location pin (📎 → Location)." in said
    assert "from any Telegram account." in said and "You may delete this chat afterwards." in said
    assert "never stores your Telegram id, chat id" in said
    assert "<b>What Telegram sees.</b> Telegram itself knows which account talks" in said


async def test_zalo_names_zalo_and_offers_no_pin(flow: Flow) -> None:
    said = await _everything(flow, ZALO, 32)
    assert "Telegram" not in said and "📎" not in said
    assert "<b>What is not kept:</b> your Zalo id, chat, username" in said
    assert "Zalo itself knows you use this bot: see /privacy." in said
    assert "from any Zalo account." in said
    assert "<b>What Zalo sees.</b> Zalo itself knows which account talks to this bot" in said
    assert "location pin" not in said.split("<b>2/5 · Where?</b>")[1].split("\n\n")[1]


async def test_web_speaks_of_the_browser_not_of_an_app(flow: Flow) -> None:
    said = await _everything(flow, WEB, 33)
    assert "Telegram" not in said and "📎" not in said and "delete this chat" not in said
    assert "<b>What is not kept:</b> who you are — no account, name, phone or internet " \
           "address." in said
    assert "Your browser and your network can still show that you opened this site" in said
    assert "or send a location pin (“📍 Share my location” under the message box, if your " \
           "browser shows it)." in said
    assert "from any device." in said
    assert "This page will not show it again, even if you reload it." in said
    assert "It never stores who you are: no account, name, phone number or internet " \
           "address." in said
    assert "<b>What others can see.</b> This page needs no account" in said


def _screens_vi(caps: Capabilities) -> str:
    """The same screens in Vietnamese, built as the tip conversation builds them."""
    t = translator("vi")
    sub = rules.Submitted(tip_id=1, code="ABC123", receipt="1234567812345678")
    return "\n".join([
        rules.intro_screen(t, caps.app).text,
        rules.province_screen(t, 0, pin=caps.location, hint=caps.location_hint).text,
        rules.receipt_screen(t, sub, "token", OpenMenu("home"), app=caps.app).text,
        privacy_screen(t, caps.app).text,
    ])


@pytest.mark.parametrize("caps", [WEB, ZALO], ids=["web", "zalo"])
def test_vietnamese_on_web_and_zalo_never_names_telegram(caps: Capabilities) -> None:
    said = _screens_vi(caps)
    assert "Telegram" not in said and "📎" not in said
    assert "Mã biên nhận của bạn" in said and "Quyền riêng tư" in said
    if caps is WEB:
        assert "nút “📍 Chia sẻ vị trí của tôi”" in said and "từ bất kỳ thiết bị nào" in said
        assert "Trang này sẽ không hiện lại mã" in said and "xóa cuộc trò chuyện" not in said
    else:
        assert "ID Zalo" in said and "từ bất kỳ tài khoản Zalo nào" in said


def test_vietnamese_telegram_wording() -> None:
    said = _screens_vi(TELEGRAM)
    assert "hoặc gửi vị trí ghim (📎 → Vị trí)." in said
    assert "từ bất kỳ tài khoản Telegram nào" in said and "<b>Telegram thấy gì.</b>" in said


async def test_group_redirect_without_a_link_points_at_no_button(flow: Flow) -> None:
    chat = StubChat(flow.runtime, 36, "en", private=False, capabilities=ZALO)
    chat.conv.link = lambda payload="": None  # type: ignore[method-assign]  # Zalo: no deep links
    [shown] = await chat.command("tip")
    assert shown.text == ("Tips are taken only in a private chat with me, so nobody in this "
                          "group sees them. Write to me privately to send one.")
    assert shown.screen.buttons == []
