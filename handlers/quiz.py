"""Quiz, the student side: the quiz menu, practice rounds, joining a contest (by /join, by
typing the code alone or by the `/start c_<code>` link), display names, answering on the
server's clock, results and certificates. Channel-neutral.

Every press is re-checked by the service (existence, membership, position, timing).
"""

from __future__ import annotations

import logging
import re

from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.messenger import SendOutcome, send_to_user
from bot.engine.router import Router
from bot.i18n import translator
from bot.quiz import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Contest,
    Entry,
    QuizError,
    QuizService,
    dump_session,
    load_session,
)
from bot.quiz_actions import (
    AskCode,
    ContestAnswer,
    ContestGo,
    ContestTop,
    GetCertificate,
    Practice,
    PracticeAnswer,
    PracticeNext,
    PracticeTopics,
    QuizHome,
)
from bot.quiz_logic import PracticeError
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from handlers.start import OpenMenu

router = Router("quiz")
log = logging.getLogger(__name__)

FLOW_CODE = "quiz_code"
FLOW_NAME = "quiz_name"
_CODE_TEXT = re.compile(rf"^\s*[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]{{{CODE_LENGTH}}}\s*$")


def service(turn: Turn) -> QuizService:
    svc: QuizService = turn.runtime.services.quiz
    return svc


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


def menu(turn: Turn) -> Screen:
    screen = service(turn).menu_screen(turn.t)
    screen.buttons.append([Button(turn.t.gettext("⬅️ Main menu"), action=OpenMenu("home"))])
    return screen


# -- menu ---------------------------------------------------------------------------------------


@router.command("quiz", private_only=True)
async def quiz_command(turn: Turn, cmd: Command) -> None:
    await turn.show(menu(turn))


@router.menu_entry("quiz")
async def open_menu(turn: Turn) -> None:
    await turn.notice()
    await turn.show(menu(turn), replace=True)


@router.on(QuizHome)
async def on_home(turn: Turn, act: QuizHome) -> None:
    await turn.notice()
    await turn.show(menu(turn), replace=True)


@router.on(PracticeTopics)
async def on_topics(turn: Turn, act: PracticeTopics) -> None:
    await turn.notice()
    await turn.show(service(turn).topics_screen(turn.t), replace=True)


# -- practice -----------------------------------------------------------------------------------


@router.on(Practice)
async def on_practice(turn: Turn, act: Practice) -> None:
    svc = service(turn)
    try:
        session = svc.new_practice(turn.chat.key, turn.t.locale,
                                   None if act.topic == "mix" else act.topic)
    except PracticeError:
        await turn.notice(_gone(turn))
        return
    screen = svc.practice_question(session, turn.t)
    await turn.set_session(dump_session(session, act.topic))
    await turn.notice()
    if screen is not None:
        await turn.show(screen)


def _round_over(turn: Turn) -> str:
    return turn.t.gettext("This practice round is over. Start a new one with /quiz.")


@router.on(PracticeAnswer)
async def on_practice_answer(turn: Turn, act: PracticeAnswer) -> None:
    loaded = load_session(await turn.session())
    if loaded is None:
        await turn.notice(_round_over(turn))
        return
    session, topic = loaded
    try:
        screen = service(turn).practice_answer(session, act.position, act.choice, turn.t)
    except PracticeError:
        await turn.notice(turn.t.gettext("You already answered this question."))
        return
    await turn.set_session(dump_session(session, topic))
    await turn.show(screen, replace=True)
    await turn.notice()


@router.on(PracticeNext)
async def on_practice_next(turn: Turn, act: PracticeNext) -> None:
    loaded = load_session(await turn.session())
    if loaded is None:
        await turn.notice(_round_over(turn))
        return
    session, topic = loaded
    svc = service(turn)
    screen = svc.practice_question(session, turn.t)
    if screen is None:
        # Recorded before the state is cleared: a crash in between counts the round twice at
        # worst, never loses it.
        screen = await svc.finish_practice(session, topic, turn.t)
        await turn.clear_session()
    else:
        await turn.set_session(dump_session(session, topic))
    await turn.show(screen)
    await turn.notice()


