"""Police units: invite codes (single use, expiry, guessing limit), routing fallbacks,
CSV import all-or-nothing, export, coverage and permissions."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import directory
from bot.clock import FrozenClock
from bot.config import Settings, TipSettings
from bot.crypto import Keyring
from bot.i18n import translator
from bot.unit_codes import default_name, parse_ref
from bot.unit_screens import import_text, redeem_text
from bot.units import (
    GROUP,
    OFFICER,
    PROVINCE,
    WARD,
    Forbidden,
    GroupRef,
    NotFound,
    UnitService,
)
from storage.db import Database

ADMIN = 1
PROV_ADMIN = 2  # province admin of Hồ Chí Minh (79)
OFFICER_A = 3
OFFICER_B = 4
STRANGER = 555000111
GROUP_CHAT = -1001
SAI_GON = "26740"  # Phường Sài Gòn, Hồ Chí Minh
BA_DINH = "4"  # Phường Ba Đình, Hà Nội (code 00004)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "units.db") as database:
        yield database


def make(db: Database, clock: FrozenClock | None = None, **settings: object) -> UnitService:
    base = Settings(admin_ids=frozenset({ADMIN}))
    return UnitService(
        db, dataclasses.replace(base, **settings), clock or FrozenClock(), Keyring.ephemeral()
    )


async def svc_with_prov_admin(db: Database, clock: FrozenClock | None = None, **kw: object) -> UnitService:
    svc = make(db, clock, **kw)
    await svc.set_province_admin(ADMIN, "79", PROV_ADMIN)
    return svc


# -- codes -------------------------------------------------------------------------------------
def test_refs_and_default_names() -> None:
    assert parse_ref("26740") == (WARD, 26740)
    assert parse_ref("P79") == (PROVINCE, 79)
    assert parse_ref("p 1") == (PROVINCE, 1)
    assert parse_ref("x9") is None
    assert default_name(WARD, "26740") == "Công an phường Sài Gòn"
    assert default_name(WARD, "00004") == "Công an phường Ba Đình"
    assert default_name(PROVINCE, "01").endswith("Công an Thành phố Hà Nội")
    assert default_name(PROVINCE, "04").endswith("Công an tỉnh Cao Bằng")


async def test_invite_code_is_random_hashed_and_single_use(db: Database) -> None:
    svc = make(db)
    invite = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)
    assert len(invite.code) >= 10 and invite.code.isalnum() and invite.code.isupper()
    assert not set(invite.code) & set("01IO")
    row = await db.fetchone("SELECT code_hash FROM unit_invites")
    assert row is not None and invite.code.encode() not in bytes(row["code_hash"])
    assert invite.unit.name == "Công an phường Sài Gòn" and invite.unit.code == SAI_GON
    # Typed with dashes and lower case works.
    first = await svc.redeem(OFFICER_A, invite.pretty.lower(), None)
    assert first.status == "enrolled" and first.unit is not None
    assert await svc.is_officer(OFFICER_A, first.unit.id)
    again = await svc.redeem(OFFICER_B, invite.code, None)
    assert again.status == "used"
    assert not await svc.is_officer(OFFICER_B, first.unit.id)


async def test_invite_expires_after_24_hours(db: Database) -> None:
    clock = FrozenClock()
    svc = make(db, clock)
    invite = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)
    clock.advance(hours=25)
    result = await svc.redeem(OFFICER_A, invite.code, None)
    assert result.status == "expired"
    assert await svc.officer_units(OFFICER_A) == []


async def test_guessing_is_limited_per_user_with_a_pseudonymous_key(db: Database) -> None:
    clock = FrozenClock()
    svc = make(db, clock)
    invite = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)
    lefts = [(await svc.redeem(STRANGER, "WRONGWRONGWR", None)).attempts_left for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    # The right code no longer helps within the hour.
    assert (await svc.redeem(STRANGER, invite.code, None)).status == "limited"
    rows = await db.fetchall("SELECT key FROM unit_invite_failures")
    assert len(rows) == 5 and all(str(STRANGER).encode() not in bytes(r["key"]) for r in rows)
    # Another person is not affected; the stranger can try again an hour later.
    assert (await svc.redeem(OFFICER_A, "WRONGWRONGWR", None)).status == "wrong"
    clock.advance(minutes=61)
    assert (await svc.redeem(STRANGER, invite.code, None)).status == "enrolled"


async def test_group_code_binds_group_and_enrols_sender(db: Database) -> None:
    svc = make(db)
    invite = await svc.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    assert (await svc.redeem(OFFICER_A, invite.code, None)).status == "group_code_in_private"
    result = await svc.redeem(OFFICER_A, invite.code, GROUP_CHAT)
    assert result.status == "bound" and result.unit is not None
    assert result.unit.group_chat_id == GROUP_CHAT
    assert await svc.unit_for_group(GROUP_CHAT) == result.unit
    assert await svc.is_officer(OFFICER_A, result.unit.id)
    assert await svc.destinations(result.unit.id) == [GROUP_CHAT]
    # An officer code does not bind a group; a group already bound elsewhere is refused.
    officer_code = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)
    assert (await svc.redeem(OFFICER_B, officer_code.code, GROUP_CHAT)).status == "officer_code_in_group"
    other = await svc.issue_invite(ADMIN, WARD, BA_DINH, GROUP)
    taken = await svc.redeem(OFFICER_B, other.code, GROUP_CHAT)
    assert taken.status == "group_taken" and taken.other_unit is not None
    assert (await svc.redeem(OFFICER_B, other.code, -1002)).status == "bound"  # not consumed before


async def test_reissue_revokes_old_unused_codes(db: Database) -> None:
    svc = make(db)
    g1 = await svc.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    g2 = await svc.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    assert g2.revoked == 1
    assert (await svc.redeem(OFFICER_A, g1.code, GROUP_CHAT)).status == "revoked"
    o1 = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)
    o2 = await svc.issue_invite(ADMIN, WARD, SAI_GON, OFFICER)  # several officers at once
    assert o2.revoked == 0
    o3 = await svc.issue_invite_for_unit(ADMIN, o1.unit.id, OFFICER, revoke_old=True)
    assert o3.revoked == 3  # g2, o1, o2
    for old in (o1, o2, g2):
        assert (await svc.redeem(OFFICER_A, old.code, None)).status == "revoked"
    assert (await svc.redeem(OFFICER_A, o3.code, None)).status == "enrolled"


# -- routing -----------------------------------------------------------------------------------
async def _enrol(svc: UnitService, kind: str, code: str, user: int) -> int:
    invite = await svc.issue_invite(ADMIN, kind, code, OFFICER)
    result = await svc.redeem(user, invite.code, None)
    assert result.unit is not None
    return result.unit.id


async def test_routing_falls_back_ward_province_national(db: Database) -> None:
    svc = make(db)
    route = await svc.route_for_ward(SAI_GON)
    assert route.primary is None and route.to_national_admins and route.info_copies == []
    # A ward unit that exists but has nobody is not reachable.
    await svc.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    assert (await svc.route_for_ward(int(SAI_GON))).to_national_admins
    prov_id = await _enrol(svc, PROVINCE, "79", OFFICER_B)
    route = await svc.route_for_ward(SAI_GON)
    assert route.primary is not None and route.primary.id == prov_id and not route.to_national_admins
    ward_id = await _enrol(svc, WARD, SAI_GON, OFFICER_A)
    route = await svc.route_for_ward(SAI_GON)
    assert route.primary is not None and route.primary.id == ward_id and route.info_copies == []
    assert await svc.destinations(ward_id) == [OFFICER_A]
    esc_target = await svc.escalation_target(ward_id)
    assert esc_target is not None and esc_target.id == prov_id
    assert await svc.escalation_target(prov_id) is None
    # Another province's ward still goes to the national admins.
    assert (await svc.route_for_ward(BA_DINH)).to_national_admins
    assert (await svc.route_for_ward("99999")).to_national_admins
    assert (await svc.route_for_ward("not a code")).to_national_admins


async def test_province_info_copies_when_configured(db: Database) -> None:
    svc = make(db, tips=TipSettings(province_info_copies=True))
    prov_id = await _enrol(svc, PROVINCE, "79", OFFICER_B)
    ward_id = await _enrol(svc, WARD, SAI_GON, OFFICER_A)
    route = await svc.route_for_ward(SAI_GON)
    assert route.primary is not None and route.primary.id == ward_id
    assert [u.id for u in route.info_copies] == [prov_id]


async def test_hotline_from_configuration_and_csv(db: Database) -> None:
    svc = make(db, unit_hotlines={"26740": "028 3829 7643", "P79": "069 1234"})
    ward_id = await _enrol(svc, WARD, SAI_GON, OFFICER_A)
    prov_id = await _enrol(svc, PROVINCE, "79", OFFICER_B)
    assert (await svc.get(ward_id)).hotline == "028 3829 7643"  # type: ignore[union-attr]
    assert (await svc.get(prov_id)).hotline == "069 1234"  # type: ignore[union-attr]
    result = await svc.import_csv("unit_code,hotline\n26740,0999 111 222\n", ADMIN)
    assert result.ok
    assert (await svc.get(ward_id)).hotline == "0999 111 222"  # type: ignore[union-attr]


# -- permissions -------------------------------------------------------------------------------
async def test_permissions_are_checked_in_the_service(db: Database) -> None:
    svc = await svc_with_prov_admin(db)
    assert await svc.province_admin_of(PROV_ADMIN) == {"79"}
    assert svc.is_national_admin(ADMIN) and not svc.is_national_admin(PROV_ADMIN)
    # Province admin: own province yes, other province no.
    invite = await svc.issue_invite(PROV_ADMIN, WARD, SAI_GON, GROUP)
    with pytest.raises(Forbidden):
        await svc.issue_invite(PROV_ADMIN, WARD, BA_DINH, GROUP)
    assert await svc.can_manage_unit(PROV_ADMIN, invite.unit.id)
    await svc.redeem(OFFICER_A, invite.code, GROUP_CHAT)
    ba_dinh = await _enrol(svc, WARD, BA_DINH, OFFICER_B)
    assert not await svc.can_manage_unit(PROV_ADMIN, ba_dinh)
    # An officer of one unit cannot manage another (nor their own): nothing changes.
    for attempt in (
        svc.unbind_group(OFFICER_A, invite.unit.id),
        svc.remove_officer(OFFICER_A, ba_dinh, OFFICER_B),
        svc.issue_invite(OFFICER_A, WARD, BA_DINH, OFFICER),
        svc.revoke_invites(OFFICER_A, ba_dinh),
        svc.set_province_admin(PROV_ADMIN, "01", OFFICER_A),
        svc.coverage(OFFICER_A),
        svc.export_csv(None, actor_id=OFFICER_A),
        svc.import_csv("unit_code\n4\n", OFFICER_A),
    ):
        with pytest.raises(Forbidden):
            await attempt
    assert (await svc.get(invite.unit.id)).group_chat_id == GROUP_CHAT  # type: ignore[union-attr]
    assert await svc.is_officer(OFFICER_B, ba_dinh)
    with pytest.raises(Forbidden):
        await svc.remove_officer(PROV_ADMIN, ba_dinh, OFFICER_B)
    with pytest.raises(NotFound):
        await svc.unit_detail(ADMIN, "999999")
    # The province admin may unbind and remove in their province.
    assert await svc.unbind_group(PROV_ADMIN, invite.unit.id) == GroupRef.telegram(GROUP_CHAT)
    assert await svc.unit_for_group(GROUP_CHAT) is None
    assert await svc.remove_officer(PROV_ADMIN, invite.unit.id, OFFICER_A)
    assert await svc.officer_units(OFFICER_A) == []


async def test_erasure_and_group_status_changes(db: Database) -> None:
    svc = await svc_with_prov_admin(db)
    invite = await svc.issue_invite(ADMIN, WARD, SAI_GON, GROUP)
    await svc.redeem(OFFICER_A, invite.code, GROUP_CHAT)
    assert await svc.group_migrated(GROUP_CHAT, -1009)
    assert (await svc.unit_for_group(-1009)) is not None
    lost = await svc.group_lost(-1009)
    assert lost is not None and (await svc.get(lost.id)).group_chat_id is None  # type: ignore[union-attr]
    await svc.erase_user(OFFICER_A)
    await svc.erase_user(PROV_ADMIN)
    assert await svc.officer_units(OFFICER_A) == []
    assert await svc.province_admin_of(PROV_ADMIN) == set()


# -- CSV ---------------------------------------------------------------------------------------
GOOD_CSV = (
    "\ufeffunit_code,name,hotline,province_admin_ids\n"
    "26740,,028 3829 7643,\n"
    "P79,PC04 Công an TP.HCM,069 1234,\n"
    "4,Công an phường Ba Đình (HN),,7001;7002\n"
)


async def test_csv_import_is_all_or_nothing(db: Database) -> None:
    svc = await svc_with_prov_admin(db)
    bad = (
        "unit_code,name,hotline,province_admin_ids\n"
        "26740,,028 1,\n"  # ok
        "99999,,,\n"  # unknown ward
        "26740,,,\n"  # duplicate
        "4,,,abc\n"  # bad id
        "P79,,,8001\n"  # fine for a national admin
    )
    result = await svc.import_csv(bad, ADMIN)
    assert not result.ok
    assert [(e.row, e.reason) for e in result.errors] == [
        (3, "unknown ward code {code}"),
        (4, "duplicate of row {other}"),
        (5, "bad Telegram user id “{value}”"),
    ]
    assert await db.fetchall("SELECT * FROM police_units") == []
    assert await svc.province_admin_of(8001) == set()
    text = import_text(translator("vi"), result)
    assert "Không có gì được nhập" in text and "Dòng 3" in text
    # A province admin may only touch their province and may not appoint admins.
    mine = await svc.import_csv("unit_code,name,hotline,province_admin_ids\n26740,,,\n4,,,\nP79,,,9001\n", PROV_ADMIN)
    assert [(e.row, e.reason) for e in mine.errors] == [
        (3, "{code} is outside your province"),
        (4, "only a national administrator can add province administrators ({value})"),
    ]
    assert await db.fetchall("SELECT * FROM police_units") == []


async def test_csv_import_good_file_and_export_round_trip(db: Database) -> None:
    svc = await svc_with_prov_admin(db)
    result = await svc.import_csv(GOOD_CSV, ADMIN)
    assert result.ok, [e.reason for e in result.errors]
    assert (result.rows, result.created, result.admins_added) == (3, 3, 2)
    ward = await svc.find(WARD, SAI_GON)
    assert ward is not None and ward.name == "Công an phường Sài Gòn" and ward.hotline == "028 3829 7643"
    ba_dinh = await svc.find(WARD, BA_DINH)
    assert ba_dinh is not None and ba_dinh.name == "Công an phường Ba Đình (HN)"
    assert await svc.province_admin_of(7001) == {"01"}
    exported = await svc.export_csv(None, actor_id=ADMIN)
    lines = exported.strip().splitlines()
    assert lines[0] == "unit_code,name,hotline,province_admin_ids"
    assert "00004,Công an phường Ba Đình (HN),,7001;7002" in lines
    assert "P79,PC04 Công an TP.HCM,069 1234,2" in lines
    # Re-importing the export changes nothing.
    again = await svc.import_csv(exported, ADMIN)
    assert again.ok and (again.created, again.updated, again.admins_added) == (0, 0, 0)
    # A province admin's export holds only their province.
    mine = await svc.export_csv(None, actor_id=PROV_ADMIN)
    assert "00004" not in mine and "26740" in mine
    with pytest.raises(Forbidden):
        await svc.export_csv("01", actor_id=PROV_ADMIN)
    # Imported units without anyone are created but not reachable.
    assert (await svc.route_for_ward(SAI_GON)).to_national_admins


async def test_csv_bad_header_and_bad_hotline(db: Database) -> None:
    svc = make(db)
    result = await svc.import_csv("code,name\n26740,x\n", ADMIN)
    assert not result.ok and result.errors[0].row == 1
    result = await svc.import_csv("unit_code,hotline\n26740,call me\n", ADMIN)
    assert not result.ok and result.errors[0].row == 2


# -- coverage ----------------------------------------------------------------------------------
async def test_coverage_counts_reachable_communes(db: Database) -> None:
    svc = await svc_with_prov_admin(db)
    await _enrol(svc, WARD, SAI_GON, OFFICER_A)
    await svc.issue_invite(ADMIN, WARD, "26743", GROUP)  # created, nobody yet
    rows = await svc.coverage(ADMIN)
    assert len(rows) == 34
    hcm = next(r for r in rows if r.province_code == "79")
    assert hcm.covered == 1 and hcm.total == len(directory.wards_of(79))
    assert sum(r.covered for r in rows) == 1
    mine = await svc.coverage(PROV_ADMIN)
    assert [r.province_code for r in mine] == ["79"]
    page = await svc.province_page(PROV_ADMIN, "79", 0)
    assert page.pages == -(-hcm.total // 15) and len(page.wards) == 15
    last = await svc.province_page(PROV_ADMIN, "79", 999)
    assert last.page == page.pages - 1


def test_redeem_texts_exist_in_both_languages() -> None:
    from bot.units import RedeemResult

    for status in ("wrong", "used", "expired", "revoked", "limited", "group_code_in_private",
                   "officer_code_in_group"):
        en = redeem_text(translator("en"), RedeemResult(status, attempts_left=2))
        vi = redeem_text(translator("vi"), RedeemResult(status, attempts_left=2))
        assert en and vi and en != vi, status
