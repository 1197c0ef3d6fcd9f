"""Demo mode (`scripts/run` without BOT_TOKEN): the web channel with seeded data — a province's
ward with a police unit and a bound officer — and a page with personas side by side (citizen,
student, teacher, ward police, admin), each its own real session, so a police chief can watch
a tip go from a citizen to the console and back. "Reset demo" forgets every session."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aiohttp import web

from bot.channels.web import pages
from bot.channels.web.render import esc
from bot.i18n import N_, Translator
from bot.runtime import Runtime

DEMO_WARD = 4  # Phường Ba Đình, Hà Nội
DEMO_ADMIN_ID = 1  # a national admin that no real Telegram account can be (ids start higher)
PERSONAS = ("citizen", "student", "teacher", "police", "admin")


@dataclass(frozen=True)
class Demo:
    ward_code: int
    unit_id: int
    officer_id: int
    admin_id: int
    contest_code: str = ""




async def seed(runtime: Runtime) -> Demo:
    """Idempotent: the unit of the demo ward and its officer (a web account)."""
    from bot.units import OFFICER, WARD

    if DEMO_ADMIN_ID not in runtime.settings.admin_ids:
        runtime.settings = replace(runtime.settings,
                                   admin_ids=runtime.settings.admin_ids | {DEMO_ADMIN_ID})
        import dataclasses

        for field in dataclasses.fields(runtime.services):  # services read admins there
            svc = getattr(runtime.services, field.name)
            if hasattr(svc, "settings"):
                svc.settings = runtime.settings
    units = runtime.services.units
    officer = await runtime.accounts.user_id("web", "demo:ward-police")
    assert officer is not None
    current = await units.officer_units(officer)
    if not current:
        invite = await units.issue_invite(DEMO_ADMIN_ID, WARD, DEMO_WARD, OFFICER)
        await units.redeem(officer, invite.code, None)
        current = await units.officer_units(officer)
    await _seed_event(runtime, officer)
    contest = await _seed_contest(runtime)
    return Demo(DEMO_WARD, current[0].id, officer, DEMO_ADMIN_ID, contest)


DEMO_TEACHER = "demo:teacher"  # the web account of every demo teacher session


async def _seed_contest(runtime: Runtime) -> str:
    """The demo teacher's class contest, open for 30 days (once); returns its join code."""
    quiz = runtime.services.quiz
    if quiz is None:
        return ""
    teacher = await runtime.accounts.user_id("web", DEMO_TEACHER)
    assert teacher is not None
    now = runtime.clock.timestamp()
    for contest in await quiz.my_contests(teacher):
        if contest.ends_at > now + 86400:
            return str(contest.code)
    contest = await quiz.create_contest(
        teacher, title="Lớp 9A — phòng, chống ma túy (demo)", count=5, topics=[],
        difficulty="", seconds=30, speed_bonus=False, starts_at=now,
        ends_at=now + 30 * 86400, locale="vi")
    return str(contest.code)


DEMO_EVENT = "Ngày hội thanh niên nói không với ma túy (demo)"


async def _seed_event(runtime: Runtime, officer: int) -> None:
    """A ward event three days ahead (once), so /events and its .ics have something to show."""
    import datetime as dt

    from bot.events import WARD

    events = runtime.services.events
    if events is None:
        return
    ward = f"{DEMO_WARD:05d}"
    if any(e.title == DEMO_EVENT for e in await events.upcoming("vi", "01", ward, limit=None)):
        return
    day = (runtime.clock.now() + dt.timedelta(days=3)).astimezone(runtime.settings.tz)
    starts = day.replace(hour=8, minute=0, second=0, microsecond=0)
    await events.create(
        officer, title=DEMO_EVENT, starts_at=starts, ends_at=starts + dt.timedelta(hours=3),
        place="Nhà văn hóa phường Ba Đình", description="Giao lưu, trò chơi và tìm hiểu về "
        "tác hại của ma túy (sự kiện minh họa của bản trình diễn).", scope=WARD, code=ward,
        photo=None,
    )


