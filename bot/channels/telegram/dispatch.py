"""Telegram updates into the engine.

One PTB handler (group -100, ahead of every other) turns an update into an engine input and a
Turn, and dispatches it. What is not a conversation input (inline queries, quiz poll answers,
membership changes, status messages) falls through to the Telegram-only handlers in group 0;
a button press whose data does not parse is answered last, so no client keeps spinning.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from bot.channels.telegram.conversation import TelegramConversation, chat_of, person_of
from bot.channels.telegram.inputs import to_input
from bot.engine.conversation import Turn
from bot.engine.inputs import Command
from bot.i18n import translator
from bot.runtime import Runtime

Context = ContextTypes.DEFAULT_TYPE
BRIDGE_GROUP = -100  # ahead of every other group (tests add handlers at -1)


async def make_turn(update: Update, context: Context, runtime: Runtime) -> Turn | None:
    chat = chat_of(update)
    if chat is None:
        return None
    person = person_of(update)
    locale = await runtime.users.locale(
        person.telegram_id if person else None, person.language_code if person else None
    )
    return Turn(
        conv=TelegramConversation(update, context.bot, runtime.bot_username),
        chat=chat,
        person=person,
        t=translator(locale),
        runtime=runtime,
        message=_pressed_message(update),
    )


def _pressed_message(update: Update) -> int | None:
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return query.message.message_id


def _ptb_commands(app: Application) -> set[str]:
    """Commands some plain PTB handler outside the bridge serves (none in the bot itself;
    tests and extensions may add them)."""
    names: set[str] = set()
    for group, handlers in app.handlers.items():
        if group != BRIDGE_GROUP:
            for handler in handlers:
                if isinstance(handler, CommandHandler):
                    names.update(handler.commands)
    return names


async def on_update(update: Update, context: Context) -> None:
    """Group -100: every conversation input goes through the engine (its routes, then the
    frame's fallback: unknown commands, "I did not understand", stale buttons)."""
    runtime: Runtime = context.application.bot_data["rt"]
    inp = to_input(update, context.bot)
    if inp is None:
        return
    if isinstance(inp, Command) and inp.name not in runtime.engine.commands \
            and inp.name in _ptb_commands(context.application):
        return
    turn = await make_turn(update, context, runtime)
    if turn is None:
        return
    handled = await runtime.engine.dispatch(turn, inp)
    await _finish(turn)
    if handled:
        raise ApplicationHandlerStop


async def on_unclaimed_press(update: Update, context: Context) -> None:
    """Last in group 0: a button press nothing took (malformed or forged data, a button of a
    removed feature). Say so, or the person's client shows a spinner until it times out."""
    runtime: Runtime = context.application.bot_data["rt"]
    turn = await make_turn(update, context, runtime)
    if turn is None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    await turn.notice(turn.t.gettext("This button is no longer available."))


async def _finish(turn: Turn) -> None:
    conv = turn.conv
    if isinstance(conv, TelegramConversation):
        await conv.finish()


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, on_update), group=BRIDGE_GROUP)


def register_fallbacks(app: Application) -> None:
    """After every other group-0 handler: a press whose data parses to no action."""
    app.add_handler(CallbackQueryHandler(on_unclaimed_press))
