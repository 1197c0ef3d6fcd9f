"""The weekly awareness fact as subscribers see it: the content library's fact of the week, with
its source, only to subscribers of that topic, once per ISO week, never during quiet hours."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.broadcast import TOPIC_EVENTS, TOPIC_FACTS, TOPIC_QUIZ
from bot.events import plan_automatic_job

MONDAY = datetime(2026, 6, 8, 2, 30, tzinfo=UTC)  # Monday 8 June, 09:30 in Hồ Chí Minh


def facts_to(tg: Any, uid: int) -> list[Any]:
    return [m for m in tg.sent_to(uid) if "Did you know?" in m.text or "Bạn có biết?" in m.text]


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


async def plan(bot: Any) -> None:
    await plan_automatic_job(bot.app.bot, bot.rt)
    await bot.service("broadcast").wait_idle()


async def subscribe(bot: Any, tg: Any, uid: int, topics: int, locale: str = "en",
                    province: str = "79") -> None:
    tg.user(id=uid, first_name=f"U{uid}", language_code=locale, started=True)
    await bot.service("subscriptions").subscribe(uid, province, None, topics, locale)


async def test_fact_of_the_week_goes_to_fact_subscribers_once_a_week(bot: Any, tg: Any) -> None:
    await subscribe(bot, tg, 6001, TOPIC_FACTS)
    await subscribe(bot, tg, 6002, TOPIC_EVENTS | TOPIC_QUIZ)  # no fact topic
    await subscribe(bot, tg, 6003, TOPIC_FACTS, locale="vi", province="01")
    content = bot.service("content")

    bot.clock._now = MONDAY - timedelta(days=1)  # Sunday: not yet
    await plan(bot)
    assert facts_to(tg, 6001) == []

    bot.clock._now = MONDAY
    await plan(bot)
    await plan(bot)  # the job runs every few minutes: still one campaign
    bot.clock._now = MONDAY + timedelta(hours=5)
    await plan(bot)
    (en,) = facts_to(tg, 6001)
    (vi,) = facts_to(tg, 6003)
    assert facts_to(tg, 6002) == []
    fact_en = content.did_you_know("en", date(2026, 6, 8))
    fact_vi = content.did_you_know("vi", date(2026, 6, 8))
    assert en.text.startswith("💡 Did you know?")
    assert plain(fact_en.html) in en.text
    assert en.text.endswith(fact_en.source.label())  # every fact names its source
    assert vi.text.startswith("💡 Bạn có biết?") and plain(fact_vi.html) in vi.text
    assert "🔕 Unsubscribe" in en.button_texts

    # The next Monday brings the next fact, once.
    bot.clock._now = MONDAY + timedelta(days=7)
    await plan(bot)
    await plan(bot)
    first, second = facts_to(tg, 6001)
    next_fact = content.did_you_know("en", date(2026, 6, 15))
    assert next_fact.fact_id != fact_en.fact_id
    assert plain(next_fact.html) in second.text and first.text == en.text
    assert facts_to(tg, 6002) == []


@pytest.mark.parametrize("settings_overrides", [{"quiet_hours": (8, 10)}])
async def test_fact_waits_for_the_end_of_quiet_hours(bot: Any, tg: Any) -> None:
    await subscribe(bot, tg, 6101, TOPIC_FACTS)
    bot.clock._now = MONDAY  # 09:30: inside the configured quiet hours 08:00–10:00
    await plan(bot)
    assert facts_to(tg, 6101) == []
    (row,) = await bot.rt.db.fetchall("SELECT status, key FROM campaigns WHERE kind = 'auto'")
    assert row["status"] == "scheduled" and row["key"] == "fact:2026-W24"
    bot.clock._now = MONDAY + timedelta(minutes=31)  # 10:01
    await plan(bot)
    assert len(facts_to(tg, 6101)) == 1
