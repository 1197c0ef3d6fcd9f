"""Zalo channel rules: rendering, numbered choices, event parsing, the token kept out of
logs and errors, settings, signed media URLs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.channels.zalo import events as ev
from bot.channels.zalo.client import ZaloClient, ZaloError, ZaloNetworkError, ZaloUnauthorized
from bot.channels.zalo.inputs import StaleChoice, choice_number, to_input
from bot.channels.zalo.media import MediaStore
from bot.channels.zalo.render import plain_text, render, split_text
from bot.clock import FrozenClock
from bot.config import ConfigError, check_zalo_webhook, load_settings
from bot.crypto import Keyring
from bot.engine.inputs import Command, Photo, Pressed, Text, Unsupported
from bot.i18n import translator
from bot.screens import Button, Screen
from fakezalo import FakeZalo
from handlers.start import OpenMenu, SetLanguage

VI = translator("vi")


def _event(text: str = "", name: str = ev.TEXT, **message: object) -> ev.ZaloEvent:
    raw = {"event_name": name, "message": {
        "from": {"id": "u1", "display_name": "Ted", "is_bot": False},
        "chat": {"id": "u1", "chat_type": "PRIVATE"}, "message_id": "m1", "date": 1,
        "text": text, **message}}
    found = ev.parse_event(raw)
    assert found is not None
    return found


# -- rendering -------------------------------------------------------------------------------
def test_buttons_become_a_numbered_list_with_the_channel_words() -> None:
    screen = Screen("<b>Hi</b> &amp; bye", [
        [Button("A", action=SetLanguage("vi")), Button("B", action=SetLanguage("en"))],
        [Button("Site", url="https://example.vn/x")],
        [Button("⬅️ Main menu", action=OpenMenu("home"))],  # "0" stands for it
    ])
    out = render(screen, VI)
    assert out.messages == ["Hi & bye\n\nSite: https://example.vn/x\n\n1. A\n2. B\n\n"
                            "Trả lời 1–2 · 0: menu chính"]
    assert out.options == {1: "lang:vi", 2: "lang:en"}


def test_links_keep_their_url_and_tags_go() -> None:
    assert plain_text('Xem <a href="https://a.vn/b">bài</a> <i>nay</i>') == \
        "Xem bài (https://a.vn/b) nay"


def test_split_at_paragraphs_within_2000() -> None:
    paragraphs = [f"p{i} " * 150 for i in range(8)]
    pieces = split_text("\n\n".join(paragraphs))
    assert all(len(p) <= 2000 for p in pieces)
    assert "\n\n".join(pieces).replace(" ", "") == "\n\n".join(paragraphs).replace(" ", "")
    assert all(p.startswith("p") for p in pieces)  # every piece starts at a paragraph
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_menu_goes_to_its_own_message_when_the_text_is_full() -> None:
    out = render(Screen("a" * 1990, [[Button("A", action=SetLanguage("vi"))]]), VI)
    assert len(out.messages) == 2 and out.messages[1].startswith("1. A")


# -- numbered choices ------------------------------------------------------------------------
async def _no_download(url: str) -> bytes:
    raise AssertionError("nothing is downloaded while translating")


@pytest.mark.parametrize("reply", ["2", "2.", " 2 ", "2)"])
def test_a_whole_reply_number_chooses(reply: str) -> None:
    inp = to_input(_event(reply), {1: "lang:vi", 2: "lang:en"}, _no_download)
    assert inp == Pressed(SetLanguage("en"))


@pytest.mark.parametrize("reply", ["1234567812345678", "1234 5678 1234 5678", "2 cái", "100",
                                   "02/12", "+84 912"])
def test_receipts_and_other_numbers_are_text(reply: str) -> None:
    assert to_input(_event(reply), {1: "lang:vi", 2: "lang:en"}, _no_download) == Text(reply)


def test_zero_is_the_main_menu_and_unknown_numbers_are_stale() -> None:
    assert to_input(_event("0"), {}, _no_download) == Command("menu")
    assert to_input(_event("5"), {1: "lang:vi"}, _no_download) == StaleChoice(5, "5")
    assert to_input(_event("5"), {}, _no_download) == Text("5")  # no menu shown: just text
    # a forged or outdated packed action in the stored menu is not pressed
    assert to_input(_event("1"), {1: "nope:x"}, _no_download) == StaleChoice(1, "1")
    assert choice_number("12") == 12 and choice_number("123") is None


def test_commands_images_and_the_rest() -> None:
    assert to_input(_event("/learn bóng cười"), {}, _no_download) == Command("learn", "bóng cười")
    photo = to_input(_event(name=ev.IMAGE, photo_url="https://cdn.zalo/x.jpg", caption="c"),
                     {}, _no_download)
    assert isinstance(photo, Photo) and photo.caption == "c"
    legacy = ev.parse_event({"ok": True, "result": {"event_name": ev.IMAGE, "message": {
        "from": {"id": "u"}, "chat": {"id": "u"}, "message_id": "m", "photo": "https://p"}}})
    assert legacy is not None and legacy.photo_url == "https://p"  # the other field name [?]
    assert to_input(_event(name=ev.STICKER), {}, _no_download) == Unsupported("sticker")
    assert to_input(_event(name=ev.UNSUPPORTED), {}, _no_download) == Unsupported("unsupported")


def test_display_name_is_dropped_and_bad_updates_refused() -> None:
    event = _event("hi")
    assert "Ted" not in repr(event)
    assert not hasattr(event, "display_name")
    assert ev.parse_event({"event_name": ev.TEXT}) is None
    assert ev.parse_event({"event_name": ev.TEXT, "message": {"message_id": "m"}}) is None
    assert ev.parse_event([1, 2]) is None
    bot = {"event_name": ev.TEXT, "message": {"from": {"id": "b", "is_bot": True},
                                              "chat": {"id": "b"}, "message_id": "m"}}
    assert ev.parse_event(bot) is None


# -- the token -------------------------------------------------------------------------------
async def test_token_never_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    async with FakeZalo() as zl:
        good = ZaloClient(zl.token, zl.base_url)
        await good.get_me()
        await good.close()
        wrong = ZaloClient("999999:wrong-token-abc", zl.base_url)
        with pytest.raises(ZaloUnauthorized) as refused:
            await wrong.get_me()
        await wrong.close()
        logging.getLogger("test").exception("boom %s", f"{zl.base_url}/bot{zl.token}/getMe")
    down = ZaloClient(zl.token, "http://127.0.0.1:9")  # nothing listens: a transport error
    with pytest.raises(ZaloNetworkError) as unreachable:
        await down.send_message("u1", "hi")
    await down.close()
    for text in (caplog.text, str(refused.value), str(unreachable.value),
                 repr(unreachable.value), repr(down)):
        assert zl.token not in text and "wrong-token-abc" not in text
    assert unreachable.value.__suppress_context__  # httpx's exception (with the URL) is hidden


# -- settings --------------------------------------------------------------------------------
def test_settings_are_validated(tmp_path: Path) -> None:
    ok = load_settings({"ZALO_BOT_TOKEN": "12345689:abc-xyz", "ZALO_WEBHOOK_SECRET": "abcdefgh",
                        "BOT_PUBLIC_URL": "https://bot.example.vn/"})
    assert ok.zalo.enabled and ok.zalo.public_url == "https://bot.example.vn"
    check_zalo_webhook(ok)
    with pytest.raises(ConfigError, match="ZALO_BOT_TOKEN") as bad:
        load_settings({"ZALO_BOT_TOKEN": "not a token"})
    assert "not a token" not in str(bad.value)
    with pytest.raises(ConfigError, match="ZALO_WEBHOOK_SECRET"):
        load_settings({"ZALO_WEBHOOK_SECRET": "short"})
    with pytest.raises(ConfigError, match="ZALO_API_BASE_URL"):
        load_settings({"ZALO_API_BASE_URL": "ftp://x"})
    no_secret = load_settings({"ZALO_BOT_TOKEN": "12345689:abc-xyz",
                               "BOT_PUBLIC_URL": "https://bot.example.vn"})
    with pytest.raises(ConfigError, match="ZALO_WEBHOOK_SECRET is required"):
        check_zalo_webhook(no_secret)
    assert load_settings({"ZALO_ADMIN_IDS": "a1b2, c3"}).zalo.admin_ids == {"a1b2", "c3"}


# -- signed media ----------------------------------------------------------------------------
def test_media_urls_are_signed_and_expire() -> None:
    clock = FrozenClock()
    store = MediaStore(Keyring.ephemeral(), clock, "https://bot.example.vn", ttl=60)
    url = store.publish(b"\x89PNG....")
    path, _, query = url.partition("?")
    media_id = path.rsplit("/", 1)[1]
    params = dict(p.split("=") for p in query.split("&"))
    assert url.startswith("https://bot.example.vn/zalo/media/")
    assert store.get(media_id, params["exp"], params["sig"]) is not None
    assert store.get(media_id, str(int(params["exp"]) + 600), params["sig"]) is None  # extended
    assert store.get(media_id, params["exp"], "0" * 32) is None  # forged
    other = MediaStore(Keyring.ephemeral(), clock, "https://bot.example.vn")
    assert other.get(media_id, params["exp"], params["sig"]) is None
    clock.advance(seconds=61)
    assert store.get(media_id, params["exp"], params["sig"]) is None


def test_zalo_error_message_is_plain() -> None:
    assert str(ZaloError("sendMessage", 429, "Quota exceeded")) == \
        "Zalo sendMessage failed: 429 Quota exceeded"


async def test_menu_is_protected_like_a_tip_flow(tmp_path: Path) -> None:
    """A menu can carry a tip's id (the receipt's "notify me"): whoever holds the database and
    master.key must not read it; a clean restart keeps it."""
    from bot.channels.zalo.conversation import MENU_FLOW, load_menu, save_menu
    from bot.sessions import SessionStore
    from storage.db import Database

    keyring = Keyring.load_or_create(tmp_path)
    clock = FrozenClock()
    async with Database(tmp_path / "db.sqlite3") as db:
        sessions = SessionStore(db, keyring, clock)
        sessions.protect(MENU_FLOW)
        await save_menu(sessions, "zalo:u1", {1: "tip:wo:42:abc"})
        assert await load_menu(sessions, "zalo:u1") == {1: "tip:wo:42:abc"}
        await sessions.suspend()  # a clean stop
        resumed = SessionStore(db, keyring, clock)
        await resumed.resume()
        assert await load_menu(resumed, "zalo:u1") == {1: "tip:wo:42:abc"}
        thief = SessionStore(db, keyring, clock)  # database + master.key, no restart copy
        assert await load_menu(thief, "zalo:u1") == {}
        rows = await db.fetchall("SELECT * FROM sessions")
        assert rows and all(b"tip:wo" not in bytes(r["value"]) for r in rows)


def test_what_the_inbox_keeps_has_no_display_name_and_parses_back() -> None:
    event = _event("xin chào")
    kept = event.to_update()
    assert "display_name" not in str(kept) and "Ted" not in str(kept)
    assert ev.parse_event(kept) == event
    photo = _event(name=ev.IMAGE, photo_url="https://cdn/x.jpg", caption="c")
    assert ev.parse_event(photo.to_update()) == photo
