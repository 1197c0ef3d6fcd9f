"""The fake Telegram Bot API server (aiohttp, in-process, on 127.0.0.1).

Usage::

    async with FakeTelegram() as tg:
        app = (ApplicationBuilder().token(tg.token).base_url(tg.base_url)
               .base_file_url(tg.base_file_url).build())
        ...
        lan = tg.user(id=1001, first_name="Lan")
        reply = await lan.send("/start")

See ``fakegram/README.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import logging
import math
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Self

from aiohttp import web
from aiohttp.multipart import BodyPartReader

from .spec import ApiSpec, MethodSpec, UploadedFile, load_spec
from .state import (
    JSON,
    BotEvent,
    CallbackQueryRecord,
    ChatRecord,
    InlineQueryRecord,
    MemberStatus,
    PollRecord,
    RecordedRequest,
    StoredFile,
    StoredMessage,
    UserRecord,
    Violation,
    new_file_ids,
    now,
)
from .validate import UPDATE_TYPES, ApiError, Formatted, ValidatedRequest, validate_request

log = logging.getLogger("fakegram")

DEFAULT_TOKEN = "123456:TEST-token-khongmatuy-fakegram"
#: Update types delivered when ``allowed_updates`` is empty/unspecified: all of them except
#: the three Telegram sends only when asked for (Bot API, getUpdates.allowed_updates).
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}

_MEDIA_KINDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}
_MEDIA_FIELDS = ("photo", "document", "video", "audio", "voice", "animation", "video_note",
                 "sticker")
_EXT = {"photo": "jpg", "voice": "oga", "video": "mp4", "audio": "mp3", "animation": "mp4",
        "video_note": "mp4", "sticker": "webp"}

Handler = Callable[[ValidatedRequest, dict[str, UploadedFile]], Awaitable[Any]]


def _is_sending(method: str) -> bool:
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )


class _Pulse:
    """Wake every waiter; a fresh Event each time so waits never see a stale 'set'."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109
        ev = self._event
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(ev.wait(), timeout)
        except TimeoutError:
            return False
        return True


@dataclass(slots=True)
class Injection:
    """A planned fault: see :meth:`FakeTelegram.inject`."""

    method: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int | None = 1
    chat_id: int | str | None = None
    description: str | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.exhausted:
            return False
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


class FloodLimiter:
    """Sliding-window limits modelled on Telegram's documented broadcast limits."""

    def __init__(
        self, global_per_second: int = 30, per_chat_per_second: int = 1,
        per_group_per_minute: int = 20, group_window: float = 60.0,
    ) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self.group_window = group_window  # seconds; tests may shorten Telegram's minute
        self._global: deque[float] = deque()
        self._chat: dict[int, deque[float]] = {}
        self._group: dict[int, deque[float]] = {}

    @staticmethod
    def _retry(window: deque[float], span: float, limit: int, t: float) -> float | None:
        while window and t - window[0] >= span:
            window.popleft()
        if len(window) >= limit:
            return span - (t - window[0])
        return None

    def check(self, chat_id: int | None, t: float) -> int | None:
        """Count one message; return ``retry_after`` seconds if over a limit."""
        waits = [self._retry(self._global, 1.0, self.global_per_second, t)]
        if chat_id is not None:
            cw = self._chat.setdefault(chat_id, deque())
            waits.append(self._retry(cw, 1.0, self.per_chat_per_second, t))
            if chat_id < 0:
                gw = self._group.setdefault(chat_id, deque())
                waits.append(self._retry(gw, self.group_window, self.per_group_per_minute, t))
        worst = max((w for w in waits if w is not None), default=None)
        if worst is not None:
            return max(1, math.ceil(worst))
        self._global.append(t)
        if chat_id is not None:
            self._chat[chat_id].append(t)
            if chat_id < 0:
                self._group[chat_id].append(t)
        return None


