"""Quiz, the teacher side: the contest wizard, the contest screen (code, link, QR), the live
leaderboard, the final ranking, the CSV export and renaming/removing display names.

Only the teacher who created a contest can see or change it (checked by the service on every
action). Callback data: `quiz_teacher:<action>:<args>`.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Translator, translator
from bot.jobs import job
from bot.quiz import (
    QuizError,
    QuizService,
    clean_title,
    parse_when,
)
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.subscriptions import ward_page
from content.quiz_bank import TOPICS
from handlers import registry
from handlers.common import Context, answer, callback_parts, markup, rt, show, tr

log = logging.getLogger(__name__)

FLOW_NEW = "quiz_new"
FLOW_RENAME = "quiz_rename"
P = "quiz_teacher"
COUNTS = (5, 10, 15, 20)
SECONDS = (10, 20, 30, 60)
START_IN = (0, 10, 60)  # minutes from now
DURATIONS = (15, 30, 60, 24 * 60, 7 * 24 * 60)  # minutes


def service(context: Context) -> QuizService:
    svc: QuizService = rt(context).services["quiz"]
    return svc


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


# -- wizard -------------------------------------------------------------------------------------


def _duration_label(minutes: int, t: Translator) -> str:
    _ = t.gettext
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    if minutes < 24 * 60:
        return _("{n} h").format(n=minutes // 60)
    return _("{n} days").format(n=minutes // (24 * 60)) if minutes > 24 * 60 else _("1 day")


def wizard_screen(draft: dict[str, Any], step: str, t: Translator, svc: QuizService) -> Screen:
    _ = t.gettext
    cancel = [Button(_("✖️ Cancel"), data=f"{P}:w:cancel")]
    if step == "title":
        return Screen(_("<b>New contest</b> (1/8)\n\nType a title, e.g. “Lớp 9A — Tháng hành động "
                        "phòng, chống ma túy”:"), [cancel])
    if step == "count":
        return Screen(_("<b>{title}</b> (2/8)\n\nHow many questions?").format(
            title=esc(draft["title"])),
            [[Button(str(n), data=f"{P}:w:count:{n}") for n in COUNTS], cancel])
    if step == "topics":
        chosen = set(draft.get("topics", []))
        rows = []
        counts = svc.bank.topics()
        for i, topic in enumerate(TOPICS):
            if topic not in counts:
                continue
            mark = "✅ " if topic in chosen else ""
            rows.append([Button(mark + svc.topic_label(topic, t), data=f"{P}:w:tp:{i}")])
        rows.append([Button(_("All topics"), data=f"{P}:w:tpall"),
                     Button(_("Done ▶"), data=f"{P}:w:tpdone")])
        rows.append(cancel)
        shown = ", ".join(svc.topic_label(tp, t) for tp in TOPICS if tp in chosen) or _(
            "all topics")
        return Screen(_("<b>Topics</b> (3/8)\n\nTap topics to choose them, then Done. "
                        "Chosen: {topics}").format(topics=esc(shown)), rows)
    if step == "difficulty":
        keys = ("easy", "medium", "hard", "")
        return Screen(_("<b>Difficulty</b> (4/8)"), [
            [Button(svc.difficulty_label(k, t), data=f"{P}:w:diff:{k or 'mix'}") for k in keys],
            cancel])
    if step == "seconds":
        return Screen(_("<b>Seconds per question</b> (5/8)\n\nCounted from when each student "
                        "sees the question."),
                      [[Button(f"{s} s", data=f"{P}:w:sec:{s}") for s in SECONDS], cancel])
    if step == "bonus":
        return Screen(_("<b>Speed bonus</b> (6/8)\n\nWith it, faster correct answers earn more "
                        "points. Without it, only correct answers count."),
                      [[Button(_("⚡ Speed bonus on"), data=f"{P}:w:bonus:1"),
                        Button(_("Correct answers only"), data=f"{P}:w:bonus:0")], cancel])
    if step == "start":
        return Screen(_("<b>Start</b> (7/8)\n\nWhen does the contest open? Tap, or type a time "
                        "such as 14:30 or 14:30 25/12."),
                      [[Button(_("Now"), data=f"{P}:w:start:0"),
                        Button(_("In 10 min"), data=f"{P}:w:start:10"),
                        Button(_("In 1 h"), data=f"{P}:w:start:60")], cancel])
    if step == "duration":
        return Screen(_("<b>End</b> (8/8)\n\nHow long does it stay open? Tap, or type the end "
                        "time such as 16:00 or 16:00 25/12."),
                      [[Button(_duration_label(m, t), data=f"{P}:w:dur:{m}") for m in DURATIONS],
                       cancel])
    # confirm
    from datetime import UTC, datetime

    def when(ts: int) -> str:
        return t.datetime(datetime.fromtimestamp(ts, UTC))

    topics = ", ".join(svc.topic_label(tp, t) for tp in draft.get("topics", [])) or _(
        "all topics")
    text = _(
        "<b>Check your contest</b>\n\n<b>{title}</b>\n{n} questions · {s} seconds each · "
        "{difficulty}\nTopics: {topics}\nSpeed bonus: {bonus}\nFrom {start} to {end}"
    ).format(title=esc(draft["title"]), n=draft["count"], s=draft["seconds"],
             difficulty=svc.difficulty_label(draft["difficulty"], t), topics=esc(topics),
             bonus=_("on") if draft["bonus"] else _("off"), start=when(draft["starts_at"]),
             end=when(draft["ends_at"]))
    return Screen(text, [[Button(_("✅ Create"), data=f"{P}:w:create")], cancel])


async def _save(context: Context, chat_id: int, step: str, draft: dict[str, Any]) -> None:
    await rt(context).sessions.set(chat_id, {"flow": FLOW_NEW, "step": step, "d": draft},
                                   ttl=3600)


async def new_contest(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    t = await tr(update, context)
    await answer(update)
    await _save(context, chat.id, "title", {})
    await show(update, context, wizard_screen({}, "title", t, service(context)))


async def on_wizard_input(update: Update, context: Context) -> None:
    """Typed input during the wizard: the title, or a start/end time."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    session = await rt(context).sessions.get(chat.id)
    step, draft = str(session.get("step", "")), dict(session.get("d", {}))
    text = message.text or ""
    if step == "title":
        title = clean_title(text)
        if len(title) < 3:
            await show(update, context, Screen(_("A title has at least 3 characters. Type it "
                                                 "again:")))
            return
        draft["title"] = title
        step = "count"
    elif step in ("start", "duration"):
        when = parse_when(text, svc.clock.now(), rt(context).settings.tz)
        if when is None:
            await show(update, context, Screen(_("I could not read that time. Type it like "
                                                 "14:30 or 14:30 25/12, or tap a button.")))
            return
        ts = int(when.timestamp())
        if step == "start":
            draft["starts_at"] = max(ts, svc.clock.timestamp())
            step = "duration"
        else:
            if ts <= draft["starts_at"]:
                await show(update, context, Screen(_("The end must be after the start. Type "
                                                     "another time:")))
                return
            draft["ends_at"] = ts
            step = "confirm"
    else:
        await show(update, context, Screen(_("Please use the buttons above, or /cancel.")))
        return
    await _save(context, chat.id, step, draft)
    await show(update, context, wizard_screen(draft, step, t, svc))


