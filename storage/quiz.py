"""Quiz contests, entries, answers and group poll rounds: SQL only."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from storage.db import Database


class CodeTaken(Exception):
    """The join code is already used by another contest (retry with another)."""


@dataclass(frozen=True)
class Contest:
    id: int
    code: str
    owner_id: int
    title: str
    question_ids: tuple[str, ...]
    topics: tuple[str, ...]
    difficulty: str
    seconds_per_question: int
    speed_bonus: bool
    starts_at: int
    ends_at: int
    locale: str
    created_at: int
    final_sent_at: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Contest:
        return cls(
            id=row["id"],
            code=row["code"],
            owner_id=row["owner_id"],
            title=row["title"],
            question_ids=tuple(json.loads(row["question_ids"])),
            topics=tuple(t for t in row["topics"].split(",") if t),
            difficulty=row["difficulty"],
            seconds_per_question=row["seconds_per_question"],
            speed_bonus=bool(row["speed_bonus"]),
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            locale=row["locale"],
            created_at=row["created_at"],
            final_sent_at=row["final_sent_at"],
        )


@dataclass(frozen=True)
class Entry:
    id: int
    contest_id: int
    user_id: int
    display_name: str
    name_locked: bool
    plan: tuple[tuple[str, tuple[int, ...]], ...]
    position: int
    shown_at: float | None
    score: int
    correct: int
    answered: int
    seconds: float
    joined_at: int
    finished_at: int | None

    @property
    def total(self) -> int:
        return len(self.plan)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.plan)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(
            id=row["id"],
            contest_id=row["contest_id"],
            user_id=row["user_id"],
            display_name=row["display_name"],
            name_locked=bool(row["name_locked"]),
            plan=tuple((str(q), tuple(int(i) for i in o)) for q, o in json.loads(row["plan"])),
            position=row["position"],
            shown_at=row["shown_at"],
            score=row["score"],
            correct=row["correct"],
            answered=row["answered"],
            seconds=row["seconds"],
            joined_at=row["joined_at"],
            finished_at=row["finished_at"],
        )


@dataclass(frozen=True)
class Standing:
    entry_id: int
    display_name: str
    score: int
    seconds: float
    correct: int
    answered: int
    finished: bool


# -- contests ---------------------------------------------------------------------------------


async def create_contest(db: Database, *, code: str, owner_id: int, title: str,
                         question_ids: list[str], topics: list[str], difficulty: str,
                         seconds_per_question: int, speed_bonus: bool, starts_at: int,
                         ends_at: int, locale: str, now: int,
                         province_code: str | None = None) -> int:
    try:
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO quiz_contests(code, owner_id, title, question_ids, topics, difficulty,"
                " seconds_per_question, speed_bonus, starts_at, ends_at, locale, created_at,"
                " province_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (code, owner_id, title, json.dumps(question_ids), ",".join(topics), difficulty,
                 seconds_per_question, int(speed_bonus), starts_at, ends_at, locale, now,
                 province_code),
            )
            return int(cur.lastrowid or 0)
    except sqlite3.IntegrityError as exc:
        raise CodeTaken(code) from exc


async def get_contest(db: Database, contest_id: int) -> Contest | None:
    row = await db.fetchone("SELECT * FROM quiz_contests WHERE id = ?", (contest_id,))
    return Contest.from_row(row) if row else None


async def contest_by_code(db: Database, code: str) -> Contest | None:
    row = await db.fetchone("SELECT * FROM quiz_contests WHERE code = ?", (code,))
    return Contest.from_row(row) if row else None


async def contests_of(db: Database, owner_id: int, limit: int = 20) -> list[Contest]:
    rows = await db.fetchall(
        "SELECT * FROM quiz_contests WHERE owner_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        (owner_id, limit),
    )
    return [Contest.from_row(r) for r in rows]


async def set_ends_at(db: Database, contest_id: int, ends_at: int) -> int:
    return await db.execute(
        "UPDATE quiz_contests SET ends_at = ? WHERE id = ? AND ends_at > ?",
        (ends_at, contest_id, ends_at),
    )


async def due_final(db: Database, now: int) -> list[Contest]:
    rows = await db.fetchall(
        "SELECT * FROM quiz_contests WHERE final_sent_at IS NULL AND ends_at <= ?"
        " ORDER BY ends_at LIMIT 50",
        (now,),
    )
    return [Contest.from_row(r) for r in rows]


async def mark_final_sent(db: Database, contest_id: int, now: int) -> bool:
    return (
        await db.execute(
            "UPDATE quiz_contests SET final_sent_at = ? WHERE id = ? AND final_sent_at IS NULL",
            (now, contest_id),
        )
        == 1
    )


async def delete_contests_of(db: Database, owner_id: int) -> int:
    return await db.execute("DELETE FROM quiz_contests WHERE owner_id = ?", (owner_id,))


# -- entries ----------------------------------------------------------------------------------


async def create_entry(db: Database, *, contest_id: int, user_id: int, display_name: str,
                       plan: list[tuple[str, list[int]]], now: int) -> int | None:
    """The student's entry (and the minimal user row it hangs on); None if they already have
    one in this contest."""
    async with db.transaction() as conn:
        await conn.execute("INSERT OR IGNORE INTO users(user_id) VALUES (?)", (user_id,))
        cur = await conn.execute(
            "INSERT OR IGNORE INTO quiz_entries(contest_id, user_id, display_name, plan,"
            " joined_at) VALUES (?, ?, ?, ?, ?)",
            (contest_id, user_id, display_name,
             json.dumps([[q, list(o)] for q, o in plan], separators=(",", ":")), now),
        )
        if cur.rowcount != 1:
            return None
        return int(cur.lastrowid or 0)


async def get_entry(db: Database, contest_id: int, user_id: int) -> Entry | None:
    row = await db.fetchone(
        "SELECT * FROM quiz_entries WHERE contest_id = ? AND user_id = ?", (contest_id, user_id)
    )
    return Entry.from_row(row) if row else None


async def get_entry_by_id(db: Database, entry_id: int) -> Entry | None:
    row = await db.fetchone("SELECT * FROM quiz_entries WHERE id = ?", (entry_id,))
    return Entry.from_row(row) if row else None


async def undelivered_entries(db: Database, now: float) -> list[Entry]:
    """Unfinished entries of running contests past their first question whose current question
    has no clock yet (it was never delivered)."""
    rows = await db.fetchall(
        "SELECT e.* FROM quiz_entries e JOIN quiz_contests c ON c.id = e.contest_id"
        " WHERE e.finished_at IS NULL AND e.shown_at IS NULL AND e.position > 0"
        " AND c.starts_at <= ? AND c.ends_at > ? ORDER BY e.id",
        (now, now),
    )
    return [e for e in (Entry.from_row(r) for r in rows) if not e.finished]


async def mark_shown(db: Database, entry_id: int, position: int, shown_at: float) -> bool:
    """Start the clock of question `position` (once: a second call changes nothing)."""
    return (
        await db.execute(
            "UPDATE quiz_entries SET shown_at = ? WHERE id = ? AND position = ?"
            " AND shown_at IS NULL",
            (shown_at, entry_id, position),
        )
        == 1
    )


async def record_answer(db: Database, *, entry_id: int, position: int, question_id: str,
                        chosen: list[int], correct: bool, points: int, elapsed: float,
                        outcome: str, answered_at: float, counted: bool,
                        next_shown_at: float | None, finished_at: int | None) -> bool:
    """Record the answer to question `position` and move the entry on, atomically.

    False (and nothing written) when that question is no longer the one being asked: the
    answer is a duplicate or a stale button.
    """
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE quiz_entries SET position = position + 1, shown_at = ?,"
            " score = score + ?, correct = correct + ?, answered = answered + ?,"
            " seconds = seconds + ?, finished_at = COALESCE(?, finished_at)"
            " WHERE id = ? AND position = ?",
            (next_shown_at, points, int(correct), int(counted),
             elapsed if counted else 0.0, finished_at, entry_id, position),
        )
        if cur.rowcount != 1:
            return False
        await conn.execute(
            "INSERT INTO quiz_answers(entry_id, position, question_id, chosen, correct, points,"
            " elapsed, outcome, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry_id, position, question_id, ",".join(str(i) for i in chosen), int(correct),
             points, elapsed, outcome, answered_at),
        )
        return True


async def standings(db: Database, contest_id: int, limit: int | None = None) -> list[Standing]:
    sql = (
        "SELECT id, display_name, score, seconds, correct, answered, finished_at"
        " FROM quiz_entries WHERE contest_id = ? ORDER BY score DESC, seconds, id"
    )
    params: tuple[Any, ...] = (contest_id,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (contest_id, limit)
    rows = await db.fetchall(sql, params)
    return [
        Standing(r["id"], r["display_name"], r["score"], r["seconds"], r["correct"],
                 r["answered"], r["finished_at"] is not None)
        for r in rows
    ]


async def counts(db: Database, contest_id: int) -> tuple[int, int]:
    """(participants, finished)."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS n, COUNT(finished_at) AS f FROM quiz_entries WHERE contest_id = ?",
        (contest_id,),
    )
    return (row["n"], row["f"]) if row else (0, 0)


