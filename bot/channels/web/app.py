"""The web channel's aiohttp application: chat pages for citizens and students, the officer
console (console.py), the demo playground (demo.py), static files and live updates.

Safety rules every route keeps (docs/WEB.md):
- nothing reads the client's address, forwarded headers or user agent, and the server keeps
  no access log (`access_log=None` where it is started);
- every POST carries the session's CSRF token; a pressed button must be one this session was
  shown in that bubble (forged or stale actions change nothing);
- bodies are limited (64 KB for forms, 10 MB for a photo), uploads are cleaned by the same
  code as Telegram's (bot/photos.py, in the tip service);
- Content-Security-Policy `default-src 'self'`, no inline script or style, no third party.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import BodyPartReader, web

from bot.channels.web import pages
from bot.channels.web.conversation import WebConversation, chat_of, deep_link, person_of
from bot.channels.web.render import plain_html, text_html
from bot.channels.web.sessions import (
    CITIZEN_TTL,
    COOKIE,
    SessionLimit,
    WebSession,
    WebSessions,
)
from bot.engine.actions import parse
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Location, Photo, Pressed, Text
from bot.errors import UserError
from bot.i18n import Translator, normalise_locale, translator
from bot.runtime import Runtime

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
FORM_LIMIT = 64 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
MAX_TEXT = 4000
CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
# The demo's persona pages are shown side by side in frames of the same site.
CSP_FRAMEABLE = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSIONS = web.AppKey("sessions", WebSessions)
RUNTIME = web.AppKey("runtime", Runtime)
NEW_SESSION = web.RequestKey("new_session", tuple)  # (the app that made it, the session)
BASE = web.AppKey("base", str)  # "" or the demo persona's prefix "/p/<name>"
COOKIE_NAME = web.AppKey("cookie_name", str)
FRAMEABLE = web.AppKey("frameable", bool)
# Demo personas only: every session of this app acts as this web account (the demo teacher).
FIXED_PERSON = web.AppKey("fixed_person", str)
# How the server is started, here and in the tests: no access log (it would hold addresses).
RUNNER_OPTIONS: dict[str, object] = {"access_log": None, "handle_signals": False,
                                     "shutdown_timeout": 2.0}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadForm(Exception):
    """A missing or wrong CSRF token, a malformed form: 403, nothing changes."""


class TooLarge(Exception):
    """A body or upload over its limit: 413, nothing changes."""


# -- helpers shared by the chat, the console and the demo ------------------------------------
def runtime_of(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def secure_cookies(runtime: Runtime) -> bool:
    url = runtime.settings.web.public_url
    return not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?$", url)


def session_of(request: web.Request) -> WebSession | None:
    session = request.app[SESSIONS].find(request.cookies.get(request.app[COOKIE_NAME]))
    if session is not None and session.restored and session.locale is None:
        session.locale = _first_language(request)
    return session


def _first_language(request: web.Request) -> str | None:
    """Only to pick the first page's language; never stored or logged."""
    accept = request.headers.get("Accept-Language", "")[:64]
    return "en" if accept.lower().startswith("en") else None


def base_of(request: web.Request) -> str:
    return request.app[BASE]


def new_session(request: web.Request, ttl: int = CITIZEN_TTL) -> WebSession:
    session = request.app[SESSIONS].create(ttl)
    session.locale = _first_language(request)
    if FIXED_PERSON in request.app:
        session.person_id = request.app[FIXED_PERSON]
    request[NEW_SESSION] = (request.app, session)
    return session


def ensure_session(request: web.Request) -> WebSession:
    return session_of(request) or new_session(request)


async def translator_of(runtime: Runtime, session: WebSession | None) -> Translator:
    if session is None:
        return translator(runtime.settings.default_locale)
    user_id = await runtime.accounts.user_id("web", session.person_id, create=False)
    locale = await runtime.users.locale(user_id, session.locale)
    return translator(normalise_locale(locale, runtime.settings.default_locale))


def html_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def redirect(request: web.Request, path: str) -> web.Response:
    """303 to a path of this app ("/officer"), under the demo persona's prefix if any."""
    return web.Response(status=303, headers={"Location": base_of(request) + path})


def check_csrf(session: WebSession | None, token: object) -> WebSession:
    if session is None or not isinstance(token, str) or \
            not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise BadForm()
    return session


