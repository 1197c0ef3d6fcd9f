"""Anonymous tips, the police side end to end through the fake Bot API: follow-up photos on the
card, the opt-in reply ping in the tipster's language, the card's Transfer and Thread buttons,
/ask and /transfer (and their bad input), and pacing of more than 20 cards into one group."""

from __future__ import annotations

import asyncio
import html
import io
import re
from typing import Any

import pytest
from PIL import Image

from bot.i18n import translator
from bot.tip_outbox import GROUP_PER_MINUTE
from bot.tips import ping_text
from storage import tips as tips_repo
from tests.e2e.tip_helpers import (
    BEN_THANH,
    GROUP_CHAT,
    OFFICER,
    OTHER_GROUP,
    OTHER_OFFICER,
    SAI_GON,
    bind_unit,
    file_tip,
    jpeg_with_gps,
    tip_row,
    wait_for,
)

VI = translator("vi").gettext  # officers' Telegram is in Vietnamese (fakegram's default)
EN = translator("en").gettext
BEN_THANH_LABEL = "Phường Bến Thành, Thành phố Hồ Chí Minh"
NOT_HOLDER = "Only officers of the unit that holds this tip can do this."
_CODE_RE = re.compile(r"#([A-Z0-9]{6})\b")


def visible(html_text: str) -> str:
    """What a person sees of an HTML message text (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def card_in(tg: Any, chat_id: int, snippet: str) -> Any:
    """The tip card (first part, with the buttons) that reached chat_id, once it is there."""

    def cards() -> list[Any]:
        return [m for m in tg.sent_to(chat_id) if snippet in m.text and _CODE_RE.search(m.text)]

    await wait_for(lambda: bool(cards()), timeout=10)
    found = cards()
    assert len(found) == 1, found
    return found[0]


def code_of(card: Any) -> str:
    match = _CODE_RE.search(card.text)
    assert match is not None, card
    return match.group(1)


async def tip_of(bot: Any, card: Any) -> Any:
    tip = await bot.service("tip_police").tip_by_code(code_of(card))
    assert tip is not None
    return tip


def photos_in(tg: Any, chat_id: int) -> list[Any]:
    return [m for m in tg.sent_to(chat_id) if m.photo is not None]


async def police_messages(bot: Any, tip_id: int) -> int:
    return len(await tips_repo.messages(bot.rt.db, tip_id))


# -- 1. follow-up photos ----------------------------------------------------------------------
async def test_followup_photo_from_own_and_another_account_reaches_card_cleaned(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    lan = tg.user(id=2001, first_name="Lan", language_code="vi")
    receipt = await file_tip(lan, "Tip that gets photos later")
    card = await card_in(tg, GROUP_CHAT, "Tip that gets photos later")
    assert photos_in(tg, GROUP_CHAT) == []  # the tip itself had no photo

    original = jpeg_with_gps()
    # Precondition: what the tipster sends does carry camera and GPS data.
    assert b"SecretCam" in original and b"SERIAL123" in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    other_phone = tg.user(id=2002, first_name="Khac", language_code="vi")
    for n, account in enumerate([lan, other_phone], start=1):
        await account.send("/followup")
        reply = await account.send(receipt)
        assert VI("📷 Add a photo") in reply.button_texts
        reply = await account.press(VI("📷 Add a photo"))
        assert VI("Send one photo (it will be cleaned of location and camera data).") in reply.text
        reply = await account.send_photo(original)
        assert VI("✅ Photo cleaned and sent to the police.") in reply.text
        await wait_for(lambda n=n: len(photos_in(tg, GROUP_CHAT)) >= n, timeout=10)

    photos = photos_in(tg, GROUP_CHAT)
    assert len(photos) == 2
    for photo in photos:
        assert photo.reply_to == card.message_id  # attached to the tip's card
        data = photo.photo
        assert data != original  # re-encoded, not forwarded
        img = Image.open(io.BytesIO(data))
        assert img.format == "JPEG"
        assert not img.getexif()
        assert not img.getexif().get_ifd(0x8825)
        assert "exif" not in img.info and "icc_profile" not in img.info
        assert b"Exif" not in data and b"SecretCam" not in data and b"SERIAL123" not in data
    # The card was not sent again; the group holds the card and the two photos only.
    assert [m for m in tg.sent_to(GROUP_CHAT) if m.photo is None] == [card]


# -- 2. opt-in reply ping -----------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_reply_ping_is_content_free_in_tipster_language_and_ends_with_tip(
    bot: Any, tg: Any, lang: str
) -> None:
    t = translator(lang).gettext
    expected_ping = ping_text(translator(lang))
    other_ping = ping_text(translator("en" if lang == "vi" else "vi"))
    assert expected_ping != other_ping  # the ping is really translated

    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    officer = tg.user(id=OFFICER, first_name="Officer", started=True)
    group = tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=3001, first_name="Tipster", language_code=lang)
    receipt = await file_tip(tipster, f"Ping test tip {lang}")
    card = await card_in(tg, GROUP_CHAT, f"Ping test tip {lang}")
    tip = await tip_of(bot, card)
    code = tip["code"]

    # Opt in from the receipt screen, after the explanation.
    reply = await tipster.press(t("🔔 Tell me when police reply"))
    assert t("Turn on") in reply.button_texts
    await tipster.press(t("Turn on"))
    await tipster.wait_for(t("🔔 On. You will get a short message when the police reply; read it "
                             "with /followup and your receipt."))
    seen = len(tipster.messages)

    # An officer asks through the card's button and a reply to the bot's prompt.
    reply = await officer.press(VI("❓ Ask the tipster"), message=card, chat=group)
    prompt = reply.last
    assert f"#{code}" in prompt.text and prompt.text.startswith("❓")
    assert prompt.reply_to == card.message_id
    question = "Người bán đi xe máy màu gì? QUESTION-MARKER-77"
    reply = await officer.send(question, chat=group, reply_to=prompt)
    assert f"#{code}" in reply.text and reply.text.startswith("✅")

    # The tipster's chat gets one content-free ping, in the tipster's language.
    await wait_for(lambda: len(tipster.messages) > seen, timeout=10)
    pings = tipster.messages[seen:]
    assert [p.text for p in pings] == [expected_ping]
    assert "QUESTION-MARKER-77" not in pings[0].text and code not in pings[0].text
    assert pings[0].buttons == []

    # The question itself is read with the receipt.
    await tipster.send("/followup")
    reply = await tipster.send(receipt)
    assert question in reply.text
    await tipster.press(t("✅ Done"))
    seen = len(tipster.messages)

    # The officer closes the tip: the card loses its buttons, the opt-in is deleted.
    await officer.press(VI("🔒 Close"), message=card, chat=group)
    reply = await officer.press(VI("Actioned"), message=card, chat=group)
    assert reply.callback_answer is not None and reply.callback_answer.text == VI("Closed.")
    assert card.buttons == [] and "🔒" in card.text
    assert await tips_repo.watcher(bot.rt.db, int(tip["id"])) is None

    # Another question is impossible, and nothing reaches the tipster.
    reply = await officer.send(f"/ask {code} Còn ai khác không?", chat=group)
    assert reply.text == VI("This tip is already closed.")
    await tipster.expect_no_reply(timeout=0.5)
    assert len(tipster.messages) == seen
    assert await police_messages(bot, int(tip["id"])) == 1
    assert {r["state"] for r in await tips_repo.outbox_rows(bot.rt.db) if r["kind"] == "ping"} == {"sent"}


# -- 3. the Transfer button ---------------------------------------------------------------------
async def test_transfer_button_moves_card_to_other_unit_and_old_unit_cannot_act(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    await bind_unit(bot, tg, BEN_THANH, OTHER_GROUP, OTHER_OFFICER)
    officer = tg.user(id=OFFICER, first_name="Officer", started=True)
    other = tg.user(id=OTHER_OFFICER, first_name="Other", started=True)
    group, other_group = tg.group(id=GROUP_CHAT), tg.group(id=OTHER_GROUP)
    tipster = tg.user(id=4001, first_name="Kha", language_code="vi")
    await file_tip(tipster, "Transfer me by the button")
    card = await card_in(tg, GROUP_CHAT, "Transfer me by the button")
    code = code_of(card)
    assert tg.sent_to(OTHER_GROUP) == []

    # ↪️ Transfer turns the card's buttons into the picker; typing a name is one of its ways.
    await officer.press(VI("↪️ Transfer"), message=card, chat=group)
    assert VI("🔎 Type a name") in card.button_texts
    reply = await officer.press(VI("🔎 Type a name"), message=card, chat=group)
    prompt = reply.last
    assert prompt.text.startswith("↪") and f"#{code}" in prompt.text
    assert prompt.text.endswith("Officer")  # names who pressed: the reply box opens for them
    reply = await officer.send("Bến Thành", chat=group, reply_to=prompt)
    choices = reply.last
    assert choices.text == VI("Transfer tip #{code} to which commune/ward?").format(code=code)
    assert BEN_THANH_LABEL in choices.button_texts
    reply = await officer.press(BEN_THANH_LABEL, message=choices, chat=group)
    assert reply.callback_answer is not None and reply.callback_answer.text == VI("Transferred.")
    assert choices.text == VI("↪️ Tip #{code} was transferred to {ward}.").format(
        code=code, ward=BEN_THANH_LABEL)
    # The old card loses its buttons (the outbox edits it once the transfer is stored).
    await wait_for(lambda: card.button_texts == [])
    # Replying to that confirmation does not start another transfer search.
    await officer.send("Sài Gòn", chat=group, reply_to=choices, wait=False)
    await officer.expect_no_reply(chat=group)

    new_card = await card_in(tg, OTHER_GROUP, "Transfer me by the button")
    assert code_of(new_card) == code
    assert "Phường Bến Thành" in new_card.text
    assert VI("✅ Acknowledge") in new_card.button_texts
    # The old group is told, under its card, who holds the tip now.
    await wait_for(lambda: any(m.reply_to == card.message_id and "Phường Bến Thành" in m.text
                               and f"#{code}" in m.text for m in tg.sent_to(GROUP_CHAT)))

    # The first unit can no longer act: its card lost its buttons, and a stale or forged press
    # is refused and changes nothing anywhere.
    await wait_for(lambda: card.buttons == [])
    old_text, new_text = card.text, new_card.text
    sent_before = len(tg.sent_to(GROUP_CHAT)), len(tg.sent_to(OTHER_GROUP))
    reply = await officer.press_forged(f"tpol:ack:{code}", message=card, chat=group)
    assert reply.callback_answer is not None and reply.callback_answer.show_alert
    assert reply.callback_answer.text == VI(NOT_HOLDER)
    assert reply.messages == [] and reply.edits == []
    assert card.text == old_text and new_card.text == new_text
    assert (len(tg.sent_to(GROUP_CHAT)), len(tg.sent_to(OTHER_GROUP))) == sent_before
    tip = await tip_of(bot, card)
    assert tip["status"] == "new" and tip["ward_code"] == f"{BEN_THANH:05d}"

    # The new unit can.
    reply = await other.press(VI("✅ Acknowledge"), message=new_card, chat=other_group)
    assert reply.callback_answer is not None
    assert reply.callback_answer.text == VI("Acknowledged. Reminders for this tip stop.")
    assert VI("✅ Acknowledged") in new_card.text
    assert VI("✅ Acknowledge") not in new_card.button_texts
    assert (await tip_row(bot, int(tip["id"])))["status"] == "acknowledged"


# -- 4. the Thread button -------------------------------------------------------------------------
async def test_thread_button_shows_thread_to_officer_and_refuses_others(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    await bind_unit(bot, tg, BEN_THANH, OTHER_GROUP, OTHER_OFFICER)
    officer = tg.user(id=OFFICER, first_name="Officer", started=True)
    group = tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=4101, first_name="Hoa", language_code="vi")
    receipt = await file_tip(tipster, "Thread button tip")
    card = await card_in(tg, GROUP_CHAT, "Thread button tip")
    code = code_of(card)
    header = visible(VI("💬 <b>Thread of tip #{code}</b>").format(code=code))

    reply = await officer.press(VI("💬 Thread"), message=card, chat=group)
    assert reply.last.text == f"{header}\n{VI('No questions or answers yet.')}"

    question = "Họ bán lúc mấy giờ?"
    answer = "Khoảng 9 giờ tối, xe <b>đỏ</b> & đen"
    reply = await officer.send(f"/ask {code} {question}", chat=group)
    assert reply.text.startswith("✅")
    await tipster.send("/followup")
    await tipster.send(receipt)
    await tipster.press(callback_data="tip:fa")
    await tipster.send(answer)
    await wait_for(lambda: any(answer in m.text for m in tg.sent_to(GROUP_CHAT)), timeout=10)

    reply = await officer.press(VI("💬 Thread"), message=card, chat=group)
    thread = reply.last
    assert thread.text == "\n".join([
        header, f"{VI('👮 Police')}: {question}", f"{VI('🙋 Tipster')}: {answer}"])
    assert thread.buttons == []

    # Someone who is not an officer of the unit holding the tip: a refusal in their language,
    # and the thread is not shown.
    stranger = tg.user(id=4102, first_name="Dan", language_code="en", started=True)
    other = tg.user(id=OTHER_OFFICER, first_name="Other", started=True)
    for person, expected in ((stranger, EN(NOT_HOLDER)), (other, VI(NOT_HOLDER))):
        before = len(tg.sent_to(GROUP_CHAT))
        reply = await person.press(VI("💬 Thread"), message=card, chat=group)
        assert reply.callback_answer is not None and reply.callback_answer.show_alert
        assert reply.callback_answer.text == expected
        assert reply.messages == [] and reply.edits == []
        assert len(tg.sent_to(GROUP_CHAT)) == before
    assert VI(NOT_HOLDER) != EN(NOT_HOLDER)  # so the officer's refusal really was in Vietnamese


# -- 5. /ask and /transfer -------------------------------------------------------------------------
async def test_ask_and_transfer_commands_with_bad_input_change_nothing(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    await bind_unit(bot, tg, BEN_THANH, OTHER_GROUP, OTHER_OFFICER)
    officer = tg.user(id=OFFICER, first_name="Officer", started=True)
    group = tg.group(id=GROUP_CHAT)
    tipster = tg.user(id=4201, first_name="Vy", language_code="vi")
    receipt = await file_tip(tipster, "Command test tip")
    card = await card_in(tg, GROUP_CHAT, "Command test tip")
    code = code_of(card)
    tip = await tip_of(bot, card)
    unknown = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    stranger = tg.user(id=4202, first_name="Dan", language_code="en", started=True)

    ask_usage = VI("Usage: /ask TIPCODE your question")
    transfer_usage = VI("Usage: /transfer TIPCODE ward name")
    no_tip = VI("This tip does not exist (any more).")
    bad_input = [
        (officer, "/ask", ask_usage),
        (officer, f"/ask {code}", ask_usage),
        (officer, f"/ask {unknown} Ai đang bán?", no_tip),
        (officer, "/transfer", transfer_usage),
        (officer, f"/transfer {code}", transfer_usage),
        (officer, f"/transfer {unknown} Bến Thành", no_tip),
        (officer, f"/transfer {code} qwertyzzz", VI("No commune or ward matches. Try again.")),
        (stranger, f"/ask {code} Who sells?", EN(NOT_HOLDER)),
        (stranger, f"/transfer {code} Bến Thành", EN(NOT_HOLDER)),
    ]
    for person, command, expected in bad_input:
        reply = await person.send(command, chat=group)
        assert [m.text for m in reply.messages] == [expected], command
        assert reply.last.buttons == [], command
    assert ask_usage != "Usage: /ask TIPCODE your question"  # the officer's language was used

    # Nothing changed: no question, same unit and ward, no card elsewhere, card untouched.
    assert await police_messages(bot, int(tip["id"])) == 0
    after = await tip_row(bot, int(tip["id"]))
    assert (after["unit_id"], after["ward_code"], after["status"]) == (
        tip["unit_id"], tip["ward_code"], tip["status"])
    assert tg.sent_to(OTHER_GROUP) == []
    assert not card.edited
    await tipster.send("/followup")
    reply = await tipster.send(receipt)
    assert VI("No questions from the police yet.") in reply.text

    # Good input: the code is found in any case and with a leading '#'.
    question = "Có camera nào gần đó không?"
    reply = await officer.send(f"/ask {code.lower()} {question}", chat=group)
    assert reply.text.startswith("✅") and f"#{code}" in reply.text
    await tipster.send("/followup")
    reply = await tipster.send(receipt)
    assert question in reply.text

    reply = await officer.send(f"/transfer #{code} Bến Thành", chat=group)
    choices = reply.last
    assert choices.text == VI("Transfer tip #{code} to which commune/ward?").format(code=code)
    await officer.press(BEN_THANH_LABEL, message=choices, chat=group)
    new_card = await card_in(tg, OTHER_GROUP, "Command test tip")
    assert code_of(new_card) == code
    # The old group is told where the tip went (the outbox sends it after the transfer).
    moved = VI("↪️ Tip <b>#{code}</b> now belongs to {unit} ({ward}). Only they can act on it.")
    moved = moved.split("{unit}")[0].replace("<b>", "").replace("</b>", "").format(code=code)
    await wait_for(lambda: any(m.text.startswith(moved) for m in tg.sent_to(GROUP_CHAT)))
    # Now the old unit's /ask is refused, and the thread did not grow.
    reply = await officer.send(f"/ask {code} Còn nữa không?", chat=group)
    assert reply.text == VI(NOT_HOLDER)
    assert await police_messages(bot, int(tip["id"])) == 1


# -- 6. pacing into one group -------------------------------------------------------------------------
# Seconds standing in for Telegram's minute, in the outbox's pacer and the fake's group limit
# alike. The application's reply limiter (bot/channels/telegram/rate_limit.py) counts the outbox's cards but does
# not hold them (they are SELF_PACED), so only the outbox's own sliding window keeps the fake
# from answering 429 here.
PACING_WINDOW = 5.0
PACED_TIPS = GROUP_PER_MINUTE + 2


@pytest.mark.parametrize("outbox_pacing", [{"group_window": PACING_WINDOW}])
async def test_more_than_20_cards_for_one_group_are_paced_in_order_none_dropped(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    # Hold the group's deliveries while the tips are filed, so that all cards are due at once.
    hold = tg.inject("sendMessage", 502, chat_id=GROUP_CHAT, times=None)
    tipsters = [tg.user(id=8000 + i, first_name=f"P{i}", language_code="vi") for i in range(PACED_TIPS)]
    await asyncio.gather(*(file_tip(u, f"Paced tip {i:02d}") for i, u in enumerate(tipsters)))
    await wait_for(lambda: hold.hits >= 1)
    await bot.stop()
    tg.clear_injections()
    assert tg.sent_to(GROUP_CHAT) == []

    # Telegram's group limit (20 per window) enforced by the fake over the same window as the
    # bot's pacer; the per-chat limit does not bind before it (the pacer allows bursts of 20).
    tg.set_flood_limits(global_per_second=30, per_chat_per_second=GROUP_PER_MINUTE,
                        per_group_per_minute=GROUP_PER_MINUTE, group_window=PACING_WINDOW)
    await bot.start()  # every pending card is due now
    await wait_for(lambda: len(tg.sent_to(GROUP_CHAT)) >= PACED_TIPS, timeout=20)

    codes_in_group = [code_of(m) for m in tg.sent_to(GROUP_CHAT)]
    filed = [r["code"] for r in await bot.rt.db.fetchall("SELECT code FROM tips ORDER BY id")]
    assert len(filed) == PACED_TIPS
    assert codes_in_group == filed  # all of them, each once, in the order they were filed
    assert tg.stats["429"] == 0 and tg.stats["flood_429"] == 0
    assert [r for r in tg.requests if r.status == 429] == []
    # Each row is marked sent right after Telegram's answer (the card may be seen a moment earlier).

    async def all_sent() -> bool:
        return {r["state"] for r in await tips_repo.outbox_rows(bot.rt.db)} == {"sent"}

    await wait_for(all_sent, timeout=10)