async def rank_of(db: Database, contest_id: int, score: int, seconds: float) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM quiz_entries WHERE contest_id = ?"
        " AND (score > ? OR (score = ? AND seconds < ?))",
        (contest_id, score, score, seconds),
    )
    return (row["n"] if row else 0) + 1


async def entries_page(db: Database, contest_id: int, offset: int, limit: int) -> list[Entry]:
    rows = await db.fetchall(
        "SELECT * FROM quiz_entries WHERE contest_id = ? ORDER BY id LIMIT ? OFFSET ?",
        (contest_id, limit, offset),
    )
    return [Entry.from_row(r) for r in rows]


async def set_display_name(db: Database, entry_id: int, name: str, lock: bool) -> int:
    return await db.execute(
        "UPDATE quiz_entries SET display_name = ?, name_locked = ? WHERE id = ?",
        (name, int(lock), entry_id),
    )


async def contest_answers(db: Database, contest_id: int) -> list[sqlite3.Row]:
    """Answers that counted (given in time), for the item analysis."""
    return await db.fetchall(
        "SELECT a.entry_id, a.question_id, a.chosen, a.correct FROM quiz_answers a"
        " JOIN quiz_entries e ON e.id = a.entry_id"
        " WHERE e.contest_id = ? AND a.outcome = 'on_time'",
        (contest_id,),
    )


