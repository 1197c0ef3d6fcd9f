"""A campaign interrupted by a restart resumes where it stopped; nobody gets it twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.broadcast import Content, Target
from storage import broadcasts as bc_repo


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"broadcast_rate": 5.0}  # slow enough to restart in the middle


async def test_restart_in_the_middle_resumes_without_duplicates(bot: Any, tg: Any) -> None:
    bot.clock._now = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 local
    uids = list(range(4001, 4016))
    for uid in uids:
        tg.user(id=uid, language_code="en", started=True)
        await bot.service("subscriptions").subscribe(uid, "79", None, 7, "en")
    svc = bot.service("broadcast")
    cid = await svc.create(Content({"en": "resume me"}), Target(), check_permission=False)
    await svc.tick()
    for _ in range(100):
        if sum(len(tg.sent_to(u)) for u in uids) >= 4:
            break
        await asyncio.sleep(0.05)
    await bot.restart()  # graceful stop: in-flight sends finish and are recorded
    before = sum(len(tg.sent_to(u)) for u in uids)
    counts = await bc_repo.counts(bot.rt.db, cid)
    assert 4 <= before < len(uids)
    assert counts.get("sent") == before  # every send that happened is recorded
    assert (await bot.service("broadcast").get(cid)).status == "running"
    await bot.service("broadcast").tick(wait=True)
    assert [len(tg.sent_to(u)) for u in uids] == [1] * len(uids)
    assert await bc_repo.counts(bot.rt.db, cid) == {"sent": len(uids)}
    assert (await bot.service("broadcast").get(cid)).status == "done"
