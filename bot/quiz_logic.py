"""Pure quiz rules: picking questions, per-student shuffling, timing, scoring, practice sessions,
item analysis and CSV export.

No I/O, no ``telegram``: every function takes plain values (timestamps are Unix seconds as
floats, passed in by the caller's clock) and returns plain values, so the same rules serve
Telegram quiz polls, Zalo buttons and the tests.
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from bot.csv_cells import SafeWriter
from content.quiz_bank import DEFAULT_LANGUAGE, TOPICS, Question, QuestionBank

Seed = int | str

# ---------------------------------------------------------------------------------------------
# Picking


def pick(
    bank: QuestionBank | Iterable[Question],
    n: int,
    topics: Iterable[str] | None = None,
    difficulty: str | Iterable[str] | None = None,
    audience: str | None = None,
    rng: random.Random | None = None,
    exclude: Collection[str] = (),
) -> list[Question]:
    """Up to ``n`` distinct questions matching the filters, spread evenly over their topics.

    Topics take turns (in a random order) so a 10-question round over 11 topics does not draw
    four laughing-gas questions; within a topic the draw is random. Fewer than ``n`` come back
    when fewer match. ``exclude`` holds question ids already seen.
    """
    if n <= 0:
        return []
    rng = rng or random.Random()
    bank = bank if isinstance(bank, QuestionBank) else QuestionBank(tuple(bank))
    pool = [q for q in bank.filter(topics, difficulty, audience) if q.id not in exclude]
    by_topic: dict[str, list[Question]] = defaultdict(list)
    for question in pool:
        by_topic[question.topic].append(question)
    order = [t for t in TOPICS if t in by_topic]
    rng.shuffle(order)
    for topic in order:
        rng.shuffle(by_topic[topic])
    chosen: list[Question] = []
    while len(chosen) < n and any(by_topic[t] for t in order):
        for topic in order:
            if by_topic[topic] and len(chosen) < n:
                chosen.append(by_topic[topic].pop())
    rng.shuffle(chosen)
    return chosen


# ---------------------------------------------------------------------------------------------
# Per-student shuffling


@dataclass(frozen=True)
class ShuffledQuestion:
    """A question as one student sees it: ``order[displayed index] == bank index``."""

    question: Question
    order: tuple[int, ...]

    def options(self, locale: str = DEFAULT_LANGUAGE) -> list[str]:
        texts = self.question.options_for(locale)
        return [texts[i] for i in self.order]

    def to_bank(self, displayed: int) -> int:
        return self.order[displayed]

    def to_display(self, bank_index: int) -> int:
        return self.order.index(bank_index)

    @property
    def correct_displayed(self) -> tuple[int, ...]:
        """Displayed indexes of the correct options, increasing (as ``sendPoll`` wants them)."""
        return tuple(sorted(self.to_display(i) for i in self.question.correct))

    def is_correct(self, displayed: int | Iterable[int]) -> bool:
        chosen = {displayed} if isinstance(displayed, int) else set(displayed)
        if not all(0 <= i < len(self.order) for i in chosen):
            return False
        return {self.to_bank(i) for i in chosen} == set(self.question.correct)


def _rng(seed: Seed, *salt: object) -> random.Random:
    # A str seed goes through SHA-512 in random.seed (version 2): stable across runs and
    # processes, unlike hash().
    return random.Random(":".join(str(part) for part in (seed, *salt)))


def option_order(seed: Seed, question: Question, shuffle_options: bool = True) -> tuple[int, ...]:
    """The option order of one question for one seed (independent of the other questions)."""
    order = list(range(question.option_count))
    if shuffle_options:
        _rng(seed, "options", question.id).shuffle(order)
    return tuple(order)


def shuffle_for(
    seed: Seed,
    questions: Sequence[Question],
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> list[ShuffledQuestion]:
    """The questions in a seed-determined order, each with a seed-determined option order.

    The same seed (e.g. ``f"{contest_id}:{user_key}"``) always gives the same result, so a
    restarted bot shows a student exactly what it showed before.
    """
    ordered = list(questions)
    if shuffle_questions:
        _rng(seed, "questions").shuffle(ordered)
    return [ShuffledQuestion(q, option_order(seed, q, shuffle_options)) for q in ordered]


# ---------------------------------------------------------------------------------------------
# Timing and scoring


@dataclass(frozen=True)
class ScoringRules:
    """Points: ``base_points`` per correct answer, plus up to ``max_speed_bonus`` falling
    linearly to 0 over ``seconds_per_question`` when ``speed_bonus`` is on."""

    base_points: int = 1000
    max_speed_bonus: int = 500
    speed_bonus: bool = True
    seconds_per_question: float = 30.0

    def __post_init__(self) -> None:
        if self.seconds_per_question <= 0:
            raise ValueError("seconds_per_question must be positive")
        if self.base_points < 0 or self.max_speed_bonus < 0:
            raise ValueError("points must not be negative")

    @property
    def max_points(self) -> int:
        return self.base_points + (self.max_speed_bonus if self.speed_bonus else 0)

    def points(self, correct: bool, elapsed: float) -> int:
        if not correct:
            return 0
        if not self.speed_bonus:
            return self.base_points
        remaining = min(max(self.seconds_per_question - elapsed, 0.0), self.seconds_per_question)
        return self.base_points + round(self.max_speed_bonus * remaining
                                        / self.seconds_per_question)


class Timing(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    """After ``seconds_per_question`` since the question was shown."""
    CONTEST_OVER = "contest_over"
    NOT_SHOWN = "not_shown"
    """Before the question was shown (a clock skew or a forged answer)."""


def check_timing(
    shown_at: float,
    answered_at: float,
    seconds_per_question: float,
    contest_ends_at: float | None = None,
) -> Timing:
    """Whether an answer counts: within ``seconds_per_question`` of the question being shown
    (inclusive) and not after the contest's end."""
    if contest_ends_at is not None and answered_at > contest_ends_at:
        return Timing.CONTEST_OVER
    if answered_at < shown_at:
        return Timing.NOT_SHOWN
    if answered_at - shown_at > seconds_per_question:
        return Timing.LATE
    return Timing.ON_TIME


