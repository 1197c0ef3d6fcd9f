"""Composition root: the one list of background jobs (GlobaLeaks keeps one job list too).

Each job is a plain function of its feature; this list is the only place that says what runs
in the background and how often, so nothing starts by the side effect of an import."""

from __future__ import annotations

from bot.broadcast import broadcast_purge, broadcast_tick
from bot.channels.telegram.quiz_polls import group_rounds_job
from bot.events import plan_automatic_job
from bot.jobs import Job, housekeeping
from handlers.quiz_teacher import send_final_rankings
from handlers.stats import reports_job
from handlers.tip_police import outbox_job, reminders_job, retention_job
from handlers.tips import hygiene_job

JOBS: tuple[Job, ...] = (
    Job("housekeeping", every_seconds=3600, first=5, fn=housekeeping),
    Job("tips_outbox", every_seconds=30, first=3, fn=outbox_job),  # the worker's safety net
    Job("tips_reminders", every_seconds=600, first=30, fn=reminders_job),
    Job("tips_retention", every_seconds=86400, first=120, fn=retention_job),
    Job("tips_hygiene", every_seconds=600, first=20, fn=hygiene_job),
    Job("broadcast", every_seconds=5, first=3, fn=broadcast_tick),
    Job("broadcast_purge", every_seconds=6 * 3600, first=60, fn=broadcast_purge),
    Job("events_automatic", every_seconds=300, first=10, fn=plan_automatic_job),
    Job("quiz_group_rounds", every_seconds=3, first=3, fn=group_rounds_job, telegram_only=True),
    Job("quiz_final_rankings", every_seconds=30, first=10, fn=send_final_rankings),
    Job("stats_reports", every_seconds=900, first=60, fn=reports_job),
)
