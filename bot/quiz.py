"""Quizzes: practice rounds, class contests with join codes, group poll rounds, leaderboards,
reports and certificates. Rules live in `bot.quiz_logic`; this service adds storage, time,
permissions and the text of the screens. No `telegram` here.

Contest rules enforced on every answer (never trusting the button):
- one answer per question per student (a database key), later ones are ignored and said so;
- the clock of a question starts when the bot shows it (recorded in the database) and an
  answer more than `seconds_per_question` (+ a 1 s network grace) later is not counted;
- nothing is counted after the contest's end; before its start no question is shown;
- the student never sees which option is right before answering (nor, during the contest,
  after: only whether their own answer was right, so nobody can pass answers on).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.crypto import Keyring
from bot.i18n import N_, Translator
from bot.quiz_logic import (
    PracticeError,
    PracticeSession,
    Response,
    ResultRow,
    ScoringRules,
    ShuffledQuestion,
    Timing,
    check_timing,
    item_analysis,
    item_analysis_csv,
    option_order,
    pick,
    rank,
    results_csv,
    shuffle_for,
)
from bot.screens import Button, Screen, esc
from content.quiz_bank import DIFFICULTIES, TOPICS, QuestionBank
from content.topics import topic_title
from storage import quiz as repo
from storage.db import Database
from storage.quiz import Contest, Entry, Round

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
# Answers as the channel needs them


@dataclass
class AnswerReply:
    """What to do after a contest answer: a toast, an edit of the question message, and
    further screens (the next question or the results)."""

    toast: str | None = None
    alert: bool = False
    edit: Screen | None = None
    then: list[Screen] = field(default_factory=list)


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


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeLookup:
    """What a typed join code found: the contest, or nothing; `limited` when this chat made
    too many wrong guesses lately (then nothing is looked up, not even a right code)."""

    contest: Contest | None
    limited: bool = False


JOIN_FAILURES_MAX = 8  # wrong well-formed codes per chat …
JOIN_FAILURE_WINDOW = 3600  # … within this many seconds
_JOIN_LIMIT_PURPOSE = "quiz-join-guesses/v1"


class QuizService:
    def __init__(self, db: Database, clock: Clock, bank: QuestionBank, bot_username: str = "",
                 tz: Any = None, keyring: Keyring | None = None) -> None:
        self.db = db
        self.clock = clock
        self.bank = bank
        self.bot_username = bot_username
        self.tz = tz
        self.keyring = keyring or Keyring.ephemeral()
        self._group_lock = asyncio.Lock()

    def now(self) -> float:
        return self.clock.now().timestamp()

    # == erasure ===================================================================================

    async def erase_user(self, user_id: int) -> None:
        """/deleteme: the person's contest entries and group votes, and contests they own."""
        await repo.delete_entries_of(self.db, user_id)
        await repo.delete_group_answers_of(self.db, user_id)
        await repo.delete_contests_of(self.db, user_id)
        await repo.delete_join_failures(self.db, self._guess_key(user_id))  # private chat = user

    # == menu =====================================================================================

    def menu_screen(self, t: Translator) -> Screen:
        _ = t.gettext
        text = _(
            "<b>🧠 Quiz</b>\n\n"
            "Practise with {n} questions and see the explanation after each answer, "
            "or join your class contest with the code your teacher gives you.\n\n"
            "Teachers: create a contest and get a join code, a link and a QR code."
        ).format(n=PRACTICE_SIZE)
        return Screen(text, [
            [Button(_("🎲 Practice: mixed"), data="quiz:pt:mix"),
             Button(_("📚 Practice by topic"), data="quiz:topics")],
            [Button(_("🎯 Join a contest"), data="quiz:join")],
            [Button(_("👩‍🏫 Create a contest"), data="quiz_teacher:new"),
             Button(_("📋 My contests"), data="quiz_teacher:list")],
            [Button(_("⬅️ Main menu"), data="m:home")],
        ])

    def topics_screen(self, t: Translator) -> Screen:
        _ = t.gettext
        counts = self.bank.topics()
        rows = [[Button(self.topic_label(topic, t), data=f"quiz:pt:{topic}")]
                for topic in counts]
        rows.append([Button(_("⬅️ Back"), data="quiz:home")])
        return Screen(_("<b>Practice by topic</b>\n\nPick a topic:"), rows)

    def topic_label(self, topic: str, t: Translator) -> str:
        # One name per topic: the titles the article library shows (content/articles/topics.yaml).
        return topic_title(topic, t.locale)

    def difficulty_label(self, difficulty: str, t: Translator) -> str:
        label = DIFFICULTY_LABELS.get(difficulty, DIFFICULTY_LABELS[""])
        return t.gettext(label)

    # == practice ================================================================================

    def new_practice(self, chat_seed: object, locale: str, topic: str | None) -> PracticeSession:
        topics = [topic] if topic and topic in TOPICS else None
        seed = f"practice:{chat_seed}:{secrets.token_hex(4)}"
        return PracticeSession.start(
            self.bank, PRACTICE_SIZE, seed, locale=locale, topics=topics,
            rules=ScoringRules(base_points=1, max_speed_bonus=0, speed_bonus=False),
        )

    def practice_question(self, session: PracticeSession, t: Translator) -> Screen | None:
        """The question now asked (marks it shown), or None when the round is over."""
        view = session.next_question(self.bank, self.now())
        if view is None:
            return None
        _ = t.gettext
        head = _("Practice · question {n}/{total}").format(n=view.number, total=view.total)
        text = f"<i>{esc(head)}</i>\n\n<b>{esc(view.text)}</b>\n\n{_letters(view.options)}"
        pos = view.number - 1
        buttons = [Button(LETTERS[i], data=f"quiz:p:{pos}:{i}") for i in range(len(view.options))]
        return Screen(text, [buttons])

    def practice_answer(self, session: PracticeSession, position: int, displayed: int,
                        t: Translator) -> Screen:
        """Feedback for the answer; raises PracticeError for a stale or forged button."""
        if position != session.position or position >= session.total:
            raise PracticeError("stale button")
        question = self.bank.get(session.question_ids[position])
        feedback = session.answer(self.bank, displayed, self.now(),
                                  question_id=session.question_ids[position])
        _ = t.gettext
        if feedback.correct:
            verdict = _("✅ Correct!")
        else:
            verdict = _("❌ Not quite. The right answer: <b>{answer}</b>").format(
                answer=esc(" / ".join(feedback.correct_texts)))
        score = _("Score: {score}/{n}").format(score=feedback.score, n=len(session.answers))
        qtext = esc(question.text_for(session.locale)) if question else ""
        # The label is a whole catalog string: inside an f-string it was never extracted, so
        # Vietnamese screens showed "Your answer" in English.
        chosen = _("Your answer: {answer}").format(answer=esc(" / ".join(feedback.chosen_texts)))
        text = (f"<b>{qtext}</b>\n\n{chosen}"
                f"\n{verdict}\n\n<i>{esc(feedback.explanation)}</i>\n\n{score}")
        label = _("🏁 See my result") if feedback.finished else _("Next question ▶")
        return Screen(text, [[Button(label, data="quiz:pn")]])

    def practice_summary(self, session: PracticeSession, topic: str, t: Translator) -> Screen:
        _ = t.gettext
        summary = session.summary(self.bank)
        lines = [_("🏁 <b>Practice finished: {correct}/{total} correct.</b>").format(
            correct=summary.correct, total=summary.total)]
        if summary.total and summary.correct == summary.total:
            lines.append(_("Perfect! You really know this."))
        elif summary.share_correct >= 0.7:
            lines.append(_("Well done!"))
        else:
            lines.append(_("Keep going: every answer you read about makes you harder to fool."))
        if len(summary.by_topic) > 1:
            lines.append("")
            for name, (correct, answered) in sorted(summary.by_topic.items()):
                lines.append(f"• {esc(self.topic_label(name, t))}: {correct}/{answered}")
        lines.append("")
        lines.append(_("Read more with /learn."))
        return Screen("\n".join(lines), [
            [Button(_("🔁 Try again"), data=f"quiz:pt:{topic or 'mix'}")],
            [Button(_("🧠 Quiz menu"), data="quiz:home")],
        ])

    # == contests: teacher =======================================================================

    def link(self, code: str) -> str:
        return f"https://t.me/{self.bot_username}?start=c_{code}"

    async def create_contest(self, owner_id: int, *, title: str, count: int,
                             topics: list[str], difficulty: str, seconds: int,
                             speed_bonus: bool, starts_at: int, ends_at: int,
                             locale: str) -> Contest:
        title = clean_title(title)
        if not title:
            raise QuizError(N_("The contest needs a title."))
        if not 1 <= count <= MAX_CONTEST_QUESTIONS:
            raise QuizError(N_("Choose between 1 and 30 questions."))
        if not 5 <= seconds <= 600:
            raise QuizError(N_("Choose between 5 and 600 seconds per question."))
        if ends_at <= starts_at or ends_at - starts_at > MAX_CONTEST_DAYS * 86400:
            raise QuizError(N_("The end must be after the start, and at most 31 days later."))
        topics = [tp for tp in topics if tp in TOPICS]
        questions = pick(self.bank, count, topics or None, difficulty or None,
                         rng=random.Random(secrets.randbits(64)))
        if not questions:
            raise QuizError(N_("No question matches these topics and difficulty."))
        for _attempt in range(20):
            code = new_code()
            try:
                contest_id = await repo.create_contest(
                    self.db, code=code, owner_id=owner_id, title=title,
                    question_ids=[q.id for q in questions], topics=topics,
                    difficulty=difficulty, seconds_per_question=seconds,
                    speed_bonus=speed_bonus, starts_at=starts_at, ends_at=ends_at,
                    locale=locale, now=self.clock.timestamp())
            except repo.CodeTaken:
                continue
            contest = await repo.get_contest(self.db, contest_id)
            assert contest is not None
            return contest
        raise QuizError(N_("Could not make a join code. Please try again."))

    async def owned(self, contest_id: int, user_id: int) -> Contest:
        """The contest, if this person created it (checked on every teacher action)."""
        contest = await repo.get_contest(self.db, contest_id)
        if contest is None or contest.owner_id != user_id:
            raise NotAllowed(N_("This contest does not exist or is not yours."))
        return contest

    async def owned_by_code(self, code: str, user_id: int) -> Contest:
        norm = normalise_code(code)
        contest = await repo.contest_by_code(self.db, norm) if norm else None
        if contest is None or contest.owner_id != user_id:
            raise NotAllowed(N_("This contest does not exist or is not yours."))
        return contest

    async def my_contests(self, user_id: int) -> list[Contest]:
        return await repo.contests_of(self.db, user_id)

    def _when(self, ts: int, t: Translator) -> str:
        return t.datetime(datetime.fromtimestamp(ts, UTC))

    async def contest_screen(self, contest: Contest, t: Translator) -> Screen:
        """The teacher's view of a contest: code, link, times, participation, actions."""
        _ = t.gettext
        participants, finished = await repo.counts(self.db, contest.id)
        phase = contest_phase(contest, self.now())
        status = {"upcoming": _("not started yet"), "open": _("open"),
                  "ended": _("ended")}[phase]
        topics = ", ".join(self.topic_label(tp, t) for tp in contest.topics) or _("all topics")
        lines = [
            f"<b>{esc(contest.title)}</b>",
            "",
            _("Join code: <code>{code}</code>").format(code=contest.code),
            _("Link: {link}").format(link=esc(self.link(contest.code))),
            _("Students can also send /join {code}.").format(code=contest.code),
            "",
            _("{n} questions · {s} seconds each · {difficulty} · {topics}").format(
                n=len(contest.question_ids), s=contest.seconds_per_question,
                difficulty=self.difficulty_label(contest.difficulty, t), topics=esc(topics)),
            _("Speed bonus: {onoff}").format(
                onoff=_("on") if contest.speed_bonus else _("off")),
            _("From {start} to {end} ({status})").format(
                start=self._when(contest.starts_at, t), end=self._when(contest.ends_at, t),
                status=status),
            _("Participants: {n} · finished: {f}").format(n=participants, f=finished),
        ]
        cid = contest.id
        rows = [
            [Button(_("🏆 Leaderboard"), data=f"quiz_teacher:lb:{cid}"),
             Button(_("📥 CSV export"), data=f"quiz_teacher:csv:{cid}")],
            [Button(_("✏️ Display names"), data=f"quiz_teacher:names:{cid}:0"),
             Button(_("🔳 QR code"), data=f"quiz_teacher:qr:{cid}")],
        ]
        if phase != "ended":
            rows.append([Button(_("⏹ End the contest now"), data=f"quiz_teacher:end:{cid}")])
        rows.append([Button(_("📋 My contests"), data="quiz_teacher:list")])
        return Screen("\n".join(lines), rows)

    def qr_screen(self, contest: Contest, t: Translator) -> Screen:
        from bot.qr import qr_png

        caption = t.gettext("Scan to join <b>{title}</b> — or send /join {code}").format(
            title=esc(contest.title), code=contest.code)
        return Screen(f"{caption}\n{esc(self.link(contest.code))}", photo=qr_png(
            self.link(contest.code)))

    async def ranking(self, contest: Contest) -> list[tuple[int, ResultRow]]:
        standings = await repo.standings(self.db, contest.id)
        return rank(ResultRow(s.display_name, s.score, round(s.seconds, 1), s.correct,
                              s.answered) for s in standings)

    def _score_text(self, contest: Contest, score: int, correct: int, t: Translator) -> str:
        n = len(contest.question_ids)
        if contest.speed_bonus:
            return t.gettext("{points} points ({correct}/{n} correct)").format(
                points=t.number(score), correct=correct, n=n)
        return t.gettext("{correct}/{n} correct").format(correct=correct, n=n)

    async def leaderboard_screen(self, contest: Contest, t: Translator, *, final: bool = False,
                                 for_teacher: bool = True) -> Screen:
        _ = t.gettext
        ranked = await self.ranking(contest)
        participants, finished = await repo.counts(self.db, contest.id)
        ended = final or contest_phase(contest, self.now()) == "ended"
        head = (_("🏁 <b>Final ranking — {title}</b>") if ended
                else _("🏆 <b>Live leaderboard — {title}</b>")).format(title=esc(contest.title))
        lines = [head, _("Participants: {n} · finished: {f}").format(n=participants, f=finished),
                 ""]
        if not ranked:
            lines.append(_("Nobody has joined yet."))
        for position, row in ranked[:LEADERBOARD_SIZE]:
            medal = MEDALS[position - 1] if position <= 3 else f"{position}."
            score = self._score_text(contest, row.score, row.correct or 0, t)
            lines.append(f"{medal} {esc(row.name)} — {score} · {t.number(row.seconds)} s")
        if len(ranked) > LEADERBOARD_SIZE:
            lines.append(_("… and {n} more (see the CSV export).").format(
                n=len(ranked) - LEADERBOARD_SIZE))
        rows: list[list[Button]] = []
        if for_teacher:
            rows.append([Button(_("🔄 Refresh"), data=f"quiz_teacher:lb:{contest.id}"),
                         Button(_("📥 CSV export"), data=f"quiz_teacher:csv:{contest.id}")])
            rows.append([Button(_("⬅️ Contest"), data=f"quiz_teacher:c:{contest.id}")])
        return Screen("\n".join(lines), rows)

    async def export(self, contest: Contest, locale: str) -> list[tuple[str, bytes]]:
        """Two CSV files: results (one row per student) and item analysis."""
        standings = await repo.standings(self.db, contest.id)
        rows = [ResultRow(s.display_name, s.score, round(s.seconds, 1), s.correct, s.answered)
                for s in standings]
        results = results_csv(rows, locale=locale, bom=True).encode("utf-8")
        answers = await repo.contest_answers(self.db, contest.id)
        responses = [
            Response(str(a["entry_id"]), a["question_id"],
                     tuple(int(i) for i in a["chosen"].split(",") if i), bool(a["correct"]))
            for a in answers
        ]
        stats = item_analysis(responses)
        answered_ids = {s.question_id for s in stats}
        # Questions nobody answered in time still belong in the analysis (0 answers).
        from bot.quiz_logic import ItemStat

        stats += [ItemStat(qid, 0, 0, {}) for qid in contest.question_ids
                  if qid not in answered_ids]
        items = ("\ufeff" + item_analysis_csv(stats, self.bank, locale=locale)).encode("utf-8")
        return [(f"contest-{contest.code}-results.csv", results),
                (f"contest-{contest.code}-questions.csv", items)]

    async def names_screen(self, contest: Contest, page: int, t: Translator) -> Screen:
        _ = t.gettext
        participants, _finished = await repo.counts(self.db, contest.id)
        page = max(page, 0)
        entries = await repo.entries_page(self.db, contest.id, page * NAMES_PAGE, NAMES_PAGE)
        text = _("<b>Display names — {title}</b>\n\nTap a name to rename or remove it.").format(
            title=esc(contest.title))
        if not entries:
            text += "\n\n" + _("Nobody has joined yet.")
        rows = [[Button(e.display_name[:40], data=f"quiz_teacher:n:{contest.id}:{e.id}")]
                for e in entries]
        nav = []
        if page > 0:
            nav.append(Button("◀", data=f"quiz_teacher:names:{contest.id}:{page - 1}"))
        if (page + 1) * NAMES_PAGE < participants:
            nav.append(Button("▶", data=f"quiz_teacher:names:{contest.id}:{page + 1}"))
        if nav:
            rows.append(nav)
        rows.append([Button(_("⬅️ Contest"), data=f"quiz_teacher:c:{contest.id}")])
        return Screen(text, rows)

    async def entry_of(self, contest: Contest, entry_id: int) -> Entry:
        entry = await repo.get_entry_by_id(self.db, entry_id)
        if entry is None or entry.contest_id != contest.id:
            raise NotAllowed(N_("This participant is no longer in the contest."))
        return entry

    async def rename(self, contest: Contest, entry_id: int, name: str) -> str:
        entry = await self.entry_of(contest, entry_id)
        clean = clean_name(name)
        if clean is None:
            raise QuizError(N_("A display name has 2–32 characters and no links."))
        await repo.set_display_name(self.db, entry.id, clean, lock=True)
        return clean

    async def remove_name(self, contest: Contest, entry_id: int, t: Translator) -> str:
        """Replace an offensive name by a neutral one the student cannot change back."""
        entry = await self.entry_of(contest, entry_id)
        neutral = t.gettext("Participant {n}").format(n=entry.id)
        await repo.set_display_name(self.db, entry.id, neutral, lock=True)
        return neutral

    async def end_now(self, contest: Contest) -> None:
        await repo.set_ends_at(self.db, contest.id, self.clock.timestamp())

    async def due_final(self) -> list[Contest]:
        return await repo.due_final(self.db, self.clock.timestamp())

    async def mark_final_sent(self, contest: Contest) -> bool:
        return await repo.mark_final_sent(self.db, contest.id, self.clock.timestamp())

    # == contests: students ======================================================================

    async def find(self, code: str) -> Contest | None:
        norm = normalise_code(code)
        return await repo.contest_by_code(self.db, norm) if norm else None

    def _guess_key(self, chat_id: int) -> bytes:
        # Keyed and rotating daily: the counter names no one, and one day's rows cannot be
        # linked to another day's (nor to the chat without the key).
        day = self.clock.now().astimezone(self.tz or UTC).date().isoformat()
        return self.keyring.pseudonym(_JOIN_LIMIT_PURPOSE, chat_id, extra_key=day.encode())

    async def lookup_code(self, chat_id: int, code: str) -> CodeLookup:
        """A join code typed in a chat, with a limit on wrong guesses: after JOIN_FAILURES_MAX
        well-formed codes that match no contest within JOIN_FAILURE_WINDOW, every code is
        refused until the oldest wrong one is an hour old (6 characters from 31 would
        otherwise be guessable by brute force). Text that is not shaped like a code is not
        counted."""
        norm = normalise_code(code)
        if norm is None:
            return CodeLookup(None)
        key = self._guess_key(chat_id)
        now = int(self.now())
        since = now - JOIN_FAILURE_WINDOW
        if await repo.count_join_failures(self.db, key, since) >= JOIN_FAILURES_MAX:
            return CodeLookup(None, limited=True)
        contest = await repo.contest_by_code(self.db, norm)
        if contest is None:
            await repo.add_join_failure(self.db, key, now, since)
        return CodeLookup(contest)

    @staticmethod
    def too_many_codes_screen(t: Translator) -> Screen:
        return Screen(t.gettext(
            "Too many wrong join codes. Please check the code with your teacher and try again "
            "in an hour."))

    async def get(self, contest_id: int) -> Contest | None:
        return await repo.get_contest(self.db, contest_id)

    async def entry(self, contest: Contest, user_id: int) -> Entry | None:
        return await repo.get_entry(self.db, contest.id, user_id)

    def ask_name_screen(self, contest: Contest, t: Translator) -> Screen:
        _ = t.gettext
        return Screen(_(
            "<b>{title}</b>\n{n} questions, {s} seconds each.\n\n"
            "Type a display name for the leaderboard (2–32 characters). A nickname is fine: "
            "do not use your full name. Nothing else is asked or kept."
        ).format(title=esc(contest.title), n=len(contest.question_ids),
                 s=contest.seconds_per_question))

    def closed_screen(self, contest: Contest, t: Translator) -> Screen:
        return Screen(t.gettext("<b>{title}</b> has ended: it no longer takes new players.")
                      .format(title=esc(contest.title)))

    async def join(self, contest: Contest, user_id: int, name: str) -> Entry:
        if contest_phase(contest, self.now()) == "ended":
            raise QuizError(N_("This contest has ended."))
        clean = clean_name(name)
        if clean is None:
            raise QuizError(N_("A display name has 2–32 characters and no links."))
        questions = [q for q in (self.bank.get(i) for i in contest.question_ids) if q]
        plan = [(s.question.id, list(s.order))
                for s in shuffle_for(f"contest:{contest.id}:{user_id}", questions)]
        await repo.create_entry(self.db, contest_id=contest.id, user_id=user_id,
                                display_name=clean, plan=plan, now=self.clock.timestamp())
        entry = await repo.get_entry(self.db, contest.id, user_id)
        assert entry is not None
        return entry

    def ready_screen(self, contest: Contest, entry: Entry, t: Translator) -> Screen:
        _ = t.gettext
        lines = [
            _("Welcome, <b>{name}</b>!").format(name=esc(entry.display_name)),
            "",
            _("<b>{title}</b>: {n} questions. You have {s} seconds for each question, counted "
              "from when it appears. You can answer each question once.").format(
                title=esc(contest.title), n=entry.total, s=contest.seconds_per_question),
        ]
        if contest.speed_bonus:
            lines.append(_("Faster correct answers earn more points."))
        if contest_phase(contest, self.now()) == "upcoming":
            lines.append("")
            lines.append(_("The contest starts at {start}. Press Start then.").format(
                start=self._when(contest.starts_at, t)))
        label = _("▶️ Continue") if entry.position > 0 else _("▶️ Start")
        return Screen("\n".join(lines), [[Button(label, data=f"quiz:go:{contest.id}")]])

    def _question_screen(self, contest: Contest, entry: Entry, position: int, shown_at: float,
                         t: Translator, note: str = "") -> Screen:
        _ = t.gettext
        qid, order = entry.plan[position]
        question = self.bank.get(qid)
        assert question is not None
        shuffled = ShuffledQuestion(question, order)
        left = max(0, round(shown_at + contest.seconds_per_question - self.now()))
        head = _("Question {n}/{total} · ⏱ {s} s").format(
            n=position + 1, total=entry.total, s=left)
        text = (f"{note}<i>{esc(contest.title)}</i> · {head}\n\n"
                f"<b>{esc(question.text_for(t.locale))}</b>\n\n"
                f"{_letters(shuffled.options(t.locale))}")
        buttons = [Button(LETTERS[i], data=f"quiz:a:{contest.id}:{position}:{i}")
                   for i in range(len(order))]
        return Screen(text, [buttons])

    async def _skip(self, contest: Contest, entry: Entry, outcome: str, now: float) -> None:
        """Close question `entry.position` without a counted answer (missed or withdrawn)."""
        qid = entry.plan[entry.position][0]
        last = entry.position + 1 >= entry.total
        await repo.record_answer(
            self.db, entry_id=entry.id, position=entry.position, question_id=qid, chosen=[],
            correct=False, points=0, elapsed=0.0, outcome=outcome, answered_at=now,
            counted=False, next_shown_at=None, finished_at=int(now) if last else None)

    async def current(self, contest: Contest, entry: Entry, t: Translator) -> Screen:
        """What the student sees now: the waiting note, the current question or their result.
        A question not delivered yet shows its full time: its clock starts only when the
        channel confirms delivery (`question_delivered`), so a question lost in a crash or a
        failed send costs the student nothing. Questions whose time ran out while the student
        was away are closed as missed."""
        _ = t.gettext
        note = ""
        while True:
            now = self.now()
            phase = contest_phase(contest, now)
            if entry.finished or phase == "ended":
                return await self.result_screen(contest, entry, t, note=note)
            if phase == "upcoming":
                return Screen(_("<b>{title}</b> starts at {start}. Come back then and press "
                                "Start.").format(title=esc(contest.title),
                                                 start=self._when(contest.starts_at, t)),
                              [[Button(_("▶️ Start"), data=f"quiz:go:{contest.id}")]])
            qid = entry.plan[entry.position][0]
            if self.bank.get(qid) is None:  # withdrawn from the bank since the contest began
                await self._skip(contest, entry, "withdrawn", now)
            elif entry.shown_at is None:
                return self._question_screen(contest, entry, entry.position, now, t,
                                             note=note + ("\n" if note else ""))
            elif now - entry.shown_at > contest.seconds_per_question + GRACE_SECONDS:
                await self._skip(contest, entry, "missed", now)
                note += _("⌛ Time ran out for question {n}.").format(n=entry.position + 1) + "\n"
            else:
                return self._question_screen(contest, entry, entry.position, entry.shown_at, t,
                                             note=note + ("\n" if note else ""))
            fresh = await repo.get_entry_by_id(self.db, entry.id)
            if fresh is None:
                raise QuizError(N_("You are no longer in this contest."))
            entry = fresh

    async def question_delivered(self, contest_id: int, user_id: int) -> bool:
        """The student's current question reached them: start its clock (once). Called by the
        channel after it sent the screen `current` returned; nothing happens when that screen
        was not a question (finished, not started, ended)."""
        contest = await repo.get_contest(self.db, contest_id)
        entry = await repo.get_entry(self.db, contest_id, user_id) if contest else None
        if contest is None or entry is None or entry.finished or entry.shown_at is not None:
            return False
        if contest_phase(contest, self.now()) != "open":
            return False
        if self.bank.get(entry.plan[entry.position][0]) is None:
            return False
        return await repo.mark_shown(self.db, entry.id, entry.position, self.now())

    async def owed_questions(self) -> list[tuple[Contest, Entry]]:
        """Students in a running contest whose next question was never delivered (the bot
        stopped between recording their answer and sending the next question): at start the
        channel sends each of them `current` again."""
        found = []
        for entry in await repo.undelivered_entries(self.db, self.now()):
            contest = await repo.get_contest(self.db, entry.contest_id)
            if contest is not None:
                found.append((contest, entry))
        return found

    async def answer(self, contest_id: int, user_id: int, position: int, displayed: int,
                     t: Translator) -> AnswerReply:
        """Judge one tap on an option button (see the module docstring for the rules)."""
        _ = t.gettext
        now = self.now()
        contest = await repo.get_contest(self.db, contest_id)
        entry = await repo.get_entry(self.db, contest_id, user_id) if contest else None
        if contest is None or entry is None:
            return AnswerReply(_("This button is no longer available."))
        if position < entry.position:
            return AnswerReply(_("You already answered this question: only your first answer "
                                 "counts."), alert=True)
        if position > entry.position or entry.finished or entry.shown_at is None:
            return AnswerReply(_("This button is no longer available."))
        qid, order = entry.plan[position]
        question = self.bank.get(qid)
        if question is None or not 0 <= displayed < len(order):
            return AnswerReply(_("This button is no longer available."))
        shuffled = ShuffledQuestion(question, order)
        timing = check_timing(entry.shown_at, now,
                              contest.seconds_per_question + GRACE_SECONDS, contest.ends_at)
        qtext = f"<b>{esc(question.text_for(t.locale))}</b>\n{_letters(shuffled.options(t.locale))}"
        head = _("Question {n}/{total}").format(n=position + 1, total=entry.total)
        if timing is Timing.CONTEST_OVER:
            over = _("⏹ The contest has ended: this answer was not counted.")
            return AnswerReply(over, alert=True, edit=Screen(f"<i>{head}</i>\n{qtext}\n\n{over}"),
                               then=[await self.result_screen(contest, entry, t)])
        if timing is not Timing.ON_TIME:
            elapsed, correct, points, counted, outcome = max(now - entry.shown_at, 0.0), False, 0, False, "late"
            verdict = _("⌛ Time was up ({s} seconds): this answer was not counted.").format(
                s=contest.seconds_per_question)
            toast = verdict
        else:
            elapsed = min(max(now - entry.shown_at, 0.0), float(contest.seconds_per_question))
            correct = shuffled.is_correct(displayed)
            points = scoring_rules(contest).points(correct, elapsed)
            counted, outcome = True, "on_time"
            if correct:
                verdict = _("✅ Right! +{points}").format(points=t.number(points))
            else:
                verdict = _("❌ Not right.")
            toast = None
        last = position + 1 >= entry.total
        ok = await repo.record_answer(
            self.db, entry_id=entry.id, position=position, question_id=qid,
            chosen=[shuffled.to_bank(displayed)] if counted else [], correct=correct,
            points=points, elapsed=round(elapsed, 3), outcome=outcome, answered_at=now,
            counted=counted, next_shown_at=None,  # its clock starts on delivery
            finished_at=int(now) if last else None)
        if not ok:
            return AnswerReply(_("You already answered this question: only your first answer "
                                 "counts."), alert=True)
        chosen = _("Your answer: {letter}").format(letter=LETTERS[displayed])
        edit = Screen(f"<i>{head}</i>\n{qtext}\n\n{chosen}\n{verdict}")
        fresh = await repo.get_entry_by_id(self.db, entry.id)
        assert fresh is not None
        return AnswerReply(toast, alert=bool(toast), edit=edit,
                           then=[await self.current(contest, fresh, t)])

    async def result_screen(self, contest: Contest, entry: Entry, t: Translator,
                            note: str = "") -> Screen:
        _ = t.gettext
        participants, _f = await repo.counts(self.db, contest.id)
        position = await repo.rank_of(self.db, contest.id, entry.score, entry.seconds)
        ended = contest_phase(contest, self.now()) == "ended"
        head = (_("🏁 You have finished <b>{title}</b>!") if entry.finished
                else _("⏹ <b>{title}</b> has ended.")).format(title=esc(contest.title))
        lines = [
            (note + "\n" if note else "") + head,
            "",
            _("{name}: {score}, answered in {s} s.").format(
                name=esc(entry.display_name),
                score=self._score_text(contest, entry.score, entry.correct, t),
                s=t.number(round(entry.seconds, 1))),
            (_("Final rank: {rank} of {n}.") if ended
             else _("Rank so far: {rank} of {n}.")).format(rank=position, n=participants),
        ]
        rows = [[Button(_("🏆 Leaderboard"), data=f"quiz:top:{contest.id}")]]
        if self.certificate_eligible(entry):
            lines.append("")
            lines.append(_("🎓 You answered at least 80% correctly: you can get a certificate."))
            rows.insert(0, [Button(_("🎓 Get my certificate"), data=f"quiz:cert:{contest.id}")])
        return Screen("\n".join(lines), rows)

    @staticmethod
    def certificate_eligible(entry: Entry) -> bool:
        return entry.total > 0 and entry.correct >= CERTIFICATE_SHARE * entry.total

    async def certificate(self, contest_id: int, user_id: int, t: Translator) -> Screen:
        """The certificate PNG as a document, for a finished (or closed) ≥ 80% entry."""
        contest = await repo.get_contest(self.db, contest_id)
        entry = await repo.get_entry(self.db, contest_id, user_id) if contest else None
        if contest is None or entry is None:
            raise QuizError(N_("This button is no longer available."))
        if not (entry.finished or contest_phase(contest, self.now()) == "ended"):
            raise QuizError(N_("Finish the contest first."))
        if not self.certificate_eligible(entry):
            raise QuizError(N_("A certificate needs at least 80% correct answers."))
        from bot.certificate import render_certificate

        score = t.gettext("{correct}/{n} correct").format(correct=entry.correct, n=entry.total)
        when = entry.finished_at or min(contest.ends_at, self.clock.timestamp())
        date_text = t.date(datetime.fromtimestamp(when, UTC), "long")
        png = await asyncio.to_thread(render_certificate, entry.display_name, contest.title,
                                      score, date_text, t.locale)
        caption = t.gettext("🎓 Well done, {name}! Your certificate for <b>{title}</b>.").format(
            name=esc(entry.display_name), title=esc(contest.title))
        return Screen(caption, document=(f"certificate-{contest.code}.png", png))

    async def public_top(self, contest: Contest, t: Translator) -> Screen:
        """The top of the leaderboard, as students may see it (display names only)."""
        return await self.leaderboard_screen(contest, t, for_teacher=False)

    # == group rounds ============================================================================

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

    async def skip_to(self, rnd: Round, position: int) -> None:
        """Move a round's pointer (used when a poll cannot be sent)."""
        await self.db.execute("UPDATE quiz_group_rounds SET position = ? WHERE id = ?",
                              (position, rnd.id))

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


def dump_session(session: PracticeSession, topic: str) -> dict[str, Any]:
    return {"quiz_practice": json.loads(session.to_json()), "quiz_topic": topic}


def load_session(data: dict[str, Any]) -> tuple[PracticeSession, str] | None:
    raw = data.get("quiz_practice")
    if not raw:
        return None
    try:
        return PracticeSession.from_json(json.dumps(raw)), str(data.get("quiz_topic") or "mix")
    except PracticeError:
        return None


__all__ = [
    "CODE_ALPHABET",
    "DIFFICULTIES",
    "AnswerReply",
    "NotAllowed",
    "PollSpec",
    "QuizError",
    "QuizService",
    "clean_name",
    "normalise_code",
    "parse_when",
]
