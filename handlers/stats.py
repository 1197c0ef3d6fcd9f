"""Reports (issue 17): /report for officers and admins (pick an area and a period; get the
figures as text, charts, XLSX and PDF, CSV on a button), /tipstats (the short tip figures of the
last six months), and the job that sends the automatic reports to administrators.
Channel-neutral: files go out as screens (`Screen.document`), the chart album through the
channel's chat port (bot/engine/chat_port.py), the automatic reports to each admin through
the Messenger (bot/engine/messenger.py)."""

from __future__ import annotations

import logging
from typing import Any

from bot import stats_reports as reports
from bot.engine.actions import Action
from bot.engine.chat_port import Destination, chat_port
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.messenger import SendOutcome, send_to_user
from bot.engine.router import Router
from bot.i18n import N_, Translator, translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.stats import StatsError, StatsService, parse_period, period_for, report_text, scope_name
from storage import stats as repo

log = logging.getLogger(__name__)

router = Router("stats")

FLOW = "report_period"
MAX_ATTEMPTS = 5
PERIOD_BUTTONS = (
    ("half", N_("This half-year")),
    ("year", N_("This year")),
    ("action", N_("Last action month (June)")),
)


# The packed forms ("rep:r:p79:20260101-20260630", …) are those of buttons already sent.
# Scope and period tokens are never trusted: the service resolves and re-checks them.
class PickScope(Action, prefix="rep:s"):
    scope: str


class CustomPeriod(Action, prefix="rep:x"):
    scope: str


class MakeReport(Action, prefix="rep:r"):
    scope: str
    period: str


class CsvFile(Action, prefix="rep:c"):
    scope: str
    period: str


def service(turn: Turn) -> StatsService:
    svc: StatsService = turn.runtime.services.stats
    return svc


async def _actor(turn: Turn) -> int | None:
    return await turn.user_id() if turn.person is not None else None


async def _scopes(turn: Turn, actor: int) -> list[Any] | None:
    try:
        return await service(turn).scopes(actor, turn.chat.key if not turn.chat.private else None,
                                          not turn.chat.private)
    except StatsError as exc:
        if turn.chat.private:  # strangers in groups get no answer (no noise in groups)
            await turn.show(Screen(exc.text(turn.t)))
        return None


def _period_screen(t: Translator, svc: StatsService, scope: Any, *, group: bool = False) -> Screen:
    _ = t.gettext
    today = svc.today()
    rows = [[Button(t.gettext(label), action=MakeReport(scope.token, period_for(kind, today).token))]
            for kind, label in PERIOD_BUTTONS]
    if not group:  # in a group the bot does not see the typed dates (privacy mode)
        rows.append([Button(_("Custom period…"), action=CustomPeriod(scope.token))])
    return Screen(_("📊 <b>Report — {unit}</b>\nWhich period?").format(
        unit=esc(scope_name(t, scope))), rows)


@router.command("report")
async def report_command(turn: Turn, cmd: Command) -> None:
    """/report, or /report PROVINCE_CODE (an admin of that province, e.g. /report 79)."""
    t = turn.t
    actor = await _actor(turn)
    if actor is None:
        return
    scopes = await _scopes(turn, actor)
    if not scopes:
        return
    svc = service(turn)
    group = not turn.chat.private
    if cmd.args and not group:
        code = cmd.args[0].strip().upper().removeprefix("P")
        try:
            scope = await svc.resolve(actor, f"p{int(code):02d}" if code.isdigit() else "")
        except StatsError as exc:
            await turn.show(Screen(exc.text(t)))
            return
        await turn.show(_period_screen(t, svc, scope))
        return
    if len(scopes) == 1:
        await turn.show(_period_screen(t, svc, scopes[0], group=group))
        return
    rows = [[Button(scope_name(t, s), action=PickScope(s.token))] for s in scopes[:30]]
    await turn.show(Screen(t.gettext("📊 <b>Report</b>\nWhich unit or area?"), rows))


@router.command("tipstats")
async def tipstats_command(turn: Turn, cmd: Command) -> None:
    """The tip figures of the last six months for each area the person may see (issue 11,
    item 14: the same suppressed figures as /report, so nothing can be undone by subtraction)."""
    actor = await _actor(turn)
    if actor is None:
        return
    scopes = await _scopes(turn, actor)
    if not scopes:
        return
    svc = service(turn)
    period = period_for("recent", svc.today())
    texts = []
    for scope in scopes[:6]:
        fig = await svc.figures(actor, scope.token, period, turn.t)
        texts.append(report_text(turn.t, fig, short=True))
    await turn.show(Screen("\n\n".join(texts)))


async def _allowed_scope(turn: Turn, actor: int, token: str) -> Any:
    """The scope a pressed button names, if this person may see it here (in a group: only the
    unit bound to it)."""
    svc = service(turn)
    scope = await svc.resolve(actor, token)
    if not turn.chat.private:
        allowed = await svc.scopes(actor, turn.chat.key, True)
        if scope.token not in {s.token for s in allowed}:
            raise StatsError(N_("You may only see the figures of your own unit or province."))
    return scope


