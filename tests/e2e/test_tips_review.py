"""The tipster's review screen through the fake Bot API: edit any part, then send or cancel."""

from __future__ import annotations

from typing import Any

from storage import tips as tips_repo
from tests.e2e.tip_helpers import GROUP_CHAT, OFFICER, SAI_GON, bind_unit, wait_for, walk_to_text


async def to_review(u: Any, text: str) -> None:
    await walk_to_text(u)
    await u.send(text)
    await u.press(callback_data="tip:phd")
    await u.press(callback_data="tip:t:today")
    assert "Kiểm tra tin báo" in u.last.text


async def test_edit_text_category_and_when_then_send(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    u = tg.user(id=2101, first_name="Hoa", language_code="vi")
    await to_review(u, "Bản nháp đầu tiên")

    await u.press(callback_data="tip:e:text")
    review = await u.send("Nội dung đã sửa: bán ở quán nước")
    assert "Kiểm tra tin báo" in review.text  # straight back to the review
    assert "Nội dung đã sửa" in review.text and "Bản nháp đầu tiên" not in review.text

    await u.press(callback_data="tip:e:cat")
    await u.press(callback_data="tip:c:online")
    assert "Kiểm tra tin báo" in u.last.text and "mạng xã hội" in u.last.text

    await u.press(callback_data="tip:e:when")
    await u.press(callback_data="tip:t:earlier")
    assert "Trước đó" in u.last.text

    await u.press(callback_data="tip:send")
    await wait_for(lambda: any("Nội dung đã sửa" in m.text for m in tg.sent_to(GROUP_CHAT)))
    card = next(m for m in tg.sent_to(GROUP_CHAT) if "Nội dung đã sửa" in m.text)
    assert "mạng xã hội" in card.text and "Bản nháp đầu tiên" not in card.text
    tip = (await bot.rt.db.fetchall("SELECT category, when_code FROM tips"))[0]
    assert (tip["category"], tip["when_code"]) == ("online", "earlier")


async def test_cancel_at_review_keeps_nothing(bot: Any, tg: Any) -> None:
    await bind_unit(bot, tg, SAI_GON, GROUP_CHAT, OFFICER)
    u = tg.user(id=2102, first_name="Quân", language_code="vi")
    await to_review(u, "Thôi không gửi nữa")
    await u.press(callback_data="tip:x")
    assert "Đã hủy" in u.last.text
    assert await bot.rt.sessions.get(u.id) == {}
    assert await bot.rt.db.fetchall("SELECT id FROM tips") == []
    assert await tips_repo.outbox_rows(bot.rt.db) == []
    assert not any("Thôi không gửi nữa" in m.text for m in tg.sent_to(GROUP_CHAT))
    # The review's buttons are gone with it: nothing is left to send.
    assert u.last.buttons == [] or all("tip:send" not in str(row) for row in u.last.buttons)