@dataclass(frozen=True)
class AnswerResult:
    timing: Timing
    correct: bool
    points: int
    elapsed: float

    @property
    def accepted(self) -> bool:
        return self.timing is Timing.ON_TIME


def score_answer(
    shuffled: ShuffledQuestion,
    chosen_displayed: int | Iterable[int],
    shown_at: float,
    answered_at: float,
    rules: ScoringRules,
    contest_ends_at: float | None = None,
) -> AnswerResult:
    """Judge one contest answer. A rejected (late) answer scores 0 whatever it chose."""
    timing = check_timing(shown_at, answered_at, rules.seconds_per_question, contest_ends_at)
    elapsed = max(answered_at - shown_at, 0.0)
    correct = shuffled.is_correct(chosen_displayed)
    points = rules.points(correct, elapsed) if timing is Timing.ON_TIME else 0
    return AnswerResult(timing=timing, correct=correct and timing is Timing.ON_TIME,
                        points=points, elapsed=elapsed)


# ---------------------------------------------------------------------------------------------
# Practice session: a state machine kept as plain JSON


class PracticeError(Exception):
    pass


class Phase(StrEnum):
    READY = "ready"
    """The next question has not been shown yet."""
    ASKING = "asking"
    """A question is shown and waits for its answer."""
    FINISHED = "finished"


@dataclass(frozen=True)
class QuestionView:
    """What a channel needs to show one question (a quiz poll or a message with buttons)."""

    number: int
    total: int
    question_id: str
    text: str
    options: list[str]
    correct_displayed: tuple[int, ...]
    explanation: str
    topic: str
    difficulty: str


@dataclass(frozen=True)
class Feedback:
    question_id: str
    correct: bool
    chosen_texts: list[str]
    correct_texts: list[str]
    explanation: str
    points: int
    score: int
    finished: bool


@dataclass(frozen=True)
class Summary:
    total: int
    answered: int
    correct: int
    score: int
    max_score: int
    by_topic: dict[str, tuple[int, int]]
    """topic → (correct, answered)."""
    missed: list[str]
    """Ids of the questions answered wrongly, in the order they were asked."""

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass
class AnswerRecord:
    question_id: str
    chosen: list[int]
    """Bank indexes of the chosen options (not displayed ones), so analysis can pool students."""
    correct: bool
    points: int
    elapsed: float