async def _wizard_button(update: Update, context: Context, parts: list[str],
                         t: Translator) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    svc = service(context)
    session = await rt(context).sessions.get(chat.id)
    what = parts[2] if len(parts) > 2 else ""
    value = parts[3] if len(parts) > 3 else ""
    if session.get("flow") != FLOW_NEW:
        await answer(update, t.gettext("This button is no longer available."))
        return
    if what == "cancel":
        await rt(context).sessions.clear(chat.id)
        await show(update, context, Screen(t.gettext("Cancelled. No contest was created.")),
                   edit=True)
        await answer(update)
        return
    step, draft = str(session.get("step", "")), dict(session.get("d", {}))
    now = svc.clock.timestamp()
    nxt = None
    if step == "count" and what == "count" and (n := _int(value)) in COUNTS:
        draft["count"], nxt = n, "topics"
    elif step == "topics" and what == "tp" and (i := _int(value)) is not None and i < len(TOPICS):
        chosen = list(draft.get("topics", []))
        topic = TOPICS[i]
        chosen = [x for x in chosen if x != topic] if topic in chosen else [*chosen, topic]
        draft["topics"], nxt = chosen, "topics"
    elif step == "topics" and what == "tpall":
        draft["topics"], nxt = [], "difficulty"
    elif step == "topics" and what == "tpdone":
        draft.setdefault("topics", [])
        nxt = "difficulty"
    elif step == "difficulty" and what == "diff" and value in ("easy", "medium", "hard", "mix"):
        draft["difficulty"], nxt = ("" if value == "mix" else value), "seconds"
    elif step == "seconds" and what == "sec" and (s := _int(value)) in SECONDS:
        draft["seconds"], nxt = s, "bonus"
    elif step == "bonus" and what == "bonus" and value in ("0", "1"):
        draft["bonus"], nxt = value == "1", "start"
    elif step == "start" and what == "start" and (m := _int(value)) in START_IN:
        draft["starts_at"], nxt = now + int(m or 0) * 60, "duration"
    elif step == "duration" and what == "dur" and (m := _int(value)) in DURATIONS:
        draft["ends_at"] = draft["starts_at"] + int(m or 0) * 60
        nxt = "confirm"
    elif step == "confirm" and what == "create":
        await _create(update, context, draft, t)
        return
    if nxt is None:
        await answer(update, t.gettext("This button is no longer available."))
        return
    await _save(context, chat.id, nxt, draft)
    await show(update, context, wizard_screen(draft, nxt, t, svc), edit=True)
    await answer(update)


