"""The teacher's projector view of a contest (/board/CODE): the join link and its QR code in
large type, and the live leaderboard, refreshed through server-sent events while JavaScript is
on (and by reloading the page without it). Only the contest's owner (this browser session's
account) may open it; the ranking comes from the quiz service, as in the chat."""

from __future__ import annotations

import base64

from aiohttp import web

from bot.channels.web import pages
from bot.channels.web.app import (
    base_of,
    ensure_session,
    html_response,
    runtime_of,
    session_of,
    stream_changes,
    translator_of,
)
from bot.channels.web.conversation import deep_link
from bot.channels.web.render import esc, text_html
from bot.errors import UserError
from bot.i18n import N_
from bot.qr import qr_png
from bot.quiz_rules import Contest, QuizError
from bot.runtime import Runtime


async def _contest(request: web.Request) -> tuple[Runtime, Contest] | None:
    """(runtime, contest) when this browser's account owns the contest in the URL, else None."""
    runtime = runtime_of(request)
    session = ensure_session(request)
    quiz = runtime.services.quiz
    if quiz is None:
        return None
    user_id = await runtime.accounts.user_id("web", session.person_id, create=False)
    if user_id is None:
        return None
    try:
        contest = await quiz.owned_by_code(request.match_info["code"], user_id)
    except (UserError, QuizError):
        return None
    return runtime, contest


async def board(request: web.Request) -> web.Response:
    found = await _contest(request)
    runtime = runtime_of(request)
    t = await translator_of(runtime, session_of(request))
    _ = t.gettext
    if found is None:
        return html_response(pages.message_page(
            t, _("Not found"), _("This contest does not exist or is not yours."),
            base=base_of(request)), status=403)
    _runtime, contest = found
    quiz = runtime.services.quiz
    code = str(contest.code)
    link = deep_link(runtime.settings.web.public_url, f"c_{code}")
    qr = base64.b64encode(qr_png(link, box_size=8)).decode()
    screen = await quiz.leaderboard_screen(contest, t, for_teacher=False)
    body = (
        '<main class="board">'
        f'<p class="big">{esc(_("Join at"))} <b>{esc(link)}</b></p>'
        f'<img class="qr" src="data:image/png;base64,{qr}" alt="{esc(_("QR code of the join link"))}">'
        f'<article class="b bot big" id="ranking">{text_html(screen.text)}</article></main>'
    )
    html = pages.shell(t, _("Live leaderboard"), body, live=f"board/{code}/events",
                       base=base_of(request)).replace("<body ", '<body class="wide" ', 1)
    return html_response(html)


async def events(request: web.Request) -> web.StreamResponse:
    """A new version whenever the ranking changes (checked every two seconds)."""
    found = await _contest(request)
    if found is None:
        raise web.HTTPNotFound()
    runtime, contest = found
    quiz = runtime.services.quiz
    return await stream_changes(request, lambda: quiz.ranking(contest), every=2, rounds=150)


def install(app: web.Application) -> None:
    app.router.add_get("/board/{code}", board)
    app.router.add_get("/board/{code}/events", events)


# Babel cannot look inside f-strings (Python 3.11): these marks put the strings used in
# them into the catalog.
_IN_F_STRINGS = (
    N_("Join at"),
    N_("QR code of the join link"),
)
