"""The conversation frame: /start and deep links, the main menu, help, privacy, language,
/cancel, /deleteme and what happens to a message no flow is waiting for."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Translator
from bot.screens import Button, Screen, esc
from handlers import commands, registry
from handlers.common import Context, answer, callback_parts, rt, show, tr

# Main-menu entries in display order: (key, label). Features register handlers for their keys;
# an entry whose feature is not installed is not shown.
MENU = (
    ("learn", "📚 Learn"),
    ("quiz", "🧠 Quiz"),
    ("tip", "🛡 Report a tip"),
    ("events", "📅 Events"),
    ("subscribe", "🔔 Get updates"),
    ("settings", "⚙️ Settings / Language"),
    ("help", "❓ Help"),
)


def _menu_labels(_: Translator) -> dict[str, str]:
    # Written out so that babel extracts each label.
    return {
        "learn": _.gettext("📚 Learn"),
        "quiz": _.gettext("🧠 Quiz"),
        "tip": _.gettext("🛡 Report a tip"),
        "events": _.gettext("📅 Events"),
        "subscribe": _.gettext("🔔 Get updates"),
        "settings": _.gettext("⚙️ Settings / Language"),
        "help": _.gettext("❓ Help"),
    }


def main_menu(t: Translator) -> Screen:
    _ = t.gettext
    labels = _menu_labels(t)
    keys = [key for key, _label in MENU if key in ("settings", "help") or registry.find_menu(key)]
    buttons = [Button(labels[k], data=f"m:{k}") for k in keys]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    text = _(
        "<b>Không Ma Túy</b> — drug-free together.\n\n"
        "Learn about the drugs young people meet, test yourself with a quiz, "
        "or tell the police about drug activity — anonymously.\n\n"
        "In immediate danger? Call <b>113</b>."
    )
    return Screen(text, rows)


def help_screen(t: Translator) -> Screen:
    _ = t.gettext
    text = _(
        "<b>How to use this bot</b>\n\n"
        "/start — main menu\n"
        "/learn — articles on drugs, the law and getting help\n"
        "/quiz — practise or join a contest\n"
        "/tip — report drug activity anonymously\n"
        "/followup — check a tip with your receipt number\n"
        "/events — events in your area\n"
        "/language — Tiếng Việt / English\n"
        "/privacy — what the bot keeps about you\n"
        "/cancel — stop what you are doing\n"
        "/deleteme — erase everything the bot keeps about you\n\n"
        "In immediate danger, call <b>113</b>."
    )
    return Screen(text, [[Button(_("⬅️ Main menu"), data="m:home")]])


def privacy_screen(t: Translator) -> Screen:
    _ = t.gettext
    text = _(
        "<b>Privacy: what this bot keeps</b>\n\n"
        "<b>Tips.</b> A tip stores only what you write in it: category, ward, when, your text and "
        "cleaned photos (location data and camera details removed). It never stores your "
        "Telegram id, chat id, username, name or phone number. Your receipt number is stored only "
        "as a one-way hash. Tip content is encrypted and deleted some months after the tip is "
        "closed. While you are writing a tip, the draft is kept encrypted for at most 24 hours "
        "and deleted when you send or cancel it.\n\n"
        "<b>Only if you choose.</b> Your language, your subscriptions and your quiz display name "
        "and scores are kept so the bot can serve you. /deleteme erases them at any time.\n\n"
        "<b>What Telegram sees.</b> Telegram itself knows which account talks to this bot and "
        "when. The bot cannot hide that from Telegram. If that worries you, report through "
        "another channel, such as calling <b>113</b> or VNeID.\n\n"
        "<b>Who reads tips.</b> Only the police unit of the ward you choose (or the province "
        "police when the ward has no unit on the bot). They cannot see who you are."
    )
    return Screen(text, [[Button(_("⬅️ Main menu"), data="m:home")]])


def language_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Choose your language:"),
        [[Button("🇻🇳 Tiếng Việt", data="lang:vi"), Button("🇬🇧 English", data="lang:en")]],
    )


async def start(update: Update, context: Context) -> None:
    chat = update.effective_chat
    t = await tr(update, context)
    if chat is not None and chat.type != ChatType.PRIVATE:
        username = rt(context).bot_username or context.bot.username
        await show(
            update,
            context,
            Screen(
                t.gettext("Hello! Open a private chat with me to learn, take quizzes or send a tip."),
                [[Button(t.gettext("Open private chat"), url=f"https://t.me/{username}")]],
            ),
        )
        return
    payload = context.args[0] if context.args else ""
    if payload:
        found = registry.find_deep_link(payload)
        if found:
            handler, arg = found
            await handler(update, context, arg)
            return
    if chat is not None:
        await rt(context).sessions.clear(chat.id)
    if update.effective_user is not None:
        await commands.sync_user(context, update.effective_user.id)  # staff: their menu
    await show(update, context, main_menu(t))


async def menu_command(update: Update, context: Context) -> None:
    await show(update, context, main_menu(await tr(update, context)))


async def help_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    screen = help_screen(t)
    chat = update.effective_chat
    if update.effective_user is not None and chat is not None and chat.type == ChatType.PRIVATE:
        # Staff also see their commands (and get their own command menu, kept in sync).
        roles = await commands.sync_user(context, update.effective_user.id)
        extra = commands.staff_help(t, roles, commands.available_commands(context))
        if extra:
            screen = Screen(screen.text + "\n\n" + extra, screen.buttons)
    await show(update, context, screen)


async def privacy_command(update: Update, context: Context) -> None:
    await show(update, context, privacy_screen(await tr(update, context)))


async def language_command(update: Update, context: Context) -> None:
    await show(update, context, language_screen(await tr(update, context)))


async def on_menu_button(update: Update, context: Context) -> None:
    key = callback_parts(update)[-1]
    t = await tr(update, context)
    if key == "home":
        await answer(update)
        await show(update, context, main_menu(t), edit=True)
    elif key == "help":
        await answer(update)
        await show(update, context, help_screen(t), edit=True)
    elif key == "settings":
        await answer(update)
        await show(update, context, language_screen(t), edit=True)
    elif handler := registry.find_menu(key):
        await handler(update, context)
    else:
        await answer(update, t.gettext("This button is no longer available."))


async def on_language_button(update: Update, context: Context) -> None:
    user = update.effective_user
    locale = callback_parts(update)[-1]
    if user is None or not await rt(context).users.set_locale(user.id, locale):
        t = await tr(update, context)
        await answer(update, t.gettext("This button is no longer available."))
        return
    t = await tr(update, context)
    await answer(update, t.gettext("Language saved."))
    await show(update, context, main_menu(t), edit=True)


async def cancel_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    session = await rt(context).sessions.get(chat.id)
    await rt(context).sessions.clear(chat.id)
    text = (
        t.gettext("Cancelled. Nothing was sent or kept.")
        if session
        else t.gettext("There is nothing to cancel.")
    )
    await show(update, context, Screen(text, main_menu(t).buttons))


async def deleteme_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    _ = t.gettext
    await show(
        update,
        context,
        Screen(
            _(
                "<b>Erase everything the bot keeps about you?</b>\n\n"
                "This deletes your language choice, subscriptions, quiz names and scores. "
                "Tips you sent are not linked to you, so they are not affected. "
                "This cannot be undone."
            ),
            [[Button(_("Yes, erase everything"), data="del:yes"), Button(_("No, keep"), data="del:no")]],
        ),
    )


async def on_delete_button(update: Update, context: Context) -> None:
    user = update.effective_user
    choice = callback_parts(update)[-1]
    if user is None:
        return
    if choice == "yes":
        await rt(context).users.erase(user.id)
        if update.effective_chat:
            await rt(context).sessions.clear(update.effective_chat.id)
        await commands.sync_user(context, user.id, force=True)  # roles erased: citizens' menu
    # Answer in the language Telegram reports: the saved choice is gone now.
    t = await tr(update, context)
    await answer(update)
    text = (
        t.gettext("Done. Everything the bot kept about you has been erased.")
        if choice == "yes"
        else t.gettext("Nothing was deleted.")
    )
    await show(update, context, Screen(text), edit=True)


async def on_input(update: Update, context: Context) -> None:
    """A message that is not a command: give it to the flow the chat is in, if any."""
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    if chat.type != ChatType.PRIVATE:
        return  # never react to ordinary group chatter
    session = await rt(context).sessions.get(chat.id)
    handler = registry.find_flow(str(session.get("flow", "")))
    if handler is not None:
        await handler(update, context)
        return
    t = await tr(update, context)
    await show(
        update,
        context,
        Screen(
            t.gettext("I did not understand that. Please choose from the menu:")
            + "\n\n"
            + main_menu(t).text,
            main_menu(t).buttons,
        ),
    )


async def unknown_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    t = await tr(update, context)
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0] if text else ""
    await show(
        update,
        context,
        Screen(
            t.gettext("Sorry, I do not know the command {command}. Try /help.").format(
                command=esc(command)
            )
        ),
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", menu_command))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("privacy", privacy_command))
    app.add_handler(CommandHandler("language", language_command))
    app.add_handler(CommandHandler("cancel", cancel_command))
    app.add_handler(CommandHandler("deleteme", deleteme_command, filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_menu_button, pattern=r"^m:"))
    app.add_handler(CallbackQueryHandler(on_language_button, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(on_delete_button, pattern=r"^del:"))


def register_fallbacks(app: Application) -> None:
    """Added after every feature: in a group only the first matching handler runs, so these
    see only what no feature claimed (free input for flows, then unknown commands)."""
    app.add_handler(MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, on_input))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