async def delete_entries_of(db: Database, user_id: int) -> int:
    return await db.execute("DELETE FROM quiz_entries WHERE user_id = ?", (user_id,))


# -- group rounds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    id: int
    chat_id: int
    question_ids: tuple[str, ...]
    seconds: int
    position: int
    deadline: float
    locale: str
    status: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Round:
        return cls(row["id"], row["chat_id"], tuple(json.loads(row["question_ids"])),
                   row["seconds"], row["position"], row["deadline"], row["locale"],
                   row["status"])


@dataclass(frozen=True)
class GroupPoll:
    poll_id: str
    round_id: int
    position: int
    question_id: str
    option_order: tuple[int, ...]
    sent_at: float
    closes_at: float


async def create_round(db: Database, *, chat_id: int, question_ids: list[str], seconds: int,
                       locale: str, now: float) -> int | None:
    """A new running round; None when the chat already has one running."""
    try:
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO quiz_group_rounds(chat_id, question_ids, seconds, deadline, locale,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (chat_id, json.dumps(question_ids), seconds, now, locale, int(now)),
            )
            return int(cur.lastrowid or 0)
    except sqlite3.IntegrityError:
        return None


async def get_round(db: Database, round_id: int) -> Round | None:
    row = await db.fetchone("SELECT * FROM quiz_group_rounds WHERE id = ?", (round_id,))
    return Round.from_row(row) if row else None


async def running_round(db: Database, chat_id: int) -> Round | None:
    row = await db.fetchone(
        "SELECT * FROM quiz_group_rounds WHERE chat_id = ? AND status = 'running'", (chat_id,)
    )
    return Round.from_row(row) if row else None