async def read_form(request: web.Request) -> tuple[WebSession, dict[str, str]]:
    """A urlencoded form with a valid CSRF token for the caller's session."""
    if request.content_length is not None and request.content_length > FORM_LIMIT:
        raise TooLarge()
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise TooLarge() from None
    except ValueError:
        raise BadForm() from None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    session = check_csrf(session_of(request), fields.get("csrf"))
    return session, fields


async def read_upload(request: web.Request) -> tuple[WebSession, str, bytes | None]:
    """The chat's multipart form: CSRF first, then text, then at most one photo."""
    if request.content_length is not None and request.content_length > PHOTO_LIMIT + FORM_LIMIT:
        raise TooLarge()
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise BadForm() from None
    session: WebSession | None = None
    text, photo = "", None
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise BadForm()  # nested multipart: not from our page
        name = part.name
        if name == "csrf":
            session = check_csrf(session_of(request), (await _read_part(part, 200)).decode())
        elif session is None:
            raise BadForm()  # the token comes first: nothing is read for a forged form
        elif name == "text":
            text = (await _read_part(part, FORM_LIMIT)).decode("utf-8", "replace")
        elif name == "photo":
            data = await _read_part(part, PHOTO_LIMIT)
            photo = data or None
        else:
            await _read_part(part, FORM_LIMIT)
    if session is None:
        raise BadForm()
    return session, text, photo


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await part.read_chunk(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)


def to_input(text: str) -> Input | None:
    text = text.strip()
    if not text:
        return None
    match = _COMMAND_RE.match(text)
    if match:
        return Command(match.group(1).lower(), (match.group(2) or "").strip())
    return Text(text[:MAX_TEXT])


