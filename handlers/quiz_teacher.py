"""Quiz, the teacher side: the contest wizard, the contest screen (code, link, QR), the live
leaderboard, the final ranking, the CSV exports (results and item analysis), renaming or
removing display names, and announcing a contest to subscribers. Channel-neutral.

Only the teacher who created a contest can see or change it (checked by the service on every
action, whatever the button says).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot import directory
from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.messenger import SendOutcome, send_to_user
from bot.engine.router import Router
from bot.i18n import Translator, translator
from bot.quiz import Contest, QuizError, QuizService, clean_title, parse_when
from bot.quiz_actions import (
    Announce,
    AnnounceTo,
    EndNow,
    ExportCsv,
    Leaderboard,
    MyContests,
    NameOf,
    Names,
    NewContest,
    OpenContest,
    RemoveName,
    Rename,
    ShowQr,
    Wizard,
)
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.subscriptions import ward_page
from content.quiz_bank import TOPICS

router = Router("quiz_teacher")
log = logging.getLogger(__name__)

FLOW_NEW = "quiz_new"
FLOW_RENAME = "quiz_rename"
COUNTS = (5, 10, 15, 20)
SECONDS = (10, 20, 30, 60)
START_IN = (0, 10, 60)  # minutes from now
DURATIONS = (15, 30, 60, 24 * 60, 7 * 24 * 60)  # minutes
DIFFICULTY_KEYS = ("easy", "medium", "hard", "")
PROVINCES_PER_PAGE = 12  # 34 provinces: three pages of four rows of three


def _province_rows(page: int, t: Translator) -> list[list[Button]]:
    """The optional "province of your school" step: provinces paged, ◀ ▶, and Skip."""
    provinces = directory.provinces()
    pages = max(1, -(-len(provinces) // PROVINCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = provinces[page * PROVINCES_PER_PAGE:(page + 1) * PROVINCES_PER_PAGE]
    buttons = [Button(p.short_name, action=Wizard("prov", f"{p.code:02d}")) for p in shown]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    nav = []
    if page > 0:
        nav.append(Button("◀", action=Wizard("provpg", str(page - 1))))
    if page < pages - 1:
        nav.append(Button("▶", action=Wizard("provpg", str(page + 1))))
    if nav:
        rows.append(nav)
    rows.append([Button(t.gettext("Skip ▶"), action=Wizard("prov", "skip"))])
    return rows


def service(turn: Turn) -> QuizService:
    svc: QuizService = turn.runtime.services.quiz
    return svc


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


def _int(text: str | None) -> int | None:
    # ASCII digits only: "²".isdigit() is True but int("²") raises.
    ok = text is not None and text.isascii() and text.isdigit() and len(text) <= 6
    return int(text) if ok and text is not None else None


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
    cancel = [Button(_("✖️ Cancel"), action=Wizard("cancel"))]
    if step == "title":
        return Screen(_("<b>New contest</b> (1/8)\n\nType a title, e.g. “Lớp 9A — Tháng hành động "
                        "phòng, chống ma túy”:"), [cancel])
    if step == "count":
        return Screen(_("<b>{title}</b> (2/8)\n\nHow many questions?").format(
            title=esc(draft["title"])),
            [[Button(str(n), action=Wizard("count", str(n))) for n in COUNTS], cancel])
    if step == "topics":
        chosen = set(draft.get("topics", []))
        rows = []
        counts = svc.bank.topics()
        for i, topic in enumerate(TOPICS):
            if topic not in counts:
                continue
            mark = "✅ " if topic in chosen else ""
            rows.append([Button(mark + svc.topic_label(topic, t), action=Wizard("tp", str(i)))])
        rows.append([Button(_("All topics"), action=Wizard("tpall")),
                     Button(_("Done ▶"), action=Wizard("tpdone"))])
        rows.append(cancel)
        shown = ", ".join(svc.topic_label(tp, t) for tp in TOPICS if tp in chosen) or _(
            "all topics")
        return Screen(_("<b>Topics</b> (3/8)\n\nChoose topics, then Done. "
                        "Chosen: {topics}").format(topics=esc(shown)), rows)
    if step == "difficulty":
        return Screen(_("<b>Difficulty</b> (4/8)"), [
            [Button(svc.difficulty_label(k, t), action=Wizard("diff", k or "mix"))
             for k in DIFFICULTY_KEYS],
            cancel])
    if step == "seconds":
        return Screen(_("<b>Seconds per question</b> (5/8)\n\nCounted from when each student "
                        "sees the question."),
                      [[Button(f"{s} s", action=Wizard("sec", str(s))) for s in SECONDS], cancel])
    if step == "bonus":
        return Screen(_("<b>Speed bonus</b> (6/8)\n\nWith it, faster correct answers earn more "
                        "points. Without it, only correct answers count."),
                      [[Button(_("⚡ Speed bonus on"), action=Wizard("bonus", "1")),
                        Button(_("Correct answers only"), action=Wizard("bonus", "0"))], cancel])
    if step == "start":
        return Screen(_("<b>Start</b> (7/8)\n\nWhen does the contest open? Tap, or type a time "
                        "such as 14:30 or 14:30 25/12."),
                      [[Button(_("Now"), action=Wizard("start", "0")),
                        Button(_("In 10 min"), action=Wizard("start", "10")),
                        Button(_("In 1 h"), action=Wizard("start", "60"))], cancel])
    if step == "duration":
        return Screen(_("<b>End</b> (8/8)\n\nHow long does it stay open? Tap, or type the end "
                        "time such as 16:00 or 16:00 25/12."),
                      [[Button(_duration_label(m, t), action=Wizard("dur", str(m)))
                        for m in DURATIONS],
                       cancel])
    if step == "province":
        page = int(draft.get("pp", 0))
        pages = -(-len(directory.provinces()) // PROVINCES_PER_PAGE)
        return Screen(_("<b>Province of your school</b> (optional)\n\nThe contest then counts in "
                        "that province's reports. Choose it, or Skip (page {page} of {pages}).")
                      .format(page=page + 1, pages=pages),
                      [*_province_rows(page, t), cancel])

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
    province = directory.get_province(str(draft.get("province") or "")) if draft.get(
        "province") else None
    if province is not None:
        text += "\n" + _("Province: {province}").format(province=esc(province.name))
    return Screen(text, [[Button(_("✅ Create"), action=Wizard("create"))], cancel])


async def _save(turn: Turn, step: str, draft: dict[str, Any]) -> None:
    await turn.set_session({"flow": FLOW_NEW, "step": step, "d": draft}, ttl=3600)


async def new_contest(turn: Turn) -> None:
    await _save(turn, "title", {})
    await turn.show(wizard_screen({}, "title", turn.t, service(turn)))


@router.command("newcontest", private_only=True)
async def newcontest_command(turn: Turn, cmd: Command) -> None:
    await new_contest(turn)


@router.on(NewContest)
async def on_new(turn: Turn, act: NewContest) -> None:
    await turn.notice()
    await new_contest(turn)


@router.flow(FLOW_NEW)
async def on_wizard_input(turn: Turn, inp: Input) -> None:
    """Typed input during the wizard: the title, or a start/end time."""
    _ = turn.t.gettext
    svc = service(turn)
    session = await turn.session()
    step, draft = str(session.get("step", "")), dict(session.get("d", {}))
    if not isinstance(inp, Text) or step not in ("title", "start", "duration"):
        await turn.show(Screen(_("Please choose one of the options above, or /cancel.")
                               if step not in ("title", "start", "duration")
                               else _("Please type it as text, or /cancel.")))
        return
    if step == "title":
        title = clean_title(inp.text)
        if len(title) < 3:
            await turn.show(Screen(_("A title has at least 3 characters. Type it again:")))
            return
        draft["title"] = title
        step = "count"
    else:
        when = parse_when(inp.text, svc.clock.now(), turn.runtime.settings.tz)
        if when is None:
            await turn.show(Screen(_("I could not read that time. Type it like 14:30 or "
                                     "14:30 25/12, or tap a button.")))
            return
        ts = int(when.timestamp())
        if step == "start":
            draft["starts_at"] = max(ts, svc.clock.timestamp())
            step = "duration"
        else:
            if ts <= draft["starts_at"]:
                await turn.show(Screen(_("The end must be after the start. Type another "
                                         "time:")))
                return
            draft["ends_at"] = ts
            step = "province"
    await _save(turn, step, draft)
    await turn.show(wizard_screen(draft, step, turn.t, svc))


def _next_step(step: str, act: Wizard, draft: dict[str, Any], now: int) -> str | None:
    """Apply a wizard press to the draft: the next step, or None when the press does not
    belong to the current step (stale or forged)."""
    what, value = act.what, act.value
    if step == "count" and what == "count" and (n := _int(value)) in COUNTS:
        draft["count"] = n
        return "topics"
    if step == "topics" and what == "tp" and (i := _int(value)) is not None and i < len(TOPICS):
        chosen = list(draft.get("topics", []))
        topic = TOPICS[i]
        draft["topics"] = [x for x in chosen if x != topic] if topic in chosen else [*chosen, topic]
        return "topics"
    if step == "topics" and what == "tpall":
        draft["topics"] = []
        return "difficulty"
    if step == "topics" and what == "tpdone":
        draft.setdefault("topics", [])
        return "difficulty"
    if step == "difficulty" and what == "diff" and value in ("easy", "medium", "hard", "mix"):
        draft["difficulty"] = "" if value == "mix" else value
        return "seconds"
    if step == "seconds" and what == "sec" and (s := _int(value)) in SECONDS:
        draft["seconds"] = s
        return "bonus"
    if step == "bonus" and what == "bonus" and value in ("0", "1"):
        draft["bonus"] = value == "1"
        return "start"
    if step == "start" and what == "start" and (m := _int(value)) in START_IN:
        draft["starts_at"] = now + int(m or 0) * 60
        return "duration"
    if step == "duration" and what == "dur" and (m := _int(value)) in DURATIONS:
        draft["ends_at"] = draft["starts_at"] + int(m or 0) * 60
        return "province"
    if step == "province" and what == "provpg" and (pg := _int(value)) is not None and (
            pg * PROVINCES_PER_PAGE < len(directory.provinces())):
        draft["pp"] = pg
        return "province"
    if step == "province" and what == "prov" and value == "skip":
        draft["province"] = None
        return "confirm"
    if step == "province" and what == "prov" and value and value.isdigit() and (
            directory.get_province(value) is not None):
        draft["province"] = value
        return "confirm"
    return None


@router.on(Wizard)
async def on_wizard(turn: Turn, act: Wizard) -> None:
    svc = service(turn)
    session = await turn.session()
    if session.get("flow") != FLOW_NEW:
        await turn.notice(_gone(turn))
        return
    if act.what == "cancel":
        await turn.clear_session()
        await turn.show(Screen(turn.t.gettext("Cancelled. No contest was created.")),
                        replace=True)
        await turn.notice()
        return
    step, draft = str(session.get("step", "")), dict(session.get("d", {}))
    if step == "confirm" and act.what == "create":
        await _create(turn, draft)
        return
    nxt = _next_step(step, act, draft, svc.clock.timestamp())
    if nxt is None:
        await turn.notice(_gone(turn))
        return
    await _save(turn, nxt, draft)
    await turn.show(wizard_screen(draft, nxt, turn.t, svc), replace=True)
    await turn.notice()


async def _create(turn: Turn, draft: dict[str, Any]) -> None:
    t = turn.t
    user_id = await turn.user_id()
    if user_id is None:
        return
    svc = service(turn)
    try:
        contest = await svc.create_contest(
            user_id, title=draft["title"], count=draft["count"], topics=draft["topics"],
            difficulty=draft["difficulty"], seconds=draft["seconds"],
            speed_bonus=draft["bonus"], starts_at=draft["starts_at"],
            ends_at=draft["ends_at"], locale=t.locale, province=draft.get("province"))
    except QuizError as exc:
        await turn.notice(t.gettext(str(exc)), alert=True)
        return
    await turn.clear_session()
    await turn.notice(t.gettext("Contest created."))
    if len(contest.question_ids) < draft["count"]:
        await turn.show(Screen(t.gettext(
            "Only {n} questions match your choices, so the contest has {n}.").format(
                n=len(contest.question_ids))))
    await turn.show(await contest_view(turn, contest, user_id), replace=True)
    link = contest_link(turn, contest)
    if link is not None:
        await turn.show(svc.qr_screen(contest, t, link))


# -- contest screens ----------------------------------------------------------------------------


def contest_link(turn: Turn, contest: Contest) -> str | None:
    """The URL that opens the contest on this channel (`/start c_<code>`), if it has one."""
    return turn.link(f"c_{contest.code}")


def _events(turn: Turn) -> Any:
    return turn.runtime.services.events


async def contest_view(turn: Turn, contest: Contest, user_id: int) -> Screen:
    """The contest screen, plus “Announce to subscribers” for owners who are police officers or
    admins (who may reach an area) while the contest has not ended."""
    svc = service(turn)
    screen = await svc.contest_screen(contest, turn.t, contest_link(turn, contest))
    events = _events(turn)
    if (events is not None and contest.ends_at > svc.now()
            and await events.can_create(user_id)):
        screen.buttons.insert(-1, [Button(turn.t.gettext("📣 Announce to subscribers"),
                                          action=Announce(contest.id))])
    return screen


def list_screen(contests: list[Contest], t: Translator) -> Screen:
    _ = t.gettext
    if not contests:
        return Screen(_("You have not created a contest yet."),
                      [[Button(_("👩‍🏫 Create a contest"), action=NewContest())]])
    rows = [[Button(f"{c.code} · {c.title}"[:60], action=OpenContest(c.id))] for c in contests]
    rows.append([Button(_("👩‍🏫 Create a contest"), action=NewContest())])
    return Screen(_("<b>Your contests</b> (newest first):"), rows)


@router.command("mycontests", private_only=True)
async def mycontests_command(turn: Turn, cmd: Command) -> None:
    user_id = await turn.user_id()
    if user_id is not None:
        await turn.show(list_screen(await service(turn).my_contests(user_id), turn.t))


@router.on(MyContests)
async def on_my_contests(turn: Turn, act: MyContests) -> None:
    user_id = await turn.user_id()
    await turn.notice()
    if user_id is not None:
        await turn.show(list_screen(await service(turn).my_contests(user_id), turn.t),
                        replace=True)


@router.command("leaderboard", private_only=True)
async def leaderboard_command(turn: Turn, cmd: Command) -> None:
    t = turn.t
    user_id = await turn.user_id()
    if user_id is None:
        return
    svc = service(turn)
    code = "".join(cmd.args)
    if not code:
        await turn.show(Screen(t.gettext(
            "Send /leaderboard followed by the join code, e.g. /leaderboard K7M2QX.")))
        return
    try:
        contest = await svc.owned_by_code(code, user_id)
    except QuizError as exc:
        await turn.show(Screen(t.gettext(str(exc))))
        return
    await turn.show(await svc.leaderboard_screen(contest, t))


# -- the owner's actions on one contest -------------------------------------------------------------

OwnerHandler = Callable[[Turn, Any, Contest, int], Awaitable[None]]


def owner_action(*kinds: type[Action]) -> Callable[[OwnerHandler], OwnerHandler]:
    """A press on one of the owner's contest buttons: the handler gets the contest only after
    the service confirmed this person owns it; a refusal is an alert."""

    def wrap(fn: OwnerHandler) -> OwnerHandler:
        async def handle(turn: Turn, act: Any) -> None:
            user_id = await turn.user_id()
            if user_id is None:
                return
            try:
                contest = await service(turn).owned(act.contest, user_id)
                await fn(turn, act, contest, user_id)
            except QuizError as exc:
                await turn.notice(turn.t.gettext(str(exc)), alert=True)

        router.on(*kinds)(handle)
        return fn

    return wrap


@owner_action(OpenContest)
async def on_contest(turn: Turn, act: OpenContest, contest: Contest, user_id: int) -> None:
    await turn.show(await contest_view(turn, contest, user_id), replace=True)
    await turn.notice()


@owner_action(Leaderboard)
async def on_leaderboard(turn: Turn, act: Leaderboard, contest: Contest, user_id: int) -> None:
    await turn.show(await service(turn).leaderboard_screen(contest, turn.t), replace=True)
    await turn.notice()


@owner_action(ExportCsv)
async def on_export(turn: Turn, act: ExportCsv, contest: Contest, user_id: int) -> None:
    t = turn.t
    await turn.notice()
    captions = [t.gettext("Results: one row per student (rank, name, score, time)."),
                t.gettext("Item analysis: share of correct answers per question, hardest "
                          "first.")]
    files = await service(turn).export(contest, t.locale)
    for (name, data), caption in zip(files, captions, strict=False):
        await turn.show(Screen(caption, document=(name, data)))


@owner_action(ShowQr)
async def on_qr(turn: Turn, act: ShowQr, contest: Contest, user_id: int) -> None:
    link = contest_link(turn, contest)
    if link is None:
        await turn.notice(_gone(turn))
        return
    await turn.show(service(turn).qr_screen(contest, turn.t, link))
    await turn.notice()


@owner_action(EndNow)
async def on_end(turn: Turn, act: EndNow, contest: Contest, user_id: int) -> None:
    svc = service(turn)
    await svc.end_now(contest)
    contest = await svc.owned(contest.id, user_id)
    await turn.notice(turn.t.gettext("The contest has ended."))
    await turn.show(await contest_view(turn, contest, user_id), replace=True)
    if await svc.mark_final_sent(contest):
        await turn.show(await svc.leaderboard_screen(contest, turn.t, final=True))


@owner_action(Names)
async def on_names(turn: Turn, act: Names, contest: Contest, user_id: int) -> None:
    await turn.show(await service(turn).names_screen(contest, act.page, turn.t), replace=True)
    await turn.notice()


@owner_action(NameOf)
async def on_name(turn: Turn, act: NameOf, contest: Contest, user_id: int) -> None:
    _ = turn.t.gettext
    entry = await service(turn).entry_of(contest, act.entry)
    await turn.show(Screen(
        _("Display name: <b>{name}</b>").format(name=esc(entry.display_name)),
        [[Button(_("✏️ Rename"), action=Rename(contest.id, entry.id)),
          Button(_("🚫 Remove name"), action=RemoveName(contest.id, entry.id))],
         [Button(_("⬅️ Back"), action=Names(contest.id, 0))]]), replace=True)
    await turn.notice()


@owner_action(Rename)
async def on_rename(turn: Turn, act: Rename, contest: Contest, user_id: int) -> None:
    entry = await service(turn).entry_of(contest, act.entry)
    await turn.set_session({"flow": FLOW_RENAME, "contest": contest.id, "entry": entry.id},
                           ttl=3600)
    await turn.show(Screen(turn.t.gettext(
        "Type the new display name for <b>{name}</b>:").format(name=esc(entry.display_name))))
    await turn.notice()


@owner_action(RemoveName)
async def on_remove_name(turn: Turn, act: RemoveName, contest: Contest, user_id: int) -> None:
    svc = service(turn)
    neutral = await svc.remove_name(contest, act.entry, turn.t)
    await turn.notice(turn.t.gettext("Name removed: now shown as “{name}”.").format(
        name=neutral))
    await turn.show(await svc.names_screen(contest, 0, turn.t), replace=True)


@router.flow(FLOW_RENAME)
async def on_rename_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    user_id = await turn.user_id()
    if user_id is None:
        return
    svc = service(turn)
    session = await turn.session()
    try:
        contest = await svc.owned(int(session.get("contest", 0)), user_id)
        name = await svc.rename(contest, int(session.get("entry", 0)),
                                inp.text if isinstance(inp, Text) else "")
    except QuizError as exc:
        await turn.show(Screen(t.gettext(str(exc)) + "\n" + t.gettext(
            "Type another name, or /cancel.")))
        return
    await turn.clear_session()
    await turn.show(Screen(t.gettext("Renamed to <b>{name}</b>.").format(name=esc(name))))
    await turn.show(await svc.names_screen(contest, 0, t))


# -- announcing a contest to subscribers --------------------------------------------------------


@owner_action(Announce)
async def on_announce(turn: Turn, act: Announce, contest: Contest, user_id: int) -> None:
    """Choose the area (re-checked by the events service when it is chosen)."""
    _ = turn.t.gettext
    events = _events(turn)
    if events is None:
        await turn.notice(_gone(turn))
        return
    options = await events.scope_options(user_id)
    rows = [[Button(o.label(turn.t), action=AnnounceTo(contest.id, o.data))]
            for o in options[:20]]
    rows += await events.ward_picker_rows(
        turn.t, user_id, lambda prov: AnnounceTo(contest.id, "wpg", prov, 0).pack())
    rows.append([Button(_("⬅️ Contest"), action=OpenContest(contest.id))])
    await turn.notice()
    await turn.show(Screen(_(
        "📣 Announce <b>{title}</b> to the people subscribed to “Quiz contests” in which "
        "area? They get a button that opens the contest.").format(title=esc(contest.title)),
        rows), replace=True)


_SCOPES = {"w": "ward", "p": "province", "n": "national"}


@owner_action(AnnounceTo)
async def on_announce_to(turn: Turn, act: AnnounceTo, contest: Contest, user_id: int) -> None:
    """An area was chosen (create the campaign; the events service re-checks owner, area
    rights, not ended, once per area), or a page of a province's wards was asked for."""
    from bot.events import EventError

    _ = turn.t.gettext
    events = _events(turn)
    if events is None:
        await turn.notice(_gone(turn))
        return
    back = [Button(_("⬅️ Contest"), action=OpenContest(contest.id))]
    if act.area == "wpg" and act.code is not None and act.page is not None:
        # A page of the wards of one province, for those who may announce there; a pick comes
        # back as AnnounceTo(contest, "w", ward), a page as AnnounceTo(contest, "wpg", …).
        if not await events.allows_scope(user_id, "province", act.code):
            await turn.notice(_("You cannot announce to this area."), alert=True)
            return
        prefix = AnnounceTo(contest.id, "w").pack()
        whole = AnnounceTo(contest.id, "p" + act.code).pack()
        page = ward_page(turn.t, act.code, act.page, prefix, whole)
        await turn.notice()
        await turn.show(Screen(_(
            "📣 Announce <b>{title}</b> in which commune/ward? Or to the whole province."
        ).format(title=esc(contest.title)), [*page.buttons, back]), replace=True)
        return
    if act.area == "w" and act.code is not None and act.page is None:
        scope, code = "ward", act.code
    elif act.area[:1] in _SCOPES and act.code is None and act.page is None:
        scope, code = _SCOPES[act.area[:1]], act.area[1:]
    else:
        await turn.notice(_gone(turn))
        return
    link = contest_link(turn, contest)
    if link is None:
        await turn.notice(_gone(turn))
        return
    progress_chat = turn.chat.key if isinstance(turn.chat.key, int) else None
    try:
        cid, count = await events.announce_contest(
            user_id, contest, scope, code, link, progress_chat=progress_chat,
            admin_locale=turn.t.locale,
        )
    except EventError as exc:
        await turn.notice(exc.text(turn.t), alert=True)
        return
    await turn.notice(_("Announcement saved."))
    await turn.show(Screen(_(
        "📣 The announcement of <b>{title}</b> goes to {n} subscribers now (campaign #{id}); "
        "the progress follows below.").format(title=esc(contest.title),
                                              n=turn.t.number(count), id=cid),
        [back]), replace=True)
    broadcast = turn.runtime.services.broadcast
    if broadcast is not None:
        await broadcast.tick()


# -- the final ranking, sent when a contest ends --------------------------------------------------


async def send_final_rankings(bot: Any, runtime: Runtime) -> None:
    """Send each ended contest's final ranking to its teacher, once. The contest is marked
    only after the message went out (or the teacher cannot be reached at all)."""
    svc: QuizService | None = runtime.services.quiz
    if svc is None:
        return
    for contest in await svc.due_final():
        t = translator(contest.locale)
        screen = await svc.leaderboard_screen(contest, t, final=True)
        screen.buttons = [[Button(t.gettext("📥 CSV export"), action=ExportCsv(contest.id)),
                           Button(t.gettext("⬅️ Contest"), action=OpenContest(contest.id))]]
        if await send_to_user(runtime, contest.owner_id, screen) is SendOutcome.FAILED:
            continue  # tried again on the next run
        await svc.mark_final_sent(contest)


async def setup(runtime: Runtime) -> None:
    """The quiz service is built with the others (bot/services.py)."""
