"""Announcing a quiz contest to subscribers: an officer who owns a contest sends it to the
people subscribed to "Quiz contests" in their area, with a button that opens the contest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.broadcast import TOPIC_EVENTS, TOPIC_QUIZ
from bot.events import EventError
from tests.e2e.test_events import make_officer
from tests.e2e.test_quiz import create_contest

SAI_GON, AN_DONG = "26740", "27316"
OFFICER = 7100
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh


async def test_officer_announces_a_contest_to_quiz_subscribers_of_the_ward(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    subs = bot.service("subscriptions")
    for uid, ward, topics in (
        (7001, SAI_GON, TOPIC_QUIZ),  # the ward, quiz topic
        (7002, None, TOPIC_QUIZ),  # the whole province, quiz topic
        (7003, SAI_GON, TOPIC_EVENTS),  # the ward, but not the quiz topic
        (7004, AN_DONG, TOPIC_QUIZ),  # another ward
    ):
        tg.user(id=uid, first_name=f"S{uid}", language_code="en", started=True)
        await subs.subscribe(uid, "79", ward, topics, "en")
    await make_officer(bot, OFFICER)
    officer = tg.user(id=OFFICER, first_name="Officer", language_code="en")
    contest = await create_contest(bot, officer, title="June <quiz>")
    screen = next(m for m in reversed(officer.messages) if "Join code" in m.text)
    assert "📣 Announce to subscribers" in screen.button_texts

    reply = await officer.press("📣 Announce to subscribers", message=screen)
    assert "Announce June <quiz> to the people subscribed to “Quiz contests”" in reply.text
    assert reply.edits[0].button_texts == ["📍 Phường Sài Gòn", "⬅️ Contest"]
    reply = await officer.press("📍 Phường Sài Gòn", message=screen)
    assert reply.callback_answer.text == "Announcement saved."
    (confirmed,) = [e for e in reply.edits if e.message_id == screen.message_id]
    assert "goes to 2 subscribers now" in confirmed.text
    await bot.service("broadcast").wait_idle()

    def announced(uid: int) -> list[Any]:
        return [m for m in tg.sent_to(uid) if "Quiz contest:" in m.text]

    (msg,) = announced(7001)
    assert len(announced(7002)) == 1 and announced(7003) == [] and announced(7004) == []
    assert msg.text.startswith("🧠 Quiz contest: June <quiz>")
    assert f"/join {contest.code}" in msg.text and "📍 Phường Sài Gòn" in msg.text
    link = f"https://t.me/{bot.rt.bot_username}?start=c_{contest.code}"
    assert msg.buttons[0] == [("🎯 Join the contest", link)]
    assert "🔕 Unsubscribe" in msg.button_texts
    await officer.wait_for("Finished")  # the campaign's progress message, with final figures
    assert "Sent: 2" in officer.last.text

    # The link opens the contest for the subscriber.
    reply = await tg.user(id=7001).send(f"/start c_{contest.code}")
    assert "June <quiz>" in reply.text

    # Once per area.
    await officer.press("⬅️ Contest", message=screen)
    await officer.press("📣 Announce to subscribers", message=screen)
    reply = await officer.press("📍 Phường Sài Gòn", message=screen)
    assert reply.callback_answer.text == "This contest was already announced to this area."

    # Someone else's contest, or an area the officer does not cover: refused by the service.
    events = bot.service("events")
    link = bot.rt.start_link(f"c_{contest.code}")
    with pytest.raises(EventError, match="not yours"):
        await events.announce_contest(ADMIN_ID, contest, "national", "", link)
    with pytest.raises(EventError, match="cannot announce"):
        await events.announce_contest(OFFICER, contest, "ward", AN_DONG, link)
    with pytest.raises(EventError, match="cannot announce"):
        await events.announce_contest(OFFICER, contest, "province", "79", link)


async def test_a_plain_teacher_cannot_announce(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    teacher = tg.user(id=7200, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher)
    screen = next(m for m in reversed(teacher.messages) if "Join code" in m.text)
    assert "📣 Announce to subscribers" not in screen.button_texts
    with pytest.raises(EventError, match="cannot announce"):
        await bot.service("events").announce_contest(
            7200, contest, "ward", SAI_GON, bot.rt.start_link(f"c_{contest.code}")
        )


ADMIN_ID = 900001


async def test_province_officer_announces_to_one_ward_of_the_province(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    subs = bot.service("subscriptions")
    for uid, ward in ((7301, SAI_GON), (7302, None), (7303, AN_DONG)):
        tg.user(id=uid, first_name=f"S{uid}", language_code="en", started=True)
        await subs.subscribe(uid, "79", ward, TOPIC_QUIZ, "en")
    prov_officer = 7310
    await make_officer(bot, prov_officer, "79", kind="province")
    officer = tg.user(id=prov_officer, first_name="Province", language_code="en")
    await create_contest(bot, officer, title="Ward contest")
    screen = next(m for m in reversed(officer.messages) if "Join code" in m.text)
    reply = await officer.press("📣 Announce to subscribers", message=screen)
    picker = "📍 A commune/ward of Thành phố Hồ Chí Minh…"
    assert picker in reply.edits[0].button_texts
    reply = await officer.press(picker, message=screen)
    assert "in which commune/ward?" in screen.text
    for _ in range(20):  # page through the wards (12 a page) to Sài Gòn
        if "Sài Gòn" in screen.button_texts:
            break
        await officer.press("▶", message=screen)
    reply = await officer.press("Sài Gòn", message=screen)
    assert reply.callback_answer.text == "Announcement saved."
    assert "goes to 2 subscribers now" in screen.text
    await bot.service("broadcast").wait_idle()

    def announced(uid: int) -> list[Any]:
        return [m for m in tg.sent_to(uid) if "Quiz contest:" in m.text]

    assert len(announced(7301)) == 1 and len(announced(7302)) == 1 and announced(7303) == []

    # A ward officer cannot open another province's ward pages, even with forged data.
    await make_officer(bot, OFFICER)
    ward_officer = tg.user(id=OFFICER, first_name="Officer", language_code="en")
    contest = await create_contest(bot, ward_officer, title="Other")
    mine = next(m for m in reversed(ward_officer.messages) if "Join code" in m.text)
    reply = await ward_officer.press_forged(f"quiz_teacher:anx:{contest.id}:wpg:01:0", message=mine)
    assert reply.callback_answer is not None and reply.callback_answer.show_alert
    assert "cannot announce" in (reply.callback_answer.text or "")