@router.on(PickScope, CustomPeriod, MakeReport, CsvFile)
async def on_button(turn: Turn, act: PickScope | CustomPeriod | MakeReport | CsvFile) -> None:
    t = turn.t
    actor = await _actor(turn)
    if actor is None:
        await turn.notice()
        return
    svc = service(turn)
    try:
        scope = await _allowed_scope(turn, actor, act.scope)
        if isinstance(act, PickScope):
            await turn.notice()
            await turn.show(_period_screen(t, svc, scope, group=not turn.chat.private),
                            replace=True)
        elif isinstance(act, CustomPeriod):
            await turn.notice()
            if not turn.chat.private:
                return  # typed dates do not reach the bot in a group
            await turn.set_session({"flow": FLOW, "scope": scope.token})
            await turn.show(Screen(t.gettext(
                "Send the period as <code>dd/mm/yyyy - dd/mm/yyyy</code>, for example "
                "<code>01/01/2026 - 30/06/2026</code>. /cancel to stop.")))
        else:
            period = reports.parse_token(act.period, svc.today())
            await turn.notice(t.gettext("Preparing the report…"))
            if isinstance(act, MakeReport):
                await _send_report(turn, actor, scope.token, period)
            else:
                name, data = await reports.csv_file(svc, actor, scope.token, period, t)
                await turn.show(Screen("", document=(name, data)))
    except StatsError as exc:
        await turn.notice(exc.text(t), alert=True)


@router.flow(FLOW)
async def on_period_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    actor = await _actor(turn)
    if actor is None:
        return
    svc = service(turn)
    session = await turn.session()
    try:
        if not isinstance(inp, Text):
            raise StatsError(N_("Please send the period as text."))
        period = parse_period(inp.text, svc.today())
        scope = await svc.resolve(actor, str(session.get("scope", "")))
    except StatsError as exc:
        await turn.show(Screen(exc.text(t) + "\n" + t.gettext("Try again, or /cancel.")))
        return
    await turn.clear_session()
    await _send_report(turn, actor, scope.token, period)


async def _send_report(turn: Turn, actor_id: int, token: str, period: Any) -> None:
    t = turn.t
    b = await reports.bundle(service(turn), actor_id, token, period, t)  # permission inside
    csv_button = [[Button(t.gettext("⬇️ CSV"), action=CsvFile(token, period.token))]]
    await turn.show(Screen(b.text, csv_button))
    pngs = [c.png for c in b.charts]
    port = chat_port(turn.runtime, turn.chat.channel)
    if port is not None and pngs:  # one album where the channel has albums
        await port.send_photos(Destination(port.channel, turn.chat.key), pngs)
    else:
        for png in pngs:
            await turn.show(Screen("", photo=png))
    for name, data in b.files:
        await turn.show(Screen("", document=(name, data)))


# -- automatic reports ---------------------------------------------------------------------------
class _NotSent(Exception):
    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(outcome)
        self.outcome = outcome


async def send_due_reports(bot: Any, runtime: Runtime) -> int:
    """Create the reports due today (once) and send every pending one, part by part, to the
    admin on a channel of theirs (bot/engine/messenger.py; `bot` is unused: the jobs'
    signature)."""
    svc: StatsService = runtime.services.stats
    today, now = reports.local_today(svc)
    await reports.create_due(svc, today, now)
    sent = 0
    made: dict[tuple[str, str, str, str], reports.Bundle] = {}  # admins of one province share it
    for row in await repo.pending_reports(runtime.db, limit=100):
        if not await reports.still_allowed(svc, row):
            await repo.report_attempt(runtime.db, int(row["id"]), failed=True)
            continue
        uid = int(row["recipient_id"])
        locale = await runtime.users.locale(uid, None)
        t = translator(locale)
        key = (str(row["scope"]), str(row["period_start"]), str(row["period_end"]), locale)
        try:
            if key not in made:
                made[key] = await reports.bundle(svc, None, key[0], reports.row_period(row), t)
            b = made[key]
            step = int(row["step"])
            while step < reports.PARTS:
                for screen in _part(step, b, t, str(row["kind"])):
                    outcome = await send_to_user(runtime, uid, screen)
                    if outcome is not SendOutcome.SENT:
                        raise _NotSent(outcome)
                step += 1
                await repo.report_step(runtime.db, int(row["id"]), step)
            await repo.report_sent(runtime.db, int(row["id"]), svc.clock.timestamp())
            sent += 1
        except _NotSent as exc:
            if exc.outcome is SendOutcome.UNREACHABLE:  # blocked the bot: nothing to retry
                await repo.report_attempt(runtime.db, int(row["id"]), failed=True)
            else:
                log.warning("automatic report not sent yet")
                await repo.report_attempt(runtime.db, int(row["id"]),
                                          failed=int(row["attempts"]) + 1 >= MAX_ATTEMPTS)
        except (OSError, StatsError) as exc:
            log.warning("automatic report not sent yet: %s", type(exc).__name__)
            await repo.report_attempt(runtime.db, int(row["id"]),
                                      failed=int(row["attempts"]) + 1 >= MAX_ATTEMPTS)
    return sent


def _part(step: int, b: reports.Bundle, t: Translator, kind: str) -> list[Screen]:
    """The screens of one recorded step (a restart resumes at the step not yet done)."""
    if step == reports.PART_TEXT:
        return [Screen(f"<b>{esc(reports.report_title(t, kind))}</b>\n\n{b.text}")]
    if step == reports.PART_CHARTS:
        return [Screen("", photo=c.png) for c in b.charts]
    return [Screen("", document=b.files[step - reports.PART_XLSX])]


async def reports_job(bot: Any, runtime: Runtime) -> None:
    await send_due_reports(bot, runtime)


async def setup(runtime: Runtime) -> None:
    """The statistics service is built with the others (bot/services.py)."""
