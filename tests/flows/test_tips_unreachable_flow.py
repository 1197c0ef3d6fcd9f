"""Where the bot cannot write to the person later (the web), the receipt and the follow-up
offer no reply-ping opt-in, and a forged opt-in press stores nothing: it could never ping,
and would only link the chat to the tip."""

from __future__ import annotations

import dataclasses

from bot.tips import WatchAsk, WatchOn
from tests.flows.conftest import Flow
from tests.flows.stub import STUB, StubChat
from tests.flows.test_tips_flow import file_tip

NO_REACH = dataclasses.replace(STUB, reach_later=False)


async def test_no_reply_ping_offer_where_nobody_can_be_reached(flow: Flow) -> None:
    chat = StubChat(flow.runtime, 5151, "en", capabilities=NO_REACH)
    receipt = await file_tip(chat)
    assert not any(label.startswith("🔔") for label in chat.last.labels)
    await chat.command("followup")
    [view] = await chat.text(receipt)
    assert "received" in view.text and not any(label.startswith("🔔") for label in view.labels)
    [tip] = await flow.runtime.db.fetchall("SELECT id FROM tips")
    token = flow.runtime.services.tips.watch_token(int(tip["id"]))
    assert await chat.press_data(WatchAsk(int(tip["id"]), token).pack()) == []
    assert await chat.press_data(WatchOn(int(tip["id"]), token).pack()) == []
    assert await flow.runtime.db.fetchall("SELECT * FROM tip_watchers") == []


async def test_the_offer_stays_where_the_bot_can_write(flow: Flow) -> None:
    chat = flow.chat(5152, "en")
    await file_tip(chat)
    assert any(label.startswith("🔔") for label in chat.last.labels)
