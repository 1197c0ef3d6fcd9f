"""Issue 11, the tipster side, through the fake Bot API: the receipt survives transient errors,
/deleteme ends reply pings, draft photos live in their own sealed rows, answers and image
cleaning are limited with a polite message."""

from __future__ import annotations

from typing import Any

import pytest

import bot.tips as rules
import handlers.tips
from storage import tips as tips_repo
from tests.e2e.tip_helpers import (
    GROUP_CHAT,
    OFFICER,
    SAI_GON,
    bind_unit,
    file_tip,
    jpeg_with_gps,
    receipt_of,
    wait_for,
    walk_to_text,
)


async def _to_send(u: Any, text: str) -> None:
    await walk_to_text(u)
    await u.send(text)
    await u.press(callback_data="tip:phd")
    await u.press(callback_data="tip:t:today")


@pytest.mark.parametrize("times", [1, None], ids=["edit-fails-once", "edit-keeps-failing"])
async def test_receipt_survives_transient_errors(bot: Any, tg: Any, times: int | None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers.tips, "RECEIPT_BACKOFF", 0.05)
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    u = tg.user(id=3101, first_name="Binh", language_code="en")
    await _to_send(u, "Receipt under faults")
    inj = tg.inject("editMessageText", 502, times=times, chat_id=u.id)
    await u.press(callback_data="tip:send", wait=False)
    receipt = await receipt_of(u)
    assert len(receipt) == 16 and inj.hits >= 1
    shown = [m for m in u.messages if "Your tip was sent to the police" in m.text]
    assert len(shown) == 1  # once: edited in place, or a new message when editing fails
    if times is None:
        assert not shown[0].edited  # the fallback: a new message
    tg.clear_injections()
    tg.violations.clear()


async def test_receipt_survives_a_failing_send_after_a_failing_edit(
    bot: Any, tg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.tips, "RECEIPT_BACKOFF", 0.05)
    u = tg.user(id=3102, first_name="Cuc", language_code="en")
    await _to_send(u, "Receipt under more faults")
    tg.inject("editMessageText", 400, times=None, chat_id=u.id, description="Bad Request: message to edit not found")
    tg.inject("sendMessage", 500, times=1, chat_id=u.id)
    await u.press(callback_data="tip:send", wait=False)
    assert len(await receipt_of(u)) == 16
    tg.clear_injections()
    tg.violations.clear()


async def test_deleteme_ends_reply_pings(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    u = tg.user(id=3201, first_name="Dao", language_code="en")
    other = tg.user(id=3202, first_name="Em", language_code="en")
    for person in (u, other):
        await file_tip(person, f"Watched tip of {person.first_name}")
        await person.press("🔔 Tell me when police reply")
        await person.press("Turn on")
    tips = {r["id"] for r in await bot.rt.db.fetchall("SELECT tip_id AS id FROM tip_watchers")}
    assert len(tips) == 2
    await u.send("/deleteme")
    await u.press("Yes, erase everything")
    left = await bot.rt.db.fetchall("SELECT tip_id FROM tip_watchers")
    assert len(left) == 1
    assert await bot.service("tips").watcher_chat(int(left[0]["tip_id"])) == other.id


async def test_draft_photos_are_sealed_rows_that_go_with_the_draft(bot: Any, tg: Any) -> None:
    u = tg.user(id=3301, first_name="Giang", language_code="en")
    await walk_to_text(u)
    await u.send("Photos in their own rows")
    reply = await u.send_photo(jpeg_with_gps())
    assert "Photo 1 cleaned" in reply.text
    await u.send_photo(jpeg_with_gps())
    session = await bot.rt.sessions.get(u.id)
    assert all(isinstance(p, int) for p in session["d"]["photos"]) and len(session["d"]["photos"]) == 2
    rows = await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos")
    assert len(rows) == 2 and all(b"\xff\xd8" not in bytes(r["data"])[:16] for r in rows)
    # ✏️ Photos from the review deletes them; cancelling deletes what came after.
    await u.press(callback_data="tip:phd")
    await u.press(callback_data="tip:t:today")
    await u.press(callback_data="tip:e:photos")
    assert await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos") == []
    await u.send_photo(jpeg_with_gps())
    assert len(await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos")) == 1
    await u.send("/cancel")
    assert await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos") == []
    # Starting a follow-up in the middle of a draft replaces it: its photos go too.
    await walk_to_text(u)
    await u.send("Another draft")
    await u.send_photo(jpeg_with_gps())
    await u.send("/followup")
    assert await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos") == []


async def test_image_cleaning_limit_is_polite(bot: Any, tg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "DECODES_PER_DAY", 1)
    u = tg.user(id=3401, first_name="Hai", language_code="vi")
    await walk_to_text(u)
    await u.send("Ảnh")
    await u.send_photo(jpeg_with_gps())
    reply = await u.send_photo(jpeg_with_gps())
    assert "Vui lòng thử lại vào ngày mai" in reply.text
    assert len(await bot.rt.db.fetchall("SELECT * FROM tip_draft_photos")) == 1
    assert tg.calls["getFile"] == 1  # the refused one was not even downloaded


async def test_answer_limit_is_polite_and_queues_nothing(bot: Any, tg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "ANSWERS_PER_TIP_DAY", 1)
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    u = tg.user(id=3501, first_name="Khanh", language_code="en")
    receipt = await file_tip(u, "Answer limit tip")
    await u.send("/followup")
    await u.send(receipt)
    await u.press(callback_data="tip:fa")
    await u.send("First extra detail")
    await u.press(callback_data="tip:fa")
    reply = await u.send("Second extra detail")
    assert "the most it can take in a day" in reply.text
    await wait_for(lambda: any("First extra detail" in m.text for m in tg.sent_to(GROUP_CHAT)))
    answers = [r for r in await tips_repo.outbox_rows(bot.rt.db) if r["kind"] == "answer"]
    assert len(answers) == 1