@dataclass
class PracticeSession:
    """One student's practice round. Serialise with :meth:`to_json` after every step.

    Flow: :meth:`next_question` (READY → ASKING) → :meth:`answer` (ASKING → READY, or FINISHED
    after the last question) → … → :meth:`summary`. Practice accepts late answers; with
    ``rules.speed_bonus`` they just earn no bonus.
    """

    VERSION = 1

    seed: str
    locale: str
    question_ids: list[str]
    option_orders: list[list[int]]
    rules: ScoringRules = field(default_factory=lambda: ScoringRules(speed_bonus=False))
    position: int = 0
    phase: Phase = Phase.READY
    shown_at: float | None = None
    answers: list[AnswerRecord] = field(default_factory=list)

    # -- creation -----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        bank: QuestionBank,
        n: int,
        seed: Seed,
        locale: str = DEFAULT_LANGUAGE,
        topics: Iterable[str] | None = None,
        difficulty: str | Iterable[str] | None = None,
        audience: str | None = None,
        rules: ScoringRules | None = None,
        exclude: Collection[str] = (),
    ) -> PracticeSession:
        questions = pick(bank, n, topics, difficulty, audience, _rng(seed, "pick"), exclude)
        if not questions:
            raise PracticeError("no question matches these filters")
        shuffled = shuffle_for(seed, questions)
        return cls(
            seed=str(seed),
            locale=locale,
            question_ids=[s.question.id for s in shuffled],
            option_orders=[list(s.order) for s in shuffled],
            rules=rules or ScoringRules(speed_bonus=False),
        )

    # -- state --------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self.question_ids)

    @property
    def score(self) -> int:
        return sum(a.points for a in self.answers)

    @property
    def finished(self) -> bool:
        return self.phase is Phase.FINISHED

    def _current(self, bank: QuestionBank) -> ShuffledQuestion | None:
        """The question at ``position``, skipping ids the bank no longer has."""
        while self.position < self.total:
            question = bank.get(self.question_ids[self.position])
            if question is not None:
                order = tuple(self.option_orders[self.position])
                if sorted(order) != list(range(question.option_count)):
                    # The bank changed the question's options since the round started.
                    order = option_order(self.seed, question)
                    self.option_orders[self.position] = list(order)
                return ShuffledQuestion(question, order)
            del self.question_ids[self.position]
            del self.option_orders[self.position]
        self.phase = Phase.FINISHED
        self.shown_at = None
        return None

    def next_question(self, bank: QuestionBank, now: float) -> QuestionView | None:
        """Show the current question (again, after a restart) or ``None`` when finished."""
        if self.phase is Phase.FINISHED:
            return None
        current = self._current(bank)
        if current is None:
            return None
        if self.phase is Phase.READY:
            self.phase = Phase.ASKING
            self.shown_at = now
        question = current.question
        return QuestionView(
            number=self.position + 1,
            total=self.total,
            question_id=question.id,
            text=question.text_for(self.locale),
            options=current.options(self.locale),
            correct_displayed=current.correct_displayed,
            explanation=question.explanation_for(self.locale),
            topic=question.topic,
            difficulty=question.difficulty,
        )

    def answer(self, bank: QuestionBank, displayed: int | Iterable[int], now: float,
               question_id: str | None = None) -> Feedback:
        """Answer the question being asked. ``question_id`` (when given) must be that question:
        a tap on an old message's button is refused rather than scored against another one."""
        if self.phase is not Phase.ASKING:
            raise PracticeError(f"no question is waiting for an answer (phase {self.phase})")
        current = self._current(bank)
        if current is None:
            raise PracticeError("the round has no question left")
        if question_id is not None and question_id != current.question.id:
            raise PracticeError("this answer is for another question")
        chosen = sorted({displayed} if isinstance(displayed, int) else set(displayed))
        if not chosen or not all(0 <= i < len(current.order) for i in chosen):
            raise PracticeError("no such option")
        elapsed = max(now - (self.shown_at if self.shown_at is not None else now), 0.0)
        correct = current.is_correct(chosen)
        points = self.rules.points(correct, elapsed)
        self.answers.append(AnswerRecord(
            question_id=current.question.id,
            chosen=sorted(current.to_bank(i) for i in chosen),
            correct=correct,
            points=points,
            elapsed=round(elapsed, 3),
        ))
        self.position += 1
        self.shown_at = None
        self.phase = Phase.FINISHED if self.position >= self.total else Phase.READY
        texts = current.question.options_for(self.locale)
        return Feedback(
            question_id=current.question.id,
            correct=correct,
            chosen_texts=[texts[current.to_bank(i)] for i in chosen],
            correct_texts=[texts[i] for i in current.question.correct],
            explanation=current.question.explanation_for(self.locale),
            points=points,
            score=self.score,
            finished=self.phase is Phase.FINISHED,
        )

    def summary(self, bank: QuestionBank) -> Summary:
        by_topic: dict[str, list[int]] = {}
        for record in self.answers:
            question = bank.get(record.question_id)
            topic = question.topic if question is not None else "?"
            counts = by_topic.setdefault(topic, [0, 0])
            counts[0] += record.correct
            counts[1] += 1
        return Summary(
            total=self.total,
            answered=len(self.answers),
            correct=sum(a.correct for a in self.answers),
            score=self.score,
            max_score=self.total * self.rules.max_points,
            by_topic={t: (c[0], c[1]) for t, c in by_topic.items()},
            missed=[a.question_id for a in self.answers if not a.correct],
        )

    # -- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "version": self.VERSION,
            "seed": self.seed,
            "locale": self.locale,
            "question_ids": self.question_ids,
            "option_orders": self.option_orders,
            "rules": asdict(self.rules),
            "position": self.position,
            "phase": self.phase.value,
            "shown_at": self.shown_at,
            "answers": [asdict(a) for a in self.answers],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PracticeSession:
        try:
            data = json.loads(text)
            if data.get("version") != cls.VERSION:
                raise PracticeError(f"unsupported practice state version {data.get('version')!r}")
            session = cls(
                seed=str(data["seed"]),
                locale=str(data["locale"]),
                question_ids=[str(i) for i in data["question_ids"]],
                option_orders=[[int(i) for i in order] for order in data["option_orders"]],
                rules=ScoringRules(**data["rules"]),
                position=int(data["position"]),
                phase=Phase(data["phase"]),
                shown_at=None if data["shown_at"] is None else float(data["shown_at"]),
                answers=[AnswerRecord(**a) for a in data["answers"]],
            )
        except PracticeError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PracticeError(f"corrupt practice state: {exc}") from exc
        if len(session.question_ids) != len(session.option_orders) or not (
            0 <= session.position <= session.total
        ):
            raise PracticeError("corrupt practice state: inconsistent positions")
        return session