# -- joining a contest --------------------------------------------------------------------------


async def begin_join(turn: Turn, code_text: str) -> None:
    """A code was given (command, link or typed): join, resume, or ask for the name."""
    user_id = await turn.user_id()
    if user_id is None:
        return
    t = turn.t
    svc = service(turn)
    found = await svc.lookup_code(turn.chat.key, code_text)
    if found.limited:
        await turn.clear_session()
        await turn.show(svc.too_many_codes_screen(t))
        return
    contest = found.contest
    if contest is None:
        await turn.set_session({"flow": FLOW_CODE}, ttl=3600)
        await turn.show(Screen(t.gettext(
            "No contest has the code <code>{code}</code>. Check it and type it again, or "
            "/cancel.").format(code=esc(code_text.strip()[:20]))))
        return
    entry = await svc.entry(contest, user_id)
    if entry is not None:
        await turn.clear_session()
        if entry.position == 0 and entry.shown_at is None and not entry.finished:
            await turn.show(svc.ready_screen(contest, entry, t))
        else:
            await turn.show(await svc.current(contest, entry, t))
            await svc.question_delivered(contest.id, user_id)
        return
    if contest.ends_at <= svc.now():
        await turn.clear_session()
        await turn.show(svc.closed_screen(contest, t))
        return
    await turn.set_session({"flow": FLOW_NAME, "contest": contest.id}, ttl=3600)
    await turn.show(svc.ask_name_screen(contest, t))


async def ask_code(turn: Turn) -> None:
    await turn.set_session({"flow": FLOW_CODE}, ttl=3600)
    await turn.show(Screen(turn.t.gettext(
        "Type the join code your teacher gave you (6 letters and digits, e.g. <code>K7M2QX</code>):"
    )))


@router.command("join", private_only=True)
async def join_command(turn: Turn, cmd: Command) -> None:
    code = "".join(cmd.args)
    if code:
        await begin_join(turn, code)
    else:
        await ask_code(turn)


@router.on(AskCode)
async def on_ask_code(turn: Turn, act: AskCode) -> None:
    await turn.notice()
    await ask_code(turn)


@router.deep_link("c")
async def join_deep_link(turn: Turn, arg: str) -> None:
    if arg:
        await begin_join(turn, arg)
    else:
        await ask_code(turn)


@router.flow(FLOW_CODE)
async def on_code_input(turn: Turn, inp: Input) -> None:
    if not isinstance(inp, Text) or not inp.text.strip():
        await turn.show(Screen(turn.t.gettext(
            "Please type the join code (6 letters and digits), or /cancel.")))
        return
    await begin_join(turn, inp.text)


@router.free_input
async def on_typed_code(turn: Turn, inp: Input) -> bool:
    """A bare code typed outside any flow joins that contest; anything else goes to the frame
    (returns False). Counted as a guess too (else bare codes could be guessed without limit);
    a limited chat is told so."""
    if not isinstance(inp, Text) or not _CODE_TEXT.match(inp.text):
        return False
    svc = service(turn)
    found = await svc.lookup_code(turn.chat.key, inp.text)
    if found.limited:
        await turn.show(svc.too_many_codes_screen(turn.t))
    elif found.contest is None:
        return False
    else:
        await begin_join(turn, inp.text)
    return True


@router.flow(FLOW_NAME)
async def on_name_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    user_id = await turn.user_id()
    if user_id is None:
        return
    svc = service(turn)
    session = await turn.session()
    contest_id = session.get("contest")
    contest = await svc.get(contest_id) if isinstance(contest_id, int) else None
    if contest is None:
        await turn.clear_session()
        await turn.show(Screen(t.gettext("This contest no longer exists.")))
        return
    try:
        entry = await svc.join(contest, user_id, inp.text if isinstance(inp, Text) else "")
    except QuizError as exc:
        await turn.show(Screen(t.gettext(str(exc)) + "\n" + t.gettext(
            "Type another display name, or /cancel.")))
        return
    await turn.clear_session()
    await turn.show(svc.ready_screen(contest, entry, t))


