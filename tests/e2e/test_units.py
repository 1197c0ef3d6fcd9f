"""Police units as admins and officers see them: invite codes, binding a group, enrolling an
officer, wrong/used/expired codes, the guessing limit, unbinding, refusals, CSV, coverage."""

from __future__ import annotations

import re
from typing import Any

from bot import directory

NATIONAL_ADMIN_ID = 900001  # tests/conftest.py

SAI_GON = "26740"
CODE_RE = re.compile(r"/bind ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})")


def code_in(text: str) -> str:
    match = CODE_RE.search(text)
    assert match, text
    return match.group(1)


async def invite(admin: Any, ref: str, purpose: str) -> str:
    reply = await admin.send(f"/invite {ref} {purpose}")
    return code_in(reply.text)


async def test_invite_wizard_then_bind_group(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    officer = tg.user(id=3101, first_name="Hùng", language_code="vi")
    group = tg.group(id=-1003101, title="Công an phường Sài Gòn", members=[officer])

    reply = await admin.send("/invite")
    assert "chọn tỉnh/thành phố" in reply.text
    await admin.press("Hồ Chí Minh")
    assert "nhập tên xã/phường" in admin.last.text
    reply = await admin.send("sai gon")
    assert "Phường Sài Gòn" in reply.button_texts
    await admin.press("Phường Sài Gòn")
    assert "Công an phường Sài Gòn" in admin.last.text
    await admin.press("👥 Mã nhóm")
    text = admin.last.text
    assert "Mã nhóm cho Công an phường Sài Gòn" in text and "một lần" in text
    code = code_in(text)

    reply = await officer.send(f"/bind {code}", chat=group)
    assert "nhận tin báo cho Công an phường Sài Gòn" in reply.text
    units = bot.service("units")
    route = await units.route_for_ward(SAI_GON)
    assert route.primary is not None and route.primary.group_chat_id == group.id
    assert await units.destinations(route.primary.id) == [group.id]
    assert await units.is_officer(officer.id, route.primary.id)

    # The same code again, elsewhere: already used, nothing changes.
    other = tg.group(id=-1003102, title="Nhóm khác", members=[officer])
    reply = await officer.send(f"/bind {code}", chat=other)
    assert "đã được sử dụng" in reply.text
    assert await units.unit_for_group(other.id) is None


async def test_invite_then_enrol_officer_in_private(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    officer = tg.user(id=3201, first_name="Lan", language_code="en")
    reply = await admin.send(f"/invite {SAI_GON}")
    assert "Which code?" in reply.text
    await admin.press("👮 Officer code")
    code = code_in(admin.last.text)
    reply = await officer.send(f"/bind {code.replace('-', '').lower()}")
    assert "You are now an officer of Công an phường Sài Gòn" in reply.text
    units = bot.service("units")
    [unit] = await units.officer_units(officer.id)
    assert await units.destinations(unit.id) == [officer.id]
    assert (await units.route_for_ward(SAI_GON)).primary == unit


async def test_wrong_used_and_expired_codes(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    officer = tg.user(id=3301, first_name="Minh", language_code="vi")
    reply = await officer.send("/bind ABCD-EFGH-JKLM")
    assert "Mã không hợp lệ" in reply.text and "còn 4 lần thử" in reply.text
    code = await invite(admin, SAI_GON, "officer")
    bot.clock.advance(hours=25)
    reply = await officer.send(f"/bind {code}")
    assert "đã hết hạn" in reply.text
    assert await bot.service("units").officer_units(officer.id) == []
    fresh = await invite(admin, SAI_GON, "officer")
    assert "là cán bộ" in (await officer.send(f"/bind {fresh}")).text
    reply = await tg.user(id=3302, first_name="Nam", language_code="vi").send(f"/bind {fresh}")
    assert "đã được sử dụng" in reply.text
    reply = await officer.send("/bind")
    assert "Gửi mã ngay sau lệnh" in reply.text


async def test_guessing_limit(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    guesser = tg.user(id=3401, first_name="Guess", language_code="en")
    code = await invite(admin, SAI_GON, "officer")
    for left in (4, 3, 2, 1):
        reply = await guesser.send("/bind ZZZZ-ZZZZ-ZZZZ")
        assert f"{left} attempts left" in reply.text
    reply = await guesser.send("/bind ZZZZ-ZZZZ-ZZZZ")
    assert "Too many wrong codes" in reply.text
    reply = await guesser.send(f"/bind {code}")  # even the right code waits an hour
    assert "Too many wrong codes. Please wait an hour" in reply.text
    assert await bot.service("units").officer_units(guesser.id) == []
    bot.clock.advance(minutes=61)
    reply = await guesser.send(f"/bind {code}")
    assert "You are now an officer" in reply.text


async def test_unbind_from_the_unit_screen_and_in_the_group(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    officer = tg.user(id=3501, first_name="Tú", language_code="vi")
    group = tg.group(id=-1003501, title="CA Sài Gòn", members=[officer, admin])
    code = await invite(admin, SAI_GON, "group")
    await officer.send(f"/bind {code}", chat=group)
    units = bot.service("units")
    unit = await units.unit_for_group(group.id)
    assert unit is not None

    await admin.send(f"/units {SAI_GON}")
    assert "Nhóm: đã liên kết" in admin.last.text
    await admin.press("🔌 Hủy liên kết nhóm")
    await admin.press("Đồng ý hủy liên kết")
    assert "Đã hủy liên kết nhóm" in admin.last.text and "Nhóm: chưa có" in admin.last.text
    assert await units.unit_for_group(group.id) is None
    # Tips now go to the officer enrolled by the bind.
    assert await units.destinations(unit.id) == [officer.id]

    # Bind again, then an officer may not unbind in the group, an admin may.
    code = await invite(admin, SAI_GON, "group")
    await officer.send(f"/bind {code}", chat=group)
    reply = await officer.send("/unbind", chat=group)
    assert "chỉ dành cho quản trị viên" in reply.text or "chỉ quản lý" in reply.text
    assert await units.unit_for_group(group.id) is not None
    reply = await admin.send("/unbind", chat=group)
    assert "không còn nhận tin báo" in reply.text
    assert await units.unit_for_group(group.id) is None

    # Removing the officer: the unit is no longer reachable, tips go to the national admins.
    await admin.send(f"/units {SAI_GON}")
    await admin.press(f"❌ Xóa cán bộ {officer.id}")
    await admin.press("Đồng ý xóa")
    assert "Đã xóa cán bộ" in admin.last.text
    assert (await units.route_for_ward(SAI_GON)).to_national_admins


async def test_officer_of_one_unit_cannot_manage_another(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    hung = tg.user(id=3601, first_name="Hùng", language_code="vi")  # officer in Hà Nội
    lan = tg.user(id=3602, first_name="Lan", language_code="vi")  # officer in Sài Gòn
    group = tg.group(id=-1003601, title="CA Sài Gòn", members=[lan, hung])
    await hung.send(f"/bind {await invite(admin, '4', 'officer')}")
    await lan.send(f"/bind {await invite(admin, SAI_GON, 'group')}", chat=group)
    units = bot.service("units")
    sai_gon = await units.unit_for_group(group.id)
    assert sai_gon is not None

    # For a while Hùng was also province admin of Hồ Chí Minh and opened the unit screen.
    reply = await admin.send(f"/provadmin Hồ Chí Minh {hung.id}")
    assert "đã là quản trị viên cấp tỉnh của Hồ Chí Minh" in reply.text
    stale = (await hung.send(f"/units {SAI_GON}")).last
    assert "🔌 Hủy liên kết nhóm" in stale.button_texts
    confirm = (await hung.send(f"/units {SAI_GON}")).last
    await hung.press("🔌 Hủy liên kết nhóm", message=confirm)
    assert "Đồng ý hủy liên kết" in hung.last.button_texts
    reply = await admin.send(f"/provadmin remove 79 {hung.id}")
    assert "không còn là quản trị viên cấp tỉnh" in reply.text

    # Now the old buttons, the commands and the group command are all refused.
    reply = await hung.press("Đồng ý hủy liên kết", message=confirm)
    assert "chỉ quản lý được các đơn vị" in reply.text
    reply = await hung.press(f"❌ Xóa cán bộ {lan.id}", message=stale)
    assert "chỉ quản lý được các đơn vị" in reply.text
    reply = await hung.press("🔑 Mã cán bộ", message=stale)
    assert "chỉ quản lý được các đơn vị" in reply.text and "/bind" not in reply.text
    reply = await hung.send(f"/invite {SAI_GON} officer")
    assert "chỉ quản lý được" in reply.text and "/bind" not in reply.text
    reply = await hung.send("/units")
    assert "Bạn là cán bộ của" in reply.text and "Ba Đình" in reply.text
    reply = await hung.send("/unbind", chat=group)
    assert "chỉ dành cho quản trị viên" in reply.text or "chỉ quản lý" in reply.text
    reply = await hung.send("/provadmin 79 3601")
    assert "Chỉ quản trị viên toàn quốc" in reply.text
    reply = await hung.send("/exportunits")
    assert "chỉ dành cho quản trị viên" in reply.text

    # Nothing changed.
    assert (await units.get(sai_gon.id)).group_chat_id == group.id
    assert await units.is_officer(lan.id, sai_gon.id)
    assert await units.province_admin_of(hung.id) == set()


BAD_CSV = (
    "unit_code,name,hotline,province_admin_ids\n"
    "26740,,028 3829 7643,\n"
    "99999,,,\n"
    "26740,Trùng,,\n"
    "4,,,12x\n"
)
GOOD_CSV = (
    "unit_code,name,hotline,province_admin_ids\n"
    "26740,,028 3829 7643,\n"
    "P79,PC04 Công an TP.HCM,069 123 456,3701\n"
    "4,Công an phường Ba Đình,024 3823 1234,\n"
)


async def test_csv_import_bad_file_then_good_file_and_export(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    units = bot.service("units")
    reply = await admin.send_document(BAD_CSV.encode(), "units.csv", "text/csv", caption="/importunits")
    text = reply.text
    assert "Không có gì được nhập" in text
    assert "Dòng 3: không có xã/phường mã 99999" in text
    assert "Dòng 4: trùng với dòng 2" in text
    assert "Dòng 5: mã người dùng Telegram không hợp lệ “12x”" in text
    assert await units.find("ward", SAI_GON) is None

    # The two-step way: the command, then the file.
    reply = await admin.send("/importunits")
    assert "Gửi tệp CSV" in reply.text
    reply = await admin.send_document(("\ufeff" + GOOD_CSV).encode(), "units.csv", "text/csv")
    assert "Đã nhập 3 dòng: tạo mới 3 đơn vị" in reply.text and "thêm 1 quản trị viên" in reply.text
    ward = await units.find("ward", SAI_GON)
    assert ward is not None and ward.hotline == "028 3829 7643"
    assert await units.province_admin_of(3701) == {"79"}

    # The new province admin exports their province only.
    prov_admin = tg.user(id=3701, first_name="Tỉnh", language_code="vi")
    reply = await prov_admin.send("/exportunits")
    data = reply.last.document
    assert data is not None and reply.last.filename == "units.csv"
    lines = data.decode().splitlines()
    assert lines[0] == "unit_code,name,hotline,province_admin_ids"
    assert "26740,Công an phường Sài Gòn,028 3829 7643,3701" in lines
    assert not any(line.startswith("00004") for line in lines)
    reply = await admin.send("/exportunits Hà Nội")
    assert reply.last.filename == "units-01.csv"
    assert "00004,Công an phường Ba Đình,024 3823 1234," in reply.last.document.decode()
    # A province admin cannot import rows of another province.
    reply = await prov_admin.send_document(
        b"unit_code,name\n4,X\n", "u.csv", "text/csv", caption="/importunits"
    )
    assert "Dòng 2: 4 không thuộc tỉnh/thành phố của bạn" in reply.text


async def test_coverage_listing(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="vi")
    officer = tg.user(id=3801, first_name="Lan", language_code="vi")
    await officer.send(f"/bind {await invite(admin, SAI_GON, 'officer')}")
    total = len(directory.wards_of(79))
    hanoi = len(directory.wards_of(1))
    reply = await admin.send("/units")
    assert f"Hồ Chí Minh: 1/{total}" in reply.text
    assert f"Hà Nội: 0/{hanoi}" in reply.text
    assert "Tổng: 1/3321" in reply.text
    await admin.press(f"Hồ Chí Minh 1/{total}")
    page = admin.last.text
    assert f"Hồ Chí Minh: 1/{total} xã/phường" in page and "Trang 1/" in page
    await admin.press("▶")
    assert "Trang 2/" in admin.last.text
    await admin.press("⬅️ Tỉnh/thành phố")
    assert "Mức độ phủ sóng" in admin.last.text

    # A province admin sees their province straight away and can invite there by name.
    await admin.send(f"/provadmin 79 {3802}")
    prov = tg.user(id=3802, first_name="Tỉnh", language_code="vi")
    reply = await prov.send("/units")
    assert f"Hồ Chí Minh</b>: 1/{total}" in reply.last.html or f"Hồ Chí Minh: 1/{total}" in reply.text
    reply = await prov.send("/invite")
    assert "nhập tên xã/phường" in reply.text
    reply = await prov.send("Bến Thành")
    assert any("Bến Thành" in b for b in reply.button_texts)


async def test_malformed_and_forged_unit_buttons(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    citizen = tg.user(id=3901, first_name="Dân", language_code="en")
    await admin.send(f"/invite {SAI_GON} officer")
    unit = await bot.service("units").find("ward", SAI_GON)
    screen = (await admin.send(f"/units {SAI_GON}")).last
    # Data no action parses to: answered, nothing else happens.
    for data in ("units:u:abc", f"units:c:{unit.id}:x", "units:zz"):
        reply = await admin.press_forged(data, message=screen)
        assert reply.callback_answer is not None
        assert reply.callback_answer.text == "This button is no longer available."
        assert reply.messages == []
    # A well-formed press by someone without the role: refused by the service.
    mine = (await citizen.send("/start")).last
    reply = await citizen.press_forged(f"units:c:{unit.id}:o", message=mine)
    assert reply.text == "You can only manage police units of your own province."
    assert tg.unanswered_callback_queries == []