async def _create(update: Update, context: Context, draft: dict[str, Any],
                  t: Translator) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    svc = service(context)
    try:
        contest = await svc.create_contest(
            user.id, title=draft["title"], count=draft["count"], topics=draft["topics"],
            difficulty=draft["difficulty"], seconds=draft["seconds"],
            speed_bonus=draft["bonus"], starts_at=draft["starts_at"],
            ends_at=draft["ends_at"], locale=t.locale)
    except QuizError as exc:
        await answer(update, t.gettext(str(exc)), alert=True)
        return
    await rt(context).sessions.clear(chat.id)
    await answer(update, t.gettext("Contest created."))
    if len(contest.question_ids) < draft["count"]:
        await show(update, context, Screen(t.gettext(
            "Only {n} questions match your choices, so the contest has {n}.").format(
                n=len(contest.question_ids))))
    await show(update, context, await contest_view(context, contest, t, user.id), edit=True)
    await show(update, context, svc.qr_screen(contest, t))


# -- contest screens ----------------------------------------------------------------------------


def _events(context: Context) -> Any:
    return rt(context).services.get("events")


async def contest_view(context: Context, contest: Any, t: Translator, user_id: int) -> Screen:
    """The contest screen, plus “Announce to subscribers” for owners who are police officers or
    admins (who may reach an area) while the contest has not ended."""
    svc = service(context)
    screen = await svc.contest_screen(contest, t)
    events = _events(context)
    if (events is not None and contest.ends_at > svc.now()
            and await events.can_create(user_id)):
        screen.buttons.insert(-1, [Button(t.gettext("📣 Announce to subscribers"),
                                          data=f"{P}:ann:{contest.id}")])
    return screen


