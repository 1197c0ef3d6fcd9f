"""Pure quiz rules: picking, shuffling, timing, scoring, practice sessions, analysis, CSV."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.quiz_logic import (
    AnswerRecord,
    Phase,
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
    score_answer,
    shuffle_for,
)
from content.quiz_bank import TOPICS, Question, QuestionBank, Source, load_bank


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


def make_question(qid: str, n_options: int = 4, correct: tuple[int, ...] = (0,),
                  topic: str = "law") -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty="easy",
        audience=("adults",),
        text={"vi": f"Câu {qid}?", "en": f"Question {qid}?"},
        options={
            "vi": tuple(f"Ý {i}" for i in range(n_options)),
            "en": tuple(f"Option {i}" for i in range(n_options)),
        },
        correct=correct,
        explanation={"vi": "Vì vậy.", "en": "Because."},
        source=Source(title="T", publisher="P", date="2024"),
    )


# ---------------------------------------------------------------------------------------------
# Picking


def test_pick_spreads_over_topics(bank: QuestionBank) -> None:
    chosen = pick(bank, len(TOPICS), rng=random.Random(1))
    assert len({q.topic for q in chosen}) == len(TOPICS)
    assert len({q.id for q in chosen}) == len(chosen)


def test_pick_filters(bank: QuestionBank) -> None:
    chosen = pick(bank, 10, topics=["law", "laughing-gas"], difficulty="easy",
                  audience="lower-secondary", rng=random.Random(2))
    assert chosen
    for q in chosen:
        assert q.topic in {"law", "laughing-gas"}
        assert q.difficulty == "easy"
        assert "lower-secondary" in q.audience


def test_pick_returns_what_there_is_and_honours_exclude(bank: QuestionBank) -> None:
    law = bank.filter(topics=["law"])
    assert len(pick(bank, 1000, topics=["law"])) == len(law)
    seen = {q.id for q in law[:5]}
    again = pick(bank, 1000, topics=["law"], exclude=seen)
    assert not seen & {q.id for q in again}
    assert pick(bank, 0) == []


def test_pick_is_deterministic_for_a_seeded_rng(bank: QuestionBank) -> None:
    a = [q.id for q in pick(bank, 12, rng=random.Random("class-10A"))]
    b = [q.id for q in pick(bank, 12, rng=random.Random("class-10A"))]
    assert a == b


# ---------------------------------------------------------------------------------------------
# Shuffling


@settings(max_examples=200, deadline=None)
@given(
    seed=st.one_of(st.integers(), st.text(max_size=20)),
    n_options=st.integers(min_value=2, max_value=6),
    data=st.data(),
)
def test_shuffle_maps_displayed_options_back_to_the_bank(
    seed: int | str, n_options: int, data: st.DataObject
) -> None:
    correct = tuple(sorted(data.draw(st.sets(st.integers(0, n_options - 1), min_size=1,
                                             max_size=n_options - 1))))
    questions = [make_question(f"q{i}", n_options, correct) for i in range(5)]
    shuffled = shuffle_for(seed, questions)
    # Same questions, each once.
    assert sorted(s.question.id for s in shuffled) == sorted(q.id for q in questions)
    for s in shuffled:
        assert sorted(s.order) == list(range(n_options))
        shown = s.options("en")
        for displayed, text in enumerate(shown):
            assert text == s.question.options["en"][s.to_bank(displayed)]
            assert s.to_display(s.to_bank(displayed)) == displayed
        # Choosing exactly the displayed correct options is right; anything else is wrong.
        assert s.is_correct(s.correct_displayed)
        assert list(s.correct_displayed) == sorted(s.correct_displayed)
        assert {shown[i] for i in s.correct_displayed} == {
            s.question.options["en"][i] for i in correct
        }
        wrong = next(i for i in range(n_options) if i not in s.correct_displayed)
        assert not s.is_correct(wrong)
        assert not s.is_correct(n_options)  # out of range never counts
    # Deterministic: the same seed gives the same orders.
    again = shuffle_for(seed, questions)
    assert [(s.question.id, s.order) for s in again] == [(s.question.id, s.order) for s in shuffled]


def test_different_students_see_different_orders(bank: QuestionBank) -> None:
    questions = list(bank)[:20]
    a = shuffle_for("contest-1:alice", questions)
    b = shuffle_for("contest-1:bob", questions)
    assert [s.question.id for s in a] != [s.question.id for s in b]
    assert [s.order for s in a] != [s.order for s in b]


def test_shuffle_can_be_turned_off() -> None:
    questions = [make_question(f"q{i}") for i in range(4)]
    plain = shuffle_for(7, questions, shuffle_questions=False, shuffle_options=False)
    assert [s.question.id for s in plain] == ["q0", "q1", "q2", "q3"]
    assert all(s.order == (0, 1, 2, 3) for s in plain)


def test_option_order_does_not_depend_on_the_other_questions() -> None:
    q = make_question("stable")
    for others in ([], [make_question("x")], [make_question("y"), make_question("z")]):
        (found,) = [s for s in shuffle_for("s", [*others, q]) if s.question.id == "stable"]
        assert found.order == option_order("s", q)


# ---------------------------------------------------------------------------------------------
# Timing and scoring


def test_scoring_with_speed_bonus() -> None:
    rules = ScoringRules(seconds_per_question=20)
    assert rules.points(True, 0) == 1500
    assert rules.points(True, 10) == 1250
    assert rules.points(True, 20) == 1000
    assert rules.points(True, 25) == 1000
    assert rules.points(False, 1) == 0
    assert rules.max_points == 1500


def test_scoring_without_speed_bonus() -> None:
    rules = ScoringRules(speed_bonus=False, seconds_per_question=20)
    assert rules.points(True, 0) == rules.points(True, 19) == 1000
    assert rules.points(False, 0) == 0
    assert rules.max_points == 1000


def test_rules_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        ScoringRules(seconds_per_question=0)
    with pytest.raises(ValueError):
        ScoringRules(base_points=-1)


def test_timing_checks() -> None:
    assert check_timing(100, 110, 30) is Timing.ON_TIME
    assert check_timing(100, 130, 30) is Timing.ON_TIME  # the limit itself still counts
    assert check_timing(100, 130.01, 30) is Timing.LATE
    assert check_timing(100, 99, 30) is Timing.NOT_SHOWN
    assert check_timing(100, 110, 30, contest_ends_at=105) is Timing.CONTEST_OVER
    assert check_timing(100, 105, 30, contest_ends_at=105) is Timing.ON_TIME


def test_late_answers_are_rejected_even_when_right() -> None:
    s = ShuffledQuestion(make_question("q", correct=(2,)), (3, 2, 1, 0))
    rules = ScoringRules(seconds_per_question=15)
    on_time = score_answer(s, 1, shown_at=1000, answered_at=1003, rules=rules)
    assert on_time.accepted and on_time.correct
    assert on_time.points == 1000 + round(500 * 12 / 15)
    late = score_answer(s, 1, shown_at=1000, answered_at=1016, rules=rules)
    assert not late.accepted and late.timing is Timing.LATE
    assert late.points == 0 and not late.correct
    over = score_answer(s, 1, 1000, 1005, rules, contest_ends_at=1004)
    assert over.timing is Timing.CONTEST_OVER and over.points == 0
    wrong = score_answer(s, 0, 1000, 1001, rules)
    assert wrong.accepted and not wrong.correct and wrong.points == 0


# ---------------------------------------------------------------------------------------------
# Practice sessions


def play(session: PracticeSession, bank: QuestionBank, right: bool, now: float) -> None:
    view = session.next_question(bank, now)
    assert view is not None
    choice = view.correct_displayed[0] if right else next(
        i for i in range(len(view.options)) if i not in view.correct_displayed
    )
    feedback = session.answer(bank, choice, now + 4, question_id=view.question_id)
    assert feedback.correct is right
    assert feedback.explanation == view.explanation
    correct_texts = [view.options[i] for i in view.correct_displayed]
    assert sorted(feedback.correct_texts) == sorted(correct_texts)


def test_practice_round_trip_through_json(bank: QuestionBank) -> None:
    session = PracticeSession.start(bank, 5, seed="user-42:1", locale="en",
                                    topics=["laughing-gas", "law"])
    assert session.total == 5 and session.phase is Phase.READY
    play(session, bank, True, now=1000)
    play(session, bank, False, now=1010)
    view = session.next_question(bank, 1020)  # the third question is on screen…
    assert view is not None and session.phase is Phase.ASKING

    restored = PracticeSession.from_json(session.to_json())  # …when the bot restarts
    assert restored == session
    again = restored.next_question(bank, 1500)  # shown again, same options, same timer
    assert again == view
    assert restored.shown_at == 1020
    feedback = restored.answer(bank, view.correct_displayed, 1025)
    assert feedback.correct and not feedback.finished
    play(restored, bank, True, now=1030)
    play(restored, bank, True, now=1040)
    assert restored.finished and restored.next_question(bank, 1050) is None
    summary = restored.summary(bank)
    assert (summary.total, summary.answered, summary.correct) == (5, 5, 4)
    assert summary.score == 4000 and summary.max_score == 5000  # practice: no speed bonus
    assert len(summary.missed) == 1
    assert sum(n for _, n in summary.by_topic.values()) == 5
    assert set(summary.by_topic) <= {"laughing-gas", "law"}
    assert summary.share_correct == pytest.approx(0.8)
    json.loads(restored.to_json())  # plain JSON


def test_practice_state_machine_refuses_out_of_order_answers(bank: QuestionBank) -> None:
    session = PracticeSession.start(bank, 2, seed=3)
    with pytest.raises(PracticeError):
        session.answer(bank, 0, 1)  # nothing shown yet
    view = session.next_question(bank, 10)
    assert view is not None
    with pytest.raises(PracticeError):
        session.answer(bank, 0, 11, question_id="some-other-question")
    with pytest.raises(PracticeError):
        session.answer(bank, 99, 11)
    session.answer(bank, 0, 12)
    with pytest.raises(PracticeError):
        session.answer(bank, 0, 13)  # already answered


def test_practice_with_speed_bonus(bank: QuestionBank) -> None:
    session = PracticeSession.start(bank, 1, seed=5, rules=ScoringRules(seconds_per_question=10))
    view = session.next_question(bank, 100)
    assert view is not None
    feedback = session.answer(bank, view.correct_displayed, 105)
    assert feedback.points == 1250 and feedback.finished


def test_practice_skips_questions_removed_from_the_bank(bank: QuestionBank) -> None:
    session = PracticeSession.start(bank, 3, seed=9)
    removed = session.question_ids[0]
    smaller = QuestionBank(tuple(q for q in bank if q.id != removed))
    view = session.next_question(smaller, 1)
    assert view is not None and view.question_id != removed
    assert session.total == 2


def test_practice_start_with_no_match_fails(bank: QuestionBank) -> None:
    with pytest.raises(PracticeError):
        PracticeSession.start(bank, 3, seed=1, topics=["no-such-topic"])


@pytest.mark.parametrize("text", ["", "{}", '{"version": 99}', "[1]",
                                  '{"version": 1, "seed": "s"}'])
def test_corrupt_practice_state_is_refused(text: str) -> None:
    with pytest.raises(PracticeError):
        PracticeSession.from_json(text)


# ---------------------------------------------------------------------------------------------
# Item analysis and CSV


def test_item_analysis_share_correct_hardest_first() -> None:
    responses = [
        Response("a", "easy-q", (0,), True),
        Response("b", "easy-q", (0,), True),
        Response("c", "easy-q", (1,), False),
        Response("a", "hard-q", (2,), False),
        Response("b", "hard-q", (2,), False),
        Response("c", "hard-q", (0,), True),
    ]
    stats = item_analysis(responses)
    assert [s.question_id for s in stats] == ["hard-q", "easy-q"]
    assert stats[0].share_correct == pytest.approx(1 / 3)
    assert stats[1].share_correct == pytest.approx(2 / 3)
    assert stats[0].choices == {0: 1, 2: 2}
    assert item_analysis([]) == []


def test_item_analysis_accepts_practice_records(bank: QuestionBank) -> None:
    records = [AnswerRecord("q1", [1], True, 1000, 2.0), AnswerRecord("q1", [0], False, 0, 3.0)]
    (stat,) = item_analysis(records)
    assert (stat.answered, stat.correct) == (2, 1)
    q = next(iter(bank))
    text = item_analysis_csv(item_analysis([Response("x", q.id, (0,), True)]), bank, "vi")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Mã câu" and rows[1][:5] == [q.id, q.topic, "1", "1", "1.00"]


def test_results_csv_ranks_and_escapes() -> None:
    rows = [
        ResultRow("Nguyễn Văn An", 4200, 61.25, correct=4, answered=5),
        ResultRow("=HYPERLINK(\"http://x\")", 5000, 70.0, correct=5, answered=5),
        ResultRow("Trần Thị Bình", 4200, 55.0, correct=4, answered=5),
        ResultRow("Lê, \"Cường\"", 4200, 55.0),
    ]
    text = results_csv(rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["Hạng", "Tên", "Điểm", "Thời gian (giây)", "Số câu đúng",
                         "Số câu đã trả lời"]
    assert parsed[1] == ["1", "'=HYPERLINK(\"http://x\")", "5000", "70.0", "5", "5"]
    # Equal score and time share a rank; the next rank skips.
    assert [r[0] for r in parsed[1:]] == ["1", "2", "2", "4"]
    assert {parsed[2][1], parsed[3][1]} == {"Trần Thị Bình", "Lê, \"Cường\""}
    assert parsed[4][1:] == ["Nguyễn Văn An", "4200", "61.2", "4", "5"]
    assert parsed[3][4:] == ["", ""] or parsed[2][4:] == ["", ""]
    english = results_csv(rows[:1], locale="en", bom=True)
    assert english.startswith("\ufeffRank,Name,Score")
    assert [r for _, r in rank([])] == []
