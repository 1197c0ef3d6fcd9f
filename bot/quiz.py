"""Quizzes: practice rounds (`bot.quiz_practice`), class contests with join codes
(`bot.quiz_contests`) and group rounds (`bot.quiz_rounds`), over shared rules
(`bot.quiz_rules`) and pure scoring (`bot.quiz_logic`). `QuizService` is the one service the
conversations get (`runtime.services.quiz`). No `telegram` here, no SQL (storage/quiz.py).
"""

from __future__ import annotations

from bot.quiz_contests import (
    JOIN_FAILURE_WINDOW,
    JOIN_FAILURES_MAX,
    AnswerReply,
    CodeLookup,
    ContestService,
)
from bot.quiz_practice import PracticeService, dump_session, load_session
from bot.quiz_rounds import PollSpec, RoundService
from bot.quiz_rules import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LETTERS,
    NotAllowed,
    QuizError,
    clean_name,
    clean_title,
    new_code,
    normalise_code,
    parse_when,
)
from storage import quiz as repo
from storage.quiz import Contest, Entry


class QuizService(PracticeService, ContestService, RoundService):
    async def erase_user(self, user_id: int) -> None:
        """/deleteme: the person's contest entries and group votes, and contests they own."""
        await repo.delete_entries_of(self.db, user_id)
        await repo.delete_group_answers_of(self.db, user_id)
        await repo.delete_contests_of(self.db, user_id)
        # A Telegram private chat's id is its user's id: its wrong-code counter goes too.
        await repo.delete_join_failures(self.db, self._guess_key(user_id))


__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "JOIN_FAILURES_MAX",
    "JOIN_FAILURE_WINDOW",
    "LETTERS",
    "AnswerReply",
    "CodeLookup",
    "Contest",
    "Entry",
    "NotAllowed",
    "PollSpec",
    "QuizError",
    "QuizService",
    "clean_name",
    "clean_title",
    "dump_session",
    "load_session",
    "new_code",
    "normalise_code",
    "parse_when",
]
