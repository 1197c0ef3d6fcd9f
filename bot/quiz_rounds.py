"""Quiz rounds in a class group: start and stop a round, the next question as a poll
(`PollSpec`), scoring the votes, the leaderboard. Channel-neutral: a channel that has native
quiz polls (Telegram: `bot/channels/telegram/quiz_polls.py`) posts the polls, reports the votes
(`on_poll_answer`) and moves rounds on when a poll closes; it registers itself with
`add_poster` so that a round started by a command gets its first poll at once.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.quiz_logic import ResultRow, ShuffledQuestion, option_order, pick, rank
from bot.quiz_rules import (
    GRACE_SECONDS,
    GROUP_KEEP_SECONDS,
    GROUP_MAX_QUESTIONS,
    GROUP_SECONDS,
    LEADERBOARD_SIZE,
    MEDALS,
    QuizBase,
    clean_name,
)
from bot.screens import Screen, esc
from storage import quiz as repo
from storage.quiz import Round


@dataclass(frozen=True)
class PollSpec:
    """One native quiz poll for a group round."""

    round_id: int
    position: int
    total: int
    question_id: str
    question: str
    options: list[str]
    correct: list[int]
    explanation: str
    order: list[int]
    seconds: int


class RoundService(QuizBase):
    """Group rounds. The channels that post the polls register a poster (`add_poster`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._posters: list[Callable[[], Awaitable[Any]]] = []
        self._group_lock = asyncio.Lock()

    def add_poster(self, poster: Callable[[], Awaitable[Any]]) -> None:
        """`poster()` moves every due round on (posts the next poll or the leaderboard)."""
        self._posters.append(poster)

    async def post_due(self) -> None:
        """Ask the channels to post what is due now (right after a round starts)."""
        for poster in list(self._posters):
            await poster()

    # == rounds ============================================================================

    async def start_round(self, chat_id: int, count: int, seconds: int,
                          locale: str) -> Round | None:
        """A new round in a group; None if one is already running there."""
        count = max(1, min(count, GROUP_MAX_QUESTIONS))
        seconds = max(GROUP_SECONDS[0], min(seconds, GROUP_SECONDS[1]))
        questions = pick(self.bank, count, rng=random.Random(secrets.randbits(64)))
        round_id = await repo.create_round(self.db, chat_id=chat_id,
                                           question_ids=[q.id for q in questions],
                                           seconds=seconds, locale=locale, now=self.now())
        return await repo.get_round(self.db, round_id) if round_id else None

    async def running_round(self, chat_id: int) -> Round | None:
        return await repo.running_round(self.db, chat_id)

    async def due_rounds(self) -> list[Round]:
        return await repo.due_rounds(self.db, self.now())

    @property
    def group_lock(self) -> asyncio.Lock:
        """Held while a round moves on, so a timer, the job and a command never race."""
        return self._group_lock

    def next_poll(self, rnd: Round) -> PollSpec | None:
        """The next poll of the round, or None when the round is over."""
        position = rnd.position + 1
        while position < len(rnd.question_ids):
            question = self.bank.get(rnd.question_ids[position])
            if question is not None:
                order = list(option_order(f"group:{rnd.id}", question))
                shuffled = ShuffledQuestion(question, tuple(order))
                prefix = f"[{position + 1}/{len(rnd.question_ids)}] "
                return PollSpec(
                    round_id=rnd.id, position=position, total=len(rnd.question_ids),
                    question_id=question.id,
                    question=prefix + question.text_for(rnd.locale),
                    options=shuffled.options(rnd.locale),
                    correct=list(shuffled.correct_displayed),
                    explanation=question.explanation_for(rnd.locale),
                    order=order, seconds=rnd.seconds)
            position += 1
        return None

    async def poll_sent(self, rnd: Round, spec: PollSpec, poll_id: str, sent_at: float) -> bool:
        return await repo.add_poll(
            self.db, round_id=rnd.id, position=spec.position, poll_id=poll_id,
            question_id=spec.question_id, option_order=spec.order, sent_at=sent_at,
            closes_at=sent_at + spec.seconds, deadline=sent_at + spec.seconds + 2)

    async def finish_round(self, rnd: Round, t: Translator, *, stopped: bool = False) -> Screen | None:
        """Close the round and build its leaderboard; None if it was already closed."""
        if not await repo.finish_round(self.db, rnd.id, "stopped" if stopped else "finished",
                                       self.now()):
            return None
        await repo.purge_rounds(self.db, self.now() - GROUP_KEEP_SECONDS)
        return await self.round_leaderboard(rnd, t, stopped=stopped)

    async def round_leaderboard(self, rnd: Round, t: Translator, *,
                                stopped: bool = False) -> Screen:
        _ = t.gettext
        scores = await repo.round_scores(self.db, rnd.id)
        asked = min(rnd.position + 1, len(rnd.question_ids))
        ranked = rank(ResultRow(r["name"], int(r["correct"]), round(float(r["seconds"]), 1),
                                int(r["correct"]), int(r["answered"])) for r in scores)
        head = (_("⏹ <b>Quiz round stopped.</b>") if stopped
                else _("🏁 <b>Quiz round over!</b>"))
        lines = [head, _("{asked} questions asked · {n} players · {votes} answers scored.").format(
            asked=asked, n=len(ranked), votes=sum(int(r["answered"]) for r in scores)), ""]
        if not ranked:
            lines.append(_("Nobody answered this time."))
        for position, row in ranked[:LEADERBOARD_SIZE]:
            medal = MEDALS[position - 1] if position <= 3 else f"{position}."
            lines.append(_("{medal} {name} — {correct}/{asked} correct").format(
                medal=medal, name=esc(row.name), correct=row.score, asked=asked))
        lines.append("")
        lines.append(_("Play again with /groupquiz, or practise alone in a private chat: /quiz"))
        return Screen("\n".join(lines))

    async def on_poll_answer(self, poll_id: str, user_id: int, name: str,
                             option_ids: list[int]) -> bool:
        """Score a vote in a round's poll; False if it is not ours, late or a repeat."""
        if not option_ids:
            return False
        poll = await repo.get_poll(self.db, poll_id)
        if poll is None:
            return False
        now = self.now()
        if now > poll.closes_at + GRACE_SECONDS:
            return False
        question = self.bank.get(poll.question_id)
        if question is None:
            return False
        correct = ShuffledQuestion(question, poll.option_order).is_correct(option_ids)
        return await repo.add_group_answer(
            self.db, poll_id=poll_id, user_id=user_id, name=clean_name(name) or "?",
            correct=correct, elapsed=round(max(now - poll.sent_at, 0.0), 3))

    def round_intro(self, rnd: Round, t: Translator) -> Screen:
        return Screen(t.gettext(
            "🧠 <b>Quiz round!</b> {n} questions, {s} seconds each. Answer in the polls: the "
            "leaderboard comes at the end."
        ).format(n=len(rnd.question_ids), s=rnd.seconds))
