"""The frame (start, menu, help, language, cancel, deleteme, fallbacks) through the stub."""

from __future__ import annotations

from tests.flows.conftest import Flow


async def test_start_shows_the_menu_in_the_persons_language(flow: Flow) -> None:
    vi = flow.chat(1, "vi")
    [shown] = await vi.command("start")
    assert "Không Ma Túy" in shown.text and "113" in shown.text
    assert "📚 Tìm hiểu" in shown.labels
    en = flow.chat(2, "en")
    [shown] = await en.command("start")
    assert "📚 Learn" in shown.labels and "❓ Help" in shown.labels


async def test_menu_buttons_replace_the_screen(flow: Flow) -> None:
    chat = flow.chat(3, "en")
    await chat.command("start")
    [shown] = await chat.press("❓ Help")
    assert shown.replaced and "/tip" in shown.text
    [shown] = await chat.press("⬅️ Main menu")
    assert shown.replaced and "📚 Learn" in shown.labels


async def test_language_choice_is_saved_and_used(flow: Flow) -> None:
    chat = flow.chat(4, "en")
    await chat.command("language")
    [shown] = await chat.press("🇻🇳 Tiếng Việt")
    assert "📚 Tìm hiểu" in shown.labels
    assert chat.notices[-1][0] is not None
    [again] = await chat.command("start")
    assert "📚 Tìm hiểu" in again.labels  # saved, although the channel says "en"


async def test_forged_language_changes_nothing(flow: Flow) -> None:
    chat = flow.chat(5, "en")
    await chat.command("start")
    assert await chat.press_data("lang:xx") == []
    assert chat.notices[-1][0] == "This button is no longer available."
    assert await flow.runtime.users.locale(
        await flow.runtime.accounts.user_id("stub", "5", create=False), "en") == "en"


async def test_unknown_command_and_stray_text_are_answered_politely(flow: Flow) -> None:
    chat = flow.chat(6, "en")
    [shown] = await chat.command("frobnicate")
    assert shown.text == "Sorry, I do not know the command /frobnicate. Try /help."
    [shown] = await chat.text("hello?")
    assert shown.text.startswith("I did not understand that.")
    assert "📚 Learn" in shown.labels


async def test_group_chatter_gets_no_answer(flow: Flow) -> None:
    group = flow.chat(7, "en", private=False)
    assert await group.text("anyone selling?") == []
    [shown] = await group.command("start")
    assert "private chat" in shown.text


async def test_cancel_says_whether_there_was_something(flow: Flow) -> None:
    chat = flow.chat(8, "en")
    [shown] = await chat.command("cancel")
    assert shown.text == "There is nothing to cancel."
    await chat.command("learn")
    await chat.press("🔎 Search")
    [shown] = await chat.command("cancel")
    assert shown.text == "Cancelled. Nothing was sent or kept."


async def test_deleteme_erases_the_saved_language_and_account(flow: Flow) -> None:
    chat = flow.chat(9, "en")
    await chat.command("language")
    await chat.press("🇻🇳 Tiếng Việt")
    await chat.command("deleteme")
    [shown] = await chat.press("Có, xóa tất cả")
    assert shown.text == "Done. Everything the bot kept about you has been erased."
    assert await flow.runtime.accounts.user_id("stub", "9", create=False) is None


async def test_deleteme_no_keeps_everything(flow: Flow) -> None:
    chat = flow.chat(10, "en")
    await chat.command("language")
    await chat.press("🇬🇧 English")
    await chat.command("deleteme")
    [shown] = await chat.press("No, keep")
    assert shown.text == "Nothing was deleted."
    assert await flow.runtime.accounts.user_id("stub", "10", create=False) is not None
