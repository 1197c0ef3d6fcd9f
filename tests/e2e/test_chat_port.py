"""Telegram's chat port (bot/channels/telegram/chat_port.py) against the strict fake: what
the tip outbox and the report job send through it, and Telegram's errors as the port's."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram.chat_port import TelegramChatPort
from bot.engine.chat_port import Destination, Rejected, Undeliverable, chat_port
from bot.screens import Button, Screen
from bot.tip_police import Acknowledge

GROUP = -1001234599001


async def test_send_replace_and_remove_buttons_in_a_group(bot: Any, tg: Any) -> None:
    port = chat_port(bot.rt, "telegram")
    assert isinstance(port, TelegramChatPort)  # registered when the channel started
    tg.group(id=GROUP, title="CA", members=[tg.user(id=500101, first_name="O", started=True)],
             bot_status="member")
    to = Destination("telegram", GROUP)
    first = await port.send(to, Screen("<b>Card</b>", [[Button("OK", action=Acknowledge("ABC123"))]]))
    under = await port.send(to, Screen("under it"), reply_to=first)
    [card, reply] = tg.sent_to(GROUP)
    assert card.text == "Card" and card.button_texts == ["OK"] and reply.reply_to == first
    assert under == reply.message_id
    # Edit in place where Telegram can…
    assert await port.replace(to, first, Screen("Card v2", [[Button("OK", action=Acknowledge("ABC123"))]])) == first
    assert tg.sent_to(GROUP)[0].text == "Card v2" and len(tg.sent_to(GROUP)) == 2
    # …else as a new message (the old one is gone).
    again = await port.replace(to, 999999, Screen("Card v3"))
    assert again != first and tg.sent_to(GROUP)[-1].text == "Card v3"
    await port.remove_buttons(to, first)
    assert tg.sent_to(GROUP)[0].button_texts == []
    await port.remove_buttons(to, first)  # already without buttons: nothing to do
    photo = await port.send_photos(to, [b"\x89PNG\r\n\x1a\n" + b"0" * 64])
    assert photo == tg.sent_to(GROUP)[-1].message_id


@pytest.mark.fakegram_allow_violations
async def test_unreachable_chats_and_refused_messages(bot: Any, tg: Any) -> None:
    port = chat_port(bot.rt, "telegram")
    assert port is not None
    with pytest.raises(Undeliverable):
        await port.send(Destination("telegram", -100999000111), Screen("x"))
    tg.group(id=GROUP, title="CA", members=[tg.user(id=500102, first_name="O", started=True)],
             bot_status="member")
    with pytest.raises(Rejected):
        await port.send(Destination("telegram", GROUP), Screen("<b>unclosed"))