# ---------------------------------------------------------------------------------------------
# Item analysis and results export


@dataclass(frozen=True)
class Response:
    """One participant's answer to one question, options as bank indexes."""

    participant: str
    question_id: str
    chosen: tuple[int, ...]
    correct: bool


@dataclass(frozen=True)
class ItemStat:
    question_id: str
    answered: int
    correct: int
    choices: dict[int, int]
    """Bank option index → how many chose it (a distractor nobody picks is a weak one)."""

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def item_analysis(responses: Iterable[Response | AnswerRecord]) -> list[ItemStat]:
    """Share correct per question, hardest first (ties by question id)."""
    answered: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    choices: dict[str, Counter[int]] = defaultdict(Counter)
    for response in responses:
        answered[response.question_id] += 1
        correct[response.question_id] += bool(response.correct)
        choices[response.question_id].update(response.chosen)
    stats = [
        ItemStat(qid, answered[qid], correct[qid], dict(sorted(choices[qid].items())))
        for qid in answered
    ]
    return sorted(stats, key=lambda s: (s.share_correct, s.question_id))


@dataclass(frozen=True)
class ResultRow:
    name: str
    score: int
    seconds: float
    """Total answering time, the tie-breaker: faster ranks higher."""
    correct: int | None = None
    answered: int | None = None


def rank(rows: Iterable[ResultRow]) -> list[tuple[int, ResultRow]]:
    """Rows by score (high first) then time (fast first); equal score and time share a rank."""
    ordered = sorted(rows, key=lambda r: (-r.score, r.seconds, r.name.casefold()))
    ranked: list[tuple[int, ResultRow]] = []
    for index, row in enumerate(ordered):
        if ranked and (ranked[-1][1].score, ranked[-1][1].seconds) == (row.score, row.seconds):
            ranked.append((ranked[-1][0], row))
        else:
            ranked.append((index + 1, row))
    return ranked


_CSV_HEADERS = {
    "vi": ("Hạng", "Tên", "Điểm", "Thời gian (giây)", "Số câu đúng", "Số câu đã trả lời"),
    "en": ("Rank", "Name", "Score", "Time (seconds)", "Correct", "Answered"),
}


def results_csv(rows: Iterable[ResultRow], locale: str = DEFAULT_LANGUAGE,
                bom: bool = False) -> str:
    """Ranked results as CSV text; ``bom=True`` adds the byte-order mark Excel needs to read
    Vietnamese as UTF-8."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(_CSV_HEADERS.get(locale, _CSV_HEADERS["en"]))
    for position, row in rank(rows):
        writer.writerow([
            position,
            row.name,
            row.score,
            f"{row.seconds:.1f}",
            "" if row.correct is None else row.correct,
            "" if row.answered is None else row.answered,
        ])
    return ("\ufeff" if bom else "") + out.getvalue()


def item_analysis_csv(stats: Iterable[ItemStat], bank: QuestionBank | None = None,
                      locale: str = DEFAULT_LANGUAGE) -> str:
    """Item analysis as CSV: id, topic, answered, correct, share correct, question text."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    if locale == "vi":
        writer.writerow(("Mã câu", "Chủ đề", "Số lượt trả lời", "Số lượt đúng", "Tỉ lệ đúng",
                         "Câu hỏi"))
    else:
        writer.writerow(("Question id", "Topic", "Answered", "Correct", "Share correct",
                         "Question"))
    for stat in stats:
        question = bank.get(stat.question_id) if bank is not None else None
        writer.writerow([
            stat.question_id,
            question.topic if question else "",
            stat.answered,
            stat.correct,
            f"{stat.share_correct:.2f}",
            question.text_for(locale) if question else "",
        ])
    return out.getvalue()
