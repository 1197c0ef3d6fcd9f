"""Events as people see them: the officers' wizard, /events by area, .ics, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.events import EventError, plan_automatic_job

ADMIN = 900001
OFFICER = 5001
SAI_GON = "26740"
AN_DONG = "27316"  # another ward of Hồ Chí Minh
HANOI_WARD = "00004"  # Phường Ba Đình, Hà Nội
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 local


async def make_officer(bot: Any, uid: int = OFFICER, code: str = SAI_GON, kind: str = "ward") -> None:
    """An officer of a police unit in Hồ Chí Minh (a ward unit, or kind="province", code "79")."""
    async with bot.rt.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO police_units(kind, code, province_code, created_at) VALUES (?, ?, '79', 0)",
            (kind, code),
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
    (entry,) = icalendar.Calendar.from_ical(doc.document).walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Talk: saying no to drugs"
    assert str(entry["LOCATION"]) == "Nhà văn hóa phường"
    assert str(entry["DESCRIPTION"]) == "Questions welcome."
    local = ZoneInfo("Asia/Ho_Chi_Minh")
    assert entry.decoded("DTSTART") == datetime(2026, 6, 20, 19, 30, tzinfo=local)
    assert entry.decoded("DTEND") == datetime(2026, 6, 20, 21, 30, tzinfo=local)
    assert entry["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"

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


async def test_ward_event_reminders_reach_province_wide_subscribers_not_other_wards(
    bot: Any, tg: Any
) -> None:
    bot.clock._now = DAY
    await make_officer(bot)
    await bot.service("events").create(
        OFFICER, title="Ward walk", starts_at=DAY + timedelta(days=2),
        ends_at=DAY + timedelta(days=2, hours=2), place="Bến Thành", description="",
        scope="ward", code=SAI_GON, photo=None,
    )
    subs = bot.service("subscriptions")
    for uid, ward in ((5201, SAI_GON), (5202, None), (5203, AN_DONG)):
        tg.user(id=uid, language_code="en", started=True)
        await subs.subscribe(uid, "79", ward, 7, "en")
    bot.clock._now = DAY + timedelta(days=1)  # 24 h before
    await plan_automatic_job(bot.app.bot, bot.rt)
    await bot.service("broadcast").wait_idle()
    reminded = [sum("Reminder: Ward walk" in m.text for m in tg.sent_to(uid)) for uid in (5201, 5202, 5203)]
    assert reminded == [1, 1, 0]  # the ward, the whole province; not another ward


async def make_province_admin(bot: Any, uid: int, province: str = "79") -> None:
    async with bot.rt.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO province_admins(province_code, user_id, added_by, added_at) VALUES (?, ?, ?, 0)",
            (province, uid, ADMIN),
        )


async def fill_wizard(user: Any, title: str) -> Any:
    await user.send("/newevent")
    await user.send(title)
    await user.send("20/6/2026 08:00")
    await user.send("2")
    await user.send("-")
    await user.send("-")
    return user.last


async def test_province_admin_creates_a_ward_event_of_their_province_only(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    await make_province_admin(bot, 5301)
    padmin = tg.user(id=5301, first_name="Province", language_code="en")
    scope = await fill_wizard(padmin, "Ward talk")
    assert scope.button_texts == ["🏙 Thành phố Hồ Chí Minh", "📍 A commune/ward of Thành phố Hồ Chí Minh…"]
    await padmin.press("📍 A commune/ward of Thành phố Hồ Chí Minh…")
    assert "choose your commune/ward, or type its name" in padmin.last.text
    reply = await padmin.send("sai gon")
    await padmin.press("Phường Sài Gòn", message=reply)
    assert "Send a photo or poster" in padmin.last.text
    await padmin.press("Skip")
    assert "🗺 📍 Phường Sài Gòn" in padmin.last.text
    await padmin.press("✅ Save")
    assert "🗺 Phường Sài Gòn, Thành phố Hồ Chí Minh" in padmin.last.text
    events = bot.service("events")
    (item,) = [i for i in await events.upcoming("en", "79", SAI_GON) if i.kind == "local"]
    event = await events.get(item.ref)
    assert (event.scope, event.ward_code, event.province_code) == ("ward", SAI_GON, "79")

    # Buttons are re-checked: the picker is still on screen when the right is withdrawn.
    await fill_wizard(padmin, "Later")
    await padmin.press("📍 A commune/ward of Thành phố Hồ Chí Minh…")
    async with bot.rt.db.transaction() as conn:
        await conn.execute("DELETE FROM province_admins WHERE user_id = 5301")
    reply = await padmin.press("An Đông")
    assert reply.callback_answer.text == "You cannot create events for this area."
    await make_province_admin(bot, 5301)

    # The service refuses a ward of another province, whatever the channel sends.
    events_svc = bot.service("events")
    assert await events_svc.allows_scope(5301, "ward", SAI_GON)
    assert not await events_svc.allows_scope(5301, "ward", HANOI_WARD)
    assert not await events_svc.allows_scope(5301, "province", "01")
    assert not await events_svc.allows_scope(5301, "national", "")
    with pytest.raises(EventError):
        await events_svc.create(
            5301, title="x", starts_at=DAY + timedelta(days=1), ends_at=DAY + timedelta(days=1, hours=1),
            place="", description="", scope="ward", code=HANOI_WARD, photo=None,
        )
    # A ward officer keeps to their own ward.
    await make_officer(bot)
    officer = tg.user(id=OFFICER, first_name="Officer", language_code="en")
    scope = await fill_wizard(officer, "Mine")
    assert scope.button_texts == ["📍 Phường Sài Gòn"]
    assert not await events_svc.allows_scope(OFFICER, "ward", AN_DONG)
    assert not await events_svc.allows_scope(OFFICER, "province", "79")


async def test_national_admin_picks_any_province_or_ward(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="en")
    scope = await fill_wizard(admin, "Hà Nội talk")
    assert scope.button_texts == ["🇻🇳 Nationwide", "🗺 A province or commune/ward…"]
    await admin.press("🗺 A province or commune/ward…")
    await admin.press("Hà Nội")
    assert "(page 2 of" in (await admin.press("▶")).text
    assert "(page 1 of" in (await admin.press("◀")).text
    await admin.press("Ba Đình")
    await admin.press("Skip")
    await admin.press("✅ Save")
    assert "🗺 Phường Ba Đình, Thành phố Hà Nội" in admin.last.text


async def test_events_list_pages_with_next_and_previous(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    events = bot.service("events")
    for i in range(23):
        start = DAY + timedelta(days=1, hours=i)
        await events.create(
            ADMIN, title=f"Talk {i:02d}", starts_at=start, ends_at=start + timedelta(hours=1),
            place="", description="", scope="national", code="", photo=None,
        )
    lan = tg.user(id=5401, language_code="en", started=True)

    def titles(message: Any) -> list[str]:
        return [b.text for row in message.buttons for b in row if b.data.startswith(("ev:v:", "ev:c:"))]

    reply = await lan.send("/events")
    seen = titles(reply.last)
    assert len(seen) == 10 and "Page 1 of 3" in reply.text
    assert "◀ Previous" not in reply.last.button_texts
    reply = await lan.press("Next ▶")
    assert "Page 2 of 3" in reply.text
    seen += titles(lan.last)
    reply = await lan.press("Next ▶")
    assert "Page 3 of 3" in reply.text and "Next ▶" not in lan.last.button_texts
    seen += titles(lan.last)
    # 23 local events and the 4 national calendar entries (June month and day, HIV action month,
    # World AIDS Day), each exactly once.
    assert len(seen) == len(set(seen)) == 27
    assert {f"Talk {i:02d}" for i in range(23)} <= set(seen)
    reply = await lan.press("◀ Previous")
    assert "Page 2 of 3" in reply.text
    assert all(len(b.data.encode()) <= 64 for row in lan.last.buttons for b in row)

    # Paging keeps an area chosen on the screen.
    await lan.press("📍 Choose area")
    await lan.press("Hồ Chí Minh")
    await lan.press("📍 The whole province")
    assert "Your area: Thành phố Hồ Chí Minh" in lan.last.text
    reply = await lan.press("Next ▶")
    assert "Page 2 of 3" in reply.text and "Your area: Thành phố Hồ Chí Minh" in reply.text


async def test_edit_and_cancel_an_event(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    await make_officer(bot)
    svc = bot.service("events")
    event = await svc.create(
        OFFICER, title="Old title", starts_at=DAY + timedelta(days=3),
        ends_at=DAY + timedelta(days=3, hours=2), place="", description="",
        scope="ward", code=SAI_GON, photo=None,
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
    (entry,) = icalendar.Calendar.from_ical(reply.last.document).walk("VEVENT")
    assert entry.decoded("DTSTART") == date(2026, 6, 1)
    assert entry.decoded("DTEND") == date(2026, 7, 1)  # exclusive: all of 30 June
    assert str(entry["SUMMARY"]) == msgs[0].text.splitlines()[0].removeprefix("📅 ")