async def _announce(update: Update, context: Context, contest: Any, parts: list[str],
                    t: Translator) -> None:
    """`ann:<id>`: choose the area; `anx:<id>:<area>`: create the campaign (re-checked by the
    events service: owner, area rights, not ended, once per area)."""
    from bot.events import EventError

    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    _ = t.gettext
    events = _events(context)
    if events is None:
        await answer(update, _("This button is no longer available."))
        return
    if parts[1] == "ann":
        options = await events.scope_options(user.id)
        rows = [[Button(o.label(t), data=f"{P}:anx:{contest.id}:{o.data}")] for o in options[:20]]
        rows += await events.ward_picker_rows(
            t, user.id, lambda prov: f"{P}:anx:{contest.id}:wpg:{prov}:0")
        rows.append([Button(_("⬅️ Contest"), data=f"{P}:c:{contest.id}")])
        await answer(update)
        await show(update, context, Screen(_(
            "📣 Announce <b>{title}</b> to the people subscribed to “Quiz contests” in which "
            "area? They get a button that opens the contest.").format(title=esc(contest.title)),
            rows), edit=True)
        return
    if len(parts) == 6 and parts[3] == "wpg" and parts[5].isdigit():
        # A page of the wards of one province (`anx:<id>:wpg:<prov>:<page>`), for those who
        # may announce there; picking one comes back as `anx:<id>:w:<ward>`.
        prov = parts[4]
        if not await events.allows_scope(user.id, "province", prov):
            await answer(update, _("You cannot announce to this area."), alert=True)
            return
        page = ward_page(t, prov, int(parts[5]), f"{P}:anx:{contest.id}:w",
                         f"{P}:anx:{contest.id}:p{prov}")
        # (ward_page pages with `<prefix>pg:<prov>:<page>`, i.e. this same `wpg` form)
        rows = list(page.buttons)
        rows.append([Button(_("⬅️ Contest"), data=f"{P}:c:{contest.id}")])
        await answer(update)
        await show(update, context, Screen(_(
            "📣 Announce <b>{title}</b> in which commune/ward? Or to the whole province."
        ).format(title=esc(contest.title)), rows), edit=True)
        return
    scopes = {"w": "ward", "p": "province", "n": "national"}
    if len(parts) == 5 and parts[3] == "w":
        scope, code = "ward", parts[4]
    elif len(parts) == 4 and parts[3][:1] in scopes:
        scope, code = scopes[parts[3][:1]], parts[3][1:]
    else:
        await answer(update, _("This button is no longer available."))
        return
    try:
        cid, count = await events.announce_contest(
            user.id, contest, scope, code, service(context).link(contest.code),
            progress_chat=chat.id, admin_locale=t.locale,
        )
    except EventError as exc:
        await answer(update, exc.text(t), alert=True)
        return
    await answer(update, _("Announcement saved."))
    await show(update, context, Screen(_(
        "📣 The announcement of <b>{title}</b> goes to {n} subscribers now (campaign #{id}); "
        "the progress follows below.").format(title=esc(contest.title), n=t.number(count), id=cid),
        [[Button(_("⬅️ Contest"), data=f"{P}:c:{contest.id}")]]), edit=True)
    broadcast = rt(context).services.get("broadcast")
    if broadcast is not None:
        await broadcast.tick()


def list_screen(contests: list[Any], t: Translator) -> Screen:
    _ = t.gettext
    if not contests:
        return Screen(_("You have not created a contest yet."),
                      [[Button(_("👩‍🏫 Create a contest"), data=f"{P}:new")]])
    rows = [[Button(f"{c.code} · {c.title}"[:60], data=f"{P}:c:{c.id}")] for c in contests]
    rows.append([Button(_("👩‍🏫 Create a contest"), data=f"{P}:new")])
    return Screen(_("<b>Your contests</b> (newest first):"), rows)


