"""Police units through the stub channel: invites (wizard, arguments, refusals), binding with
good, expired, used and wrong codes (private and group), officer links, province admins, CSV
import (bad file, then good file), export, the unit screen's buttons and forged presses."""

from __future__ import annotations

import re

import pytest

from bot import directory
from bot.engine.conversation import Person
from tests.e2e.test_units import BAD_CSV
from tests.flows.conftest import Flow
from tests.flows.stub import StubChat

NATIONAL_ADMIN = 900001  # tests/flows/conftest.py: admin_ids (a Telegram id)
SAI_GON = "26740"  # Phường Sài Gòn, Hồ Chí Minh (79)
BA_DINH = "4"  # Phường Ba Đình, Hà Nội (01)
CODE_RE = re.compile(r"/bind ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})")


def code_in(text: str) -> str:
    match = CODE_RE.search(text)
    assert match, text
    return match.group(1)


def national_admin(flow: Flow, locale: str = "en") -> StubChat:
    """The national admin, configured by Telegram id, talking through the stub conversation."""
    chat = flow.chat(NATIONAL_ADMIN, locale)
    chat.person = Person("telegram", str(NATIONAL_ADMIN), locale, telegram_id=NATIONAL_ADMIN)
    return chat


async def user_id(flow: Flow, chat: StubChat) -> int:
    found = await flow.runtime.accounts.user_id(chat.person.channel, chat.person.external_id)
    assert found is not None
    return found


@pytest.fixture
def role_changes(flow: Flow) -> list[int]:
    changed: list[int] = []

    async def listener(uid: int, roles: frozenset[str], force: bool) -> None:
        if force:
            changed.append(uid)

    flow.runtime.role_listeners.append(listener)
    return changed


async def province_admin(flow: Flow, admin: StubChat, user: int, province: str = "79") -> StubChat:
    chat = flow.chat(user, "en")
    [shown] = await admin.command("provadmin", f"{province} {await user_id(flow, chat)}")
    assert "is now a province administrator" in shown.text
    return chat


async def invite(admin: StubChat, ref: str, purpose: str) -> str:
    [shown] = await admin.command("invite", f"{ref} {purpose}")
    return code_in(shown.text)


# -- invites -----------------------------------------------------------------------------------
async def test_invite_wizard_by_name(flow: Flow) -> None:
    admin = national_admin(flow)
    [provinces] = await admin.command("invite")
    assert "choose the province" in provinces.text
    [ask] = await admin.press("Hồ Chí Minh")
    assert "type the name of the commune/ward" in ask.text
    [wrong] = await admin.photo(b"\xff\xd8")  # not a name
    assert wrong.text == "Please type the name of the commune/ward."
    [none] = await admin.text("zzqxw")
    assert "No commune/ward matches “zzqxw”" in none.text
    [wards] = await admin.text("sai gon")
    assert "Phường Sài Gòn" in wards.labels
    [purpose] = await admin.press("Phường Sài Gòn")
    assert "Công an phường Sài Gòn" in purpose.text and purpose.replaced
    [code] = await admin.press("👮 Officer code")
    assert "Officer code for Công an phường Sài Gòn" in code.text
    link = code.button("Officer link").url
    assert link == f"stub://bot/u_{code_in(code.text).replace('-', '')}"
    # The wizard is over: a name typed now is not a ward search.
    [after] = await admin.text("sai gon")
    assert "I did not understand" in after.text


async def test_invite_province_unit_and_group_code(flow: Flow) -> None:
    admin = national_admin(flow)
    [purpose] = await admin.command("invite", "P79")
    assert "Which code?" in purpose.text
    [code] = await admin.press("👥 Group code")
    assert "Group code for" in code.text and "Officer link" not in code.labels


