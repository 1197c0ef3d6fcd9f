"""Reports (issue 17): /report for officers and admins (pick an area and a period; get the
figures as text, charts, XLSX and PDF, CSV on a button), /tipstats (the short tip figures of the
last six months), and the job that sends the automatic reports to administrators."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InputFile, InputMediaPhoto, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import stats_reports as reports
from bot.i18n import N_, Translator, translator
from bot.jobs import job
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.stats import StatsError, StatsService, parse_period, period_for, report_text, scope_name
from handlers import registry
from handlers.common import Context, answer, args_of, callback_parts, markup, rt, show, tr
from storage import stats as repo

log = logging.getLogger(__name__)

P = "rep"
FLOW = "report_period"
MAX_ATTEMPTS = 5
PERIOD_BUTTONS = (
    ("half", N_("This half-year")),
    ("year", N_("This year")),
    ("action", N_("Last action month (June)")),
)


def service(context: Context) -> StatsService:
    svc: StatsService = rt(context).services["stats"]
    return svc


def _is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


async def _scopes(update: Update, context: Context, t: Translator) -> list[Any] | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    try:
        return await service(context).scopes(user.id, chat.id, _is_group(update))
    except StatsError as exc:
        if not _is_group(update):  # strangers in groups get no answer (no noise in groups)
            await show(update, context, Screen(exc.text(t)))
        return None


def _period_screen(t: Translator, svc: StatsService, scope: Any, *, group: bool = False) -> Screen:
    _ = t.gettext
    today = svc.today()
    rows = [[Button(t.gettext(label), data=f"{P}:r:{scope.token}:{period_for(kind, today).token}")]
            for kind, label in PERIOD_BUTTONS]
    if not group:  # in a group the bot does not see the typed dates (privacy mode)
        rows.append([Button(_("Custom period…"), data=f"{P}:x:{scope.token}")])
    return Screen(_("📊 <b>Report — {unit}</b>\nWhich period?").format(
        unit=esc(scope_name(t, scope))), rows)


async def report_command(update: Update, context: Context) -> None:
    """/report, or /report PROVINCE_CODE (an admin of that province, e.g. /report 79)."""
    t = await tr(update, context)
    scopes = await _scopes(update, context, t)
    if not scopes:
        return
    args = args_of(context)
    user = update.effective_user
    if args and user is not None and not _is_group(update):
        code = args[0].strip().upper().removeprefix("P")
        try:
            scope = await service(context).resolve(user.id, f"p{int(code):02d}" if code.isdigit() else "")
        except StatsError as exc:
            await show(update, context, Screen(exc.text(t)))
            return
        await show(update, context, _period_screen(t, service(context), scope))
        return
    if len(scopes) == 1:
        await show(update, context, _period_screen(t, service(context), scopes[0],
                                                   group=_is_group(update)))
        return
    rows = [[Button(scope_name(t, s), data=f"{P}:s:{s.token}")] for s in scopes[:30]]
    await show(update, context, Screen(t.gettext("📊 <b>Report</b>\nWhich unit or area?"), rows))


async def tipstats_command(update: Update, context: Context) -> None:
    """The tip figures of the last six months for each area the person may see (issue 11,
    item 14: the same suppressed figures as /report, so nothing can be undone by subtraction)."""
    t = await tr(update, context)
    user = update.effective_user
    scopes = await _scopes(update, context, t)
    if not scopes or user is None:
        return
    svc = service(context)
    period = period_for("recent", svc.today())
    texts = []
    for scope in scopes[:6]:
        fig = await svc.figures(user.id, scope.token, period, t)
        texts.append(report_text(t, fig, short=True))
    await show(update, context, Screen("\n\n".join(texts)))


async def on_button(update: Update, context: Context) -> None:
    t = await tr(update, context)
    user = update.effective_user
    parts = callback_parts(update)
    if user is None or len(parts) < 3:
        await answer(update)
        return
    action, token = parts[1], parts[2]
    svc = service(context)
    try:
        scope = await svc.resolve(user.id, token)
        if _is_group(update):  # in a group: only the unit bound to it
            allowed = await svc.scopes(user.id, update.effective_chat.id, True)  # type: ignore[union-attr]
            if scope.token not in {s.token for s in allowed}:
                raise StatsError(N_("You may only see the figures of your own unit or province."))
        if action == "s":
            await answer(update)
            await show(update, context, _period_screen(t, svc, scope, group=_is_group(update)),
                       edit=True)
        elif action == "x" and not _is_group(update):
            await answer(update)
            chat = update.effective_chat
            assert chat is not None
            await rt(context).sessions.set(chat.id, {"flow": FLOW, "scope": scope.token})
            await show(update, context, Screen(t.gettext(
                "Send the period as <code>dd/mm/yyyy - dd/mm/yyyy</code>, for example "
                "<code>01/01/2026 - 30/06/2026</code>. /cancel to stop.")))
        elif action in ("r", "c") and len(parts) >= 4:
            period = reports.parse_token(parts[3], svc.today())
            await answer(update, t.gettext("Preparing the report…"))
            if action == "r":
                await _send_report(update, context, t, user.id, scope.token, period)
            else:
                name, data = await reports.csv_file(svc, user.id, scope.token, period, t)
                await show(update, context, Screen("", document=(name, data)))
        else:
            await answer(update)
    except StatsError as exc:
        await answer(update, exc.text(t), alert=True)


async def on_period_input(update: Update, context: Context) -> None:
    t = await tr(update, context)
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    svc = service(context)
    session = await rt(context).sessions.get(chat.id)
    try:
        period = parse_period(message.text or "", svc.today())
        scope = await svc.resolve(user.id, str(session.get("scope", "")))
    except StatsError as exc:
        await show(update, context, Screen(exc.text(t) + "\n" + t.gettext(
            "Try again, or /cancel.")))
        return
    await rt(context).sessions.clear(chat.id)
    await _send_report(update, context, t, user.id, scope.token, period)


async def _send_report(update: Update, context: Context, t: Translator, actor_id: int,
                       token: str, period: Any) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    b = await reports.bundle(service(context), actor_id, token, period, t)  # permission inside
    csv_button = [[Button(t.gettext("⬇️ CSV"), data=f"{P}:c:{token}:{period.token}")]]
    await context.bot.send_message(chat.id, b.text, reply_markup=markup(csv_button))
    await context.bot.send_media_group(chat.id, [InputMediaPhoto(c.png) for c in b.charts])
    for name, data in b.files:
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


# -- automatic reports ---------------------------------------------------------------------------
async def send_due_reports(bot: Any, runtime: Runtime) -> int:
    """Create the reports due today (once) and send every pending one, part by part."""
    svc: StatsService = runtime.services["stats"]
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
                await _send_part(bot, uid, step, b, t, str(row["kind"]))
                step += 1
                await repo.report_step(runtime.db, int(row["id"]), step)
            await repo.report_sent(runtime.db, int(row["id"]), svc.clock.timestamp())
            sent += 1
        except Forbidden:  # the admin blocked the bot: nothing to retry
            await repo.report_attempt(runtime.db, int(row["id"]), failed=True)
        except (BadRequest, RetryAfter, OSError, StatsError) as exc:
            log.warning("automatic report not sent yet: %s", type(exc).__name__)
            await repo.report_attempt(runtime.db, int(row["id"]),
                                      failed=int(row["attempts"]) + 1 >= MAX_ATTEMPTS)
    return sent


async def _send_part(bot: Any, chat_id: int, step: int, b: reports.Bundle, t: Translator,
                     kind: str) -> None:
    if step == reports.PART_TEXT:
        await bot.send_message(chat_id, f"<b>{esc(reports.report_title(t, kind))}</b>\n\n{b.text}")
    elif step == reports.PART_CHARTS:
        await bot.send_media_group(chat_id, [InputMediaPhoto(c.png) for c in b.charts])
    else:
        name, data = b.files[step - reports.PART_XLSX]
        await bot.send_document(chat_id, InputFile(data, filename=name))


@job("stats_reports", every_seconds=900, first=60)
async def reports_job(bot: Any, runtime: Runtime) -> None:
    if "stats" in runtime.services:
        await send_due_reports(bot, runtime)


async def setup(app: Application, runtime: Runtime) -> None:
    quiz = runtime.services.get("quiz")
    bank = getattr(quiz, "bank", None)
    topic_of = question_text = None
    if bank is not None:
        def topic_of(qid: str) -> str | None:
            q = bank.get(qid)
            return q.topic if q is not None else None

        def question_text(qid: str, locale: str) -> str | None:
            q = bank.get(qid)
            return q.text_for(locale) if q is not None else None
    runtime.services["stats"] = StatsService(runtime.db, runtime.clock, runtime.settings,
                                             runtime.services["units"], topic_of, question_text)
    registry.flow(FLOW, on_period_input)
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CommandHandler("tipstats", tipstats_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{P}:"))
