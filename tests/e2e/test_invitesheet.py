"""Bulk enrolment: a province admin gets officer codes for every ward of the province at once
(CSV + printable PDF), and each code enrols the officer who opens its link."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from bot import directory
from tests.conftest import NATIONAL_ADMIN_ID
from tests.e2e.tip_helpers import wait_for

LAI_CHAU = 12
PROVINCE_ADMIN = 4101


def _rows(message: Any) -> list[dict[str, str]]:
    assert message.filename == "invites-12.csv"
    return list(csv.DictReader(io.StringIO(message.document.decode("utf-8"))))


async def test_province_admin_gets_codes_for_every_ward(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    chief = tg.user(id=PROVINCE_ADMIN, first_name="Chief", language_code="en")
    await admin.send(f"/provadmin Lai Châu {chief.id}")
    wards = directory.wards_of(LAI_CHAU)

    # One ward is already enrolled: it is left out of the sheet.
    first = wards[0]
    reply = await chief.send(f"/invite {first.code:05d} officer")
    code = re.search(r"/bind ([A-Z2-9-]{14})", reply.text)
    assert code is not None
    early = tg.user(id=4102, first_name="Early", language_code="en")
    await early.send(f"/bind {code.group(1)}")

    reply = await chief.send("/invitesheet")
    texts = [m.text for m in reply.messages]
    assert f"{len(wards) - 1} officer codes for Lai Châu" in texts[0]
    assert "Left out (already have a group or an officer): 1." in texts[0]
    # The PDF takes a moment (rendered off the event loop): wait for both files.
    await wait_for(lambda: len([m for m in chief.messages if m.document is not None]) == 2)
    csv_msg, pdf_msg = [m for m in chief.messages if m.document is not None]
    rows = _rows(csv_msg)
    assert [r["ward_code"] for r in rows] == [f"{w.code:05d}" for w in wards[1:]]
    assert {r["province"] for r in rows} == {"Lai Châu"}
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", r["invite_code"]) for r in rows)
    assert len({r["invite_code"] for r in rows}) == len(rows)
    assert pdf_msg.filename == "invites-12.pdf"
    pdf = pdf_msg.document
    assert pdf.startswith(b"%PDF-")
    pages = -(-len(rows) // 8)  # 8 cards per A4 page
    assert re.search(rb"/Count %d\b" % pages, pdf)

    # A code's link enrols the officer in that ward's unit, and only once.
    row = rows[3]
    link = row["link"]
    assert link.startswith(f"https://t.me/{bot.rt.bot_username}?start=u_")
    officer = tg.user(id=4103, first_name="Officer", language_code="en")
    reply = await officer.send(f"/start {link.split('start=')[1]}")
    assert f"You are now an officer of Công an {row['ward'][0].lower()}{row['ward'][1:]}" in reply.text
    units = bot.service("units")
    route = await units.route_for_ward(row["ward_code"])
    assert route.primary is not None and await units.is_officer(officer.id, route.primary.id)

    # A second sheet (e.g. the first was lost): the old unused codes stop working.
    reply = await chief.send("/invitesheet Lai Châu")
    assert "Older unused officer codes that no longer work" in reply.messages[0].text
    await wait_for(lambda: len([m for m in chief.messages if m.document is not None]) == 4)
    late = tg.user(id=4104, first_name="Late", language_code="en")
    reply = await late.send(f"/bind {rows[5]['invite_code']}")
    assert "You are now an officer" not in reply.text
    assert route.primary is not None and not await units.is_officer(late.id, route.primary.id)


async def test_invitesheet_refused_outside_own_province(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    chief = tg.user(id=PROVINCE_ADMIN, first_name="Chief", language_code="en")
    citizen = tg.user(id=4105, first_name="Citizen", language_code="en")
    await admin.send(f"/provadmin Lai Châu {chief.id}")
    reply = await chief.send("/invitesheet 79")
    assert "only manage police units of your own province" in reply.text
    reply = await citizen.send("/invitesheet 12")
    assert "only for police administrators" in reply.text
    assert all(m.document is None for m in reply.messages)
    reply = await admin.send("/invitesheet")  # national admin: the province must be named
    assert "/invitesheet" in reply.text and reply.last.document is None
    units = bot.service("units")
    assert await units.find("ward", directory.wards_of(LAI_CHAU)[0].code) is None
