"""On a channel that cannot write to a person later (the web), subscribing is explained and
refused, also for a forged press: nothing could ever be delivered."""

from __future__ import annotations

import dataclasses

from bot.subscriptions import Subscribe
from tests.flows.conftest import Flow
from tests.flows.stub import STUB, StubChat

NO_REACH = dataclasses.replace(STUB, reach_later=False)


async def test_subscribe_is_refused_where_nobody_can_be_reached(flow: Flow) -> None:
    chat = StubChat(flow.runtime, 4242, "en", capabilities=NO_REACH)
    [shown] = await chat.command("subscribe")
    assert "a web page cannot reach you" in shown.text and not shown.labels
    [shown] = await chat.press_data(Subscribe("01", "-", 1, "en").pack())
    assert "a web page cannot reach you" in shown.text
    assert await flow.runtime.db.fetchall("SELECT * FROM subscriptions") == []


async def test_subscribe_still_works_where_the_bot_can_write(flow: Flow) -> None:
    chat = flow.chat(4243, "en")
    [shown] = await chat.command("subscribe")
    assert "a web page cannot reach you" not in shown.text and shown.labels
