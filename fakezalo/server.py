"""An in-process fake of the Zalo Bot Platform (docs: /work/shared/design/zalo.md).

* `/bot<TOKEN>/<method>` (GET or POST; query, form or JSON parameters); a wrong token is 401.
* Strict validation (a violation answers 400 and is recorded in `violations`): `chat_id` a
  chat the bot has seen, `text` 1-2,000 characters, `photo` an https URL, `caption` at most
  2,000, `action` "typing", `secret_token` 8-256 characters, webhook `url` https.
* `getUpdates` returns ONE update (not a list) or, after holding `timeout` seconds, 408; an
  update is consumed once returned; refused (400) while a webhook is set.
* `setWebhook` makes the fake POST each new update to the URL with the header
  `X-Bot-Api-Secret-Token`; `wrapped` switches the body between `{"ok":true,"result":{...}}`
  and the bare update. (A test may point the URL at http://127.0.0.1: `allow_http_webhook`.)
* Tests act as users: `zl.user("u1").send("xin chào")` waits until the bot reports the update
  handled and returns what it sent to that chat; `send_image`, `send_sticker`,
  `send_unsupported`, group messages, `deliver_again` (a duplicate), `fail_next(method, 429)`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import aiohttp
from aiohttp import web

MAX_TEXT = 2000
# Parameters each method takes; anything else is a violation (the bot must not guess fields).
FIELDS: dict[str, set[str]] = {
    "getMe": set(), "getUpdates": {"timeout"}, "setWebhook": {"url", "secret_token"},
    "deleteWebhook": set(), "getWebhookInfo": set(), "sendMessage": {"chat_id", "text"},
    "sendPhoto": {"chat_id", "photo", "caption"}, "sendSticker": {"chat_id", "sticker"},
    "sendChatAction": {"chat_id", "action"},
}
# The images a fake user sends are served here (Zalo's CDN in real life).
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f3c2b30000000049454e44ae426082"
)


def option_number(text: str, label: str) -> str:
    """The number the bot gave the option whose label contains `label` ("3. 📅 Events")."""
    for line in text.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and label in rest:
            return number
    raise AssertionError(f"no option {label!r} in:\n{text}")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the bot's own webhook server in tests)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Violation:
    method: str
    description: str
    params: dict[str, Any]


@dataclass
class Sent:
    method: str
    chat_id: str
    text: str = ""
    photo: str = ""
    caption: str = ""
    message_id: str = ""


@dataclass
class Reply:
    sent: list[Sent] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [s.text or s.caption for s in self.sent if s.text or s.caption]

    @property
    def text(self) -> str:
        return "\n---\n".join(self.texts)

    @property
    def photos(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "sendPhoto"]

    @property
    def last(self) -> str:
        return self.texts[-1] if self.texts else ""


class ZaloUser:
    def __init__(self, zl: FakeZalo, user_id: str, display_name: str) -> None:
        self.zl = zl
        self.id = user_id
        self.display_name = display_name

    def _message(self, chat_id: str | None = None, chat_type: str = "PRIVATE",
                 **content: Any) -> dict[str, Any]:
        return {
            "from": {"id": self.id, "display_name": self.display_name, "is_bot": False},
            "chat": {"id": chat_id or self.id, "chat_type": chat_type},
            "message_id": secrets.token_hex(10),
            "date": int(time.time() * 1000),
            **content,
        }

    async def send(self, text: str, *, wait: bool = True) -> Reply:
        return await self.zl.inject("message.text.received", self._message(text=text),
                                    chat_id=self.id, wait=wait)

    async def send_image(self, data: bytes = PNG_1PX, caption: str = "", *,
                         field_name: str = "photo_url", wait: bool = True) -> Reply:
        url = self.zl.host_image(data)
        content: dict[str, Any] = {field_name: url}
        if caption:
            content["caption"] = caption
        return await self.zl.inject("message.image.received", self._message(**content),
                                    chat_id=self.id, wait=wait)

    async def send_sticker(self) -> Reply:
        return await self.zl.inject(
            "message.sticker.received",
            self._message(sticker="a1b2c3", url="https://zalo.example/sticker.webp"),
            chat_id=self.id)

    async def send_unsupported(self) -> Reply:
        """A file, a location, or any message of a protected user: no content at all."""
        return await self.zl.inject("message.unsupported.received", self._message(),
                                    chat_id=self.id)

    async def send_in_group(self, group_id: str, text: str, *, wait: bool = True) -> Reply:
        return await self.zl.inject(
            "message.text.received",
            self._message(chat_id=group_id, chat_type="GROUP", text=text),
            chat_id=group_id, wait=wait)


class FakeZalo:
    def __init__(self, token: str = "1234567890:fake-zalo-token-Xy9", *,
                 bot_id: str = "1459232241454765289", can_join_groups: bool = False,
                 reply_timeout: float = 5.0, allow_http_webhook: bool = True) -> None:
        self.token = token
        self.bot_id = bot_id
        self.can_join_groups = can_join_groups
        self.reply_timeout = reply_timeout
        self.allow_http_webhook = allow_http_webhook
        self.violations: list[Violation] = []
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.wrapped = True  # webhook body form: {"ok":true,"result":update} or bare
        # The TLS proxy in front of the bot: webhook deliveries to the public https origin go
        # to this local origin instead (e.g. "http://127.0.0.1:8443").
        self.proxy_to = ""
        self.deliveries: list[tuple[int, float]] = []  # (status, seconds) per webhook POST
        self.pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.known_chats: set[str] = set()
        self._failures: dict[str, list[int]] = {}
        self._images: dict[str, bytes] = {}
        self._handled: dict[str, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self._last_update: dict[str, Any] = {}
        self._stopping = asyncio.Event()
        self._count: dict[str, int] = {}
        self._waiters: dict[str, asyncio.Event] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/img/{image_id}", self._image)
        # A long poll whose client went away (a restart) must not swallow the next update.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        self._stopping.set()  # wakes long polls at once
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeZalo:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def user(self, user_id: str = "6ede9afa66b88fe6d6a9", display_name: str = "Ted") -> ZaloUser:
        return ZaloUser(self, user_id, display_name)

    def fail_next(self, method: str, code: int = 429, times: int = 1) -> None:
        self._failures.setdefault(method, []).extend([code] * times)

    def assert_no_violations(self) -> None:
        assert not self.violations, f"the bot made requests Zalo refuses: {self.violations}"

    # -- the bot reports handling (bot.channels.zalo.channel.ZaloChannel.on_handled) ----------
    def mark_handled(self, dedup_key: str) -> None:
        event = self._handled.setdefault(dedup_key, asyncio.Event())
        event.set()

    # -- users' side -------------------------------------------------------------------------
    def host_image(self, data: bytes) -> str:
        image_id = secrets.token_hex(8)
        self._images[image_id] = data
        return f"{self.base_url}/img/{image_id}"

    async def inject(self, event_name: str, message: dict[str, Any], *, chat_id: str,
                     wait: bool = True) -> Reply:
        self.known_chats.add(chat_id)
        update = {"event_name": event_name, "message": message}
        key = f"{event_name}:{message['message_id']}"
        handled = self._handled.setdefault(key, asyncio.Event())
        before = len(self.sent)
        await self._deliver(update)
        if not wait:
            return Reply()
        await asyncio.wait_for(handled.wait(), self.reply_timeout)
        return Reply([s for s in self.sent[before:] if s.chat_id == chat_id])

    async def deliver_again(self, update: dict[str, Any]) -> None:
        await self._deliver(update)

    @property
    def last_update(self) -> dict[str, Any]:
        return self._last_update

    async def _deliver(self, update: dict[str, Any]) -> None:
        self._last_update = update
        if not self.webhook_url:
            await self.pending.put(update)
            return
        await self.post_webhook(update, secret=self.webhook_secret)

    async def post_webhook(self, update: dict[str, Any], *, secret: str | None,
                           wrapped: bool | None = None) -> int:
        wrap = self.wrapped if wrapped is None else wrapped
        body = {"ok": True, "result": update} if wrap else update
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        assert self._session is not None
        url = self.webhook_url
        if self.proxy_to:
            parsed = urlparse(url)
            url = self.proxy_to.rstrip("/") + parsed.path + (f"?{parsed.query}" if parsed.query else "")
        started = time.perf_counter()
        async with self._session.post(url, data=json.dumps(body),
                                      headers=headers) as response:
            await response.read()
            self.deliveries.append((response.status, time.perf_counter() - started))
            return response.status

    def count_to(self, chat_id: str) -> int:
        return self._count.get(chat_id, 0)

    async def wait_count(self, chat_id: str, count: int, within: float = 10.0) -> bool:
        """Wait until `count` messages in all went to a chat (a bot in another process cannot
        report its handling; benchmarks use this)."""
        deadline = time.monotonic() + within
        while self._count.get(chat_id, 0) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            event = self._waiters.setdefault(chat_id, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                return False
        return True

    async def sent_to(self, chat_id: str, count: int, within: float = 5.0) -> list[Sent]:
        """Wait until the bot has sent `count` messages to a chat it was not replying to
        (police cards, broadcasts)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = [s for s in self.sent if s.chat_id == chat_id]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)
        return [s for s in self.sent if s.chat_id == chat_id]

    # -- the API -----------------------------------------------------------------------------
    async def _image(self, request: web.Request) -> web.Response:
        data = self._images.get(request.match_info["image_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/png")

    @staticmethod
    def _error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description},
                                 status=code)

    def _violation(self, method: str, description: str, params: dict[str, Any]) -> web.Response:
        self.violations.append(Violation(method, description, params))
        return self._error(400, description)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(dict(await request.post()))
        return params

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.requests.append((method, params))
        failures = self._failures.get(method)
        if failures:
            code = failures.pop(0)
            return self._error(code, "Quota exceeded" if code == 429 else "Injected failure")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            self.violations.append(Violation(method, "unknown method", params))
            return self._error(404, "Not Found")
        unknown = set(params) - FIELDS[method]
        if unknown:
            return self._violation(method, f"unknown parameter(s) {sorted(unknown)}", params)
        if method == "getUpdates":
            return await self._m_getUpdates(params, request)
        result: web.Response = await handler(params)
        return result

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return self._ok({"id": self.bot_id, "account_name": "bot.khongmatuy",
                         "account_type": "BASIC", "can_join_groups": self.can_join_groups})

    async def _m_getUpdates(self, params: dict[str, Any],
                            request: web.Request | None = None) -> web.Response:
        if self.webhook_url:
            return self._violation("getUpdates", "webhook is set; use deleteWebhook", params)
        raw = str(params.get("timeout", "30"))
        if not raw.isdigit():
            return self._violation("getUpdates", "timeout must be a number of seconds", params)
        getter = asyncio.ensure_future(self.pending.get())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            done, _ = await asyncio.wait({getter, stopping}, timeout=min(int(raw), 60),
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the client went away (a restart)
            if getter.done() and not getter.cancelled():
                self.pending.put_nowait(getter.result())  # keep it for the next poll
            getter.cancel()
            raise
        finally:
            stopping.cancel()
        if getter in done:
            return self._ok(getter.result())
        getter.cancel()
        return self._error(408, "Request timeout")

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        url, secret = str(params.get("url", "")), str(params.get("secret_token", ""))
        parsed = urlparse(url)
        scheme_ok = parsed.scheme == "https" or (
            self.allow_http_webhook and parsed.scheme == "http"
            and parsed.hostname in ("127.0.0.1", "localhost"))
        if not scheme_ok or not parsed.hostname:
            return self._violation("setWebhook", "url must be a public https URL", params)
        if not 8 <= len(secret) <= 256:
            return self._violation("setWebhook", "secret_token must be 8-256 characters", params)
        self.webhook_url, self.webhook_secret = url, secret
        return self._ok({"url": url, "updated_at": int(time.time() * 1000)})

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook_url = self.webhook_secret = ""
        return self._ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return self._ok({"url": self.webhook_url, "updated_at": int(time.time() * 1000)})

    def _chat(self, method: str, params: dict[str, Any]) -> str | web.Response:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return self._violation(method, "chat_id is required (a string)", params)
        if chat_id not in self.known_chats:
            return self._error(400, "chat not found")  # a business error, not a violation
        return chat_id

    def _record(self, sent: Sent) -> web.Response:
        sent.message_id = secrets.token_hex(16)
        self.sent.append(sent)
        self._count[sent.chat_id] = self._count.get(sent.chat_id, 0) + 1
        waiter = self._waiters.pop(sent.chat_id, None)
        if waiter is not None:
            waiter.set()
        return self._ok({"message_id": sent.message_id, "date": int(time.time() * 1000)})

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat("sendMessage", params)
        if isinstance(chat, web.Response):
            return chat
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return self._violation("sendMessage", "text must be 1-2000 characters", params)
        return self._record(Sent("sendMessage", chat, text=text))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat("sendPhoto", params)
        if isinstance(chat, web.Response):
            return chat
        photo = params.get("photo")
        if not isinstance(photo, str) or urlparse(photo).scheme != "https":
            return self._violation("sendPhoto", "photo must be an https URL", params)
        caption = params.get("caption", "")
        if not isinstance(caption, str) or len(caption) > MAX_TEXT:
            return self._violation("sendPhoto", "caption must be at most 2000 characters",
                                   params)
        return self._record(Sent("sendPhoto", chat, photo=photo, caption=caption))

    async def _m_sendSticker(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat("sendSticker", params)
        if isinstance(chat, web.Response):
            return chat
        return self._record(Sent("sendSticker", chat))

    async def _m_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        chat = self._chat("sendChatAction", params)
        if isinstance(chat, web.Response):
            return chat
        if params.get("action") != "typing":
            return self._violation("sendChatAction", "action must be typing", params)
        return self._ok(True)
