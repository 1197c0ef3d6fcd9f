"""The tip flow's "Where?" step: typed text offers provinces and communes/wards together."""

from __future__ import annotations

from typing import Any

HAI_CHAU_DA_NANG = 20242
LAO_CAI_WARD = 2647
LAO_CAI_PROVINCE = 15


async def _at_where_step(u: Any) -> None:
    await u.send("/tip")
    await u.press(callback_data="tip:go")
    await u.press(callback_data="tip:c:spot")


async def test_bare_ward_name_offers_the_ward_not_a_lookalike_province(bot: Any, tg: Any) -> None:
    u = tg.user(id=2101, first_name="Hoa", language_code="vi")
    await _at_where_step(u)
    reply = await u.send("hai chau")  # one typo from the province Lai Châu
    labels = [b.text for row in reply.buttons for b in row]
    assert "Phường Hải Châu, Thành phố Đà Nẵng" in labels
    assert "Lai Châu" not in reply.text  # no jump to the province's ward prompt
    reply = await u.press(callback_data=f"tip:w:{HAI_CHAU_DA_NANG}")
    assert "Phường Hải Châu, Thành phố Đà Nẵng" in reply.text


async def test_province_that_is_also_a_ward_shows_both(bot: Any, tg: Any) -> None:
    u = tg.user(id=2102, first_name="An", language_code="en")
    await _at_where_step(u)
    reply = await u.send("Lào Cai")
    data = [b[1] for row in reply.buttons for b in row]
    assert data[:2] == [f"tip:p:{LAO_CAI_PROVINCE}", f"tip:w:{LAO_CAI_WARD}"]
    assert "Lào Cai – choose the commune/ward" in reply.buttons[0][0].text
    reply = await u.press(callback_data=f"tip:p:{LAO_CAI_PROVINCE}")
    assert "Lào Cai" in reply.text
    assert "Type part of the commune or ward name" in reply.text


async def test_exact_province_goes_straight_to_its_wards(bot: Any, tg: Any) -> None:
    u = tg.user(id=2103, first_name="Minh", language_code="en")
    await _at_where_step(u)
    reply = await u.send("Hà Nội")
    assert "Thành phố Hà Nội" in reply.text
    assert "Type part of the commune or ward name" in reply.text


async def test_old_address_with_type_word_after_the_name(bot: Any, tg: Any) -> None:
    u = tg.user(id=2104, first_name="Lan", language_code="en")
    await _at_where_step(u)
    reply = await u.send("Mỹ An (Thị trấn), Tháp Mưoi, Đồng Tháp")  # typo in the district
    assert reply.buttons[0][0].text == "Xã Tháp Mười, Đồng Tháp"