class FakeBotApi:
    """An in-process fake of the Telegram Bot API with strict request validation."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "khongmatuy_bot",
        *,
        enforce_flood_limits: bool = False,
        spec_path: str | Path | None = None,
        bot_first_name: str = "Không Ma Túy",
        privacy_mode: bool = True,
        record_requests: bool = True,
        self_check: bool = True,
        reply_timeout: float = 5.0,
        quiet_period: float = 0.05,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        head = token.split(":", 1)[0]
        self.token = token
        self.spec: ApiSpec = load_spec(str(spec_path) if spec_path is not None else None)
        self.bot = UserRecord(
            id=int(head) if head.isdigit() else 123456,
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        #: Bots in groups only see commands, mentions and replies while this is on
        #: (Telegram's default); admins always see everything.
        self.privacy_mode = privacy_mode
        self.record_requests = record_requests
        #: Validate every result and update the fake produces against the spec.
        self.self_check = self_check
        self.reply_timeout = reply_timeout
        self.quiet_period = quiet_period
        self.supports_inline_queries = True
        self._host = host
        self._port = port

        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._photo_sizes: dict[str, list[JSON]] = {}
        self.polls: dict[str, PollRecord] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        # Telegram caches inline answers on its servers (`cache_time`, default 300 s): for all
        # users unless `is_personal`. Key (query, offset, user id or None) → (expiry, results).
        self.inline_cache: dict[tuple[str, str, int | None], tuple[float, list[JSON]]] = {}
        self.bot_commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_descriptions: dict[str, str] = {}
        self.bot_short_descriptions: dict[str, str] = {}
        self.bot_names: dict[str, str] = {}
        self.default_menu_button: JSON | None = None
        self.webhook: JSON | None = None

        self.violations: list[Violation] = []
        self.internal_errors: list[str] = []
        self.unimplemented: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.calls: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self.events: list[BotEvent] = []
        self.other_calls: list[tuple[str, dict[str, Any]]] = []

        self._updates: deque[JSON] = deque()
        self._history: deque[JSON] = deque(maxlen=100)
        self._redeliver: deque[JSON] = deque()
        self._next_update_id = 100_000
        self._delivered_upto = 0
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._closing = False
        self._update_pulse = _Pulse()
        self._activity = _Pulse()
        self._delivery = _Pulse()
        # Update ids the bot reported handled, when it reports them (`mark_handled`): waits
        # then end as soon as the bot is done instead of after a quiet period.
        self.handled: set[int] = set()
        self.reports_handling = False
        self._injections: list[Injection] = []
        self._flood: FloodLimiter | None = FloodLimiter() if enforce_flood_limits else None
        self._ids = random.Random(4242)

        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._handlers: dict[str, Handler] = self._build_handlers()

    # ================================================================== lifecycle
    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"http://{self._host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://{self._host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started; use `async with FakeTelegram()`")
        return self.port

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._update_pulse.fire()  # long-polling getUpdates return at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ================================================================== test-facing API

    def inject(
        self,
        method: str = "*",
        status: int | None = None,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> Injection:
        """Make the next ``times`` matching calls fail with ``status`` and/or answer slowly.

        ``status=429`` answers ``Too Many Requests: retry after N`` with ``retry_after``;
        ``times=None`` means forever; ``method="*"`` matches any method.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        inj = Injection(method=method, status=status, retry_after=retry_after, delay=delay,
                        times=times, chat_id=chat_id, description=description)
        self._injections.append(inj)
        return inj

    def clear_injections(self) -> None:
        self._injections.clear()

    def set_flood_limits(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        *,
        group_window: float = 60.0,
        enabled: bool = True,
    ) -> None:
        """Turn Telegram's flood limits on (or off with ``enabled=False``). ``group_window``
        is the length in seconds of the per-group window (a minute, like Telegram; tests that
        shorten the bot's pacing window shorten this one with it)."""
        self._flood = (
            FloodLimiter(global_per_second, per_chat_per_second, per_group_per_minute,
                         group_window)
            if enabled else None
        )

    def assert_no_violations(self) -> None:
        """Fail if the bot made requests the real Telegram would refuse (or the fake broke)."""
        problems: list[str] = []
        if self.violations:
            problems.append(
                f"{len(self.violations)} Bot API violation(s):\n"
                + "\n".join(f"  - {v}" for v in self.violations)
            )
        if self.internal_errors:
            problems.append("fakegram internal errors:\n" + "\n".join(
                f"  - {e}" for e in self.internal_errors))
        if self.unimplemented:
            problems.append("methods fakegram does not implement (extend fakegram):\n"
                            + "\n".join(f"  - {m}" for m in self.unimplemented))
        if problems:
            raise AssertionError("\n".join(problems))

    def clear_requests(self) -> None:
        self.requests.clear()
        self.calls.clear()

    def commands(
        self, scope: str | Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[CommandEntry]:
        """The bot's commands for ``scope`` and language as ``(command, description)`` tuples.

        ``scope`` is a ``BotCommandScope`` dict or just its type, e.g. ``"all_private_chats"``
        (``None`` = the default scope).
        """
        return [CommandEntry(c["command"], c["description"])
                for c in self.bot_commands.get((_scope_key(scope), language_code), [])]

    async def redeliver_last_update(self, update_id: int | None = None,
                                    timeout: float = 5.0) -> int:  # noqa: ASYNC109
        """Deliver an already delivered update once more (same ``update_id``), like Telegram
        does after a crash before the offset was confirmed; waits until the bot fetched it."""
        if not self._history:
            raise AssertionError("no update to redeliver")
        if update_id is None:
            update = self._history[-1]
        else:
            found = [u for u in self._history if u["update_id"] == update_id]
            if not found:
                raise AssertionError(f"update {update_id} is not in the recent history")
            update = found[0]
        self._redeliver.append(update)
        self._update_pulse.fire()
        deadline = time.monotonic() + timeout
        while self._redeliver:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("the bot did not fetch the redelivered update")
            await self._delivery.wait(remaining)
        return int(update["update_id"])

    @property
    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        """Button presses the bot never answered (the user's client shows a spinner)."""
        return [q for q in self.callback_queries.values() if not q.answered]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_delivered(self, update_id: int | None = None, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched ``update_id`` (default: every update so far)."""
        target = self._next_update_id - 1 if update_id is None else update_id
        deadline = time.monotonic() + timeout
        while self._delivered_upto < target:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"bot did not fetch update {target} within {timeout}s (is it polling?)"
                )
            await self._delivery.wait(remaining)

    # ================================================================== HTTP layer
    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(404, "Not Found")
        f = self._files_by_path.get(request.match_info["path"])
        if f is None:
            return _error_response(404, "Not Found")
        self.calls["<download>"] += 1
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            self.stats["401"] += 1
            return _error_response(401, "Unauthorized")
        name = request.match_info["method"]
        mspec = self.spec.resolve_method(name)
        if mspec is None:
            self._add_violation(name, "Not Found: unknown Bot API method", {})
            self.stats["404"] += 1
            return _error_response(404, "Not Found")
        self.calls[mspec.name] += 1
        self.stats["requests"] += 1
        params: dict[str, Any] = {}
        status = 200
        body: JSON
        try:
            params, attachments = await self._read_params(request, mspec)
            req = validate_request(self.spec, mspec, params, attachments)
            await self._apply_injections(mspec.name, params)
            self._apply_flood_limits(mspec.name, params)
            handler = self._handlers.get(mspec.name)
            result = await (handler(req, attachments) if handler else self._generic(req))
            if self.self_check:
                self._check_result(mspec, result)
            body = {"ok": True, "result": result}
        except ApiError as e:
            status = e.status
            body = {"ok": False, "error_code": e.status, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            if e.violation:
                self._add_violation(mspec.name, e.description, params)
            self.stats[str(status)] += 1
            self._record_error(mspec.name, params, status, e.description)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug in the fake itself
            log.exception("fakegram internal error in %s", mspec.name)
            self.internal_errors.append(f"{mspec.name}: {e!r}")
            status = 500
            body = {"ok": False, "error_code": 500,
                    "description": f"Internal Server Error: fakegram bug: {e!r}"}
        if self.record_requests:
            self.requests.append(RecordedRequest(mspec.name, params, status, time.time()))
        return web.json_response(body, status=status, dumps=_dumps)

    async def _read_params(
        self, request: web.Request, mspec: MethodSpec
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        form: dict[str, str] = dict(request.query)
        typed: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    data = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON body",
                                   violation=True) from None
                if not isinstance(data, dict):
                    raise ApiError(400, "Bad Request: JSON body must be an object",
                                   violation=True)
                typed.update(data)
            elif ctype.startswith("multipart/"):
                reader = await request.multipart()
                while True:
                    part = await reader.next()
                    if part is None:
                        break
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        raise ApiError(400, "Bad Request: unsupported multipart body",
                                       violation=True)
                    if part.filename is not None:
                        files[part.name] = UploadedFile(
                            part.filename, part.headers.get("Content-Type"), bytes(await part.read())
                        )
                    else:
                        form[part.name] = await part.text()
            else:
                post = await request.post()
                for k, v in post.items():
                    if isinstance(v, str):
                        form[k] = v
                    elif isinstance(v, web.FileField):
                        files[k] = UploadedFile(v.filename, v.content_type, v.file.read())
        params: dict[str, Any] = {}
        for k, raw in form.items():
            fs = mspec.fields.get(k)
            if fs is None:
                params[k] = raw
                continue
            value, err = self.spec.decode_form_value(fs, raw)
            if err:
                raise ApiError(400, f"Bad Request: {err}", violation=True)
            params[k] = value
        params.update(typed)
        referenced = _attach_refs(params)
        for k, f in files.items():
            if k in mspec.fields and k not in referenced:
                params[k] = f
            elif k not in referenced:
                raise ApiError(
                    400, f'Bad Request: unknown parameter "{k}" (file part not referenced by '
                    "attach://)", violation=True,
                )
        return params, files

    async def _apply_injections(self, method: str, params: Mapping[str, Any]) -> None:
        for inj in self._injections:
            if inj.matches(method, params):
                inj.hits += 1
                self.stats["injected"] += 1
                if inj.delay:
                    await asyncio.sleep(inj.delay)
                if inj.status is not None and inj.status != 200:
                    raise _injected_error(inj)
                return

    def _apply_flood_limits(self, method: str, params: Mapping[str, Any]) -> None:
        if self._flood is None or not _is_sending(method):
            return
        chat_id = params.get("chat_id")
        cid = chat_id if isinstance(chat_id, int) else None
        if cid is None and isinstance(chat_id, str):
            rec = self._find_chat_by_username(chat_id)
            cid = rec.id if rec else None
        retry = self._flood.check(cid, time.monotonic())
        if retry is not None:
            self.stats["429"] += 1
            self.stats["flood_429"] += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry}",
                           parameters={"retry_after": retry})

    def _check_result(self, mspec: MethodSpec, result: Any) -> None:
        err = self.spec.check_value(result, mspec.returns, f"{mspec.name} result")
        if err:
            self.internal_errors.append(f"{mspec.name}: result does not match the spec: {err}")

    def _add_violation(self, method: str, description: str, params: Mapping[str, Any]) -> None:
        self.violations.append(Violation(method, description, dict(params)))
        self.stats["violations"] += 1

    def _record_error(self, method: str, params: Mapping[str, Any], status: int,
                      description: str) -> None:
        chat_id = params.get("chat_id")
        cid: int | None = chat_id if isinstance(chat_id, int) else None
        qid = params.get("callback_query_id") or params.get("inline_query_id")
        if cid is None and isinstance(qid, str):
            cq = self.callback_queries.get(qid)
            cid = cq.chat_id if cq else None
        if method == "getUpdates":
            return
        self._event("error", method, chat_id=cid, status=status, description=description,
                    query_id=qid if isinstance(qid, str) else None, params=dict(params))

    # ================================================================== events & updates
    def mark_handled(self, update_id: int) -> None:
        """The bot under test finished handling this update (wire it to the bot's update
        processor, e.g. `ChatOrderedProcessor.on_handled`, and set `reports_handling`)."""
        self.handled.add(update_id)
        self._activity.fire()

    def _event(self, kind: str, method: str, **kw: Any) -> BotEvent:
        ev = BotEvent(seq=len(self.events), kind=kind, method=method, **kw)
        self.events.append(ev)
        self._activity.fire()
        return ev

    def _enqueue(self, kind: str, payload: JSON) -> int:
        uid = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": uid, kind: payload}
        if self.self_check:
            err = self.spec.check_object("Update", update)
            if err:
                raise AssertionError(f"fakegram produced an invalid update: {err}")
        self._updates.append(update)
        self._history.append(update)
        self._update_pulse.fire()
        return uid

    def _bot_sees_group_message(self, chat: ChatRecord, text: str | None,
                                entities: list[JSON], reply_to: StoredMessage | None) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if not self.privacy_mode or chat.bot_status in ("administrator", "creator"):
            return True
        if reply_to is not None and reply_to.from_bot:
            return True
        if not text:
            return False
        uname = f"@{self.bot.username}".lower()
        for e in entities:
            frag = _utf16_fragment(text, e["offset"], e["length"]).lower()
            if e["type"] == "bot_command" and ("@" not in frag or frag.endswith(uname)):
                return True
            if e["type"] == "mention" and frag == uname:
                return True
        return False

    # ================================================================== lookup helpers
    def _find_chat_by_username(self, name: str) -> ChatRecord | None:
        uname = name.lstrip("@").lower()
        for c in self.chats.values():
            if c.username and c.username.lower() == uname:
                return c
        return None

    def _chat(self, chat_id: Any) -> ChatRecord:
        rec: ChatRecord | None = None
        if isinstance(chat_id, int):
            rec = self.chats.get(chat_id)
        elif isinstance(chat_id, str):
            if chat_id.lstrip("-").isdigit():
                rec = self.chats.get(int(chat_id))
            elif chat_id.startswith("@"):
                rec = self._find_chat_by_username(chat_id)
        if rec is None:
            raise ApiError(400, "Bad Request: chat not found")
        return rec

    def _check_can_send(self, chat: ChatRecord) -> None:
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return
        if chat.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           parameters={"migrate_to_chat_id": chat.migrated_to})
        kind = "supergroup chat" if chat.type == "supergroup" else f"{chat.type} chat"
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")

    def _message(self, chat: ChatRecord, message_id: int, what: str) -> StoredMessage:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return msg

    def _member_status(self, chat: ChatRecord, user_id: int) -> MemberStatus:
        if user_id == self.bot.id:
            return chat.bot_status if chat.type != "private" else "member"
        if chat.type == "private":
            return "member" if user_id == chat.id else "left"
        return chat.members.get(user_id, "left")

    def _chat_member(self, chat: ChatRecord, user_id: int) -> JSON:
        if user_id == self.bot.id:
            user = self.bot.to_api()
        elif user_id in self.users:
            user = self.users[user_id].to_api()
        else:
            raise ApiError(400, "Bad Request: user not found")
        status = self._member_status(chat, user_id)
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            rights = chat.bot_rights if user_id == self.bot.id else _admin_rights()
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, **_admin_rights(), **rights}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status in ("member", "restricted"):
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    # ================================================================== message building
    def _store_message(self, chat: ChatRecord, data: JSON, *, from_bot: bool,
                       sent_text: str | None = None, parse_mode: str | None = None,
                       file_ids: list[str] | None = None) -> StoredMessage:
        msg = StoredMessage(chat_id=chat.id, message_id=data["message_id"], data=data,
                            from_bot=from_bot, sent_text=sent_text, parse_mode=parse_mode,
                            file_ids=file_ids or [])
        chat.messages[msg.message_id] = msg
        return msg

    def _new_bot_message(self, req: ValidatedRequest, extra: JSON, *,
                         formatted: Formatted | None = None,
                         file_ids: list[str] | None = None,
                         chat: ChatRecord | None = None,
                         kind: str = "send") -> StoredMessage:
        p = req.params
        chat = chat or self._chat(p["chat_id"])
        self._check_can_send(chat)
        data: JSON = {
            "message_id": chat.next_message_id(),
            "from": self.bot.to_api(),
            "chat": chat.to_api(),
            "date": now(),
        }
        reply_to = self._reply_target(chat, p)
        if reply_to is not None:
            data["reply_to_message"] = _without_reply(reply_to.data)
        if "message_thread_id" in p and chat.is_forum:
            data["message_thread_id"] = p["message_thread_id"]
        data.update(extra)
        if p.get("protect_content"):
            data["has_protected_content"] = True
        self._apply_markup(chat, data, p.get("reply_markup"))
        msg = self._store_message(
            chat, data, from_bot=True,
            sent_text=formatted.source if formatted else None,
            parse_mode=formatted.parse_mode if formatted else None, file_ids=file_ids,
        )
        self._event(kind, req.name, chat_id=chat.id, message=msg, params=dict(p))
        return msg

    def _reply_target(self, chat: ChatRecord, p: Mapping[str, Any]) -> StoredMessage | None:
        rp = p.get("reply_parameters")
        if not isinstance(rp, Mapping):
            return None
        target_chat = self._chat(rp["chat_id"]) if "chat_id" in rp else chat
        msg = target_chat.messages.get(rp["message_id"])
        if msg is None or msg.deleted:
            if rp.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return msg

    @staticmethod
    def _apply_markup(chat: ChatRecord, data: JSON, markup: Any) -> None:
        if not isinstance(markup, Mapping):
            return
        if "inline_keyboard" in markup:
            data["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        elif "keyboard" in markup:
            chat.reply_keyboard = dict(markup)
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    # ------------------------------------------------------------------ files
    def store_file(self, data: bytes, kind: str, *, file_name: str | None = None,
                   mime_type: str | None = None, url: str | None = None) -> StoredFile:
        """Store bytes as a Telegram file (used for uploads from both the bot and users)."""
        file_id, unique = new_file_ids(kind)
        folder = {"photo": "photos", "document": "documents", "voice": "voice",
                  "video": "videos"}.get(kind, kind + "s")
        ext = _EXT.get(kind)
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        path = f"{folder}/file_{len(self.files)}.{ext or 'bin'}"
        f = StoredFile(file_id=file_id, file_unique_id=unique, data=data, file_path=path,
                       mime_type=mime_type, file_name=file_name, url=url)
        if kind == "photo":
            size = _image_size(data)
            if size:
                f.width, f.height = size
        self.files[file_id] = f
        self._files_by_path[path] = f
        return f

    def _resolve_input_file(self, value: Any, kind: str,
                            attachments: Mapping[str, UploadedFile]) -> StoredFile:
        if isinstance(value, str) and value.startswith("attach://"):
            value = attachments[value[len("attach://"):]]
        if isinstance(value, UploadedFile):
            mime = value.content_type
            if kind == "photo" and (not mime or mime == "application/octet-stream"):
                mime = "image/jpeg"
            return self.store_file(value.data, kind, file_name=value.filename, mime_type=mime)
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                # We cannot fetch URLs; remember it with empty content.
                return self.store_file(b"", kind, file_name=value.rsplit("/", 1)[-1], url=value)
            f = self.files.get(value)
            if f is not None:
                return f
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def photo_sizes(self, f: StoredFile) -> list[JSON]:
        """PhotoSize entries for a stored photo (thumbnails are real downscaled JPEGs)."""
        if f.file_id in self._photo_sizes:
            return self._photo_sizes[f.file_id]
        w, h = f.width or 1280, f.height or 960
        sizes: list[JSON] = []
        for side in (90, 320, 800):
            if max(w, h) <= side:
                break
            thumb = _thumbnail(f.data, side)
            if thumb is None:
                break
            data, tw, th = thumb
            t = self.store_file(data, "photo", mime_type="image/jpeg")
            sizes.append(_photo_size(t, tw, th))
        sizes.append(_photo_size(f, w, h))
        for s in sizes:
            self._photo_sizes[s["file_id"]] = sizes
        return sizes

    def media_json(self, kind: str, f: StoredFile, p: Mapping[str, Any]) -> Any:
        if kind == "photo":
            return self.photo_sizes(f)
        d: JSON = {"file_id": f.file_id, "file_unique_id": f.file_unique_id,
                   "file_size": f.size}
        if kind in ("document", "video", "audio", "animation") and f.file_name:
            d["file_name"] = f.file_name
        if kind in ("document", "video", "audio", "voice", "animation") and f.mime_type:
            d["mime_type"] = f.mime_type
        if kind in ("video", "audio", "voice", "animation", "video_note"):
            d["duration"] = int(p.get("duration") or f.duration or 1)
        if kind in ("video", "animation"):
            d["width"] = int(p.get("width") or f.width or 640)
            d["height"] = int(p.get("height") or f.height or 360)
        if kind == "video_note":
            d["length"] = int(p.get("length") or 240)
        if kind == "sticker":
            d.update(type="regular", width=512, height=512, is_animated=False,
                     is_video=False)
        return d

    # ================================================================== handlers
    def _build_handlers(self) -> dict[str, Handler]:
        h: dict[str, Handler] = {
            "getMe": self._h_get_me,
            "getUpdates": self._h_get_updates,
            "setWebhook": self._h_set_webhook,
            "deleteWebhook": self._h_delete_webhook,
            "getWebhookInfo": self._h_get_webhook_info,
            "logOut": self._h_true,
            "close": self._h_true,
            "sendMessage": self._h_send_message,
            "editMessageText": self._h_edit_text,
            "editMessageCaption": self._h_edit_caption,
            "editMessageReplyMarkup": self._h_edit_markup,
            "deleteMessage": self._h_delete_message,
            "deleteMessages": self._h_delete_messages,
            "answerCallbackQuery": self._h_answer_callback,
            "answerInlineQuery": self._h_answer_inline,
            "sendMediaGroup": self._h_send_media_group,
            "sendLocation": self._h_send_location,
            "sendVenue": self._h_send_venue,
            "sendContact": self._h_send_contact,
            "sendDice": self._h_send_dice,
            "sendPoll": self._h_send_poll,
            "stopPoll": self._h_stop_poll,
            "getFile": self._h_get_file,
            "setMyCommands": self._h_set_commands,
            "getMyCommands": self._h_get_commands,
            "deleteMyCommands": self._h_delete_commands,
            "setChatMenuButton": self._h_set_menu_button,
            "getChatMenuButton": self._h_get_menu_button,
            "sendChatAction": self._h_chat_action,
            "getChat": self._h_get_chat,
            "getChatMember": self._h_get_chat_member,
            "getChatAdministrators": self._h_get_chat_admins,
            "getChatMemberCount": self._h_get_member_count,
            "leaveChat": self._h_leave_chat,
            "copyMessage": self._h_copy_message,
            "forwardMessage": self._h_forward_message,
            "setMyDescription": self._h_set_description,
            "getMyDescription": self._h_get_description,
            "setMyShortDescription": self._h_set_short_description,
            "getMyShortDescription": self._h_get_short_description,
            "setMyName": self._h_set_name,
            "getMyName": self._h_get_name,
        }
        for method in _MEDIA_KINDS:
            h[method] = self._h_send_media
        return h

    async def _generic(self, req: ValidatedRequest) -> Any:
        self.other_calls.append((req.name, dict(req.params)))
        if req.method.returns == ("Boolean",):
            self._event("other", req.name, chat_id=_int_or_none(req.params.get("chat_id")),
                        params=dict(req.params))
            return True
        self.unimplemented.append(req.name)
        raise ApiError(
            501, f"Not Implemented: fakegram does not implement {req.name} (returns "
            f"{' or '.join(req.method.returns)}); extend fakegram/server.py",
        )

    async def _h_true(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        return True

    async def _h_get_me(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        me = self.bot.to_api()
        me.update(can_join_groups=True, can_read_all_group_messages=not self.privacy_mode,
                  supports_inline_queries=self.supports_inline_queries)
        return me

    # ------------------------------------------------------------------ updates
    async def _h_get_updates(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = p.get("offset")
        if isinstance(offset, int) and offset != 0:
            if offset < 0:
                keep = -offset
                while len(self._updates) > keep:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        if "allowed_updates" in p:
            self._allowed_updates = frozenset(p["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
        limit = max(1, min(100, int(p.get("limit", 100))))
        timeout = float(p.get("timeout", 0))
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_pulse.fire()  # terminate an older long poll (409, like Telegram)
        deadline = time.monotonic() + timeout
        while True:
            batch = self._pending_updates(limit)
            if self._redeliver:
                batch = [*self._redeliver, *batch][:limit]
                self._redeliver.clear()
            if batch or self._closing:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._update_pulse.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                    "sure that only one bot instance is running")
        if batch:
            self._delivered_upto = max(self._delivered_upto,
                                       max(u["update_id"] for u in batch))
            self._delivery.fire()
        return batch

    def _pending_updates(self, limit: int) -> list[JSON]:
        allowed = self._allowed_updates
        if any(_update_kind(u) not in allowed for u in self._updates):
            # Telegram does not keep updates of types the bot did not ask for
            self._updates = deque(u for u in self._updates if _update_kind(u) in allowed)
        return [u for _, u in zip(range(limit), self._updates, strict=False)]

    async def _h_set_webhook(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        self.webhook = {k: v for k, v in req.params.items() if k != "certificate"}
        if req.params.get("drop_pending_updates"):
            self._updates.clear()
        self._poll_generation += 1
        self._update_pulse.fire()
        return True

    async def _h_delete_webhook(self, req: ValidatedRequest,
                                att: dict[str, UploadedFile]) -> Any:
        self.webhook = None
        if req.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _h_get_webhook_info(self, req: ValidatedRequest,
                                  att: dict[str, UploadedFile]) -> Any:
        info: JSON = {"url": (self.webhook or {}).get("url", ""),
                      "has_custom_certificate": False,
                      "pending_update_count": len(self._updates)}
        if self._allowed_updates != DEFAULT_ALLOWED_UPDATES:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    # ------------------------------------------------------------------ sending
    async def _h_send_message(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        f = req.formatted["text"]
        extra: JSON = {"text": f.text}
        if f.entities:
            extra["entities"] = f.entities
        lpo = req.params.get("link_preview_options")
        if isinstance(lpo, Mapping) and lpo:
            extra["link_preview_options"] = dict(lpo)
        return self._new_bot_message(req, extra, formatted=f).data

    def _caption_extra(self, f: Formatted | None) -> JSON:
        if f is None or not f.text:
            return {}
        extra: JSON = {"caption": f.text}
        if f.entities:
            extra["caption_entities"] = f.entities
        return extra

    async def _h_send_media(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        kind = _MEDIA_KINDS[req.name]
        chat = self._chat(req.params["chat_id"])
        self._check_can_send(chat)
        f = self._resolve_input_file(req.params[kind], kind, att)
        cap = req.formatted.get("caption")
        extra: JSON = {kind: self.media_json(kind, f, req.params), **self._caption_extra(cap)}
        if req.params.get("has_spoiler"):
            extra["has_media_spoiler"] = True
        return self._new_bot_message(req, extra, formatted=cap, file_ids=[f.file_id],
                                     chat=chat).data

    async def _h_send_media_group(self, req: ValidatedRequest,
                                  att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        self._check_can_send(chat)
        group_id = str(self._ids.randrange(10**17, 10**18))
        out = []
        for i, m in enumerate(req.params["media"]):
            kind = m["type"]
            f = self._resolve_input_file(m["media"], kind, att)
            cap = req.formatted.get(f"media:{i}")
            extra: JSON = {"media_group_id": group_id, kind: self.media_json(kind, f, m),
                           **self._caption_extra(cap)}
            msg = self._new_bot_message(req, extra, formatted=cap, file_ids=[f.file_id],
                                        chat=chat)
            out.append(msg.data)
        return out

    async def _h_send_location(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        loc: JSON = {"latitude": p["latitude"], "longitude": p["longitude"]}
        for k in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if k in p:
                loc[k] = p[k]
        return self._new_bot_message(req, {"location": loc}).data

    async def _h_send_venue(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        loc = {"latitude": p["latitude"], "longitude": p["longitude"]}
        venue = {"location": loc, "title": p["title"], "address": p["address"]}
        return self._new_bot_message(req, {"venue": venue, "location": loc}).data

    async def _h_send_contact(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        contact = {k: p[k] for k in ("phone_number", "first_name", "last_name", "vcard")
                   if k in p}
        return self._new_bot_message(req, {"contact": contact}).data

    async def _h_send_dice(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        emoji = req.params.get("emoji", "🎲")
        top = {"🎯": 6, "🎲": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}.get(emoji, 6)
        dice = {"emoji": emoji, "value": self._ids.randint(1, top)}
        return self._new_bot_message(req, {"dice": dice}).data

    async def _h_send_poll(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        chat = self._chat(p["chat_id"])
        self._check_can_send(chat)
        ptype = p.get("type", "regular")
        q = req.formatted["question"]
        options = []
        for i in range(len(p["options"])):
            of = req.formatted[f"option:{i}"]
            opt: JSON = {"persistent_id": str(i), "text": of.text, "voter_count": 0}
            if of.entities:
                opt["text_entities"] = of.entities
            options.append(opt)
        poll: JSON = {
            "id": str(self._ids.randrange(10**18, 10**19)),
            "question": q.text,
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(p.get("is_closed", False)),
            "is_anonymous": bool(p.get("is_anonymous", True)),
            "type": ptype,
            "allows_multiple_answers": bool(p.get("allows_multiple_answers", False)),
            "allows_revoting": bool(p.get("allows_revoting", ptype == "regular")),
            "members_only": bool(p.get("members_only", False)),
        }
        if q.entities:
            poll["question_entities"] = q.entities
        if "correct_option_ids" in p:
            poll["correct_option_ids"] = list(p["correct_option_ids"])
        ex = req.formatted.get("explanation")
        if ex is not None and ex.text:
            poll["explanation"] = ex.text
            if ex.entities:
                poll["explanation_entities"] = ex.entities
        desc = req.formatted.get("description")
        if desc is not None and desc.text:
            poll["description"] = desc.text
            if desc.entities:
                poll["description_entities"] = desc.entities
        if "open_period" in p:
            poll["open_period"] = p["open_period"]
            poll["close_date"] = now() + int(p["open_period"])
        elif "close_date" in p:
            poll["close_date"] = p["close_date"]
        msg = self._new_bot_message(req, {"poll": poll}, chat=chat)
        self.polls[poll["id"]] = PollRecord(id=poll["id"], chat_id=chat.id,
                                            message_id=msg.message_id, data=poll)
        return msg.data

    async def _h_stop_poll(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        msg = self._message(chat, req.params["message_id"], "stop")
        poll = msg.data.get("poll")
        if poll is None or not msg.from_bot:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        rec = self.polls[poll["id"]]
        if rec.is_closed():
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        if "reply_markup" in req.params:
            msg.data.pop("reply_markup", None)
            self._apply_markup(chat, msg.data, req.params["reply_markup"])
        self._event("edit", req.name, chat_id=chat.id, message=msg, params=dict(req.params))
        return poll

    async def _h_copy_message(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        src_chat = self._chat(p["from_chat_id"])
        src = src_chat.messages.get(p["message_id"])
        if src is None or src.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = _content_of(src.data)
        if not content:
            raise ApiError(400, "Bad Request: message can't be copied")
        cap = req.formatted.get("caption")
        if cap is not None and ("caption" in content or not content.get("text")):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption_extra(cap))
        msg = self._new_bot_message(req, content, file_ids=list(src.file_ids))
        return {"message_id": msg.message_id}

    async def _h_forward_message(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        p = req.params
        src_chat = self._chat(p["from_chat_id"])
        src = src_chat.messages.get(p["message_id"])
        if src is None or src.deleted:
            raise ApiError(400, "Bad Request: message to forward not found")
        content = _content_of(src.data)
        if not content:
            raise ApiError(400, "Bad Request: message can't be forwarded")
        origin: JSON
        if "from" in src.data:
            origin = {"type": "user", "date": src.data["date"], "sender_user": src.data["from"]}
        else:
            origin = {"type": "chat", "date": src.data["date"], "sender_chat": src.data["chat"]}
        content["forward_origin"] = origin
        content.pop("reply_markup", None)
        return self._new_bot_message(req, content, file_ids=list(src.file_ids)).data

    # ------------------------------------------------------------------ editing
    def _edit_target(self, req: ValidatedRequest) -> tuple[ChatRecord, StoredMessage]:
        p = req.params
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID (fakegram keeps no inline "
                                "messages)")
        chat = self._chat(p["chat_id"])
        msg = self._message(chat, p["message_id"], "edit")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, msg

    def _commit_edit(self, req: ValidatedRequest, chat: ChatRecord, msg: StoredMessage,
                     changes: JSON, markup: Any) -> JSON:
        new = dict(msg.data)
        for k, v in changes.items():
            if v is None:
                new.pop(k, None)
            else:
                new[k] = v
        new.pop("reply_markup", None)
        if isinstance(markup, Mapping) and "inline_keyboard" in markup:
            new["reply_markup"] = {"inline_keyboard": copy.deepcopy(markup["inline_keyboard"])}
        strip = {"edit_date"}
        if {k: v for k, v in new.items() if k not in strip} == {
            k: v for k, v in msg.data.items() if k not in strip
        }:
            raise ApiError(
                400, "Bad Request: message is not modified: specified new message content and "
                     "reply markup are exactly the same as a current content and reply markup "
                     "of the message")
        new["edit_date"] = now()
        msg.history.append(msg.data)
        msg.data = new
        msg.edited = True
        msg.edit_count += 1
        self._event("edit", req.name, chat_id=chat.id, message=msg, params=dict(req.params))
        return new

    async def _h_edit_text(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat, msg = self._edit_target(req)
        if "text" not in msg.data:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        f = req.formatted["text"]
        result = self._commit_edit(req, chat, msg, {"text": f.text, "entities": f.entities or None},
                                   req.params.get("reply_markup"))
        msg.sent_text, msg.parse_mode = f.source, f.parse_mode
        return result

    async def _h_edit_caption(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat, msg = self._edit_target(req)
        if not any(k in msg.data for k in _MEDIA_FIELDS):
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        f = req.formatted.get("caption")
        changes: JSON = {"caption": None, "caption_entities": None}
        if f is not None and f.text:
            changes = {"caption": f.text, "caption_entities": f.entities or None}
        result = self._commit_edit(req, chat, msg, changes, req.params.get("reply_markup"))
        if f is not None:
            msg.sent_text, msg.parse_mode = f.source, f.parse_mode
        return result

    async def _h_edit_markup(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat, msg = self._edit_target(req)
        return self._commit_edit(req, chat, msg, {}, req.params.get("reply_markup"))

    async def _h_delete_message(self, req: ValidatedRequest,
                                att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        msg = self._message(chat, req.params["message_id"], "delete")
        self._check_can_delete(chat, msg)
        msg.deleted = True
        self._event("delete", req.name, chat_id=chat.id, message=msg,
                    message_ids=(msg.message_id,), params=dict(req.params))
        return True

    def _check_can_delete(self, chat: ChatRecord, msg: StoredMessage) -> None:
        if msg.from_bot or chat.type == "private":
            return
        if chat.bot_status == "creator" or (
            chat.bot_status == "administrator" and chat.bot_rights.get("can_delete_messages")
        ):
            return
        raise ApiError(400, "Bad Request: message can't be deleted")

    async def _h_delete_messages(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        deleted = []
        for mid in req.params["message_ids"]:
            msg = chat.messages.get(mid)
            if msg is None or msg.deleted:
                continue
            with contextlib.suppress(ApiError):
                self._check_can_delete(chat, msg)
                msg.deleted = True
                deleted.append(mid)
        self._event("delete", req.name, chat_id=chat.id, message_ids=tuple(deleted),
                    params=dict(req.params))
        return True

    # ------------------------------------------------------------------ queries
    async def _h_answer_callback(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        p = req.params
        cq = self.callback_queries.get(p["callback_query_id"])
        if cq is None or cq.answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or "
                                "query ID is invalid")
        cq.answered = True
        cq.answer = {k: p[k] for k in ("text", "show_alert", "url", "cache_time") if k in p}
        self._event("callback_answer", req.name, chat_id=cq.chat_id, query_id=cq.id,
                    params=dict(p))
        return True

    async def _h_answer_inline(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        iq = self.inline_queries.get(p["inline_query_id"])
        if iq is None or iq.answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or "
                                "query ID is invalid")
        iq.answered = True
        iq.results = list(p["results"])
        iq.answer = {k: v for k, v in p.items() if k != "results"}
        cache_time = int(p.get("cache_time", 300))
        if cache_time > 0:
            owner = iq.user_id if p.get("is_personal") else None
            self.inline_cache[(iq.query, iq.offset, owner)] = (
                time.monotonic() + cache_time, iq.results)
        self._event("inline_answer", req.name, query_id=iq.id, params=dict(p))
        return True

    # ------------------------------------------------------------------ files
    async def _h_get_file(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        f = self.files.get(req.params["file_id"])
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return f.to_file()

    # ------------------------------------------------------------------ bot settings
    async def _h_set_commands(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        key = (_scope_key(p.get("scope")), p.get("language_code", ""))
        self.bot_commands[key] = [dict(c) for c in p["commands"]]
        return True

    async def _h_get_commands(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        p = req.params
        key = (_scope_key(p.get("scope")), p.get("language_code", ""))
        return [dict(c) for c in self.bot_commands.get(key, [])]

    async def _h_delete_commands(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        p = req.params
        self.bot_commands.pop((_scope_key(p.get("scope")), p.get("language_code", "")), None)
        return True

    async def _h_set_menu_button(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        p = req.params
        button = dict(p.get("menu_button") or {"type": "default"})
        if "chat_id" in p:
            self._chat(p["chat_id"]).menu_button = button
        else:
            self.default_menu_button = button
        return True

    async def _h_get_menu_button(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        p = req.params
        if "chat_id" in p:
            chat = self._chat(p["chat_id"])
            if chat.menu_button is not None:
                return chat.menu_button
        return self.default_menu_button or {"type": "default"}

    async def _h_set_description(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        self.bot_descriptions[req.params.get("language_code", "")] = req.params.get(
            "description", "")
        return True

    async def _h_get_description(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        lang = req.params.get("language_code", "")
        return {"description": self.bot_descriptions.get(lang, "")}

    async def _h_set_short_description(self, req: ValidatedRequest,
                                       att: dict[str, UploadedFile]) -> Any:
        self.bot_short_descriptions[req.params.get("language_code", "")] = req.params.get(
            "short_description", "")
        return True

    async def _h_get_short_description(self, req: ValidatedRequest,
                                       att: dict[str, UploadedFile]) -> Any:
        lang = req.params.get("language_code", "")
        return {"short_description": self.bot_short_descriptions.get(lang, "")}

    async def _h_set_name(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        self.bot_names[req.params.get("language_code", "")] = req.params.get("name", "")
        return True

    async def _h_get_name(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        lang = req.params.get("language_code", "")
        return {"name": self.bot_names.get(lang) or self.bot.first_name}

    # ------------------------------------------------------------------ chats
    async def _h_chat_action(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        self._check_can_send(chat)
        self._event("chat_action", req.name, chat_id=chat.id, params=dict(req.params))
        return True

    async def _h_get_chat(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        return self._chat(req.params["chat_id"]).to_full_info()

    async def _h_get_chat_member(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        return self._chat_member(chat, req.params["user_id"])

    async def _h_get_chat_admins(self, req: ValidatedRequest,
                                 att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        ids = [uid for uid, s in chat.members.items() if s in ("creator", "administrator")]
        if chat.bot_status in ("creator", "administrator"):
            ids.append(self.bot.id)
        return [self._chat_member(chat, uid) for uid in ids]

    async def _h_get_member_count(self, req: ValidatedRequest,
                                  att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member", "restricted")
        return sum(1 for s in chat.members.values() if s in present) + (
            1 if chat.bot_status in present else 0)

    async def _h_leave_chat(self, req: ValidatedRequest, att: dict[str, UploadedFile]) -> Any:
        chat = self._chat(req.params["chat_id"])
        if chat.type == "private":
            raise ApiError(400, "Bad Request: chat member status can't be changed in private "
                                "chats")
        chat.bot_status = "left"
        self._event("other", req.name, chat_id=chat.id, params=dict(req.params))
        return True


# ====================================================================== helpers
def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _error_response(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


def _injected_error(inj: Injection) -> ApiError:
    status = inj.status or 500
    if status == 429:
        ra = inj.retry_after or 1
        return ApiError(429, inj.description or f"Too Many Requests: retry after {ra}",
                        parameters={"retry_after": ra})
    default = {
        400: "Bad Request: injected failure",
        403: "Forbidden: injected failure",
        409: "Conflict: injected failure",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }.get(status, "Injected failure")
    return ApiError(status, inj.description or default)


def _attach_refs(value: Any) -> set[str]:
    out: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if v.startswith("attach://"):
                out.add(v[len("attach://"):])
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


def _update_kind(update: Mapping[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _utf16_fragment(text: str, offset: int, length: int) -> str:
    from .markup import utf16_slice

    return utf16_slice(text, offset, length)


class CommandEntry(NamedTuple):
    """A registered bot command; compares equal to ``(command, description)``."""

    command: str
    description: str


def _scope_key(scope: str | Mapping[str, Any] | None) -> str:
    if not scope:
        return "default"
    if isinstance(scope, str):
        return scope
    parts = [str(scope.get("type", "default"))]
    for k in ("chat_id", "user_id"):
        if k in scope:
            parts.append(f"{k}={scope[k]}")
    return ":".join(parts)


def _admin_rights(**overrides: bool) -> JSON:
    rights = {
        "can_manage_chat": True,
        "can_delete_messages": False,
        "can_manage_video_chats": False,
        "can_restrict_members": False,
        "can_promote_members": False,
        "can_change_info": False,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": False,
    }
    rights.update(overrides)
    return rights


def _without_reply(data: Mapping[str, Any]) -> JSON:
    d = dict(data)
    d.pop("reply_to_message", None)
    return d


_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "photo", "document",
                 "video", "audio", "voice", "animation", "video_note", "sticker", "location",
                 "venue", "contact", "poll", "dice", "reply_markup", "media_group_id")


def _content_of(data: Mapping[str, Any]) -> JSON:
    content = {k: copy.deepcopy(data[k]) for k in _CONTENT_KEYS if k in data}
    content.pop("media_group_id", None)
    return content if any(k not in ("reply_markup",) for k in content) else {}


def _photo_size(f: StoredFile, w: int, h: int) -> JSON:
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": w, "height": h,
            "file_size": f.size}


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return int(im.width), int(im.height)
    except Exception:
        return None


def _thumbnail(data: bytes, side: int) -> tuple[bytes, int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            rgb = im.convert("RGB")
            rgb.thumbnail((side, side))
            buf = io.BytesIO()
            rgb.save(buf, format="JPEG", quality=80)
            return buf.getvalue(), int(rgb.width), int(rgb.height)
    except Exception:
        return None