# Where each persona's frame opens (paths of its own copy of the app under /p/<name>).
START = {"citizen": "/", "student": "/", "teacher": "/", "police": "/officer", "admin": "/officer"}
APPS = web.AppKey("persona_apps", dict)


def _labels(t: Translator) -> dict[str, str]:
    _ = t.gettext
    return {"citizen": _("Citizen"), "student": _("Student"), "teacher": _("Teacher"),
            "police": _("Ward police"), "admin": _("Admin")}


def install(app: web.Application) -> None:
    """The demo page and one copy of the web app per persona, each with its own cookie (so
    each frame is its own real session) under /p/<persona>/."""
    from bot.channels.web.app import RUNTIME, make_app
    from bot.channels.web.console import DEMO_SIGN_IN

    runtime = app[RUNTIME]
    apps: dict[str, web.Application] = {}
    from bot.channels.web.app import FIXED_PERSON

    accounts: dict[str, dict[str, int]] = {"police": {}, "admin": {"user": DEMO_ADMIN_ID}}
    for name in PERSONAS:
        sub = make_app(runtime, base=f"/p/{name}", cookie=f"kmt_{name}", frameable=True)
        if name in accounts:
            sub[DEMO_SIGN_IN] = accounts[name]  # filled at start-up, once the demo is seeded
        if name == "teacher":
            sub[FIXED_PERSON] = DEMO_TEACHER
        apps[name] = sub
        app.add_subapp(f"/p/{name}", sub)
    app[APPS] = apps

    async def on_startup(_app: web.Application) -> None:
        accounts["police"]["user"] = (await seed(runtime)).officer_id

    app.on_startup.append(on_startup)

    async def page(request: web.Request) -> web.Response:
        from bot.channels.web.app import ensure_session, runtime_of, translator_of

        session = ensure_session(request)
        t = await translator_of(runtime_of(request), session)
        _ = t.gettext
        labels = _labels(t)
        code = (await seed(runtime)).contest_code
        start = dict(START)
        if code:  # the student opens the class contest's link, the teacher its projector view
            start["student"], start["teacher"] = f"/c/{code}", f"/board/{code}"
        frames = "".join(
            f'<section><h2>{esc(labels[name])}</h2>'
            f'<iframe src="p/{name}{start[name]}" title="{esc(labels[name])}"></iframe></section>'
            for name in PERSONAS
        )
        body = (
            f"<main><h1>{esc(_('Demo'))}</h1>"
            f"<p>{esc(_('Each frame is a separate person with their own session. File a tip as the citizen and watch it arrive in the ward police console; a question from the police reaches the citizen through /followup and their receipt.'))}</p>"
            f'<form method="post" action="demo/reset"><input type="hidden" name="csrf" value="{esc(session.csrf)}">'
            f'<button type="submit">{esc(_("Reset demo"))}</button></form>'
            f'<div class="personas">{frames}</div></main>'
        )
        html = pages.shell(t, _("Demo"), body).replace("<body>", '<body class="wide">', 1)
        return web.Response(text=html, content_type="text/html")

    async def reset(request: web.Request) -> web.Response:
        from bot.channels.web.app import SESSIONS, read_form, redirect

        await read_form(request)
        for sub in apps.values():
            for session in sub[SESSIONS].forget_all():
                await runtime.sessions.clear(session.chat_key)
        return redirect(request, "/demo")

    app.router.add_get("/demo", page)
    app.router.add_post("/demo/reset", reset)


# Babel cannot look inside f-strings (Python 3.11): these marks put the strings used in
# them into the catalog.
_IN_F_STRINGS = (
    N_('Demo'),
    N_('Each frame is a separate person with their own session. File a tip as the citizen and watch it arrive in the ward police console; a question from the police reaches the citizen through /followup and their receipt.'),
    N_('Reset demo'),
)
