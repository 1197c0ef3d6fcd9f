"""Quiz, the student side: the quiz menu, practice rounds, joining a contest (by code, by
typing the code or by the `/start c_<code>` link), answering, results and certificates.

Callback data: `quiz:<action>:<args>`; every argument is re-checked by the service.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.i18n import Translator, translator
from bot.quiz import (
    CODE_ALPHABET,
    CODE_LENGTH,
    QuizError,
    QuizService,
    dump_session,
    load_session,
)
from bot.quiz_logic import PracticeError
from bot.runtime import Runtime
from bot.screens import Screen, esc
from content.quiz_bank import load_bank
from handlers import registry
from handlers.common import Context, answer, callback_parts, markup, rt, show, tr

FLOW_CODE = "quiz_code"
FLOW_NAME = "quiz_name"
log = logging.getLogger(__name__)
_CODE_TEXT = re.compile(rf"^\s*[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]{{{CODE_LENGTH}}}\s*$")


def service(context: Context) -> QuizService:
    svc: QuizService = rt(context).services["quiz"]
    return svc


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


# -- menu ---------------------------------------------------------------------------------------


async def quiz_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    await show(update, context, service(context).menu_screen(t))


async def open_menu(update: Update, context: Context) -> None:
    await show(update, context, service(context).menu_screen(await tr(update, context)), edit=True)
    await answer(update)


# -- practice -----------------------------------------------------------------------------------


async def _start_practice(update: Update, context: Context, topic: str, t: Translator) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = service(context)
    try:
        session = svc.new_practice(chat.id, t.locale, None if topic == "mix" else topic)
    except PracticeError:
        await answer(update, t.gettext("This button is no longer available."))
        return
    screen = svc.practice_question(session, t)
    await rt(context).sessions.set(chat.id, dump_session(session, topic))
    await answer(update)
    if screen is not None:
        await show(update, context, screen)


async def _practice_answer(update: Update, context: Context, parts: list[str],
                           t: Translator) -> None:
    chat = update.effective_chat
    position = _int(parts[2]) if len(parts) == 4 else None
    choice = _int(parts[3]) if len(parts) == 4 else None
    if chat is None or position is None or choice is None:
        await answer(update, t.gettext("This button is no longer available."))
        return
    loaded = load_session(await rt(context).sessions.get(chat.id))
    if loaded is None:
        await answer(update, t.gettext("This practice round is over. Start a new one with /quiz."))
        return
    session, topic = loaded
    try:
        screen = service(context).practice_answer(session, position, choice, t)
    except PracticeError:
        await answer(update, t.gettext("You already answered this question."))
        return
    await rt(context).sessions.set(chat.id, dump_session(session, topic))
    await show(update, context, screen, edit=True)
    await answer(update)


async def _practice_next(update: Update, context: Context, t: Translator) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    loaded = load_session(await rt(context).sessions.get(chat.id))
    if loaded is None:
        await answer(update, t.gettext("This practice round is over. Start a new one with /quiz."))
        return
    session, topic = loaded
    svc = service(context)
    screen = svc.practice_question(session, t)
    if screen is None:
        screen = svc.practice_summary(session, topic, t)
        await rt(context).sessions.clear(chat.id)
    else:
        await rt(context).sessions.set(chat.id, dump_session(session, topic))
    await show(update, context, screen)
    await answer(update)


# -- joining a contest --------------------------------------------------------------------------


async def begin_join(update: Update, context: Context, code_text: str) -> None:
    """A code was given (command, link or typed): join, resume, or ask for the name."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    t = await tr(update, context)
    svc = service(context)
    found = await svc.lookup_code(chat.id, code_text)
    sessions = rt(context).sessions
    if found.limited:
        await sessions.clear(chat.id)
        await show(update, context, svc.too_many_codes_screen(t))
        return
    contest = found.contest
    if contest is None:
        await sessions.set(chat.id, {"flow": FLOW_CODE}, ttl=3600)
        await show(update, context, Screen(t.gettext(
            "No contest has the code <code>{code}</code>. Check it and type it again, or "
            "/cancel.").format(code=esc(code_text.strip()[:20]))))
        return
    entry = await svc.entry(contest, user.id)
    if entry is not None:
        await sessions.clear(chat.id)
        if entry.position == 0 and entry.shown_at is None and not entry.finished:
            await show(update, context, svc.ready_screen(contest, entry, t))
        else:
            await show(update, context, await svc.current(contest, entry, t))
            await svc.question_delivered(contest.id, user.id)
        return
    if contest.ends_at <= svc.now():
        await sessions.clear(chat.id)
        await show(update, context, svc.closed_screen(contest, t))
        return
    await sessions.set(chat.id, {"flow": FLOW_NAME, "contest": contest.id}, ttl=3600)
    await show(update, context, svc.ask_name_screen(contest, t))


