"""Quiz rules shared by practice, contests and group rounds: limits, join codes, display names,
typed times, titles, scoring and phases, and the base every quiz service builds on (database,
clock, bank, time zone, keys). Pure rules of answers and scores are in `bot.quiz_logic`.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.crypto import Keyring
from bot.i18n import N_, Translator
from bot.quiz_logic import ScoringRules
from bot.screens import esc
from content.quiz_bank import QuestionBank
from content.topics import topic_title
from storage.db import Database
from storage.quiz import Contest

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read off a board
CODE_LENGTH = 6
PRACTICE_SIZE = 10
GRACE_SECONDS = 1.0
"""Added to the time limit for the round trip through Telegram."""
NAME_MIN, NAME_MAX = 2, 32
TITLE_MAX = 80
CERTIFICATE_SHARE = 0.8
LEADERBOARD_SIZE = 20
NAMES_PAGE = 10
LETTERS = "ABCDEF"
MAX_CONTEST_QUESTIONS = 30
MAX_CONTEST_DAYS = 31
GROUP_MAX_QUESTIONS = 10
GROUP_SECONDS = (10, 600)  # Telegram's open_period is 5–600 s
GROUP_KEEP_SECONDS = 24 * 3600

DIFFICULTY_LABELS: dict[str, str] = {
    "easy": N_("Easy"),
    "medium": N_("Medium"),
    "hard": N_("Hard"),
    "": N_("Mixed"),
}
MEDALS = ("🥇", "🥈", "🥉")


class QuizError(Exception):
    """A request the rules refuse; the message is an English source string to translate."""


class NotAllowed(QuizError):
    pass


# ---------------------------------------------------------------------------------------------
# Small pure helpers


def normalise_code(text: str) -> str | None:
    """'ab c-d2 3' → 'ABCD23' when it is a well-formed join code, else None."""
    code = re.sub(r"[\s\-_.]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def new_code(rng: random.Random | None = None) -> str:
    choice = rng.choice if rng is not None else secrets.choice
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


_LINKY = re.compile(r"(https?:|www\.|t\.me/|@\w)", re.IGNORECASE)


def clean_name(text: str) -> str | None:
    """A display name fit for a leaderboard (2–32 characters, no links or @mentions,
    no control or invisible characters), or None."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()
    if not NAME_MIN <= len(text) <= NAME_MAX or _LINKY.search(text):
        return None
    return text


_TIME = re.compile(
    r"^\s*(\d{1,2})[:h.](\d{2})\s*(?:(?:ngày\s*)?(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?)?\s*$",
    re.IGNORECASE,
)
_DATE_FIRST = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?\s+(\d{1,2})[:h.](\d{2})\s*$"
)


def parse_when(text: str, now: datetime, tz: Any) -> datetime | None:
    """'14:30', '14:30 25/12', '25/12/2026 14:30' in local time → an aware UTC datetime.
    A time without a date that has already passed today means tomorrow."""
    m = _TIME.match(text or "")
    if m:
        hour, minute, day, month, year = m.groups()
    else:
        m2 = _DATE_FIRST.match(text or "")
        if not m2:
            return None
        day, month, year, hour, minute = m2.groups()
    local_now = now.astimezone(tz)
    try:
        y = int(year) if year else local_now.year
        if y < 100:
            y += 2000
        when = datetime(
            y,
            int(month) if month else local_now.month,
            int(day) if day else local_now.day,
            int(hour),
            int(minute),
            tzinfo=tz,
        )
    except ValueError:
        return None
    if not day and when < local_now:
        when += timedelta(days=1)
    return when.astimezone(UTC)


def clean_title(text: str) -> str:
    """A contest title: control characters dropped, spaces collapsed, at most 80 characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return re.sub(r"\s+", " ", text).strip()[:TITLE_MAX]


def scoring_rules(contest: Contest) -> ScoringRules:
    """With the speed bonus: 1000 per correct answer + up to 500 for speed. Without: 1 point
    per correct answer, so the score reads as 'correct answers'."""
    if contest.speed_bonus:
        return ScoringRules(seconds_per_question=contest.seconds_per_question)
    return ScoringRules(base_points=1, max_speed_bonus=0, speed_bonus=False,
                        seconds_per_question=contest.seconds_per_question)


def contest_phase(contest: Contest, now: float) -> str:
    if now < contest.starts_at:
        return "upcoming"
    if now >= contest.ends_at:
        return "ended"
    return "open"


def _letters(options: list[str]) -> str:
    return "\n".join(f"<b>{LETTERS[i]}.</b> {esc(text)}" for i, text in enumerate(options))


# ---------------------------------------------------------------------------------------------


class QuizBase:
    """What every quiz service holds; `bot.quiz.QuizService` combines the practice, contest
    and round services over one of these."""

    def __init__(self, db: Database, clock: Clock, bank: QuestionBank, tz: Any = None,
                 keyring: Keyring | None = None) -> None:
        self.db = db
        self.clock = clock
        self.bank = bank
        self.tz = tz
        self.keyring = keyring or Keyring.ephemeral()

    def now(self) -> float:
        return self.clock.now().timestamp()

    def topic_label(self, topic: str, t: Translator) -> str:
        # One name per topic: the titles the article library shows (content/articles/topics.yaml).
        return topic_title(topic, t.locale)

    def difficulty_label(self, difficulty: str, t: Translator) -> str:
        label = DIFFICULTY_LABELS.get(difficulty, DIFFICULTY_LABELS[""])
        return t.gettext(label)

    def _when(self, ts: int, t: Translator) -> str:
        return t.datetime(datetime.fromtimestamp(ts, UTC))
