"""Telegram-only upkeep of bound police groups (bot/channels/telegram/police_groups.py) and
/bind sent on behalf of a chat: the contract with Telegram's update shapes."""

from __future__ import annotations

from typing import Any

from fakegram.markup import auto_entities
from tests.conftest import NATIONAL_ADMIN_ID
from tests.e2e.test_units import SAI_GON, invite
from tests.e2e.tip_helpers import wait_for


async def _bound_group(bot: Any, tg: Any, group_id: int) -> tuple[Any, Any, Any]:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    officer = tg.user(id=group_id % 10000 + 8000, first_name="Officer", language_code="en")
    group = tg.group(id=group_id, title="CA Sài Gòn", members=[officer, admin])
    reply = await officer.send(f"/bind {await invite(admin, SAI_GON, 'group')}", chat=group)
    assert "This group now receives tips" in reply.text
    return admin, officer, group


async def test_bot_removed_from_a_bound_group_unbinds_it(bot: Any, tg: Any) -> None:
    admin, officer, group = await _bound_group(bot, tg, -1008101)
    units = bot.service("units")
    unit = await units.unit_for_group(group.id)
    assert unit is not None
    await group.remove_bot(by=admin)

    async def unbound() -> bool:
        return await units.unit_for_group(group.id) is None

    await wait_for(unbound)
    fresh = await units.get(unit.id)
    assert fresh.group is None
    assert await units.destinations(unit.id) == [officer.id]  # tips go to the officer now


async def test_supergroup_upgrade_keeps_the_binding(bot: Any, tg: Any) -> None:
    _admin, officer, group = await _bound_group(bot, tg, -8102)
    units = bot.service("units")
    new_id = -1008102
    # Telegram's service message in the old group when it becomes a supergroup.
    msg = officer._new_message(group.chat, {"migrate_to_chat_id": new_id})
    tg._enqueue("message", msg.data)

    async def moved() -> bool:
        return await units.unit_for_group(new_id) is not None

    await wait_for(moved)
    assert await units.unit_for_group(group.id) is None
    unit = await units.unit_for_group(new_id)
    assert unit.group.key == str(new_id)


async def test_bind_on_behalf_of_a_chat_is_refused(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    officer = tg.user(id=8103, first_name="Officer", language_code="en")
    group = tg.group(id=-1008103, title="CA", members=[officer])
    code = await invite(admin, SAI_GON, "group")
    text = f"/bind {code}"
    # An anonymous group admin: `from` is Telegram's placeholder, `sender_chat` the group.
    msg = officer._new_message(group.chat, {
        "text": text, "entities": auto_entities(text), "sender_chat": group.chat.to_api(),
    })
    reply = await officer._post(group.chat, msg, wait=True, timeout=None, what="anonymous bind")
    # Nobody's language is known: the default (Vietnamese).
    assert reply.text == "Vui lòng gửi /bind bằng tài khoản của chính bạn, không ẩn danh."
    assert await bot.service("units").unit_for_group(group.id) is None
