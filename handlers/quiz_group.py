"""Quiz rounds in a class group: `/groupquiz [questions] [seconds]` posts native Telegram quiz
polls one after the other (non-anonymous, so every vote arrives as a `poll_answer`), scores the
votes and posts a leaderboard at the end. `/stopquiz` ends a round early.

The round lives in the database: a timer moves it on when a poll closes, and a job every few
seconds picks up any round whose time has come (after a restart too), so a restart loses no
scored vote and the round still ends with its leaderboard.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InputPollOption, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CommandHandler, PollAnswerHandler, filters

from bot.i18n import translator
from bot.jobs import job
from bot.quiz import QuizService
from bot.runtime import Runtime
from bot.screens import Screen
from content.markup import tg_len
from content.quiz_bank import MAX_QUESTION
from handlers.common import Context, rt, show, tr

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = 5
DEFAULT_SECONDS = 20
TIMER_SLACK = 2.5


def _service(runtime: Runtime) -> QuizService:
    svc: QuizService = runtime.services["quiz"]
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


@job("quiz_group_rounds", every_seconds=3, first=3)
async def group_rounds_job(bot: Any, runtime: Runtime) -> None:
    if "quiz" in runtime.services:
        await advance(bot, runtime)


async def _is_admin(update: Update, context: Context) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def _args(context: Context) -> tuple[int, int]:
    nums = [int(a) for a in (context.args or []) if a.isdigit()]
    count = nums[0] if nums else DEFAULT_QUESTIONS
    seconds = nums[1] if len(nums) > 1 else DEFAULT_SECONDS
    return count, seconds


async def groupquiz_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    t = await tr(update, context)
    _ = t.gettext
    if chat is None:
        return
    if chat.type == ChatType.PRIVATE:
        await show(update, context, Screen(_(
            "Add me to your class group and send /groupquiz there: I will post quiz polls and "
            "a leaderboard. To practise alone, use /quiz.")))
        return
    if not await _is_admin(update, context):
        await show(update, context, Screen(_("Only the group's admins can start a quiz round.")))
        return
    runtime = rt(context)
    svc = _service(runtime)
    count, seconds = _args(context)
    rnd = await svc.start_round(chat.id, count, seconds, t.locale)
    if rnd is None:
        await show(update, context, Screen(_(
            "A quiz round is already running here. An admin can end it with /stopquiz.")))
        return
    await show(update, context, svc.round_intro(rnd, t))
    await advance(context.bot, runtime, context.application)


async def stopquiz_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    t = await tr(update, context)
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    if not await _is_admin(update, context):
        await show(update, context, Screen(t.gettext(
            "Only the group's admins can stop a quiz round.")))
        return
    svc = _service(rt(context))
    async with svc.group_lock:
        rnd = await svc.running_round(chat.id)
        screen = await svc.finish_round(rnd, translator(rnd.locale), stopped=True) if rnd else None
    if screen is None:
        await show(update, context, Screen(t.gettext("No quiz round is running here.")))
        return
    await show(update, context, screen)


async def on_poll_answer(update: Update, context: Context) -> None:
    pa = update.poll_answer
    if pa is None or pa.user is None:
        return  # a vote on behalf of a chat cannot be scored for a person
    await _service(rt(context)).on_poll_answer(
        pa.poll_id, pa.user.id, pa.user.first_name or "?", list(pa.option_ids))


async def setup(app: Application, runtime: Runtime) -> None:
    app.add_handler(CommandHandler("groupquiz", groupquiz_command))
    app.add_handler(CommandHandler("stopquiz", stopquiz_command, ~filters.ChatType.PRIVATE))
    app.add_handler(PollAnswerHandler(on_poll_answer))
