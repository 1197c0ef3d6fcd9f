"""Police side hardening (issue 11) through the fake Bot API: a transfer drops the old unit's
read access; refusals of forged presses are rate limited and audited once per window; callback
data names tips by their random code, never by row id."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot import directory
from bot.config import TipSettings
from bot.i18n import translator
from bot.thread_pages import tg_len
from bot.tip_outbox import REJECTED_ATTEMPTS
from bot.tip_police import NO_TIP, NOT_HOLDER, REFUSAL_WINDOW, TOO_MANY
from storage import tips as tips_repo
from tests.conftest import NATIONAL_ADMIN_ID
from tests.e2e.tip_helpers import (
    BEN_THANH,
    GROUP_CHAT,
    OFFICER,
    OTHER_GROUP,
    OTHER_OFFICER,
    SAI_GON,
    answer_and_photo,
    bind_unit,
    file_tip,
    jpeg_with_gps,
    wait_for,
)

VI = translator("vi").gettext
EN = translator("en").gettext
PRIVATE_CARDS = {"tips": dataclasses.replace(TipSettings(), card_details="private")}
BEN_THANH_LABEL = "Phường Bến Thành, Thành phố Hồ Chí Minh"


async def only_tip(bot: Any) -> Any:
    rows = await bot.rt.db.fetchall("SELECT * FROM tips")
    assert len(rows) == 1
    return rows[0]


def card_in(tg: Any, chat: int) -> Any:
    return next(m for m in tg.sent_to(chat) if m.buttons and "#" in m.text)


# -- item 6: after a transfer the old unit can no longer read the tip ----------------------------
@pytest.mark.parametrize("settings_overrides", [PRIVATE_CARDS])
async def test_transfer_drops_the_old_units_read_access(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    await bind_unit(bot, tg, BEN_THANH, OTHER_GROUP, OTHER_OFFICER)
    officer, other = tg.user(id=OFFICER), tg.user(id=OTHER_OFFICER)
    group, other_group = tg.group(id=GROUP_CHAT), tg.group(id=OTHER_GROUP)
    tipster = tg.user(id=6601, first_name="Quy", language_code="vi")
    receipt = await file_tip(tipster, "Old unit must not read <this>", photo=jpeg_with_gps())
    await wait_for(lambda: any(m.buttons for m in tg.sent_to(GROUP_CHAT)))
    card = card_in(tg, GROUP_CHAT)
    tip = await only_tip(bot)
    code = tip["code"]

    # Before the transfer the officer may open the details (precondition).
    r = await officer.press(callback_data=f"tpol:op:{code}", message=card, chat=group)
    assert r.callback_answer is not None and not r.callback_answer.show_alert
    await wait_for(lambda: any("Old unit must not read" in m.text for m in tg.sent_to(OFFICER)))
    private_before = len(tg.sent_to(OFFICER))

    reply = await officer.send(f"/transfer {code} Bến Thành", chat=group)
    await officer.press(BEN_THANH_LABEL, message=reply.last, chat=group)
    await wait_for(lambda: any(m.buttons for m in tg.sent_to(OTHER_GROUP)))
    new_card = card_in(tg, OTHER_GROUP)
    await wait_for(lambda: card.buttons == [])

    # Details, thread and the audit trail are refused to the old unit and send nothing.
    for data in (f"tpol:op:{code}", f"tpol:th:{code}"):
        r = await officer.press_forged(data, message=card, chat=group)
        assert r.callback_answer is not None and r.callback_answer.show_alert
        assert r.callback_answer.text == VI(NOT_HOLDER)
    r = await officer.send(f"/tipaudit {code}", chat=group)
    assert r.text == VI(NOT_HOLDER)
    assert len(tg.sent_to(OFFICER)) == private_before

    # The new unit reads it.
    r = await other.press(callback_data=f"tpol:op:{code}", message=new_card, chat=other_group)
    assert r.callback_answer is not None and not r.callback_answer.show_alert

    # The tipster's later answer and photo reach the new unit's card only.
    old_group = len(tg.sent_to(GROUP_CHAT))
    await answer_and_photo(tipster, receipt, "Later answer")
    await wait_for(lambda: sum(m.reply_to == new_card.message_id for m in tg.sent_to(OTHER_GROUP)) == 2)
    assert len(tg.sent_to(GROUP_CHAT)) == old_group
    cards = {r["chat_id"]: r["role"] for r in await tips_repo.cards(bot.rt.db, tip["id"])}
    assert cards == {GROUP_CHAT: "revoked", OTHER_GROUP: "primary"}


# -- item 13: forged presses by strangers ------------------------------------------------------
async def test_forged_presses_are_rate_limited_and_audited_once_per_window(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    group = tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=6701, first_name="Lam", language_code="vi")
    await file_tip(tipster, "Forged presses")
    await wait_for(lambda: any(m.buttons for m in tg.sent_to(GROUP_CHAT)))
    card = card_in(tg, GROUP_CHAT)
    tip = await only_tip(bot)
    code = tip["code"]

    # The card's buttons name the tip by its random code, never by its row id.
    datas = [b.data for row in card.buttons for b in row]
    assert datas and all(d.split(":")[2] == code for d in datas)
    assert all(len(d.encode()) <= 64 for d in datas)

    stranger = tg.user(id=6702, first_name="Eve", language_code="en", started=True)
    presses = [f"tpol:ack:{code}", f"tpol:cl:{code}", f"tpol:ack:{tip['id']}", "tpol:co:ABCDEF:prank",
               f"tpol:tr:{code}", f"tpol:op:{code}", f"tpol:th:{code}"]
    answers = []
    for data in presses:
        r = await stranger.press_forged(data, message=card, chat=group)
        assert r.callback_answer is not None and r.messages == [] and r.edits == []
        answers.append(r.callback_answer.text or "")
    # The row id is not a tip reference at all: "no such tip", like any unknown code.
    assert answers == [EN(NOT_HOLDER), EN(NOT_HOLDER), EN(NO_TIP), EN(TOO_MANY), "", "", ""]
    refused = [a for a in await tips_repo.audit_rows(bot.rt.db) if a["action"] == "refused"]
    assert [(a["actor_id"], a["tip_id"], a["detail"]) for a in refused] == [
        (6702, tip["id"], f"acknowledge ×{len(presses)}")]
    assert (await only_tip(bot))["status"] == "new"

    # A new window: answered (and audited) again.
    bot.clock.advance(seconds=REFUSAL_WINDOW)
    r = await stranger.press_forged(f"tpol:ack:{code}", message=card, chat=group)
    assert r.callback_answer is not None and r.callback_answer.text == EN(NOT_HOLDER)
    refused = [a for a in await tips_repo.audit_rows(bot.rt.db) if a["action"] == "refused"]
    assert len(refused) == 2 and refused[1]["detail"] == "acknowledge"


# -- item 19: a card Telegram refuses for good ----------------------------------------------------
PROVINCE_ADMIN = 6801


@pytest.mark.parametrize("outbox_pacing", [{"base_backoff": 0.01}])
@pytest.mark.parametrize("province_admin", [True, False])
async def test_card_refused_for_good_is_failed_admins_told_and_later_cards_flow(
    bot: Any, tg: Any, province_admin: bool
) -> None:
    unit = await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    admin_id = PROVINCE_ADMIN if province_admin else NATIONAL_ADMIN_ID
    tg.user(id=admin_id, first_name="Admin", started=True)
    if province_admin:
        await bot.service("units").set_province_admin(NATIONAL_ADMIN_ID, "79", PROVINCE_ADMIN)
    # Telegram refuses the first card every time it is tried (as many times as the bot tries).
    refusal = tg.inject("sendMessage", 400, chat_id=GROUP_CHAT, times=REJECTED_ATTEMPTS,
                        description="Bad Request: can't parse entities: unsupported tag")
    first = tg.user(id=6802, first_name="A", language_code="vi")
    await file_tip(first, "First card, refused")
    await wait_for(lambda: refusal.hits == REJECTED_ATTEMPTS, timeout=10)
    tip = await only_tip(bot)

    # The admin learns the tip code and the unit, nothing of the tip's content.
    await wait_for(lambda: any(tip["code"] in m.text for m in tg.sent_to(admin_id)), timeout=10)
    [notice] = [m for m in tg.sent_to(admin_id) if tip["code"] in m.text]
    assert unit.name in notice.text and "First card" not in notice.text
    assert notice.buttons == []

    # A later tip's card reaches the group; the refused card was never delivered.
    second = tg.user(id=6803, first_name="B", language_code="vi")
    await file_tip(second, "Second card flows")
    await wait_for(lambda: any("Second card flows" in m.text for m in tg.sent_to(GROUP_CHAT)))
    assert not any("First card" in m.text for m in tg.sent_to(GROUP_CHAT))
    rows = [r for r in await tips_repo.outbox_rows(bot.rt.db, tip["id"]) if r["kind"] == "card"]
    assert [(r["state"], r["failure"]) for r in rows] == [("failed", "rejected")]
    trail = [(a["action"], a["detail"]) for a in await tips_repo.audit_rows(bot.rt.db, tip["id"])]
    assert ("rejected", "card") in trail
    if province_admin:  # the national admin is not bothered when the province has an admin
        assert not any(tip["code"] in m.text for m in tg.sent_to(NATIONAL_ADMIN_ID))


# -- item 8: a long thread is paged for the tipster and for officers -----------------------------
def _long(tag: str, n: int) -> str:
    """A message that grows five-fold when HTML-escaped, with markers at both ends."""
    return f"{tag}-START " + "&<" * n + f" {tag}-END"


async def _read_pages(person: Any, first: Any, older: str, chat: Any = None) -> list[str]:
    """Starting at the newest page, press ◀ Older until there is none; oldest page first."""
    pages = [first.html]
    message = first
    while older in message.button_texts:
        reply = await person.press(older, message=message, chat=chat)
        assert reply.callback_answer is not None
        pages.append(message.html)  # the same message, edited in place
    return list(reversed(pages))


async def test_long_thread_is_paged_in_followup_and_thread_view(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    officer, group = tg.user(id=OFFICER), tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=6901, first_name="Nga", language_code="vi")
    receipt = await file_tip(tipster, "Long thread")
    await wait_for(lambda: any(m.buttons for m in tg.sent_to(GROUP_CHAT)))
    card = card_in(tg, GROUP_CHAT)
    tip = await only_tip(bot)
    police, tips = bot.service("tip_police"), bot.service("tips")
    tags = []
    for i in range(6):  # questions (≤ 1,500 characters), and after every third an answer (≤ 3,000)
        tags.append(f"Q{i}")
        await police.ask(OFFICER, int(tip["id"]), _long(f"Q{i}", 700))
        if i % 3 == 2:
            tags.append(f"A{i}")
            await tips.add_answer(int(tip["id"]), _long(f"A{i}", 1450))

    def check(pages: list[str]) -> None:
        assert len(pages) > 2
        assert all(tg_len(p) <= 4096 for p in pages)
        joined = "".join(pages)
        for tag in tags:  # every message whole, in order
            assert joined.count(f"{tag}-START") == 1 and joined.count(f"{tag}-END") == 1
        assert [joined.index(f"{t}-START") for t in tags] == sorted(
            joined.index(f"{t}-START") for t in tags)

    await tipster.send("/followup")
    reply = await tipster.send(receipt)
    newest = reply.last
    assert "A5-END" in newest.text and VI("Newer ▶️") not in newest.button_texts
    check(await _read_pages(tipster, newest, VI("◀️ Older")))

    reply = await officer.press(VI("💬 Thread"), message=card, chat=group)
    check(await _read_pages(officer, reply.last, VI("◀️ Older"), chat=group))

    # Each answer also reached the card whole, in messages Telegram accepts.
    def answers() -> list[str]:
        return [m.html for m in tg.sent_to(GROUP_CHAT) if m.reply_to == card.message_id]

    await wait_for(lambda: "".join(answers()).count("-END") == 2, timeout=10)
    assert all(tg_len(a) <= 4096 for a in answers())
    assert all(f"{a}-START" in "".join(answers()) for a in ("A2", "A5"))


# -- issue 16: the transfer picker --------------------------------------------------------------
async def test_transfer_picker_starts_in_the_tips_province_and_cancel_changes_nothing(
    bot: Any, tg: Any
) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    officer, group = tg.user(id=OFFICER), tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=7001, first_name="Tam", language_code="vi")
    await file_tip(tipster, "Picker tip")
    await wait_for(lambda: any(m.buttons for m in tg.sent_to(GROUP_CHAT)))
    card = card_in(tg, GROUP_CHAT)
    before = (card.text, card.buttons, dict(await only_tip(bot)),
              len(await tips_repo.outbox_rows(bot.rt.db)))
    hcm = [w.name for w in directory.wards_of(79)]

    # The tip's province (Hồ Chí Minh) first, in pages.
    await officer.press(VI("↪️ Transfer"), message=card, chat=group)
    names = [b for b in card.button_texts if b in hcm]
    assert names == hcm[:len(names)] and len(names) > 4
    await officer.press(VI("Next ▶️"), message=card, chat=group)
    more = [b for b in card.button_texts if b in hcm]
    assert more == hcm[len(names):len(names) + len(more)]
    assert card.text == before[0]  # the card's text stays while picking

    # Cancel: the card exactly as it was, nothing changed.
    await officer.press(VI("✖️ Cancel"), message=card, chat=group)
    assert (card.text, card.buttons) == before[:2]
    assert dict(await only_tip(bot)) == before[2]
    assert len(await tips_repo.outbox_rows(bot.rt.db)) == before[3]

    # Typing a name: matches in the tip's province, another province, Cancel.
    reply = await officer.send(f"/transfer {before[2]['code']} Bến Thành", chat=group)
    choices = reply.last
    *found, other, cancel = choices.button_texts
    assert found[0] == BEN_THANH_LABEL and all(f.endswith("Hồ Chí Minh") for f in found)
    assert (other, cancel) == (VI("🗺 Another province…"), VI("✖️ Cancel"))
    await officer.press(VI("✖️ Cancel"), message=choices, chat=group)
    assert choices.text == VI("Transfer cancelled. Nothing changed.") and choices.buttons == []
    assert dict(await only_tip(bot)) == before[2]

    # Another province: the province list, then that province's wards; choosing one transfers.
    await officer.press(VI("↪️ Transfer"), message=card, chat=group)
    await officer.press(VI("🗺 Another province…"), message=card, chat=group)
    provinces = [p.short_name for p in directory.provinces()]
    assert [b for b in card.button_texts if b in provinces] == provinces
    await officer.press("Hà Nội", message=card, chat=group)
    hanoi = directory.wards_of(1)
    assert hanoi[0].name in card.button_texts and not set(card.button_texts) & set(hcm)
    reply = await officer.press(hanoi[0].name, message=card, chat=group)
    assert reply.callback_answer is not None and reply.callback_answer.text == VI("Transferred.")
    tip = await only_tip(bot)
    assert (tip["ward_code"], tip["province_code"]) == (f"{hanoi[0].code:05d}", "01")
    assert card.buttons == [] and card.text == before[0]
