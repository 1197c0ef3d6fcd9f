"""The last resort: the person gets a short apology in their language; the log gets the error
type and where it happened, never the message text or who sent it."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.i18n import translator
from bot.runtime import Runtime

Context = ContextTypes.DEFAULT_TYPE

log = logging.getLogger("bot.errors")


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-4:]))


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if error is None:
        return
    # Only the error's type and code location: str(error) may quote user input.
    log.error("unhandled %s at %s", type(error).__name__, _where(error))
    if isinstance(update, Update) and update.effective_chat:
        try:
            runtime: Runtime = context.application.bot_data["rt"]
            user = update.effective_user
            t = translator(await runtime.users.locale(
                user.id if user else None, user.language_code if user else None))
            if update.callback_query:
                await update.callback_query.answer()
            await context.bot.send_message(
                update.effective_chat.id,
                t.gettext("Sorry, something went wrong on our side. Please try again."),
            )
        except Exception as exc:  # the apology itself must never raise
            log.warning("could not send apology: %s", type(exc).__name__)


def register(app: Application) -> None:
    app.add_error_handler(on_error)
