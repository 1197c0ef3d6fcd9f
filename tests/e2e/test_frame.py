"""The conversation frame, as people see it: /start, menu, language, privacy, cancel, erase."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.engine.router import CommandRoute
from storage import users as users_repo


async def test_start_shows_vietnamese_menu_and_no_user_record(bot: Any, tg: Any) -> None:
    lan = tg.user(id=1001, first_name="Lan", language_code="vi")
    reply = await lan.send("/start")
    assert "Không Ma Túy" in reply.text
    assert "113" in reply.text
    labels = [b for row in lan.last.buttons for b, _ in row]
    assert "❓ Trợ giúp" in labels
    assert "⚙️ Cài đặt / Ngôn ngữ" in labels
    # Opening the bot leaves no record of the person.
    assert not await users_repo.exists(bot.rt.db, 1001)


async def test_english_client_gets_english(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1002, first_name="Tom", language_code="en-GB")
    reply = await tom.send("/help")
    assert "How to use this bot" in reply.text
    assert "/tip" in reply.text


async def test_language_switch_is_saved_and_survives_restart(bot: Any, tg: Any) -> None:
    lan = tg.user(id=1003, first_name="Lan", language_code="vi")
    await lan.send("/language")
    assert "Chọn ngôn ngữ" in lan.last.text
    await lan.press("🇬🇧 English")
    assert "drug-free together" in lan.last.text  # the menu, now in English
    assert await users_repo.exists(bot.rt.db, 1003)
    await bot.restart()
    reply = await lan.send("/privacy")
    assert "Privacy: what this bot keeps" in reply.text


async def test_privacy_says_what_telegram_sees(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1004, first_name="Tom", language_code="en")
    reply = await tom.send("/privacy")
    assert "never stores your Telegram id" in reply.text
    assert "Telegram itself knows which account talks to this bot" in reply.text


async def test_menu_buttons_navigate_by_editing(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1005, first_name="Tom", language_code="en")
    await tom.send("/start")
    menu_id = tom.last.message_id
    await tom.press("❓ Help")
    assert tom.last.message_id == menu_id  # edited in place, no new message
    assert "How to use this bot" in tom.last.text
    await tom.press("⬅️ Main menu")
    assert "drug-free together" in tom.last.text


async def test_cancel_unknown_command_and_free_text(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1006, first_name="Tom", language_code="en")
    assert "nothing to cancel" in (await tom.send("/cancel")).text
    assert "do not know the command /frobnicate" in (await tom.send("/frobnicate")).text
    assert "did not understand" in (await tom.send("hello?")).text


async def test_free_text_with_markup_gets_menu_not_an_error(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1007, first_name="Tom", language_code="en")
    reply = await tom.send("<b>hi</b> & <script>")
    assert "did not understand" in reply.text
    assert "Sorry, something went wrong" not in reply.text


async def test_deleteme_erases_saved_settings(bot: Any, tg: Any) -> None:
    lan = tg.user(id=1008, first_name="Lan", language_code="vi")
    await lan.send("/language")
    await lan.press("🇬🇧 English")
    assert await users_repo.exists(bot.rt.db, 1008)
    await lan.send("/deleteme")
    await lan.press("No, keep")
    assert await users_repo.exists(bot.rt.db, 1008)
    await lan.send("/deleteme")
    await lan.press("Yes, erase everything")
    assert not await users_repo.exists(bot.rt.db, 1008)
    # The saved English choice is gone: Telegram's "vi" applies again.
    assert "Xong" in lan.last.text


async def test_start_in_group_offers_private_chat(bot: Any, tg: Any) -> None:
    g = tg.group(id=-100500, title="Lớp 9A")
    lan = tg.user(id=1009, first_name="Lan", language_code="vi")
    reply = await lan.send("/start", chat=g)
    assert "trò chuyện riêng" in reply.text
    assert any(url and url.startswith("https://t.me/") for row in reply.buttons for _, url in row)


async def test_commands_registered_per_language_and_scope(bot: Any, tg: Any) -> None:
    vi_private = tg.commands(scope="all_private_chats", language_code="vi")
    en_private = tg.commands(scope="all_private_chats", language_code="en")
    groups = tg.commands(scope="all_group_chats", language_code="en")
    assert ("language", "Tiếng Việt / English") in vi_private
    assert ("start", "Main menu") in en_private
    assert ("start", "Menu chính") in vi_private
    assert all(name != "deleteme" for name, _ in groups)


async def test_error_gives_apology_and_logs_no_text(
    bot: Any, tg: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(turn: Any, cmd: Any) -> None:
        raise ValueError("secret user words")

    bot.rt.engine.commands["boom"] = CommandRoute(boom, private_only=False, groups_only=False)
    caplog.set_level(logging.INFO)
    tom = tg.user(id=1010, first_name="Tom", language_code="en")
    reply = await tom.send("/boom")
    assert "Sorry, something went wrong" in reply.text
    assert "Traceback" not in reply.text
    assert "secret user words" not in caplog.text
    assert "ValueError" in caplog.text
    assert tg.token not in caplog.text


async def test_duplicate_update_has_no_second_effect(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1011, first_name="Tom", language_code="en")
    await tom.send("/help")
    before = len(tom.messages)
    await tg.redeliver_last_update()
    await tom.expect_no_reply(timeout=0.5)
    assert len(tom.messages) == before


async def test_slow_chat_does_not_hold_up_others_and_order_kept(bot: Any, tg: Any) -> None:
    release = asyncio.Event()
    order: list[str] = []

    async def slow(update: Any, context: Any) -> None:
        order.append("slow-start")
        await release.wait()
        order.append("slow-end")
        await update.effective_message.reply_text("slow done")
        raise ApplicationHandlerStop

    async def quick(update: Any, context: Any) -> None:
        order.append(f"quick-{update.effective_user.id}")
        await update.effective_message.reply_text("quick done")
        raise ApplicationHandlerStop

    bot.app.add_handler(CommandHandler("slow", slow), group=-1)
    bot.app.add_handler(CommandHandler("quick", quick), group=-1)
    a = tg.user(id=1012, first_name="A", language_code="en")
    b = tg.user(id=1013, first_name="B", language_code="en")
    slow_task = asyncio.create_task(a.send("/slow", timeout=10))
    try:
        await asyncio.sleep(0.2)
        reply = await b.send("/quick")  # another chat is served while A's is still running
        assert reply.text == "quick done"
        second = asyncio.create_task(a.send("/quick", wait=False))  # waits for A's first
        await asyncio.sleep(0.3)
        assert "quick-1012" not in order
    finally:
        release.set()
    await slow_task
    await second
    await a.wait_for("quick done")
    assert order.index("slow-end") < order.index("quick-1012")


async def test_flow_step_survives_restart(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1014, first_name="Tom", language_code="en")
    await tom.send("/learn")
    await tom.press("🔎 Search")
    await bot.restart()  # the chat was waiting for search words
    reply = await tom.send("laughing gas")
    assert "Results for" in reply.text


async def test_flood_answer_is_retried_not_lost(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1015, first_name="Tom", language_code="en")
    injection = tg.inject("sendMessage", 429, retry_after=1, times=1)
    await tom.send("/help", timeout=10)
    await tom.wait_for("How to use this bot", timeout=5)  # after retry_after, not dropped
    assert injection.hits == 1


async def test_main_menu_offers_subscription_opt_in(bot: Any, tg: Any) -> None:
    tom = tg.user(id=1016, first_name="Tom", language_code="en")
    await tom.send("/start")
    assert "🔔 Get updates" in tom.last.button_texts
    await tom.press("🔔 Get updates")
    assert tom.last.buttons  # the subscription screen, nothing subscribed until chosen
    from storage import users as users_repo

    assert not await users_repo.exists(bot.rt.db, 1016)
