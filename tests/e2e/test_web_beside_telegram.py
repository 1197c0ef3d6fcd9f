"""The web channel beside Telegram on one runtime (`python -m bot run` with BOT_WEB_PORT): a tip
filed in a browser reaches the ward unit's Telegram group exactly as one from Telegram: the
same card and the cleaned photo, through the same outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.web.app import make_app
from bot.config import WebSettings
from tests.e2e.tip_helpers import GROUP_CHAT, OFFICER, bind_unit, group_msgs, wait_for
from tests.web.conftest import Browser, started
from tests.web.test_web_tips import file_tip

BA_DINH = 4


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"web": WebSettings("127.0.0.1", 8080, "http://127.0.0.1:8080")}


async def test_a_web_tip_reaches_the_telegram_group(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, BA_DINH, GROUP_CHAT, OFFICER)
    server = await started(make_app(bot.rt))
    async with TestClient(server, headers={"Accept-Language": "en"}) as client:
        await file_tip(Browser(client), "Selling in the alley behind the market")
    await wait_for(lambda: any("Selling in the alley behind the market" in m.text
                               for m in group_msgs(tg, GROUP_CHAT)))
    card = next(m for m in group_msgs(tg, GROUP_CHAT) if "alley behind the market" in m.text)
    assert re.search(r"#[A-Z0-9]{6}", card.text) and "Ba Đình" in card.text
    await wait_for(lambda: any(getattr(m, "photo", None) is not None
                               for m in group_msgs(tg, GROUP_CHAT)))
