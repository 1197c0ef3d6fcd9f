"""Class contests: the teacher's side (create, view, leaderboard, exports, display names, end)
and the students' side (join codes with a guessing limit, display names, questions on a
server-side clock, answers, results, certificates).

Rules enforced on every answer (never trusting the button):
- one answer per question per student (a database key), later ones are ignored and said so;
- the clock of a question starts when the channel confirms it delivered the question
  (`question_delivered`, recorded in the database), and an answer more than
  `seconds_per_question` (+ a 1 s network grace) later is not counted;
- nothing is counted after the contest's end; before its start no question is shown;
- the student never sees which option is right before answering (nor, during the contest,
  after: only whether their own answer was right, so nobody can pass answers on).

Links that open a contest come from the channel (`Turn.link`), never from here.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot import directory
from bot.i18n import N_, Translator
from bot.quiz_actions import (
    ContestAnswer,
    ContestGo,
    ContestTop,
    EndNow,
    ExportCsv,
    GetCertificate,
    Leaderboard,
    MyContests,
    NameOf,
    Names,
    OpenContest,
    ShowQr,
)
from bot.quiz_logic import (
    ItemStat,
    Response,
    ResultRow,
    ShuffledQuestion,
    Timing,
    check_timing,
    item_analysis,
    item_analysis_csv,
    pick,
    rank,
    results_csv,
    shuffle_for,
)
from bot.quiz_rules import (
    CERTIFICATE_SHARE,
    GRACE_SECONDS,
    LEADERBOARD_SIZE,
    LETTERS,
    MAX_CONTEST_DAYS,
    MAX_CONTEST_QUESTIONS,
    MEDALS,
    NAMES_PAGE,
    NotAllowed,
    QuizBase,
    QuizError,
    _letters,
    clean_name,
    clean_title,
    contest_phase,
    new_code,
    normalise_code,
    scoring_rules,
)
from bot.screens import Button, Screen, esc
from content.quiz_bank import TOPICS
from storage import quiz as repo
from storage.quiz import Contest, Entry


@dataclass
class AnswerReply:
    """What to do after a contest answer: a toast, an edit of the question message, and
    further screens (the next question or the results)."""

    toast: str | None = None
    alert: bool = False
    edit: Screen | None = None
    then: list[Screen] = field(default_factory=list)


@dataclass(frozen=True)
class CodeLookup:
    """What a typed join code found: the contest, or nothing; `limited` when this chat made
    too many wrong guesses lately (then nothing is looked up, not even a right code)."""

    contest: Contest | None
    limited: bool = False


JOIN_FAILURES_MAX = 8  # wrong well-formed codes per chat …
JOIN_FAILURE_WINDOW = 3600  # … within this many seconds
_JOIN_LIMIT_PURPOSE = "quiz-join-guesses/v1"


class ContestService(QuizBase):
    # == teacher =======================================================================

    async def create_contest(self, owner_id: int, *, title: str, count: int,
                             topics: list[str], difficulty: str, seconds: int,
                             speed_bonus: bool, starts_at: int, ends_at: int,
                             locale: str, province: str | None = None) -> Contest:
        """`province`: the school's province (optional), so the contest counts in that
        province's reports; never trusted, checked against the directory."""
        title = clean_title(title)
        info = directory.get_province(province) if province else None
        if province and info is None:
            raise QuizError(N_("Unknown province."))
        province_code = f"{info.code:02d}" if info is not None else None
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
                    locale=locale, now=self.clock.timestamp(), province_code=province_code)
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

    async def contest_screen(self, contest: Contest, t: Translator, link: str | None) -> Screen:
        """The teacher's view of a contest: code, link (the channel's URL that opens the
        contest, if it has one), times, participation, actions."""
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
            *([_("Link: {link}").format(link=esc(link))] if link else []),
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
            [Button(_("🏆 Leaderboard"), action=Leaderboard(cid)),
             Button(_("📥 CSV export"), action=ExportCsv(cid))],
            [Button(_("✏️ Display names"), action=Names(cid, 0)),
             Button(_("🔳 QR code"), action=ShowQr(cid))],
        ]
        if phase != "ended":
            rows.append([Button(_("⏹ End the contest now"), action=EndNow(cid))])
        rows.append([Button(_("📋 My contests"), action=MyContests())])
        return Screen("\n".join(lines), rows)

    def qr_screen(self, contest: Contest, t: Translator, link: str) -> Screen:
        """The QR code of the contest's link (`link`: the channel's URL that opens it)."""
        from bot.qr import qr_png

        caption = t.gettext("Scan to join <b>{title}</b> — or send /join {code}").format(
            title=esc(contest.title), code=contest.code)
        return Screen(f"{caption}\n{esc(link)}", photo=qr_png(link))

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
            rows.append([Button(_("🔄 Refresh"), action=Leaderboard(contest.id)),
                         Button(_("📥 CSV export"), action=ExportCsv(contest.id))])
            rows.append([Button(_("⬅️ Contest"), action=OpenContest(contest.id))])
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
        text = _("<b>Display names — {title}</b>\n\nChoose a name to rename or remove it.").format(
            title=esc(contest.title))
        if not entries:
            text += "\n\n" + _("Nobody has joined yet.")
        rows = [[Button(e.display_name[:40], action=NameOf(contest.id, e.id))]
                for e in entries]
        nav = []
        if page > 0:
            nav.append(Button("◀", action=Names(contest.id, page - 1)))
        if (page + 1) * NAMES_PAGE < participants:
            nav.append(Button("▶", action=Names(contest.id, page + 1)))
        if nav:
            rows.append(nav)
        rows.append([Button(_("⬅️ Contest"), action=OpenContest(contest.id))])
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

    # == students ======================================================================

    async def find(self, code: str) -> Contest | None:
        norm = normalise_code(code)
        return await repo.contest_by_code(self.db, norm) if norm else None

    def _guess_key(self, chat_id: int | str) -> bytes:
        # Keyed and rotating daily: the counter names no one, and one day's rows cannot be
        # linked to another day's (nor to the chat without the key).
        day = self.clock.now().astimezone(self.tz or UTC).date().isoformat()
        return self.keyring.pseudonym(_JOIN_LIMIT_PURPOSE, chat_id, extra_key=day.encode())

    async def lookup_code(self, chat_id: int | str, code: str) -> CodeLookup:
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
        return Screen("\n".join(lines), [[Button(label, action=ContestGo(contest.id))]])

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
        buttons = [Button(LETTERS[i], action=ContestAnswer(contest.id, position, i))
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
                              [[Button(_("▶️ Start"), action=ContestGo(contest.id))]])
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
        rows = [[Button(_("🏆 Leaderboard"), action=ContestTop(contest.id))]]
        if self.certificate_eligible(entry):
            lines.append("")
            lines.append(_("🎓 You answered at least 80% correctly: you can get a certificate."))
            rows.insert(0, [Button(_("🎓 Get my certificate"), action=GetCertificate(contest.id))])
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