async def test_invite_refusals(flow: Flow) -> None:
    admin = national_admin(flow)
    citizen = flow.chat(2001, "en")
    [shown] = await citizen.command("invite")
    assert shown.text == "This is only for police administrators."
    [shown] = await citizen.command("invite", f"{SAI_GON} officer")
    assert "only manage police units of your own province" in shown.text
    assert "/bind" not in shown.text

    prov = await province_admin(flow, admin, 2002)
    [shown] = await prov.command("invite", f"{BA_DINH} officer")  # Hà Nội, not theirs
    assert "only manage police units of your own province" in shown.text
    [shown] = await prov.command("invite")  # one province: straight to the ward question
    assert "Hồ Chí Minh" in shown.text and "type the name" in shown.text

    [shown] = await admin.command("invite", "99999 officer")
    assert shown.text == "There is no commune/ward with code 99999."
    [shown] = await admin.command("invite", "<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in shown.text and "is not a unit code" in shown.text
    assert await flow.runtime.services.units.find("ward", SAI_GON) is None


# -- binding -----------------------------------------------------------------------------------
async def test_officer_code_good_used_expired_and_wrong(flow: Flow, role_changes: list[int]) -> None:
    admin = national_admin(flow)
    units = flow.runtime.services.units
    officer = flow.chat(3001, "en")
    other = flow.chat(3002, "en")

    [shown] = await officer.command("bind")
    assert "Send the code after the command" in shown.text
    [shown] = await officer.command("bind", "ABCD-EFGH-JKLM")
    assert "This code is not valid" in shown.text and "4 attempts left" in shown.text

    code = await invite(admin, SAI_GON, "officer")
    [shown] = await officer.command("bind", code.lower().replace("-", ""))
    assert "You are now an officer of <b>Công an phường Sài Gòn</b>" in shown.text
    officer_id = await user_id(flow, officer)
    assert role_changes == [officer_id]
    [unit] = await units.officer_units(officer_id)
    assert await units.destinations(unit.id) == [officer_id]

    [shown] = await other.command("bind", code)
    assert "already been used" in shown.text
    assert await units.officer_units(await user_id(flow, other)) == []

    late = await invite(admin, SAI_GON, "officer")
    flow.runtime.clock.advance(hours=25)
    [shown] = await other.command("bind", late)
    assert "has expired" in shown.text
    assert await units.officer_units(await user_id(flow, other)) == []

    [shown] = await officer.command("units")
    assert "You are an officer of" in shown.text and "Sài Gòn" in shown.text


async def test_officer_link_enrols_once(flow: Flow) -> None:
    admin = national_admin(flow)
    await admin.command("invite", f"{SAI_GON} officer")
    link = admin.last.button("Officer link").url or ""
    payload = link.rsplit("/", 1)[1]
    officer = flow.chat(3101, "vi")
    [shown] = await officer.command("start", payload)
    assert "✅ Bạn đã là cán bộ của <b>Công an phường Sài Gòn</b>" in shown.text
    [shown] = await flow.chat(3102, "en").command("start", payload)
    assert "already been used" in shown.text


async def test_group_code_binds_the_group_and_unbind(flow: Flow) -> None:
    admin = national_admin(flow)
    units = flow.runtime.services.units
    officer_private = flow.chat(3201, "en")
    officer = flow.chat(3201, "en", private=False, group="ca-sai-gon")
    other_group = flow.chat(3201, "en", private=False, group="other")

    code = await invite(admin, SAI_GON, "group")
    [shown] = await officer_private.command("bind", code)
    assert "This is a group code" in shown.text
    officer_code = await invite(admin, SAI_GON, "officer")
    [shown] = await officer.command("bind", officer_code)
    assert "This is an officer code" in shown.text

    [shown] = await officer.command("bind", code)
    assert "This group now receives tips for <b>Công an phường Sài Gòn</b>" in shown.text
    unit = await units.find("ward", SAI_GON)
    assert unit is not None and unit.group is not None
    assert (unit.group.channel, unit.group.key) == ("stub", "stub:group:ca-sai-gon")
    assert unit.group_chat_id is None  # not a Telegram group: tips are not delivered there yet
    assert await units.is_officer(await user_id(flow, officer), unit.id)
    [shown] = await other_group.command("bind", code)
    assert "already been used" in shown.text

    # A second unit cannot take a bound group.
    ba_dinh = await invite(admin, BA_DINH, "group")
    [shown] = await officer.command("bind", ba_dinh)
    assert "already receives tips for <b>Công an phường Sài Gòn</b>" in shown.text

    [shown] = await officer.command("unbind")
    assert "only for police administrators" in shown.text or "only manage" in shown.text
    assert (await units.find("ward", SAI_GON)).group is not None
    admin_in_group = national_admin(flow)
    admin_in_group.chat = officer.chat
    [shown] = await admin_in_group.command("unbind")
    assert "This group no longer receives tips for <b>Công an phường Sài Gòn</b>" in shown.text
    assert (await units.find("ward", SAI_GON)).group is None
    [shown] = await admin_in_group.command("unbind")
    assert shown.text == "This group is not bound to any police unit."
    [shown] = await officer_private.command("unbind")
    assert "Send /unbind in the group" in shown.text


async def test_private_only_commands_say_nothing_in_groups(flow: Flow) -> None:
    group = flow.chat(3301, "en", private=False, group="g")
    for name in ("invite", "units", "provadmin", "importunits", "exportunits", "invitesheet", "myid"):
        assert await group.command(name) == []


# -- province admins ---------------------------------------------------------------------------
async def test_provadmin_add_list_remove_and_refusals(flow: Flow, role_changes: list[int]) -> None:
    admin = national_admin(flow)
    units = flow.runtime.services.units
    chief = flow.chat(4001, "en")
    chief_id = await user_id(flow, chief)

    [shown] = await admin.command("provadmin")
    assert shown.text.startswith("Usage:")
    [shown] = await admin.command("provadmin", f"Hồ Chí Minh {chief_id}")
    assert f"<code>{chief_id}</code> is now a province administrator of Hồ Chí Minh." == shown.text
    assert role_changes == [chief_id]
    [shown] = await admin.command("provadmin", f"79 {chief_id}")
    assert "was already a province administrator" in shown.text
    assert role_changes == [chief_id]  # nothing changed: no menu update
    [shown] = await admin.command("provadmin", "79")
    assert f"<code>{chief_id}</code>" in shown.text
    assert await units.province_admin_of(chief_id) == {"79"}

    [shown] = await chief.command("provadmin", f"79 {chief_id + 1}")
    assert shown.text == "Only a national administrator can appoint province administrators."
    [shown] = await admin.command("provadmin", "Atlantis 5")
    assert shown.text == "There is no province with code Atlantis."
    [shown] = await admin.command("provadmin", "79 0")
    assert "is not a Telegram user id" in shown.text

    [shown] = await admin.command("provadmin", f"remove 79 {chief_id}")
    assert "is no longer a province administrator of Hồ Chí Minh" in shown.text
    assert role_changes == [chief_id, chief_id]
    [shown] = await admin.command("provadmin", f"xóa 79 {chief_id}")
    assert "was not a province administrator" in shown.text
    assert await units.province_admin_of(chief_id) == set()
    [shown] = await chief.command("units")
    assert shown.text == "This is only for police administrators."


# -- CSV ---------------------------------------------------------------------------------------
GOOD_CSV = (
    "unit_code,name,hotline,province_admin_ids\n"
    "26740,,028 3829 7643,\n"
    "P79,PC04 Công an TP.HCM,069 123 456,\n"
)


async def test_csv_import_bad_then_good_then_export(flow: Flow) -> None:
    admin = national_admin(flow)
    units = flow.runtime.services.units
    chief = await province_admin(flow, admin, 5001)

    [prompt] = await chief.command("importunits")
    assert "Send the CSV file as a document" in prompt.text
    [shown] = await chief.text("26740,,,")  # typed, not a file
    assert shown.text == "Please send the CSV file as a document (or /cancel)."
    [shown] = await chief.file("26740".encode("utf-16"), "units.csv", "text/csv")
    assert "must be UTF-8 text" in shown.text
    [shown] = await chief.file(BAD_CSV.encode(), "units.csv", "text/csv")
    assert "Nothing was imported" in shown.text
    assert "Row 3: unknown ward code 99999" in shown.text
    assert "Row 4: duplicate of row 2" in shown.text
    assert "Row 5: 4 is outside your province" in shown.text
    assert await units.find("ward", SAI_GON) is None

    # The flow ended with the bad file: the good one comes with the command as its caption.
    [shown] = await chief.file(("\ufeff" + GOOD_CSV).encode(), "units.csv", "text/csv",
                               caption="/importunits")
    assert "Imported 2 rows: 2 units created" in shown.text
    ward = await units.find("ward", SAI_GON)
    assert ward is not None and ward.hotline == "028 3829 7643"

    [export] = await chief.command("exportunits")
    assert export.screen.document is not None
    name, data = export.screen.document
    lines = data.decode().splitlines()
    assert name == "units.csv" and export.text == "Police units: 2 rows"
    assert lines[0] == "unit_code,name,hotline,province_admin_ids"
    chief_id = await user_id(flow, chief)
    assert f"26740,Công an phường Sài Gòn,028 3829 7643,{chief_id}" in lines
    [shown] = await chief.command("exportunits", "Hà Nội")
    assert "only manage police units of your own province" in shown.text
    [shown] = await chief.command("exportunits", "Atlantis")
    assert shown.text == "There is no province with code Atlantis."


async def test_csv_refused_to_citizens(flow: Flow) -> None:
    citizen = flow.chat(5101, "en")
    [shown] = await citizen.command("importunits")
    assert shown.text == "This is only for police administrators."
    [shown] = await citizen.file(GOOD_CSV.encode(), "units.csv", "text/csv", caption="/importunits")
    assert shown.text == "This is only for police administrators."
    [shown] = await citizen.command("exportunits")
    assert shown.text == "This is only for police administrators."
    assert await flow.runtime.services.units.find("ward", SAI_GON) is None
    # A file without the caption outside any flow is not an import.
    [shown] = await citizen.file(GOOD_CSV.encode(), "units.csv", "text/csv")
    assert "I did not understand" in shown.text


# -- the unit screen and forged presses --------------------------------------------------------
async def test_unit_screen_buttons_and_forged_presses(flow: Flow, role_changes: list[int]) -> None:
    admin = national_admin(flow)
    units = flow.runtime.services.units
    officer = flow.chat(6001, "en")
    await officer.command("bind", await invite(admin, SAI_GON, "officer"))
    officer_id = await user_id(flow, officer)
    unit = await units.find("ward", SAI_GON)
    assert unit is not None

    [screen] = await admin.command("units", SAI_GON)
    assert f"<code>{officer_id}</code>" in screen.text
    [code] = await admin.press("🔑 Officer code")
    assert not code.replaced and "Officer code for" in code.text
    await admin.press("⚙️ Unit")
    [reissue] = await admin.press("🔁 Re-issue codes")
    assert "every unused code of this unit stops working" in reissue.text
    [fresh] = await admin.press("👮 Officer code")
    assert "Older unused codes that no longer work: 1." in fresh.text
    await admin.press("⚙️ Unit")
    [confirm] = await admin.press(f"❌ Remove officer {officer_id}")
    assert "Remove officer" in confirm.text
    [done] = await admin.press("Yes, remove")
    assert "The officer was removed." in done.text
    assert not await units.is_officer(officer_id, unit.id)
    assert role_changes[-1] == officer_id

    # Forged and stale presses: refused politely, nothing changes.
    citizen = flow.chat(6002, "en")
    await citizen.command("start")
    [shown] = await citizen.press_data(f"units:c:{unit.id}:o")
    assert shown.text == "You can only manage police units of your own province."
    [shown] = await citizen.press_data(f"units:ro:{unit.id}:{officer_id}:y")
    assert shown.text == "You can only manage police units of your own province."
    [shown] = await citizen.press_data(f"units:ik:w:{SAI_GON}:o")
    assert shown.text == "You can only manage police units of your own province."
    [shown] = await citizen.press_data("units:cov")
    assert shown.text == "This is only for police administrators."
    [shown] = await admin.press_data("units:u:999999")
    assert shown.text == "This police unit does not exist (any more)."
    [shown] = await admin.press_data("units:ik:w:99999:o")
    assert "There is no commune/ward or province with code 99999" in shown.text
    [shown] = await admin.press_data(f"units:ro:{unit.id}:{officer_id}:y")  # already removed
    assert shown.text == "This officer is not enrolled in this unit."
    assert await admin.press_data(f"units:c:{unit.id}:x") == []  # not a purpose: dropped
    assert await admin.press_data(f"units:ub:{unit.id}:n") == []
    assert await admin.press_data("units:p:79:next") == []
    assert await admin.press_data("units:u:abc") == []
    assert await units.officer_units(officer_id) == []


async def test_coverage_and_paging(flow: Flow) -> None:
    admin = national_admin(flow, "vi")
    total = len(directory.wards_of(79))
    [shown] = await admin.command("units")
    assert f"Hồ Chí Minh: 0/{total}" in shown.text
    [page] = await admin.press(f"Hồ Chí Minh 0/{total}")
    assert "Trang 1/" in page.text and page.replaced
    [page2] = await admin.press("▶")
    assert "Trang 2/" in page2.text
    [back] = await admin.press("⬅️ Tỉnh/thành phố")
    assert "Mức độ phủ sóng" in back.text
    [shown] = await admin.command("units", "Atlantis")
    assert shown.text == "Không có tỉnh/thành phố nào có mã Atlantis."


# -- /myid ---------------------------------------------------------------------------------------
async def test_myid_is_honest_about_the_channel(flow: Flow) -> None:
    [shown] = await flow.chat(7001, "en").command("myid")
    assert "appointed by their Telegram user id" in shown.text and "/myid there" in shown.text
    [shown] = await national_admin(flow).command("myid")
    assert f"Your Telegram user id is <code>{NATIONAL_ADMIN}</code>" in shown.text