async def run_input(runtime: Runtime, session: WebSession, inp: Input,
                    echo: str | None = None) -> None:
    """One input of this browser session through the engine, one at a time per session."""
    async with session.lock:
        if echo:
            session.add(plain_html(echo), mine=True)
        t = await translator_of(runtime, session)
        turn = Turn(WebConversation(session, runtime.settings.web.public_url), chat_of(session),
                    person_of(session), t, runtime)
        try:
            await runtime.engine.dispatch(turn, inp)
        except UserError as exc:
            session.add(text_html(exc.text(turn.t)))
        except Exception as exc:  # the person gets an apology; the log gets type and place
            frames = traceback.extract_tb(exc.__traceback__)[-3:]
            log.error("web input failed: %s at %s", type(exc).__name__,
                      " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames))
            session.add(text_html(turn.t.gettext(
                "Sorry, something went wrong on our side. Please try again.")))


# -- middlewares ---------------------------------------------------------------------------
@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers, the session cookie, polite errors; never logs who asked."""
    runtime = runtime_of(request)
    base = base_of(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            t = await translator_of(runtime, session_of(request))
            response = html_response(pages.not_found(t, base), status=exc.status)
        elif exc.status == 413:
            t = await translator_of(runtime, session_of(request))
            response = html_response(pages.too_large(t, base), status=413)
        else:
            raise
    except BadForm:
        t = await translator_of(runtime, session_of(request))
        response = html_response(pages.bad_request(t, base), status=403)
    except TooLarge:
        t = await translator_of(runtime, session_of(request))
        response = html_response(pages.too_large(t, base), status=413)
    except SessionLimit:
        response = html_response(
            pages.too_busy(translator(runtime.settings.default_locale), base), 503)
        response.headers["Retry-After"] = "60"
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
        log.error("web request failed: %s at %s", type(exc).__name__,
                  " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames))
        response = html_response(
            pages.server_error(translator(runtime.settings.default_locale), base), status=500)
    headers = response.headers
    frameable = request.app[FRAMEABLE]
    headers.setdefault("Content-Security-Policy", CSP_FRAMEABLE if frameable else CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if frameable else "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")
    made = request.get(NEW_SESSION)
    created: WebSession | None = made[1] if made is not None and made[0] is request.app else None
    if created is not None and not response.prepared:
        response.set_cookie(
            request.app[COOKIE_NAME], request.app[SESSIONS].cookie_value(created), httponly=True,
            samesite="Strict", secure=secure_cookies(runtime), path=base or "/",
            max_age=int(created.expires - runtime.clock.timestamp()),
        )
    return response


# -- the chat ------------------------------------------------------------------------------
async def chat(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session = ensure_session(request)
    if session.restored and not session.bubbles and await runtime.sessions.get(session.chat_key):
        # Back after a restart in the middle of a flow: /start would end it.
        t = await translator_of(runtime, session)
        session.add(text_html(t.gettext(
            "The service was restarted. What you were doing is kept: please send your last "
            "answer again, or /cancel.")))
    elif not session.bubbles:
        await run_input(runtime, session, Command("start"))
    t = await translator_of(runtime, session)
    return html_response(pages.chat_page(session, t, base=base_of(request)))


async def start_link(request: web.Request) -> web.Response:
    """/s/<payload> and /c/<code>: a deep link, like t.me/<bot>?start=<payload>. Rendered
    directly (no redirect): after a cross-site link SameSite=Strict would not carry the cookie
    of this new session through a redirect."""
    runtime = runtime_of(request)
    if "code" in request.match_info:
        payload = "c_" + request.match_info["code"]
    else:
        payload = request.match_info["payload"]
    session = ensure_session(request)
    if _PAYLOAD_RE.match(payload) and session.limiter.delay() == 0:
        session.limiter.note()
        await run_input(runtime, session, Command("start", payload))
    elif not session.bubbles:
        await run_input(runtime, session, Command("start"))
    t = await translator_of(runtime, session)
    return html_response(pages.chat_page(session, t, base=base_of(request)))


async def say(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    if request.content_type == "multipart/form-data":
        session, text, photo = await read_upload(request)
    else:
        session, fields = await read_form(request)
        text, photo = fields.get("text", ""), None
    if not request.app[SESSIONS].allow_input(session):
        t = await translator_of(runtime, session)
        return html_response(pages.too_busy(t, base_of(request)), status=429)
    text = text.strip()[:MAX_TEXT]
    if photo is not None:
        data = photo

        async def fetch() -> bytes:
            return data

        await run_input(runtime, session, Photo(fetch=fetch, size=len(data), caption=text),
                        echo="📷 " + text if text else "📷")
    else:
        inp = to_input(text)
        if inp is not None:
            await run_input(runtime, session, inp, echo=text)
    return redirect(request, "/#end")


async def press(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session, fields = await read_form(request)
    if not request.app[SESSIONS].allow_input(session):
        t = await translator_of(runtime, session)
        return html_response(pages.too_busy(t, base_of(request)), status=429)
    data = fields.get("a", "")
    bubble_id = int(fields["b"]) if fields.get("b", "").isdigit() else -1
    bubble = session.bubble(bubble_id)
    shown = bubble is not None and any(
        b.data == data for row in bubble.buttons for b in row
    )
    action = parse(data) if shown else None
    if action is None:  # forged, or a button of a screen that was replaced since
        t = await translator_of(runtime, session)
        async with session.lock:
            session.add(text_html(t.gettext("This button is no longer available.")))
        return redirect(request, "/#end")
    await run_input(runtime, session, Pressed(action))
    return redirect(request, "/#end")


async def locate(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session, fields = await read_form(request)
    try:
        lat, lon = float(fields.get("lat", "")), float(fields.get("lon", ""))
    except ValueError:
        raise BadForm() from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not request.app[SESSIONS].allow_input(session):
        raise BadForm()
    await run_input(runtime, session, Location(lat, lon), echo="📍")
    return redirect(request, "/#end")


async def transcript(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    session = session_of(request)
    if session is None:
        raise web.HTTPNotFound()
    t = await translator_of(runtime, session)
    return html_response(pages.transcript_html(session, t, page=False))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the transcript's version whenever it changes (the script then
    fetches /transcript). Ends after a few minutes; EventSource reconnects by itself."""
    session = session_of(request)
    if session is None:
        raise web.HTTPNotFound()
    return await stream_versions(request, lambda: session.version, lambda: session.changed)


async def stream_versions(request: web.Request, version: Callable[[], int],
                          event: Callable[[], asyncio.Event], *, lifetime: float = 300) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
    })
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    end = loop.time() + lifetime
    sent = -1
    try:
        while loop.time() < end:
            current = version()
            if current != sent:
                await response.write(f"data: {current}\n\n".encode())
                sent = current
            try:
                await asyncio.wait_for(event().wait(), timeout=20)
            except TimeoutError:
                await response.write(b": ping\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def stream_changes(request: web.Request, snapshot: Callable[[], Awaitable[object]], *,
                         every: float, rounds: int) -> web.StreamResponse:
    """Server-sent events for state that changes elsewhere (the police inbox, a contest's
    ranking): a digest of `snapshot()` whenever it differs, checked every `every` seconds for
    `rounds` rounds (EventSource reconnects after that); the script reloads the page."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "Content-Security-Policy": CSP})
    await response.prepare(request)
    last = ""
    try:
        for _round in range(rounds):
            digest = hashlib.sha256(repr(await snapshot()).encode()).hexdigest()[:16]
            if digest != last:
                await response.write(f"data: {digest}\n\n".encode())
                last = digest
            await asyncio.sleep(every)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def media(request: web.Request) -> web.Response:
    session = session_of(request)
    bubble_id = request.match_info["bubble"]
    bubble = session.bubble(int(bubble_id)) if session is not None and bubble_id.isdigit() else None
    if bubble is None:
        raise web.HTTPNotFound()
    if bubble.photo is not None:
        return web.Response(body=bubble.photo, content_type="image/jpeg",
                            headers={"Cache-Control": "private, no-store"})
    if bubble.document is not None:
        name, data = bubble.document
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "file"
        return web.Response(body=data, content_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "private, no-store",
        })
    raise web.HTTPNotFound()


def _static(name: str, content_type: str) -> Handler:
    body = (STATIC / name).read_bytes()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type,
                            headers={"Cache-Control": "public, max-age=3600"})

    return serve


async def health(request: web.Request) -> web.Response:
    try:
        await runtime_of(request).db.fetchone("SELECT 1")
    except Exception as exc:
        return web.json_response({"ok": False, "error": type(exc).__name__}, status=503)
    return web.json_response({"ok": True})


async def _no_content(_request: web.Request) -> web.Response:
    return web.Response(status=204, headers={"Cache-Control": "public, max-age=86400"})


def make_app(runtime: Runtime, *, demo: bool = False, base: str = "", cookie: str = COOKIE,
             frameable: bool = False) -> web.Application:
    """The web channel over a running runtime (features installed, engine built). `base`,
    `cookie` and `frameable` serve the demo's personas (bot/channels/web/demo.py)."""
    from bot.channels.web import board, console

    app = web.Application(middlewares=[guard], client_max_size=FORM_LIMIT)
    app[RUNTIME] = runtime
    app[BASE] = base
    app[COOKIE_NAME] = cookie
    app[FRAMEABLE] = frameable
    app[SESSIONS] = WebSessions(runtime.keyring, runtime.clock)
    from bot.channels.web.messenger import WebMessenger

    messenger = runtime.messengers.setdefault("web", WebMessenger(runtime.settings.web.public_url))
    if isinstance(messenger, WebMessenger):
        messenger.stores.append(app[SESSIONS])
    r = app.router
    r.add_get("/", chat)
    r.add_get("/s/{payload}", start_link)
    r.add_get("/c/{code}", start_link)
    r.add_post("/say", say)
    r.add_post("/act", press)
    r.add_post("/loc", locate)
    r.add_get("/transcript", transcript)
    r.add_get("/events", events)
    r.add_get("/media/{bubble}", media)
    r.add_get("/static/app.css", _static("app.css", "text/css"))
    r.add_get("/static/app.js", _static("app.js", "text/javascript"))
    r.add_get("/healthz", health)
    r.add_get("/favicon.ico", _no_content)
    console.install(app)
    board.install(app)
    if demo:
        from bot.channels.web import demo as demo_pages

        demo_pages.install(app)
    return app


def web_start_link(runtime: Runtime) -> Callable[[str], str | None]:
    url = runtime.settings.web.public_url
    return lambda payload: deep_link(url, payload) if url else None


async def serve(runtime: Runtime, *, demo: bool = False) -> web.AppRunner:
    """Start listening on BOT_WEB_HOST:BOT_WEB_PORT. No access log: it would hold addresses."""
    settings = runtime.settings.web
    runner = web.AppRunner(make_app(runtime, demo=demo), **RUNNER_OPTIONS)  # type: ignore[arg-type]
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("web channel listening on %s:%s", settings.host, settings.port)
    return runner
