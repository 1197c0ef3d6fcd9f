"""Engine additions for messages the bot starts itself: destinations, and a shown screen's
reference as a plain key (what a reply or a press points back to)."""

from __future__ import annotations

from typing import Any

from bot.engine.chat_port import Destination
from bot.engine.conversation import Capabilities, Chat, Turn
from bot.i18n import translator
from bot.screens import Screen


def test_a_destination_is_a_group_only_for_telegrams_negative_keys() -> None:
    assert Destination("telegram", -100123).group
    assert not Destination("telegram", 42).group
    assert not Destination("zalo", "zalo:abc").group


class _Conv:
    capabilities = Capabilities(channel="x")

    def __init__(self, keyed: bool) -> None:
        if keyed:
            self.message_key = lambda ref: ref["id"] if isinstance(ref, dict) else None

    async def show(self, screen: Screen, *, replace: bool = False) -> Any:
        return None

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        return None

    def link(self, payload: str = "") -> str | None:
        return None


def _turn(keyed: bool) -> Turn:
    return Turn(_Conv(keyed), Chat("x", 1), None, translator("en"), runtime=None)  # type: ignore[arg-type]


def test_message_key_asks_the_channel_else_takes_plain_refs() -> None:
    assert _turn(True).message_key({"id": 7}) == 7
    assert _turn(True).message_key(7) is None  # the channel decides
    assert _turn(False).message_key(7) == 7
    assert _turn(False).message_key(object()) is None


def test_screens_ask_for_a_reply_only_when_told() -> None:
    assert not Screen("x").reply_from_person
    assert Screen("x", reply_from_person=True).reply_from_person