# -- contest buttons ----------------------------------------------------------------------------


async def _player(turn: Turn, contest_id: int) -> tuple[Contest | None, Entry | None, int | None]:
    """The pressed button's contest, this person's entry in it, and their user id."""
    svc = service(turn)
    user_id = await turn.user_id()
    contest = await svc.get(contest_id)
    entry = await svc.entry(contest, user_id) if contest and user_id is not None else None
    return contest, entry, user_id


@router.on(ContestGo)
async def on_go(turn: Turn, act: ContestGo) -> None:
    svc = service(turn)
    contest, entry, _user_id = await _player(turn, act.contest)
    if contest is None or entry is None:
        await turn.notice(_gone(turn))
        return
    if contest.starts_at > svc.now():
        await turn.notice(turn.t.gettext("The contest has not started yet."), alert=True)
        return
    await turn.show(await svc.current(contest, entry, turn.t), replace=True)
    await svc.question_delivered(contest.id, entry.user_id)
    await turn.notice()


@router.on(ContestAnswer)
async def on_contest_answer(turn: Turn, act: ContestAnswer) -> None:
    user_id = await turn.user_id()
    if user_id is None:
        return
    svc = service(turn)
    reply = await svc.answer(act.contest, user_id, act.position, act.choice, turn.t)
    await turn.notice(reply.toast, alert=reply.alert)
    if reply.edit is not None:
        await turn.show(reply.edit, replace=True)
    for screen in reply.then:
        await turn.show(screen)
    if reply.then:  # the next question, if it was one, has reached the student: start its clock
        await svc.question_delivered(act.contest, user_id)


@router.on(ContestTop)
async def on_top(turn: Turn, act: ContestTop) -> None:
    svc = service(turn)
    contest, entry, user_id = await _player(turn, act.contest)
    if contest is None or user_id is None or (entry is None and contest.owner_id != user_id):
        await turn.notice(_gone(turn))
        return
    await turn.show(await svc.public_top(contest, turn.t))
    await turn.notice()


@router.on(GetCertificate)
async def on_certificate(turn: Turn, act: GetCertificate) -> None:
    user_id = await turn.user_id()
    if user_id is None:
        return
    try:
        screen = await service(turn).certificate(act.contest, user_id, turn.t)
    except QuizError as exc:
        await turn.notice(turn.t.gettext(str(exc)), alert=True)
        return
    await turn.show(screen)
    await turn.notice()


# -- after a restart ------------------------------------------------------------------------------


async def resend_owed_questions(runtime: Runtime) -> int:
    """After a restart: send each student whose next question was never delivered their
    current screen again (its clock starts when it is delivered), so nobody is left with an
    answered question and nothing to answer. Through the channels' Messenger port: there is
    no Turn at start-up."""
    svc: QuizService = runtime.services.quiz
    sent = 0
    for contest, entry in await svc.owed_questions():
        # The student's saved language, else the class's (their client's is not known here).
        t = translator(await runtime.users.locale(entry.user_id, contest.locale))
        screen = await svc.current(contest, entry, t)
        if await send_to_user(runtime, entry.user_id, screen) is not SendOutcome.SENT:
            continue  # blocked the bot, chat gone, network: their result stays kept
        await svc.question_delivered(contest.id, entry.user_id)
        sent += 1
    return sent


async def setup(runtime: Runtime) -> None:
    runtime.users.register_eraser(runtime.services.quiz.erase_user)

    async def resend() -> None:
        sent = await resend_owed_questions(runtime)
        if sent:
            log.info("sent %d contest question(s) owed since before the restart", sent)

    runtime.on_started.append(resend)
