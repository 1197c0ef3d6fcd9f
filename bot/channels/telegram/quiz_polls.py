"""Group quiz rounds as Telegram's native quiz polls (Telegram-only; `turn.caps.native_polls`).

The round itself (start, stop, scoring, leaderboard) is channel-neutral (bot/quiz_rounds.py,
handlers/quiz_group.py). Here: posting each question as a non-anonymous quiz poll (so every
vote arrives as a `poll_answer`), scoring those votes, and moving a round on when its poll
closes: a one-off timer per poll, and a job every few seconds that picks up any round whose
time has come (after a restart too), so a restart loses no scored vote and the round still
ends with its leaderboard.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InputPollOption, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes, PollAnswerHandler

from bot.i18n import translator
from bot.quiz import QuizService
from bot.runtime import Runtime
from bot.screens import Screen
from content.markup import tg_len
from content.quiz_bank import MAX_QUESTION

log = logging.getLogger(__name__)

TIMER_SLACK = 2.5


def _service(runtime: Runtime) -> QuizService:
    svc: QuizService = runtime.services.quiz
    return svc


async def advance(bot: Any, runtime: Runtime, app: Any = None) -> int:
    """Move every round whose poll has closed on: post the next poll or the leaderboard.
    Returns how many rounds moved. Safe to call any time, from any number of places."""
    svc = _service(runtime)
    moved = 0
    async with svc.group_lock:
        for rnd in await svc.due_rounds():
            moved += 1
            t = translator(rnd.locale)
            spec = svc.next_poll(rnd)
            if spec is None:
                screen = await svc.finish_round(rnd, t)
                if screen is not None:
                    await _send_quietly(bot, rnd.chat_id, screen)
                continue
            question = spec.question
            if tg_len(question) > MAX_QUESTION:
                question = question.split("] ", 1)[-1]
            try:
                message = await bot.send_poll(
                    rnd.chat_id, question,
                    [InputPollOption(o, text_parse_mode=None) for o in spec.options],
                    is_anonymous=False, type="quiz", correct_option_ids=spec.correct,
                    explanation=spec.explanation or None, open_period=spec.seconds,
                    question_parse_mode=None, explanation_parse_mode=None,
                    # PTB adds the default parse_mode to every send method, sendPoll included,
                    # where the Bot API does not know it; drop it.
                    api_kwargs={"parse_mode": None})
            except (Forbidden, BadRequest) as exc:
                # Removed from the group or no right to post polls: end the round here.
                log.info("group quiz poll not sent: %s", type(exc).__name__)
                await svc.finish_round(rnd, t, stopped=True)
                continue
            except TelegramError as exc:  # network trouble: the job tries again
                log.info("group quiz poll failed: %s", type(exc).__name__)
                continue
            if message.poll is None:
                continue
            await svc.poll_sent(rnd, spec, message.poll.id, svc.now())
            _schedule(app, runtime, spec.seconds + TIMER_SLACK)
    return moved


def _schedule(app: Any, runtime: Runtime, delay: float) -> None:
    """A one-off timer for when the poll closes (the periodic job is the safety net)."""
    if app is None or app.job_queue is None:
        return

    async def fire(context: Any) -> None:
        try:
            await advance(context.bot, runtime, context.application)
        except Exception as exc:
            log.error("group quiz timer failed: %s", type(exc).__name__)

    app.job_queue.run_once(fire, when=delay, name="quiz_group_timer")


async def _send_quietly(bot: Any, chat_id: int, screen: Screen) -> None:
    try:
        await bot.send_message(chat_id, screen.text)
    except TelegramError as exc:
        log.info("group quiz message not sent: %s", type(exc).__name__)


async def group_rounds_job(bot: Any, runtime: Runtime) -> None:
    await advance(bot, runtime)


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    pa = update.poll_answer
    if pa is None or pa.user is None:
        return  # a vote on behalf of a chat cannot be scored for a person
    runtime: Runtime = context.application.bot_data["rt"]
    await _service(runtime).on_poll_answer(
        pa.poll_id, pa.user.id, pa.user.first_name or "?", list(pa.option_ids))


def register(app: Application, runtime: Runtime) -> None:
    svc: QuizService | None = runtime.services.quiz
    if svc is None:
        return

    async def post() -> None:
        await advance(app.bot, runtime, app)

    svc.add_poster(post)
    app.add_handler(PollAnswerHandler(on_poll_answer))
