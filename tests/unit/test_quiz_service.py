"""Quiz service rules against a real database and a frozen clock (no Telegram)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.i18n import translator
from bot.quiz import (
    LETTERS,
    QuizError,
    QuizService,
    clean_name,
    new_code,
    normalise_code,
    parse_when,
)
from bot.quiz_logic import ShuffledQuestion
from content.quiz_bank import QuestionBank, load_bank
from storage import quiz as repo
from storage.db import Database

EN = translator("en")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 6, 26, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


@pytest.fixture
async def svc(tmp_path: Path, bank: QuestionBank) -> AsyncIterator[QuizService]:
    async with Database(tmp_path / "q.db") as db:
        yield QuizService(db, FrozenClock(START), bank, TZ)


def clock(svc: QuizService) -> FrozenClock:
    assert isinstance(svc.clock, FrozenClock)
    return svc.clock


async def make(svc: QuizService, *, count: int = 5, seconds: int = 20, bonus: bool = False,
               minutes: int = 60, owner: int = 1) -> repo.Contest:
    now = svc.clock.timestamp()
    return await svc.create_contest(owner, title="Lớp 9A", count=count, topics=[],
                                    difficulty="", seconds=seconds, speed_bonus=bonus,
                                    starts_at=now, ends_at=now + minutes * 60, locale="en")


async def letter(svc: QuizService, contest: repo.Contest, user_id: int,
                 correct: bool = True) -> int:
    entry = await svc.entry(contest, user_id)
    assert entry is not None
    qid, order = entry.plan[entry.position]
    question = svc.bank.get(qid)
    assert question is not None
    right = ShuffledQuestion(question, order).correct_displayed[0]
    return right if correct else (right + 1) % len(order)


async def start(svc: QuizService, contest: repo.Contest, user_id: int, name: str) -> None:
    entry = await svc.join(contest, user_id, name)
    await svc.current(contest, entry, EN)  # shows question 1 …
    await svc.question_delivered(contest.id, user_id)  # … and its clock starts on delivery


async def answer_delivered(svc: QuizService, contest_id: int, user_id: int, position: int,
                           displayed: int, t: Any) -> Any:
    """An answer, then (as the channel does once it sent the next screen) the delivery."""
    reply = await svc.answer(contest_id, user_id, position, displayed, t)
    await svc.question_delivered(contest_id, user_id)
    return reply


# -- pure helpers ---------------------------------------------------------------------------------


def test_codes_are_short_unambiguous_and_normalised() -> None:
    code = new_code()
    assert len(code) == 6 and not set(code) & set("01OIL")
    assert normalise_code(f" {code[:3].lower()}-{code[3:]} ") == code
    assert normalise_code("ABC1O0") is None
    assert normalise_code("ABCDEFG") is None


def test_display_names_are_cleaned() -> None:
    assert clean_name("  Lan   9A ") == "Lan 9A"
    assert clean_name("A") is None
    assert clean_name("x" * 33) is None
    assert clean_name("follow @spammer") is None
    assert clean_name("https://x.y") is None
    assert clean_name("Lan\u200b\u202e9A") == "Lan9A"


def test_parse_when_local_time() -> None:
    now = START  # 08:00 local
    assert parse_when("14:30", now, TZ) == datetime(2026, 6, 26, 7, 30, tzinfo=UTC)
    assert parse_when("07:00", now, TZ) == datetime(2026, 6, 27, 0, 0, tzinfo=UTC)  # tomorrow
    assert parse_when("16h00 30/6", now, TZ) == datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    assert parse_when("30/06/2026 16:00", now, TZ) == datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    assert parse_when("25:00", now, TZ) is None
    assert parse_when("soon", now, TZ) is None


# -- contests -------------------------------------------------------------------------------------


async def test_create_validates_and_draws_questions(svc: QuizService) -> None:
    contest = await make(svc, count=10)
    assert len(set(contest.question_ids)) == 10
    assert normalise_code(contest.code) == contest.code
    now = svc.clock.timestamp()
    with pytest.raises(QuizError):
        await svc.create_contest(1, title="T", count=5, topics=[], difficulty="", seconds=20,
                                 speed_bonus=False, starts_at=now, ends_at=now, locale="en")
    with pytest.raises(QuizError):
        await svc.create_contest(1, title="T", count=50, topics=[], difficulty="", seconds=20,
                                 speed_bonus=False, starts_at=now, ends_at=now + 60, locale="en")
    law = await svc.create_contest(1, title="Law", count=5, topics=["law"], difficulty="hard",
                                   seconds=20, speed_bonus=False, starts_at=now,
                                   ends_at=now + 60, locale="vi")
    questions = [svc.bank.get(q) for q in law.question_ids]
    assert all(q is not None and q.topic == "law" and q.difficulty == "hard" for q in questions)


async def test_each_student_gets_own_order_and_same_questions(svc: QuizService) -> None:
    contest = await make(svc, count=10)
    a = await svc.join(contest, 11, "Lan")
    b = await svc.join(contest, 12, "Minh")
    assert sorted(q for q, _ in a.plan) == sorted(q for q, _ in b.plan)
    assert a.plan != b.plan
    again = await svc.join(contest, 11, "Another")  # joining twice keeps the first entry
    assert again.id == a.id and again.display_name == "Lan"


async def test_answer_rules_on_time_duplicate_late_and_over(svc: QuizService) -> None:
    contest = await make(svc, count=5, seconds=20, minutes=10)
    await start(svc, contest, 21, "An")
    reply = await answer_delivered(svc, contest.id, 21, 0, await letter(svc, contest, 21), EN)
    assert reply.edit is not None and "✅ Right! +1" in reply.edit.text
    assert "Question 2/5" in reply.then[0].text
    dup = await answer_delivered(svc, contest.id, 21, 0, 0, EN)
    assert dup.alert and "already answered" in (dup.toast or "")
    forged = await answer_delivered(svc, contest.id, 21, 3, 0, EN)
    assert forged.edit is None and forged.toast == "This button is no longer available."
    clock(svc).advance(seconds=21.5)  # limit 20 s + 1 s grace
    late = await answer_delivered(svc, contest.id, 21, 1, await letter(svc, contest, 21), EN)
    assert "Time was up" in (late.toast or "")
    entry = await svc.entry(contest, 21)
    assert entry is not None and (entry.position, entry.answered, entry.correct) == (2, 1, 1)
    clock(svc).advance(minutes=10)
    over = await answer_delivered(svc, contest.id, 21, 2, await letter(svc, contest, 21), EN)
    assert "contest has ended" in (over.toast or "")
    entry = await svc.entry(contest, 21)
    assert entry is not None and entry.position == 2
    with pytest.raises(QuizError):
        await svc.join(contest, 22, "Too late")


async def test_exactly_at_the_limit_counts(svc: QuizService) -> None:
    contest = await make(svc, seconds=20)
    await start(svc, contest, 31, "Bình")
    clock(svc).advance(seconds=21)
    reply = await answer_delivered(svc, contest.id, 31, 0, await letter(svc, contest, 31), EN)
    assert reply.toast is None and reply.edit is not None and "✅" in reply.edit.text


async def test_speed_bonus_points(svc: QuizService) -> None:
    contest = await make(svc, seconds=20, bonus=True)
    await start(svc, contest, 41, "Chi")
    clock(svc).advance(seconds=10)
    reply = await answer_delivered(svc, contest.id, 41, 0, await letter(svc, contest, 41), EN)
    assert reply.edit is not None and "+1,250" in reply.edit.text
    reply = await answer_delivered(svc, contest.id, 41, 1, await letter(svc, contest, 41, False), EN)
    assert reply.edit is not None and "❌ Not right." in reply.edit.text
    entry = await svc.entry(contest, 41)
    assert entry is not None and entry.score == 1250


async def test_missed_questions_closed_when_student_returns(svc: QuizService) -> None:
    contest = await make(svc, seconds=10)
    await start(svc, contest, 51, "Dũng")
    clock(svc).advance(seconds=30)
    entry = await svc.entry(contest, 51)
    assert entry is not None
    screen = await svc.current(contest, entry, EN)
    assert "Time ran out for question 1." in screen.text and "Question 2/5" in screen.text
    rows = await svc.db.fetchall("SELECT outcome FROM quiz_answers")
    assert [r["outcome"] for r in rows] == ["missed"]


async def test_ranking_export_and_certificate(svc: QuizService) -> None:
    contest = await make(svc, count=5)
    for uid, name, right in ((61, "Giỏi", 5), (62, "=cmd()", 4), (63, "Vừa", 2)):
        await start(svc, contest, uid, name)
        for i in range(5):
            clock(svc).advance(seconds=1)
            await answer_delivered(svc, contest.id, uid, i, await letter(svc, contest, uid, i < right), EN)
    ranked = await svc.ranking(contest)
    assert [(p, r.name, r.score) for p, r in ranked] == [
        (1, "Giỏi", 5), (2, "=cmd()", 4), (3, "Vừa", 2)]
    results, items = await svc.export(contest, "en")
    rows = list(csv.reader(io.StringIO(results[1].decode("utf-8-sig"))))
    assert rows[2][1] == "'=cmd()"  # no spreadsheet formula from a display name
    item_rows = list(csv.reader(io.StringIO(items[1].decode("utf-8-sig"))))
    assert len(item_rows) == 6
    shares = sorted(float(r[4]) for r in item_rows[1:])
    assert shares[0] >= 1 / 3 - 0.01 and shares[-1] == 1.0
    board = await svc.leaderboard_screen(contest, EN)
    assert board.text.index("Giỏi") < board.text.index("Vừa")
    cert = await svc.certificate(contest.id, 62, EN)  # 4/5 = 80 %
    assert cert.document is not None and cert.document[1].startswith(b"\x89PNG")
    with pytest.raises(QuizError):
        await svc.certificate(contest.id, 63, EN)


async def test_rename_remove_and_permissions(svc: QuizService) -> None:
    contest = await make(svc, owner=7)
    entry = await svc.join(contest, 71, "Bad Word")
    with pytest.raises(QuizError):
        await svc.owned(contest.id, 71)
    owned = await svc.owned(contest.id, 7)
    assert await svc.rename(owned, entry.id, "Good") == "Good"
    assert (await svc.remove_name(owned, entry.id, EN)).startswith("Participant ")
    other = await make(svc, owner=8)
    with pytest.raises(QuizError):
        await svc.rename(other, entry.id, "Hijack")


async def test_final_ranking_due_once_and_erasure(svc: QuizService) -> None:
    contest = await make(svc, minutes=5, owner=9)
    await svc.join(contest, 91, "Student")
    assert await svc.due_final() == []
    clock(svc).advance(minutes=6)
    due = await svc.due_final()
    assert [c.id for c in due] == [contest.id]
    assert await svc.mark_final_sent(contest)
    assert not await svc.mark_final_sent(contest)
    assert await svc.due_final() == []
    await svc.erase_user(91)
    assert await svc.entry(contest, 91) is None
    await svc.erase_user(9)
    assert await svc.get(contest.id) is None


# -- group rounds ---------------------------------------------------------------------------------


async def test_group_round_lifecycle(svc: QuizService) -> None:
    rnd = await svc.start_round(-100, 2, 15, "en")
    assert rnd is not None
    assert await svc.start_round(-100, 2, 15, "en") is None  # one at a time per group
    due = await svc.due_rounds()
    assert [r.id for r in due] == [rnd.id]
    spec = svc.next_poll(rnd)
    assert spec is not None and spec.position == 0 and spec.question.startswith("[1/2] ")
    assert await svc.poll_sent(rnd, spec, "poll-1", svc.now())
    assert await svc.due_rounds() == []
    right = spec.correct[0]
    assert await svc.on_poll_answer("poll-1", 1, "Lan", [right])
    assert not await svc.on_poll_answer("poll-1", 1, "Lan", [right])  # repeat
    assert await svc.on_poll_answer("poll-1", 2, "Minh", [(right + 1) % len(spec.options)])
    assert not await svc.on_poll_answer("unknown", 3, "X", [0])
    clock(svc).advance(seconds=20)
    assert not await svc.on_poll_answer("poll-1", 3, "Late", [right])
    (rnd,) = await svc.due_rounds()
    spec2 = svc.next_poll(rnd)
    assert spec2 is not None and spec2.position == 1
    assert await svc.poll_sent(rnd, spec2, "poll-2", svc.now())
    clock(svc).advance(seconds=20)
    (rnd,) = await svc.due_rounds()
    assert svc.next_poll(rnd) is None
    board = await svc.finish_round(rnd, EN)
    assert board is not None
    assert "2 questions asked · 2 players · 2 answers scored." in board.text
    assert "🥇 Lan — 1/2 correct" in board.text
    assert await svc.finish_round(rnd, EN) is None  # only once
    assert LETTERS.startswith("ABCD")


async def test_a_question_clock_starts_on_delivery_not_before(svc: QuizService) -> None:
    """Issue 11, item 21: the next question's clock started when the previous answer was
    recorded, before the question was sent; a crash in between lost it."""
    contest = await make(svc, count=5, seconds=20)
    await start(svc, contest, 71, "Giang")
    reply = await svc.answer(contest.id, 71, 0, await letter(svc, contest, 71), EN)
    assert "Question 2/5" in reply.then[0].text
    entry = await svc.entry(contest, 71)
    assert entry is not None and entry.position == 1 and entry.shown_at is None
    assert [e.user_id for _c, e in await svc.owed_questions()] == [71]
    clock(svc).advance(minutes=5)  # the bot was down: the student loses no time
    screen = await svc.current(contest, entry, EN)
    assert "Question 2/5 · ⏱ 20 s" in screen.text and "Time ran out" not in screen.text
    assert await svc.question_delivered(contest.id, 71)
    assert not await svc.question_delivered(contest.id, 71)  # once
    assert await svc.owed_questions() == []
    clock(svc).advance(seconds=5)
    reply = await svc.answer(contest.id, 71, 1, await letter(svc, contest, 71), EN)
    assert reply.toast is None and reply.edit is not None and "✅" in reply.edit.text
