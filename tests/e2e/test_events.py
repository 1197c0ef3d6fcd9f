"""Events as people see them: the officers' wizard, /events by area, .ics, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.events import plan_automatic_job

ADMIN = 900001
OFFICER = 5001
SAI_GON = "26740"
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 local


async def make_officer(bot: Any, uid: int = OFFICER, ward: str = SAI_GON) -> None:
    async with bot.rt.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO police_units(kind, code, province_code, created_at) VALUES ('ward', ?, '79', 0)",
            (ward,),
        )
        await conn.execute(
            "INSERT INTO unit_officers(unit_id, user_id, enrolled_at) VALUES (?, ?, 0)",
            (cur.lastrowid, uid),
        )


async def test_officer_creates_an_event_and_citizens_see_it_first(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    await make_officer(bot)
    officer = tg.user(id=OFFICER, first_name="Officer", language_code="en")
    await officer.send("/events")
    await officer.press("➕ New event")
    await officer.send("Talk: saying no to drugs")
    await officer.send("20/6/2026 19:30")
    await officer.send("2")
    await officer.send("Nhà văn hóa phường")
    await officer.send("Questions welcome.")
    await officer.press("📍 Phường Sài Gòn")
    await officer.press("Skip")
    assert "Check the event" in officer.last.text
    await officer.press("✅ Save")
    assert "Talk: saying no to drugs" in officer.last.text
    assert "✏️ Edit" in officer.last.button_texts

    # A subscriber of that ward sees it first; another province does not see it at all.
    lan = tg.user(id=5002, language_code="en", started=True)
    await bot.service("subscriptions").subscribe(5002, "79", SAI_GON, 7, "en")
    await lan.send("/events")
    assert "Phường Sài Gòn" in lan.last.text
    assert lan.last.buttons[0][0][0].startswith("Talk: saying no")
    hanoi = tg.user(id=5003, language_code="en", started=True)
    await bot.service("subscriptions").subscribe(5003, "01", None, 7, "en")
    await hanoi.send("/events")
    assert "saying no" not in hanoi.last.text
    assert "Action Month" in hanoi.last.text or "National Day" in hanoi.last.text

    # .ics download
    await lan.press("Talk: saying no to drugs")
    reply = await lan.press("📅 Add to calendar")
    doc = reply.last
    assert doc.filename.endswith(".ics")
    body = doc.document.decode()
    assert "BEGIN:VEVENT" in body and "SUMMARY:Talk: saying no to drugs" in body
    assert "DTSTART:20260620T123000Z" in body  # 19:30 in Hồ Chí Minh

    # Reminders: one day and one hour before, to the ward's subscribers only.
    svc = bot.service("broadcast")
    bot.clock._now = datetime(2026, 6, 19, 12, 30, tzinfo=UTC)  # 24 h before
    await plan_automatic_job(bot.app.bot, bot.rt)
    await plan_automatic_job(bot.app.bot, bot.rt)  # idempotent
    await svc.wait_idle()
    assert sum("Reminder" in m.text for m in tg.sent_to(5002)) == 1
    assert not any("Reminder" in m.text for m in tg.sent_to(5003))
    bot.clock._now = datetime(2026, 6, 20, 11, 30, tzinfo=UTC)  # 1 h before
    await plan_automatic_job(bot.app.bot, bot.rt)
    await svc.wait_idle()
    assert sum("Starting soon" in m.text for m in tg.sent_to(5002)) == 1


async def test_edit_and_cancel_an_event(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    await make_officer(bot)
    svc = bot.service("events")
    event = await svc.create(
        OFFICER, title="Old title", starts_at=DAY + timedelta(days=3),
        ends_at=DAY + timedelta(days=3, hours=2), place="", description="",
        scope="ward", code=SAI_GON, photo_file_id=None,
    )
    officer = tg.user(id=OFFICER, language_code="en")
    await officer.send("/events")
    await officer.press("Old title")
    await officer.press("✏️ Edit")
    await officer.press("Title")
    await officer.send("New title")
    assert "New title" in officer.last.text
    await officer.press("❌ Cancel event")
    await officer.press("Yes, cancel the event")
    assert (await svc.get(event.id)).cancelled
    # Someone who is not an officer cannot change it.
    stranger = tg.user(id=5009, language_code="en")
    await stranger.send("/newevent")
    assert "Only police officers" in stranger.last.text


async def test_national_calendar_opening_is_announced_once(bot: Any, tg: Any) -> None:
    tg.user(id=5101, language_code="vi", started=True)
    await bot.service("subscriptions").subscribe(5101, "01", None, 7, "vi")
    bot.clock._now = datetime(2026, 6, 1, 1, 5, tzinfo=UTC)  # 08:05 on 1 June
    await plan_automatic_job(bot.app.bot, bot.rt)
    await bot.service("broadcast").wait_idle()
    await plan_automatic_job(bot.app.bot, bot.rt)
    await bot.service("broadcast").wait_idle()
    msgs = [m for m in tg.sent_to(5101) if "Tháng hành động" in m.text]
    assert len(msgs) == 1
    assert "93/2001/QĐ-TTg" in msgs[0].text
    # The calendar entry downloads as an all-day .ics
    user = tg.user(id=5101)
    reply = await user.press("📅 Thêm vào lịch", message=msgs[0])
    assert "DTSTART;VALUE=DATE:20260601" in reply.last.document.decode()
    assert "DTEND;VALUE=DATE:20260701" in reply.last.document.decode()
