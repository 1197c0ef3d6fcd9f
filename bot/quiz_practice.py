"""Practice rounds: the quiz menu, topics, one question at a time with the explanation after
each answer, and the summary. A round lives in the chat's sealed flow state
(`dump_session` / `load_session`), so it survives a restart; nothing of it is stored per person.
A finished round leaves one anonymous row for the reports (issue 17): the local day, the
round's topic, its questions and correct answers; no user, chat, area or time of day.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from bot.i18n import Translator
from bot.quiz_actions import (
    AskCode,
    MyContests,
    NewContest,
    Practice,
    PracticeAnswer,
    PracticeNext,
    PracticeTopics,
    QuizHome,
)
from bot.quiz_logic import PracticeError, PracticeSession, ScoringRules
from bot.quiz_rules import LETTERS, PRACTICE_SIZE, QuizBase, _letters
from bot.screens import Button, Screen, esc
from content.quiz_bank import TOPICS
from storage import quiz as repo


class PracticeService(QuizBase):
    """The quiz menu and practice rounds. (The conversation adds the main-menu button.)"""

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
            [Button(_("🎲 Practice: mixed"), action=Practice("mix")),
             Button(_("📚 Practice by topic"), action=PracticeTopics())],
            [Button(_("🎯 Join a contest"), action=AskCode())],
            [Button(_("👩‍🏫 Create a contest"), action=NewContest()),
             Button(_("📋 My contests"), action=MyContests())],
        ])

    def topics_screen(self, t: Translator) -> Screen:
        _ = t.gettext
        counts = self.bank.topics()
        rows = [[Button(self.topic_label(topic, t), action=Practice(topic))]
                for topic in counts]
        rows.append([Button(_("⬅️ Back"), action=QuizHome())])
        return Screen(_("<b>Practice by topic</b>\n\nPick a topic:"), rows)

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
        buttons = [Button(LETTERS[i], action=PracticeAnswer(pos, i)) for i in range(len(view.options))]
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
        return Screen(text, [[Button(label, action=PracticeNext())]])

    async def finish_practice(self, session: PracticeSession, topic: str,
                              t: Translator) -> Screen:
        """The round is over: record it anonymously for the reports, then its summary."""
        summary = session.summary(self.bank)
        local = datetime.fromtimestamp(self.clock.timestamp(), UTC).astimezone(self.tz)
        day = int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
        await repo.record_practice_round(
            self.db, day=day, topic=topic if topic in TOPICS else "mix",
            questions=summary.total, correct=summary.correct)
        return self.practice_summary(session, topic, t)

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
            [Button(_("🔁 Try again"), action=Practice(topic or "mix"))],
            [Button(_("🧠 Quiz menu"), action=QuizHome())],
        ])

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