async def my_contests(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    t = await tr(update, context)
    await answer(update)
    contests = await service(context).my_contests(user.id)
    await show(update, context, list_screen(contests, t), edit=update.callback_query is not None)


async def leaderboard_command(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    t = await tr(update, context)
    svc = service(context)
    code = "".join(context.args or [])
    if not code:
        await show(update, context, Screen(t.gettext(
            "Send /leaderboard followed by the join code, e.g. /leaderboard K7M2QX.")))
        return
    try:
        contest = await svc.owned_by_code(code, user.id)
    except QuizError as exc:
        await show(update, context, Screen(t.gettext(str(exc))))
        return
    await show(update, context, await svc.leaderboard_screen(contest, t))


async def send_exports(context: Context, chat_id: int, files: list[tuple[str, bytes]],
                       t: Translator) -> None:
    captions = [t.gettext("Results: one row per student (rank, name, score, time)."),
                t.gettext("Item analysis: share of correct answers per question, hardest "
                          "first.")]
    for (name, data), caption in zip(files, captions, strict=False):
        await context.bot.send_document(chat_id, InputFile(data, filename=name), caption=caption)


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    t = await tr(update, context)
    _ = t.gettext
    svc = service(context)
    action = parts[1] if len(parts) > 1 else ""
    if action == "new":
        await new_contest(update, context)
        return
    if action == "list":
        await my_contests(update, context)
        return
    if action == "w":
        await _wizard_button(update, context, parts, t)
        return
    contest_id = _int(parts[2]) if len(parts) > 2 else None
    if contest_id is None:
        await answer(update, _("This button is no longer available."))
        return
    try:
        contest = await svc.owned(contest_id, user.id)
        if action == "c":
            await show(update, context, await contest_view(context, contest, t, user.id), edit=True)
            await answer(update)
        elif action == "lb":
            await show(update, context, await svc.leaderboard_screen(contest, t), edit=True)
            await answer(update)
        elif action == "csv":
            await answer(update)
            await send_exports(context, chat.id, await svc.export(contest, t.locale), t)
        elif action == "qr":
            await show(update, context, svc.qr_screen(contest, t))
            await answer(update)
        elif action == "end":
            await svc.end_now(contest)
            contest = await svc.owned(contest_id, user.id)
            await answer(update, _("The contest has ended."))
            await show(update, context, await contest_view(context, contest, t, user.id), edit=True)
            if await svc.mark_final_sent(contest):
                await show(update, context, await svc.leaderboard_screen(contest, t, final=True))
        elif action in ("ann", "anx"):
            await _announce(update, context, contest, parts, t)
        elif action == "names" and len(parts) == 4 and (page := _int(parts[3])) is not None:
            await show(update, context, await svc.names_screen(contest, page, t), edit=True)
            await answer(update)
        elif action in ("n", "rn", "rm") and len(parts) == 4 and (eid := _int(parts[3])):
            entry = await svc.entry_of(contest, eid)
            if action == "n":
                await show(update, context, Screen(
                    _("Display name: <b>{name}</b>").format(name=esc(entry.display_name)),
                    [[Button(_("✏️ Rename"), data=f"{P}:rn:{contest.id}:{entry.id}"),
                      Button(_("🚫 Remove name"), data=f"{P}:rm:{contest.id}:{entry.id}")],
                     [Button(_("⬅️ Back"), data=f"{P}:names:{contest.id}:0")]]), edit=True)
                await answer(update)
            elif action == "rn":
                await rt(context).sessions.set(
                    chat.id, {"flow": FLOW_RENAME, "contest": contest.id, "entry": entry.id},
                    ttl=3600)
                await show(update, context, Screen(_(
                    "Type the new display name for <b>{name}</b>:").format(
                        name=esc(entry.display_name))))
                await answer(update)
            else:
                neutral = await svc.remove_name(contest, entry.id, t)
                await answer(update, _("Name removed: now shown as “{name}”.").format(
                    name=neutral))
                await show(update, context, await svc.names_screen(contest, 0, t), edit=True)
        else:
            await answer(update, _("This button is no longer available."))
    except QuizError as exc:
        await answer(update, t.gettext(str(exc)), alert=True)


async def on_rename_input(update: Update, context: Context) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    t = await tr(update, context)
    svc = service(context)
    session = await rt(context).sessions.get(chat.id)
    try:
        contest = await svc.owned(int(session.get("contest", 0)), user.id)
        name = await svc.rename(contest, int(session.get("entry", 0)), message.text or "")
    except QuizError as exc:
        await show(update, context, Screen(t.gettext(str(exc)) + "\n" + t.gettext(
            "Type another name, or /cancel.")))
        return
    await rt(context).sessions.clear(chat.id)
    await show(update, context, Screen(t.gettext("Renamed to <b>{name}</b>.").format(
        name=esc(name))))
    await show(update, context, await svc.names_screen(contest, 0, t))


async def newcontest_command(update: Update, context: Context) -> None:
    await new_contest(update, context)


# -- the final ranking, sent when a contest ends --------------------------------------------------


@job("quiz_final_rankings", every_seconds=30, first=10)
async def send_final_rankings(bot: Any, runtime: Runtime) -> None:
    """Send each ended contest's final ranking to its teacher, once. The contest is marked
    only after the message went out (or the teacher cannot be reached at all)."""
    svc: QuizService | None = runtime.services.get("quiz")
    if svc is None:
        return
    for contest in await svc.due_final():
        t = translator(contest.locale)
        screen = await svc.leaderboard_screen(contest, t, final=True)
        screen.buttons = [[Button(t.gettext("📥 CSV export"), data=f"{P}:csv:{contest.id}"),
                           Button(t.gettext("⬅️ Contest"), data=f"{P}:c:{contest.id}")]]
        try:
            await bot.send_message(contest.owner_id, screen.text,
                                   reply_markup=markup(screen.buttons))
        except TelegramError as exc:
            if "forbidden" not in type(exc).__name__.lower() and "chat not found" not in str(
                    exc).lower():
                log.info("final ranking not sent yet: %s", type(exc).__name__)
                continue
        await svc.mark_final_sent(contest)


async def setup(app: Application, runtime: Runtime) -> None:
    registry.flow(FLOW_NEW, on_wizard_input)
    registry.flow(FLOW_RENAME, on_rename_input)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newcontest", newcontest_command, private))
    app.add_handler(CommandHandler("mycontests", my_contests, private))
    app.add_handler(CommandHandler("leaderboard", leaderboard_command, private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{P}:"))

