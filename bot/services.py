"""The services of a running bot, built in one place: a typed container instead of a dict of
names, so every conversation, channel and job reaches `runtime.services.tips` with its type.

Order matters only where one service uses another (tips use the police side and the units;
events use broadcasts and content; statistics use the units and the question bank)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.broadcast import BroadcastService
from bot.content import ContentService
from bot.events import EventService
from bot.quiz import QuizService
from bot.stats import StatsService
from bot.subscriptions import SubscriptionService
from bot.tip_outbox import OutboxWorker
from bot.tip_police import TipPolice
from bot.tips import TipService
from bot.units import UnitService
from content.articles import load_library
from content.quiz_bank import QuestionBank, load_bank

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass
class Services:
    content: ContentService
    units: UnitService
    tips: TipService
    tip_police: TipPolice
    tip_outbox: OutboxWorker
    subscriptions: SubscriptionService
    broadcast: BroadcastService
    events: EventService
    quiz: QuizService
    stats: StatsService


@functools.cache
def question_bank() -> QuestionBank:
    """The bank, parsed and validated once per process (about 0.7 s; it is immutable and its
    files do not change while the bot runs), not on every start (each test, each restart)."""
    return load_bank()


def build_services(runtime: Runtime) -> Services:
    db, settings, clock, keyring = runtime.db, runtime.settings, runtime.clock, runtime.keyring
    content = ContentService(
        load_library(), deep_link=lambda aid: runtime.start_link(f"a_{aid}") or ""
    )
    units = UnitService(db, settings, clock, keyring)
    police = TipPolice(db, keyring, clock, settings, units)
    tips = TipService(db, keyring, clock, settings, police)
    outbox = OutboxWorker(db, police, clock.timestamp)
    tips.on_outbox = outbox.kick
    police.on_outbox = outbox.kick
    broadcast = BroadcastService(db, settings, clock, units=units)
    quiz = QuizService(db, clock, question_bank(), settings.tz, keyring=keyring)
    bank = quiz.bank

    def topic_of(qid: str) -> str | None:
        q = bank.get(qid)
        return q.topic if q is not None else None

    def question_text(qid: str, locale: str) -> str | None:
        q = bank.get(qid)
        return q.text_for(locale) if q is not None else None

    return Services(
        content=content,
        units=units,
        tips=tips,
        tip_police=police,
        tip_outbox=outbox,
        subscriptions=SubscriptionService(db, clock, runtime.users),
        broadcast=broadcast,
        events=EventService(db, settings, clock, units=units, broadcast=broadcast,
                            content=content),
        quiz=quiz,
        stats=StatsService(db, clock, settings, units, topic_of, question_text),
    )
