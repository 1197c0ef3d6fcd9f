"""Quiz rounds in a class group: `/groupquiz [questions] [seconds]` starts a round whose
questions the channel posts as native quiz polls, with a leaderboard at the end; `/stopquiz`
ends it early. Only the group's admins may do either.

Channel-neutral: the polls themselves (posting, votes, timers) are the channel's
(`bot/channels/telegram/quiz_polls.py`); a channel without native polls says so.
"""

from __future__ import annotations

from bot.engine.conversation import Turn
from bot.engine.inputs import Command
from bot.engine.router import Router
from bot.i18n import translator
from bot.quiz import QuizService
from bot.runtime import Runtime
from bot.screens import Screen

router = Router("quiz_group")

DEFAULT_QUESTIONS = 5
DEFAULT_SECONDS = 20


def service(turn: Turn) -> QuizService:
    svc: QuizService = turn.runtime.services.quiz
    return svc


def round_args(cmd: Command) -> tuple[int, int]:
    """`/groupquiz [questions] [seconds]` (the service clamps both to its limits)."""
    # (A number too long to be meant is taken as "as many as allowed".)
    nums = [int(a) if len(a) <= 6 else 999_999 for a in cmd.args
            if a.isascii() and a.isdigit()]  # int('²') raises: ASCII digits only
    count = nums[0] if nums else DEFAULT_QUESTIONS
    seconds = nums[1] if len(nums) > 1 else DEFAULT_SECONDS
    return count, seconds


@router.command("groupquiz")
async def groupquiz_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    if turn.chat.private:
        await turn.show(Screen(_(
            "Add me to your class group and send /groupquiz there: I will post quiz polls and "
            "a leaderboard. To practise alone, use /quiz.")))
        return
    if not turn.caps.native_polls or not isinstance(turn.chat.key, int):
        await turn.show(Screen(_(
            "Quiz rounds in groups are not available here. To practise alone, use /quiz.")))
        return
    if not await turn.is_admin():
        await turn.show(Screen(_("Only the group's admins can start a quiz round.")))
        return
    svc = service(turn)
    count, seconds = round_args(cmd)
    rnd = await svc.start_round(turn.chat.key, count, seconds, turn.t.locale)
    if rnd is None:
        await turn.show(Screen(_(
            "A quiz round is already running here. An admin can end it with /stopquiz.")))
        return
    await turn.show(svc.round_intro(rnd, turn.t))
    await svc.post_due()  # the first poll, now


@router.command("stopquiz", groups_only=True)
async def stopquiz_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    if not await turn.is_admin():
        await turn.show(Screen(_("Only the group's admins can stop a quiz round.")))
        return
    svc = service(turn)
    screen = None
    if isinstance(turn.chat.key, int):
        async with svc.group_lock:
            rnd = await svc.running_round(turn.chat.key)
            if rnd is not None:
                screen = await svc.finish_round(rnd, translator(rnd.locale), stopped=True)
    if screen is None:
        await turn.show(Screen(_("No quiz round is running here.")))
        return
    await turn.show(screen)


async def setup(runtime: Runtime) -> None:
    """The quiz service is built with the others (bot/services.py)."""
