"""Who holds a tip and where its card goes when things go wrong, through the fake Bot API:
escalation hands the tip to the province unit; a group that removed the bot without telling us
is unbound and the tip reaches the officers privately, else the next level up; cards without
details (each opening audited); statistics with breakdowns and small-count suppression."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.config import TipSettings
from bot.tip_police import PoliceError
from bot.units import GROUP, PROVINCE
from storage import tips as tips_repo
from tests.conftest import NATIONAL_ADMIN_ID
from tests.e2e.tip_helpers import (
    GROUP_CHAT,
    OFFICER,
    SAI_GON,
    answer_and_photo,
    bind_unit,
    file_tip,
    jpeg_with_gps,
    wait_for,
)

PROVINCE_GROUP = -1001234500079
PROVINCE_OFFICER = 600001


async def bind_province(bot: Any, tg: Any) -> Any:
    tg.group(id=PROVINCE_GROUP, title="PC04",
             members=[tg.user(id=PROVINCE_OFFICER, first_name="P", started=True)],
             bot_status="member")
    units = bot.service("units")
    invite = await units.issue_invite(NATIONAL_ADMIN_ID, PROVINCE, 79, GROUP)
    result = await units.redeem(PROVINCE_OFFICER, invite.code, PROVINCE_GROUP)
    assert result.status == "bound"
    return result.unit


def card_in(tg: Any, chat: int, marker: str) -> Any:
    return next(m for m in tg.sent_to(chat) if marker in m.text and m.buttons)


async def states_of(bot: Any, tip_id: int, expected: list[str]) -> bool:
    """The tip's outbox rows are in these states (a row is marked right after Telegram's
    answer, so a test may see the message a moment before)."""
    rows = await tips_repo.outbox_rows(bot.rt.db, tip_id)
    return sorted(r["state"] for r in rows) == expected


async def only_tip(bot: Any) -> Any:
    rows = await bot.rt.db.fetchall("SELECT * FROM tips")
    assert len(rows) == 1
    return rows[0]


async def test_escalation_hands_the_tip_to_the_province_unit(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    province = await bind_province(bot, tg)
    ward_officer = tg.user(id=OFFICER)
    prov_officer = tg.user(id=PROVINCE_OFFICER)
    u = tg.user(id=1801, first_name="Thu", language_code="vi")
    receipt = await file_tip(u, "Tin chờ quá lâu")
    await wait_for(lambda: any("Tin chờ quá lâu" in m.text for m in tg.sent_to(GROUP_CHAT)))
    ward_card = card_in(tg, GROUP_CHAT, "Tin chờ quá lâu")

    bot.clock.advance(hours=49)
    assert await bot.service("tip_police").run_reminders() == (1, 1)
    await wait_for(lambda: any("Tin chờ quá lâu" in m.text for m in tg.sent_to(PROVINCE_GROUP)))
    tip = await only_tip(bot)
    # The ward group is told, under its card, that the tip left it and to whom.
    await wait_for(lambda: any("48" in m.text and tip["code"] in m.text and province.name in m.text
                               for m in tg.sent_to(GROUP_CHAT)))
    notice = next(m for m in tg.sent_to(GROUP_CHAT) if province.name in m.text)
    assert notice.reply_to == ward_card.message_id

    # The ward card lost its buttons; a stale or forged press is refused and changes nothing.
    await wait_for(lambda: ward_card.buttons == [])
    r = await ward_officer.press_forged(f"tpol:ack:{tip['code']}", message=ward_card,
                                        chat=tg.group(id=GROUP_CHAT))
    assert r.callback_answer is not None and r.callback_answer.show_alert
    assert (await only_tip(bot))["status"] == "new"
    # The province officer acts on the province card.
    prov_card = card_in(tg, PROVINCE_GROUP, "Tin chờ quá lâu")
    r = await prov_officer.press(callback_data=f"tpol:ack:{tip['code']}", message=prov_card,
                                 chat=tg.group(id=PROVINCE_GROUP))
    assert (await only_tip(bot))["status"] == "acknowledged"
    assert "✅" in prov_card.text

    # The tipster's later details go to the holder only.
    await u.send("/followup")
    await u.send(receipt)
    await u.press(callback_data="tip:fa")
    await u.send("Thêm: xe máy màu đỏ")
    await wait_for(lambda: any("xe máy màu đỏ" in m.text for m in tg.sent_to(PROVINCE_GROUP)))
    assert not any("xe máy màu đỏ" in m.text for m in tg.sent_to(GROUP_CHAT))
    audit = [a["action"] for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])]
    assert "escalated" in audit and "refused" in audit


async def test_group_that_removed_the_bot_silently_gets_unbound_and_officers_get_the_card(
    bot: Any, tg: Any
) -> None:
    unit = await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    # The bot was removed while it was offline: no my_chat_member update ever arrived.
    tg.chats[GROUP_CHAT].bot_status = "kicked"
    u = tg.user(id=1802, first_name="Nam", language_code="vi")
    await file_tip(u, "Nhóm đã xóa bot")
    # The card reaches the unit's officer in a private chat instead.
    await wait_for(lambda: any("Nhóm đã xóa bot" in m.text for m in tg.sent_to(OFFICER)))
    assert not any("Nhóm đã xóa bot" in m.text for m in tg.sent_to(GROUP_CHAT))
    assert (await bot.service("units").get(unit.id)).group_chat_id is None  # unbound
    tip = await only_tip(bot)
    card = card_in(tg, OFFICER, "Nhóm đã xóa bot")
    officer = tg.user(id=OFFICER)
    await officer.press(callback_data=f"tpol:ack:{tip['code']}", message=card)
    assert (await only_tip(bot))["status"] == "acknowledged"
    await wait_for(lambda: states_of(bot, tip["id"], ["failed", "sent"]))
    audit = [a["action"] for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])]
    assert "undeliverable" in audit


async def test_unreachable_unit_hands_the_tip_up_to_the_province(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    await bind_province(bot, tg)
    tg.chats[GROUP_CHAT].bot_status = "kicked"
    tg.user(id=OFFICER).rec.blocked = True  # and the only officer blocked the bot
    u = tg.user(id=1803, first_name="Hà", language_code="vi")
    await file_tip(u, "Không ai nhận được")
    await wait_for(lambda: any("Không ai nhận được" in m.text for m in tg.sent_to(PROVINCE_GROUP)))
    card = card_in(tg, PROVINCE_GROUP, "Không ai nhận được")
    assert "⚠️" in card.text  # marked as forwarded
    tip = await only_tip(bot)
    # The province unit holds it now; the ward officer cannot act.
    with pytest.raises(PoliceError):
        await bot.service("tip_police").acknowledge(OFFICER, tip["id"])
    await tg.user(id=PROVINCE_OFFICER).press(
        callback_data=f"tpol:ack:{tip['code']}", message=card, chat=tg.group(id=PROVINCE_GROUP))
    assert (await only_tip(bot))["status"] == "acknowledged"
    audit = [a["action"] for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])]
    assert audit.count("undeliverable") == 2 and "rerouted" in audit


PRIVATE_CARDS = {"tips": dataclasses.replace(TipSettings(), card_details="private")}


@pytest.mark.parametrize("settings_overrides", [PRIVATE_CARDS])
async def test_cards_without_details_open_privately_and_every_opening_is_audited(
    bot: Any, tg: Any
) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    group = tg.group(id=GROUP_CHAT)
    stranger = tg.user(id=777001, first_name="Bystander", started=True)
    await group.add_member(stranger)
    u = tg.user(id=1804, first_name="Mai", language_code="vi")
    receipt = await file_tip(u, "Chi tiết <b>kín</b>", photo=jpeg_with_gps())
    await wait_for(lambda: any("Xem chi tiết" in str(m.buttons) for m in tg.sent_to(GROUP_CHAT)))
    card = next(m for m in tg.sent_to(GROUP_CHAT) if "Xem chi tiết" in str(m.buttons))
    # The group sees code, category and ward, but not the text or the photo.
    tip = await only_tip(bot)
    assert tip["code"] in card.text and "Phường Sài Gòn" in card.text
    assert "kín" not in card.text
    assert all(m.photo is None for m in tg.sent_to(GROUP_CHAT))

    # Someone who is not an officer is refused, and nothing is sent or audited as a view.
    r = await stranger.press(callback_data=f"tpol:op:{tip['code']}", message=card, chat=group)
    assert r.callback_answer is not None and r.callback_answer.show_alert
    assert not any("kín" in m.text for m in tg.sent_to(stranger))

    # The officer gets the whole tip privately: text shown literally, the cleaned photo.
    officer = tg.user(id=OFFICER)
    r = await officer.press(callback_data=f"tpol:op:{tip['code']}", message=card, chat=group)
    assert r.callback_answer is not None and not r.callback_answer.show_alert
    private = tg.sent_to(OFFICER)
    assert any("Chi tiết <b>kín</b>" in m.text for m in private)
    photos = [m.photo for m in private if m.photo is not None]
    assert len(photos) == 1 and b"SecretCam" not in photos[0]
    await officer.press(callback_data=f"tpol:op:{tip['code']}", message=card, chat=group)
    views = [a for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])
             if a["action"] == "view" and a["detail"] == "details"]
    assert [v["actor_id"] for v in views] == [OFFICER, OFFICER]

    # The tipster's later answer and photo: the group is told that, not what.
    await answer_and_photo(u, receipt, "Bổ sung <i>bí mật</i>")
    await wait_for(lambda: sum(m.reply_to == card.message_id and "Người báo tin" in m.text
                               for m in tg.sent_to(GROUP_CHAT)) == 2)
    assert not any("bí mật" in m.text for m in tg.sent_to(GROUP_CHAT))
    assert all(m.photo is None for m in tg.sent_to(GROUP_CHAT))
    # The thread opens privately too, and the group sees nothing new.
    in_group = len(tg.sent_to(GROUP_CHAT))
    r = await officer.press(callback_data=f"tpol:th:{tip['code']}", message=card, chat=group)
    assert r.callback_answer is not None and not r.callback_answer.show_alert
    await wait_for(lambda: any("Bổ sung <i>bí mật</i>" in m.text for m in tg.sent_to(OFFICER)))
    assert len(tg.sent_to(GROUP_CHAT)) == in_group
    # Opening the details again brings both photos.
    before = len([m for m in tg.sent_to(OFFICER) if m.photo is not None])
    await officer.press(callback_data=f"tpol:op:{tip['code']}", message=card, chat=group)
    await wait_for(lambda: len([m for m in tg.sent_to(OFFICER) if m.photo is not None]) >= before + 2)


@pytest.mark.parametrize("settings_overrides", [PRIVATE_CARDS])
async def test_opening_details_before_starting_the_bot_explains_what_to_do(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    tg.user(id=OFFICER).rec.started = False  # joined the group, never opened the bot
    u = tg.user(id=1805, first_name="Lộc", language_code="vi")
    await file_tip(u, "Chưa mở bot")
    await wait_for(lambda: any("Xem chi tiết" in str(m.buttons) for m in tg.sent_to(GROUP_CHAT)))
    card = next(m for m in tg.sent_to(GROUP_CHAT) if "Xem chi tiết" in str(m.buttons))
    tip = await only_tip(bot)
    r = await tg.user(id=OFFICER).press(callback_data=f"tpol:op:{tip['code']}", message=card,
                                        chat=tg.group(id=GROUP_CHAT))
    assert r.callback_answer is not None and r.callback_answer.show_alert
    assert "Start" in (r.callback_answer.text or "")


async def test_tipstats_breakdowns_suppress_small_counts(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    officer = tg.user(id=OFFICER)
    group = tg.group(id=GROUP_CHAT)
    for i in range(4):
        await file_tip(tg.user(id=1900 + i, first_name=f"T{i}", language_code="vi"), f"Tin số {i}")
    await wait_for(lambda: sum("Tin số" in m.text for m in tg.sent_to(GROUP_CHAT)) == 4)
    police = bot.service("tip_police")
    ids = [r["id"] for r in await bot.rt.db.fetchall("SELECT id FROM tips ORDER BY id")]
    await police.close(OFFICER, ids[0], "spam")
    r = await officer.send("/tipstats", chat=group)
    text = r.text
    assert "Tổng số tin báo nhận được: 4" in text
    assert "theo loại" in text and ": 4" in text.split("theo loại")[1]  # 4 "spot" tips
    # One spam closure: "closed" is 1, so the whole outcome line is hidden (no "1", no "<3").
    assert "Báo tin giả / quấy rối: ẩn" in text and "<3" not in text
    assert "theo tháng" in text
    # A non-officer in private gets a polite refusal.
    r = await tg.user(id=777002, first_name="X", started=True).send("/tipstats")
    assert "cán bộ" in r.text.lower() or "công an" in r.text.lower()
    # The national admin sees the whole country.
    r = await tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", started=True).send("/tipstats")
    assert "toàn quốc" in r.text and "4" in r.text


async def test_group_upgraded_to_supergroup_unnoticed_gets_the_card_at_its_new_id(
    bot: Any, tg: Any
) -> None:
    unit = await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    new_id = -1009999900001
    tg.group(id=new_id, title="CA Sài Gòn (supergroup)",
             members=[tg.user(id=OFFICER)], bot_status="member")
    tg.chats[GROUP_CHAT].migrated_to = new_id  # upgraded while the bot was offline
    u = tg.user(id=1806, first_name="Tâm", language_code="vi")
    await file_tip(u, "Nhóm đã nâng cấp")
    await wait_for(lambda: any("Nhóm đã nâng cấp" in m.text for m in tg.sent_to(new_id)))
    assert (await bot.service("units").get(unit.id)).group_chat_id == new_id  # still bound
    assert not any("Nhóm đã nâng cấp" in m.text for m in tg.sent_to(OFFICER))
    tip = await only_tip(bot)
    await wait_for(lambda: states_of(bot, tip["id"], ["sent"]))  # nothing failed
    card = card_in(tg, new_id, "Nhóm đã nâng cấp")
    await tg.user(id=OFFICER).press(callback_data=f"tpol:ack:{tip['code']}", message=card,
                                    chat=tg.group(id=new_id))
    assert (await only_tip(bot))["status"] == "acknowledged"


async def test_tipaudit_shows_who_did_what_to_officers_and_admins_only(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    group = tg.group(id=GROUP_CHAT)
    officer = tg.user(id=OFFICER)
    await file_tip(tg.user(id=1807, first_name="Bảo", language_code="vi"), "Tin để kiểm tra nhật ký")
    await wait_for(lambda: any("kiểm tra nhật ký" in m.text for m in tg.sent_to(GROUP_CHAT)))
    tip = await only_tip(bot)
    card = card_in(tg, GROUP_CHAT, "kiểm tra nhật ký")
    await officer.press(callback_data=f"tpol:ack:{tip['code']}", message=card, chat=group)

    r = await officer.send(f"/tipaudit {tip['code'].lower()}", chat=group)
    assert f"Nhật ký tin #{tip['code']}" in r.text
    assert "đã định tuyến" in r.text and "đã gửi thẻ tin" in r.text
    assert f"👮 {OFFICER} · đã tiếp nhận" in r.text
    # Someone else is refused, and the refusal is itself in the trail.
    r = await tg.user(id=777003, first_name="Y", started=True).send(f"/tipaudit {tip['code']}")
    assert "Nhật ký" not in r.text and "đơn vị" in r.text
    r = await tg.user(id=777003).send("/tipaudit")
    assert "/tipaudit" in r.text  # usage
    r = await tg.user(id=777003).send("/tipaudit ZZZZZZ")
    assert r.text == "Tin báo này không (còn) tồn tại."
    # The national admin (oversight) may read it.
    r = await tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", started=True).send(
        f"/tipaudit {tip['code']}")
    assert f"Nhật ký tin #{tip['code']}" in r.text
    trail = [(a["actor_id"], a["action"], a["detail"])
             for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])]
    # One refusal row per person and window; the unknown code counted in it too.
    assert (OFFICER, "view", "audit") in trail and (777003, "refused", "audit ×2") in trail
