"""/help and Telegram's command menus per role: citizens see citizen commands; officers,
province and national admins also see theirs, and the menus follow role changes."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import NATIONAL_ADMIN_ID

STAFF = {"units", "invite", "invitesheet", "importunits", "exportunits", "provadmin", "broadcast"}


def _names(tg: Any, user_id: int, lang: str = "en") -> set[str]:
    return {name for name, _ in tg.commands(scope={"type": "chat", "chat_id": user_id},
                                            language_code=lang)}


async def test_citizen_sees_only_citizen_commands(bot: Any, tg: Any) -> None:
    for lang in ("vi", "en"):
        names = {n for n, _ in tg.commands(scope="all_private_chats", language_code=lang)}
        assert "tip" in names and "help" in names and not names & STAFF
        default = {n for n, _ in tg.commands(scope=None, language_code=lang)}
        assert default == names
    citizen = tg.user(id=5101, first_name="Mai", language_code="en")
    reply = await citizen.send("/help")
    assert "/tip" in reply.text and "/followup" in reply.text
    assert "/invite" not in reply.text and "administrators" not in reply.text
    assert _names(tg, citizen.id) == set()  # no chat-scoped menu: the citizens' list shows


async def test_officer_then_province_admin_then_removed(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    hung = tg.user(id=5102, first_name="Hùng", language_code="vi")

    # Enrolled as an officer: /help and the menu gain the officers' commands.
    reply = await admin.send("/invite 26740 officer")
    code = re.search(r"/bind ([A-Z2-9-]{14})", reply.text)
    assert code is not None
    await hung.send(f"/bind {code.group(1)}")
    assert {"units", "tipstats", "tip"} <= _names(tg, hung.id, "vi")
    assert "invitesheet" not in _names(tg, hung.id, "vi")
    reply = await hung.send("/help")
    assert "Cán bộ công an" in reply.text and "/tipstats" in reply.text
    assert "/invitesheet" not in reply.text

    # Appointed province admin: the admins' commands too, in both languages.
    await admin.send(f"/provadmin 79 {hung.id}")
    for lang in ("vi", "en"):
        assert {"invite", "invitesheet", "importunits", "units"} <= _names(tg, hung.id, lang)
        assert "provadmin" not in _names(tg, hung.id, lang)
    reply = await hung.send("/help")
    assert "/invitesheet" in reply.text and "/provadmin" not in reply.text

    # Removed as province admin, and as officer: back to the citizens' menu.
    await admin.send(f"/provadmin remove 79 {hung.id}")
    assert "invitesheet" not in _names(tg, hung.id, "vi")
    assert "units" in _names(tg, hung.id, "vi")
    units = bot.service("units")
    [unit] = await units.officer_units(hung.id)
    confirm = (await admin.send(f"/units {unit.ref}")).last
    await admin.press(f"❌ Remove officer {hung.id}", message=confirm)
    await admin.press("Yes, remove")
    assert _names(tg, hung.id, "vi") == set() and _names(tg, hung.id, "en") == set()
    reply = await hung.send("/help")
    assert "/tipstats" not in reply.text


async def test_national_admin_help_and_menu(bot: Any, tg: Any) -> None:
    admin = tg.user(id=NATIONAL_ADMIN_ID, first_name="Admin", language_code="en")
    # Set at start-up (the national admins come from the configuration).
    assert {"provadmin", "invitesheet", "broadcast", "tip"} <= _names(tg, admin.id)
    reply = await admin.send("/help")
    assert "National administrators" in reply.text and "/provadmin" in reply.text
    assert "Province administrators" in reply.text and "/invitesheet" in reply.text


async def test_myid_tells_a_future_admin_their_numeric_id(bot: Any, tg: Any) -> None:
    someone = tg.user(id=5103123456, first_name="Tú", language_code="en")
    reply = await someone.send("/myid")
    assert "Your Telegram user id is 5103123456." in reply.text
    assert "/provadmin" in reply.text and "BOT_ADMIN_IDS" in reply.text