async def due_rounds(db: Database, now: float) -> list[Round]:
    rows = await db.fetchall(
        "SELECT * FROM quiz_group_rounds WHERE status = 'running' AND deadline <= ?"
        " ORDER BY deadline LIMIT 100",
        (now,),
    )
    return [Round.from_row(r) for r in rows]


async def add_poll(db: Database, *, round_id: int, position: int, poll_id: str,
                   question_id: str, option_order: list[int], sent_at: float, closes_at: float,
                   deadline: float) -> bool:
    """Record a sent poll and move the round to it (only from the position before it)."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE quiz_group_rounds SET position = ?, deadline = ?"
            " WHERE id = ? AND position = ? AND status = 'running'",
            (position, deadline, round_id, position - 1),
        )
        if cur.rowcount != 1:
            return False
        await conn.execute(
            "INSERT INTO quiz_group_polls(poll_id, round_id, position, question_id, option_order,"
            " sent_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (poll_id, round_id, position, question_id, json.dumps(option_order), sent_at,
             closes_at),
        )
        return True


async def finish_round(db: Database, round_id: int, status: str, now: float) -> bool:
    return (
        await db.execute(
            "UPDATE quiz_group_rounds SET status = ?, finished_at = ?"
            " WHERE id = ? AND status = 'running'",
            (status, int(now), round_id),
        )
        == 1
    )


async def get_poll(db: Database, poll_id: str) -> GroupPoll | None:
    row = await db.fetchone("SELECT * FROM quiz_group_polls WHERE poll_id = ?", (poll_id,))
    if row is None:
        return None
    return GroupPoll(row["poll_id"], row["round_id"], row["position"], row["question_id"],
                     tuple(json.loads(row["option_order"])), row["sent_at"], row["closes_at"])


async def add_group_answer(db: Database, *, poll_id: str, user_id: int, name: str,
                           correct: bool, elapsed: float) -> bool:
    """False when this person already answered this poll."""
    return (
        await db.execute(
            "INSERT OR IGNORE INTO quiz_group_answers(poll_id, user_id, name, correct, elapsed)"
            " VALUES (?, ?, ?, ?, ?)",
            (poll_id, user_id, name, int(correct), elapsed),
        )
        == 1
    )


async def round_scores(db: Database, round_id: int) -> list[sqlite3.Row]:
    """Per participant: name (latest seen), correct answers, answers, total seconds."""
    return await db.fetchall(
        "SELECT a.user_id, MAX(a.name) AS name, SUM(a.correct) AS correct, COUNT(*) AS answered,"
        " SUM(a.elapsed) AS seconds FROM quiz_group_answers a"
        " JOIN quiz_group_polls p ON p.poll_id = a.poll_id WHERE p.round_id = ?"
        " GROUP BY a.user_id",
        (round_id,),
    )


async def purge_rounds(db: Database, finished_before: float) -> int:
    return await db.execute(
        "DELETE FROM quiz_group_rounds WHERE status != 'running' AND finished_at < ?",
        (int(finished_before),),
    )


async def delete_group_answers_of(db: Database, user_id: int) -> int:
    return await db.execute("DELETE FROM quiz_group_answers WHERE user_id = ?", (user_id,))


# -- join-code guessing limit -------------------------------------------------------------------
async def count_join_failures(db: Database, key: bytes, since: int) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM quiz_join_failures WHERE key = ? AND at > ?", (key, since))
    return int(row[0]) if row else 0


async def add_join_failure(db: Database, key: bytes, now: int, forget_before: int) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM quiz_join_failures WHERE at <= ?", (forget_before,))
        await conn.execute("INSERT INTO quiz_join_failures(key, at) VALUES (?, ?)", (key, now))


async def delete_join_failures(db: Database, key: bytes) -> None:
    await db.execute("DELETE FROM quiz_join_failures WHERE key = ?", (key,))


# -- practice (anonymous) -----------------------------------------------------------------
async def record_practice_round(db: Database, *, day: int, topic: str, questions: int,
                                correct: int) -> None:
    await db.execute(
        "INSERT INTO quiz_practice_rounds(day, topic, questions, correct) VALUES (?, ?, ?, ?)",
        (day, topic, questions, correct),
    )
