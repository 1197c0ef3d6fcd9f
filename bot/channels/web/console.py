"""The officer console: a unit's tip inbox, each tip's card with its photos and thread, every
action (acknowledge, ask, transfer, close with outcome) and the unit's statistics, all through
the same services as the police conversation (bot/tip_police.py), which re-check the officer's
permission on every action and audit it.

Sign-in binds this browser session to an officer account, for OFFICER_TTL at most:
- with a one-time officer code from /invite (the same codes as /bind in a private chat: the
  session's own web account is enrolled in the unit), or
- with a signed link the bot gives an officer on Telegram (/console): it names their account,
  expires after LINK_TTL and works once. It is confirmed with a button (a POST), so a link
  preview that fetches the URL cannot use it up.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from bot.channels.web import pages
from bot.channels.web.app import (
    SESSIONS,
    BadForm,
    SessionLimit,
    base_of,
    ensure_session,
    html_response,
    read_form,
    redirect,
    runtime_of,
    session_of,
    stream_changes,
    translator_of,
)
from bot.channels.web.links import LINK_TTL, open_link
from bot.channels.web.render import esc, text_html
from bot.channels.web.sessions import OFFICER_TTL, WebSession
from bot.errors import UserError
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.stats import period_for, report_text
from bot.tip_police import Silenced
from bot.tips import CATEGORIES, OUTCOMES, label
from storage import tip_inbox

USED_LINKS = web.AppKey("used_officer_links", dict)
# Demo personas only: the account a persona's console signs in as without a code.
DEMO_SIGN_IN = web.AppKey("demo_sign_in", dict)  # {"user": account id}


async def is_staff(runtime: Runtime, user_id: int) -> bool:
    units = runtime.services.units
    return bool(await units.officer_units(user_id)) or units.is_national_admin(user_id)


def signed_in(runtime: Runtime, session: WebSession | None) -> int | None:
    return session.officer(runtime.clock.timestamp()) if session is not None else None


def sign_in(runtime: Runtime, session: WebSession, user_id: int) -> None:
    session.officer_id = user_id
    session.officer_expires = min(runtime.clock.timestamp() + OFFICER_TTL, session.expires)


# -- pages ----------------------------------------------------------------------------------
def _form(action: str, csrf: str, inner: str, *, cls: str = "panel") -> str:
    return (f'<form method="post" action="{esc(action)}" class="{cls}">'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">{inner}</form>')


def _console(t: Translator, title: str, body: str, session: WebSession, *, live: str = "",
             base: str = "") -> str:
    _ = t.gettext
    nav = (f'<nav class="nav" aria-label="{esc(_("Console"))}">'
           f'<a class="button" href="officer">{esc(_("Inbox"))}</a>'
           f'<a class="button" href="officer/stats">{esc(_("Statistics"))}</a>'
           + _form("officer/signout", session.csrf,
                   f'<button type="submit">{esc(_("Sign out"))}</button>', cls="")
           + "</nav>")
    return pages.shell(t, title, nav + f"<main><h1>{esc(title)}</h1>{body}</main>", live=live,
                       base=base)


def _sign_in_page(t: Translator, session: WebSession, message: str = "", *, base: str = "") -> str:
    _ = t.gettext
    note = f'<p class="notice" role="alert">{esc(message)}</p>' if message else ""
    body = (
        f"<main><h1>{esc(_('Police console'))}</h1>{note}"
        f"<p>{esc(_('Sign in with a one-time officer code from /invite, or open the sign-in link the bot sends you with /console.'))}</p>"
        + _form("officer/bind", session.csrf,
                f'<label for="code">{esc(_("Officer code"))}</label>'
                '<input type="text" id="code" name="code" autocomplete="one-time-code" '
                'maxlength="32" required>'
                f'<button type="submit">{esc(_("Sign in"))}</button>')
        + "</main>"
    )
    return pages.shell(t, _("Police console"), body, base=base)


async def _inbox(runtime: Runtime, user_id: int) -> list[Any]:
    units = runtime.services.units
    ids = [u.id for u in await units.officer_units(user_id)]
    return await tip_inbox.held_by(runtime.db, ids, admins=units.is_national_admin(user_id))


async def inbox(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session = ensure_session(request)
    t = await translator_of(runtime, session)
    user_id = signed_in(runtime, session)
    if user_id is None and request.app.get(DEMO_SIGN_IN, {}).get("user") is not None:
        user_id = int(request.app[DEMO_SIGN_IN]["user"])
        sign_in(runtime, session, user_id)
    if user_id is None:
        return html_response(_sign_in_page(t, session, base=base_of(request)))
    _ = t.gettext
    from bot.tip_police import _ward

    rows = []
    for tip in await _inbox(runtime, user_id):
        status = {"new": _("New"), "acknowledged": _("Acknowledged"), "closed": _("Closed")}.get(
            str(tip["status"]), str(tip["status"]))
        when = t.datetime(runtime.clock.now().fromtimestamp(int(tip["routed_at"]), t.tz))
        rows.append(
            f'<tr><td><a href="officer/tip/{esc(tip["code"])}">#{esc(tip["code"])}</a></td>'
            f"<td>{esc(status)}</td><td>{esc(label(CATEGORIES, tip['category'], t))}</td>"
            f"<td>{esc(_ward(tip['ward_code']))}</td><td>{esc(when)}</td></tr>"
        )
    table = (
        f"<table><thead><tr><th>{esc(_('Tip'))}</th><th>{esc(_('Status'))}</th>"
        f"<th>{esc(_('Category'))}</th><th>{esc(_('Ward'))}</th><th>{esc(_('Received'))}</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows else f"<p>{esc(_('No tips for your unit yet.'))}</p>"
    )
    return html_response(_console(t, _("Tip inbox"), table, session, live="officer/events", base=base_of(request)))


async def _officer(request: web.Request) -> tuple[Runtime, WebSession, int, Translator] | None:
    """The signed-in officer of this request, or None (the page then sends them to sign in)."""
    runtime = runtime_of(request)
    session = session_of(request)
    user_id = signed_in(runtime, session)
    if session is None or user_id is None:
        return None
    return runtime, session, user_id, await translator_of(runtime, session)


async def tip_page(request: web.Request, message: str = "") -> web.Response:
    officer = await _officer(request)
    if officer is None:
        return redirect(request, "/officer")
    runtime, session, user_id, t = officer
    _ = t.gettext
    code = request.match_info["code"]
    police = runtime.services.tip_police
    try:
        delivery = await police.details(user_id, code)
    except Silenced:
        return redirect(request, "/officer")
    except UserError as exc:
        return html_response(_console(t, _("Tip"), f'<p role="alert">{text_html(exc.text(t))}</p>',
                                      session, base=base_of(request)), status=403)
    tip = await police.tip_by_code(code)
    code = str(tip["code"])
    parts = []
    if message:
        parts.append(f'<p class="notice" role="status">{esc(message)}</p>')
    for part in delivery.parts:
        if part.kind == "text":
            parts.append(f'<article class="b bot">{text_html(part.text)}</article>')
        elif part.kind == "photos":
            for n, data in enumerate(part.photos, 1):
                src = "data:image/jpeg;base64," + base64.b64encode(data).decode()
                parts.append(f'<img src="{src}" alt="{esc(_("Photo {n} of the tip").format(n=n))}">')
        elif part.kind == "location":
            parts.append(f"<p>📍 {part.lat:.5f}, {part.lon:.5f}</p>")
    try:
        _tip, items = await police.thread(user_id, code)
    except (UserError, Silenced):
        items = []
    if items:
        who = {"police": _("Police"), "tipster": _("Tipster")}
        parts.append(f"<h2>{esc(_('Conversation with the tipster'))}</h2>")
        parts += [f'<article class="b {"bot" if a == "police" else "me"}"><b>{esc(who.get(a, a))}:</b> '
                  f"{esc(text)}</article>" for a, text in items]
    if tip["status"] != "closed" and await police.can_act(user_id, tip):
        base = f"officer/tip/{code}"
        if tip["status"] == "new":
            parts.append(_form(base + "/ack", session.csrf,
                               f'<button type="submit">{esc(_("✅ Acknowledge"))}</button>'))
        parts.append(_form(base + "/ask", session.csrf,
                           f'<label for="q">{esc(_("Ask the tipster a question"))}</label>'
                           '<textarea id="q" name="question" rows="2" maxlength="1500" required></textarea>'
                           f'<button type="submit">{esc(_("Send question"))}</button>'))
        options = "".join(f'<option value="{esc(k)}">{esc(t.gettext(v))}</option>' for k, v in OUTCOMES)
        parts.append(_form(base + "/close", session.csrf,
                           f'<label for="o">{esc(_("Close with outcome"))}</label>'
                           f'<select id="o" name="outcome">{options}</select>'
                           f'<button type="submit">{esc(_("Close the tip"))}</button>'))
        parts.append(_form(base + "/transfer", session.csrf,
                           f'<label for="w">{esc(_("Transfer to another commune or ward (its 5-digit code)"))}</label>'
                           '<input type="text" id="w" name="ward" inputmode="numeric" maxlength="5" required>'
                           f'<button type="submit">{esc(_("Transfer"))}</button>'))
    return html_response(_console(t, _("Tip #{code}").format(code=code), "".join(parts), session, base=base_of(request)))


async def act(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session, fields = await read_form(request)
    user_id = signed_in(runtime, session)
    if user_id is None:
        return redirect(request, "/officer")
    if not request.app[SESSIONS].allow_input(session):
        raise SessionLimit()
    t = await translator_of(runtime, session)
    _ = t.gettext
    code, what = request.match_info["code"], request.match_info["action"]
    police = runtime.services.tip_police
    try:
        if what == "ack":
            await police.acknowledge(user_id, code)
            done = _("Acknowledged.")
        elif what == "ask":
            await police.ask(user_id, code, fields.get("question", ""))
            done = _("Question sent. The tipster sees it when they follow up with their receipt.")
        elif what == "close":
            await police.close(user_id, code, fields.get("outcome", ""))
            done = _("Closed.")
        elif what == "transfer":
            await police.transfer(user_id, code, fields.get("ward", "").strip())
            done = _("Transferred.")
        else:
            raise BadForm()
    except Silenced:
        return redirect(request, "/officer")
    except UserError as exc:
        done = exc.text(t)
    return await tip_page(request, message=_strip_tags(done))


def _strip_tags(text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", text)


async def stats(request: web.Request) -> web.Response:
    """The tip figures of the last six months for each area the officer may see: the same
    service and suppressed figures as /tipstats."""
    officer = await _officer(request)
    if officer is None:
        return redirect(request, "/officer")
    runtime, session, user_id, t = officer
    svc = runtime.services.stats
    blocks: list[str] = []
    if svc is not None:
        try:
            period = period_for("recent", svc.today())
            for scope in (await svc.scopes(user_id))[:6]:
                fig = await svc.figures(user_id, scope.token, period, t)
                blocks.append(f'<article class="b bot">{text_html(report_text(t, fig, short=True))}</article>')
        except UserError as exc:
            blocks = [f"<p>{text_html(exc.text(t))}</p>"]
    return html_response(_console(t, t.gettext("Statistics"), "".join(blocks), session,
                                  base=base_of(request)))


async def bind(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session, fields = await read_form(request)
    t = await translator_of(runtime, session)
    _ = t.gettext
    user_id = await runtime.accounts.user_id("web", session.person_id)
    assert user_id is not None
    result = await runtime.services.units.redeem(user_id, fields.get("code", ""), None)
    if result.status == "enrolled":
        sign_in(runtime, session, user_id)
        await runtime.roles_changed(user_id)
        return redirect(request, "/officer")
    messages = {
        "limited": _("Too many wrong codes. Please wait and try again later."),
        "used": _("This code was already used. Ask for a new one."),
        "expired": _("This code has expired. Ask for a new one."),
        "revoked": _("This code was withdrawn. Ask for a new one."),
        "group_code_in_private": _("This is a code for a police group, not for an officer."),
    }
    message = messages.get(result.status, _("This code is not valid. Check it and try again."))
    return html_response(_sign_in_page(t, session, message, base=base_of(request)), status=403)


async def link_page(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session = ensure_session(request)
    t = await translator_of(runtime, session)
    _ = t.gettext
    token = request.match_info["token"]
    if open_link(runtime, token) is None:
        return html_response(_sign_in_page(t, session, _("This sign-in link has expired. Ask the bot for a new one with /console."), base=base_of(request)), status=403)
    body = (f"<main><h1>{esc(_('Police console'))}</h1>"
            + _form("officer/link", session.csrf,
                    f'<input type="hidden" name="token" value="{esc(token)}">'
                    f'<button type="submit" class="big">{esc(_("Sign in to the console"))}</button>')
            + "</main>")
    return html_response(pages.shell(t, _("Police console"), body, base=base_of(request)))


async def use_link(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session, fields = await read_form(request)
    t = await translator_of(runtime, session)
    _ = t.gettext
    opened = open_link(runtime, fields.get("token", ""))
    used: dict[str, int] = request.app[USED_LINKS]
    now = runtime.clock.timestamp()
    for nonce in [n for n, exp in used.items() if exp <= now]:
        del used[nonce]
    if opened is None or opened[1] in used or not await is_staff(runtime, opened[0]):
        return html_response(_sign_in_page(t, session, _("This sign-in link has expired. Ask the bot for a new one with /console."), base=base_of(request)), status=403)
    used[opened[1]] = now + LINK_TTL
    sign_in(runtime, session, opened[0])
    return redirect(request, "/officer")


async def sign_out(request: web.Request) -> web.Response:
    _runtime = runtime_of(request)
    session, _fields = await read_form(request)
    session.officer_id = None
    session.officer_expires = 0
    return redirect(request, "/officer")


async def events(request: web.Request) -> web.StreamResponse:
    """Live inbox (JS only): a new version whenever the inbox rows change, checked every few
    seconds; the script reloads the page."""
    runtime = runtime_of(request)
    session = session_of(request)
    user_id = signed_in(runtime, session)
    if user_id is None:
        raise web.HTTPNotFound()

    async def snapshot() -> object:
        return [tuple(r) for r in await _inbox(runtime, user_id)]

    return await stream_changes(request, snapshot, every=5, rounds=60)


def install(app: web.Application) -> None:
    app[USED_LINKS] = {}
    r = app.router
    r.add_get("/officer", inbox)
    r.add_post("/officer/bind", bind)
    r.add_get("/officer/link/{token}", link_page)
    r.add_post("/officer/link", use_link)
    r.add_post("/officer/signout", sign_out)
    r.add_get("/officer/tip/{code}", tip_page)
    r.add_post("/officer/tip/{code}/{action}", act)
    r.add_get("/officer/stats", stats)
    r.add_get("/officer/events", events)


# Babel cannot look inside f-strings (Python 3.11): these marks put the strings used in
# them into the catalog.
_IN_F_STRINGS = (
    N_('Tip'),
    N_('Status'),
    N_('Category'),
    N_('Ward'),
    N_('Received'),
    N_('No tips for your unit yet.'),
    N_('Console'),
    N_('Inbox'),
    N_('Statistics'),
    N_('Police console'),
    N_('Sign in with a one-time officer code from /invite, or open the sign-in link the bot sends you with /console.'),
    N_('Conversation with the tipster'),
    N_('Sign out'),
    N_('Officer code'),
    N_('Sign in'),
    N_('Ask the tipster a question'),
    N_('Send question'),
    N_('Close with outcome'),
    N_('Close the tip'),
    N_('Transfer to another commune or ward (its 5-digit code)'),
    N_('Transfer'),
    N_('Sign in to the console'),
    N_('✅ Acknowledge'),
    N_('Photo {n} of the tip'),
)
