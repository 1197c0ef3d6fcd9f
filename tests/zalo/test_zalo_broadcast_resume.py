"""A campaign to Zalo subscribers, paced by the Zalo limit (ZALO_BROADCAST_RATE), interrupted
by a restart, resumes where it stopped; nobody gets it twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.broadcast import Content, Target
from bot.config import ZaloSettings
from fakezalo import FakeZalo
from storage import broadcasts as bc_repo
from tests.conftest import BotHarness


@pytest.fixture
def settings_overrides(zl: FakeZalo) -> dict[str, Any]:
    # The global rate stays fast; Zalo's own limit is what makes this campaign slow.
    return {"zalo": ZaloSettings(token=zl.token, api_base_url=zl.base_url, broadcast_rate=5)}


async def test_restart_in_the_middle_resumes_without_duplicates(
        bot: BotHarness, tg: Any, zl: FakeZalo) -> None:
    bot.clock._now = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    people = [f"zr{i:02d}" for i in range(15)]
    for ext in people:
        zl.known_chats.add(ext)  # each wrote to the bot once
        uid = await bot.rt.accounts.user_id("zalo", ext)
        assert uid is not None
        await bot.service("subscriptions").subscribe(uid, "79", None, 7, "en")
    svc = bot.service("broadcast")
    cid = await svc.create(Content({"en": "resume me"}), Target(), check_permission=False)

    def delivered() -> list[int]:
        return [sum("resume me" in s.text for s in zl.sent if s.chat_id == p) for p in people]

    await svc.tick()
    for _ in range(100):
        if sum(delivered()) >= 4:
            break
        await asyncio.sleep(0.05)
    await bot.restart()  # graceful stop: in-flight sends finish and are recorded
    before = sum(delivered())
    assert 4 <= before < len(people)
    assert (await bc_repo.counts(bot.rt.db, cid)).get("sent") == before
    await bot.service("broadcast").tick(wait=True)
    assert delivered() == [1] * len(people)
    assert await bc_repo.counts(bot.rt.db, cid) == {"sent": len(people)}
    assert (await bot.service("broadcast").get(cid)).status == "done"