async def join_command(update: Update, context: Context) -> None:
    code = "".join(context.args or [])
    if code:
        await begin_join(update, context, code)
        return
    await _ask_code(update, context)


async def _ask_code(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    t = await tr(update, context)
    await rt(context).sessions.set(chat.id, {"flow": FLOW_CODE}, ttl=3600)
    await show(update, context, Screen(t.gettext(
        "Type the join code your teacher gave you (6 letters and digits, e.g. <code>K7M2QX</code>):"
    )))


async def join_deep_link(update: Update, context: Context, arg: str) -> None:
    if arg:
        await begin_join(update, context, arg)
    else:
        await _ask_code(update, context)


async def on_code_input(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    await begin_join(update, context, message.text)


async def on_typed_code(update: Update, context: Context) -> bool:
    """A bare code typed outside any flow joins that contest; anything else goes to the frame
    (returns False). Counted as a guess too (else bare codes could be guessed without limit);
    a limited chat is told so."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return False
    if not re.match(_CODE_TEXT, message.text):
        return False
    found = await service(context).lookup_code(chat.id, message.text)
    if found.limited:
        await show(update, context, service(context).too_many_codes_screen(
            await tr(update, context)))
    elif found.contest is None:
        return False
    else:
        await begin_join(update, context, message.text)
    return True


async def on_name_input(update: Update, context: Context) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    t = await tr(update, context)
    svc = service(context)
    session = await rt(context).sessions.get(chat.id)
    contest = await svc.get(int(session.get("contest", 0)))
    if contest is None:
        await rt(context).sessions.clear(chat.id)
        await show(update, context, Screen(t.gettext("This contest no longer exists.")))
        return
    try:
        entry = await svc.join(contest, user.id, message.text or "")
    except QuizError as exc:
        await show(update, context, Screen(t.gettext(str(exc)) + "\n" + t.gettext(
            "Type another display name, or /cancel.")))
        return
    await rt(context).sessions.clear(chat.id)
    await show(update, context, svc.ready_screen(contest, entry, t))


# -- contest buttons ----------------------------------------------------------------------------


async def _contest_go(update: Update, context: Context, contest_id: int, t: Translator) -> None:
    user = update.effective_user
    svc = service(context)
    contest = await svc.get(contest_id)
    entry = await svc.entry(contest, user.id) if contest and user else None
    if contest is None or entry is None:
        await answer(update, t.gettext("This button is no longer available."))
        return
    if contest.starts_at > svc.now():
        await answer(update, t.gettext("The contest has not started yet."), alert=True)
        return
    await show(update, context, await svc.current(contest, entry, t), edit=True)
    await svc.question_delivered(contest.id, entry.user_id)
    await answer(update)


async def _contest_answer(update: Update, context: Context, parts: list[str],
                          t: Translator) -> None:
    user = update.effective_user
    nums = [_int(p) for p in parts[2:5]] if len(parts) == 5 else []
    if user is None or len(nums) != 3 or any(n is None for n in nums):
        await answer(update, t.gettext("This button is no longer available."))
        return
    contest_id, position, choice = (int(n or 0) for n in nums)
    reply = await service(context).answer(contest_id, user.id, position, choice, t)
    await answer(update, reply.toast, alert=reply.alert)
    if reply.edit is not None:
        await show(update, context, reply.edit, edit=True)
    for screen in reply.then:
        await show(update, context, screen)
    if reply.then:  # the next question, if it was one, has reached the student: start its clock
        await service(context).question_delivered(contest_id, user.id)


async def _contest_top(update: Update, context: Context, contest_id: int, t: Translator) -> None:
    user = update.effective_user
    svc = service(context)
    contest = await svc.get(contest_id)
    entry = await svc.entry(contest, user.id) if contest and user else None
    if contest is None or user is None or (entry is None and contest.owner_id != user.id):
        await answer(update, t.gettext("This button is no longer available."))
        return
    await show(update, context, await svc.public_top(contest, t))
    await answer(update)


async def _certificate(update: Update, context: Context, contest_id: int, t: Translator) -> None:
    user = update.effective_user
    if user is None:
        return
    try:
        screen = await service(context).certificate(contest_id, user.id, t)
    except QuizError as exc:
        await answer(update, t.gettext(str(exc)), alert=True)
        return
    await show(update, context, screen)
    await answer(update)


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    t = await tr(update, context)
    svc = service(context)
    action = parts[1] if len(parts) > 1 else ""
    arg = _int(parts[2]) if len(parts) > 2 else None
    if action == "home":
        await show(update, context, svc.menu_screen(t), edit=True)
        await answer(update)
    elif action == "topics":
        await show(update, context, svc.topics_screen(t), edit=True)
        await answer(update)
    elif action == "pt" and len(parts) == 3:
        await _start_practice(update, context, parts[2], t)
    elif action == "p":
        await _practice_answer(update, context, parts, t)
    elif action == "pn":
        await _practice_next(update, context, t)
    elif action == "join":
        await answer(update)
        await _ask_code(update, context)
    elif action == "go" and arg is not None:
        await _contest_go(update, context, arg, t)
    elif action == "a":
        await _contest_answer(update, context, parts, t)
    elif action == "top" and arg is not None:
        await _contest_top(update, context, arg, t)
    elif action == "cert" and arg is not None:
        await _certificate(update, context, arg, t)
    else:
        await answer(update, t.gettext("This button is no longer available."))


async def resend_owed_questions(bot: Any, runtime: Runtime) -> int:
    """After a restart: send each student whose next question was never delivered their
    current screen again (its clock starts now), so nobody is left with an answered question
    and nothing to answer."""
    svc: QuizService = runtime.services["quiz"]
    sent = 0
    for contest, entry in await svc.owed_questions():
        # The student's saved language, else the class's (their client's is not known here).
        t = translator(await runtime.users.locale(entry.user_id, contest.locale))
        screen = await svc.current(contest, entry, t)
        try:
            await bot.send_message(entry.user_id, screen.text, reply_markup=markup(screen.buttons))
        except TelegramError as exc:  # blocked the bot, chat gone: their result stays kept
            log.info("could not resend a contest question: %s", type(exc).__name__)
            continue
        await svc.question_delivered(contest.id, entry.user_id)
        sent += 1
    return sent


async def _resend_when_running(app: Application, runtime: Runtime) -> None:
    for _ in range(1200):
        if app.running:
            await resend_owed_questions(app.bot, runtime)
            return
        await asyncio.sleep(0.05)


_boot_tasks: set[asyncio.Task[None]] = set()


async def setup(app: Application, runtime: Runtime) -> None:
    svc = QuizService(runtime.db, runtime.clock, load_bank(), runtime.bot_username,
                      runtime.settings.tz, keyring=runtime.keyring)
    runtime.services["quiz"] = svc
    runtime.users.register_eraser(svc.erase_user)
    registry.menu_entry("quiz", open_menu)
    registry.deep_link("c", join_deep_link)
    registry.flow(FLOW_CODE, on_code_input)
    registry.flow(FLOW_NAME, on_name_input)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("quiz", quiz_command, private))
    app.add_handler(CommandHandler("join", join_command, private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^quiz:"))
    boot = asyncio.get_running_loop().create_task(_resend_when_running(app, runtime))
    _boot_tasks.add(boot)
    boot.add_done_callback(_boot_tasks.discard)
    registry.free_input(on_typed_code)
