"""Telegram updates into the engine.

One PTB handler (group -100, ahead of every other) turns an update into an engine input and a
Turn, and dispatches it. What the engine does not claim falls through to the Telegram-only
handlers registered in group 0 (inline mode, quiz poll answers, membership changes) and to the
feature modules that have not moved to the engine yet (`handlers.registry`), which the frame
reaches through `LegacyBridge`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.conversation import TelegramConversation, chat_of, person_of
from bot.channels.telegram.inputs import to_input
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Pressed
from bot.i18n import translator
from bot.runtime import Runtime

Context = ContextTypes.DEFAULT_TYPE
BRIDGE_GROUP = -100  # ahead of every other group (tests add handlers at -1)


class LegacyBridge:
    """Lets the engine's frame reach features still written against PTB (until they move)."""

    def __init__(self, update: Update, context: Context) -> None:
        self.update = update
        self.context = context

    async def deep_link(self, payload: str) -> bool:
        from handlers import registry

        found = registry.find_deep_link(payload)
        if found is None:
            return False
        handler, arg = found
        await handler(self.update, self.context, arg)
        return True

    async def menu(self, key: str) -> bool:
        from handlers import registry

        handler = registry.find_menu(key)
        if handler is None:
            return False
        await handler(self.update, self.context)
        return True

    def has_menu(self, key: str) -> bool:
        from handlers import registry

        return registry.find_menu(key) is not None

    async def free_input(self) -> bool:
        from handlers import registry

        for handler in registry.free_inputs():
            if await handler(self.update, self.context):
                return True
        return False

    async def flow(self, name: str) -> bool:
        from handlers import registry

        handler = registry.find_flow(name)
        if handler is None:
            return False
        await handler(self.update, self.context)
        return True


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
        extras={"legacy": LegacyBridge(update, context)},
        message=_pressed_message(update),
    )


def _pressed_message(update: Update) -> int | None:
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return query.message.message_id


async def _claimed(runtime: Runtime, turn: Turn, inp: Input) -> bool:
    """Whether a route of the engine takes this input ahead of the legacy PTB handlers."""
    engine = runtime.engine
    if isinstance(inp, Pressed):
        return type(inp.action) in engine.actions
    if isinstance(inp, Command):
        return inp.name in engine.commands
    if not turn.chat.private:
        return bool(engine.group_inputs)
    session = await turn.session()
    return str(session.get("flow", "")) in engine.flows


async def on_update(update: Update, context: Context) -> None:
    """Group -100: the engine's routes first."""
    runtime: Runtime = context.application.bot_data["rt"]
    inp = to_input(update, context.bot)
    if inp is None:
        return
    turn = await make_turn(update, context, runtime)
    if turn is None or not await _claimed(runtime, turn, inp):
        return
    engine = runtime.engine
    fallback, engine.fallback = engine.fallback, None  # what no route takes falls through
    try:
        handled = await engine.dispatch(turn, inp)
    finally:
        engine.fallback = fallback
    await _finish(turn)
    if handled:
        raise ApplicationHandlerStop


async def on_unclaimed(update: Update, context: Context) -> None:
    """Last in group 0: a private message or command nobody took goes to the frame's
    fallback (legacy flows, typed codes, "I did not understand", unknown commands)."""
    runtime: Runtime = context.application.bot_data["rt"]
    inp = to_input(update, context.bot)
    fallback = runtime.engine.fallback
    if inp is None or fallback is None:
        return
    turn = await make_turn(update, context, runtime)
    if turn is None:
        return
    await fallback(turn, inp)
    await _finish(turn)


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
    """After every other group-0 handler: in a group only the first match runs, so these see
    only what no legacy handler claimed."""
    app.add_handler(MessageHandler(~filters.StatusUpdate.ALL, on_unclaimed))
    app.add_handler(CallbackQueryHandler(on_unclaimed_press))
