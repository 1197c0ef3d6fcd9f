"""An async client for the Zalo Bot Platform (`<base>/bot<TOKEN>/<method>`).

The token sits in the URL path, so it must never reach a log line or an error message: httpx
logs request URLs (its logger stays at WARNING and every record is scrubbed, see
bot/logging_setup.py) and its exceptions quote them, so every transport error is re-raised as
`ZaloNetworkError` naming only the exception type and the method.

Responses are `{"ok": bool, "result": ..., "description": str, "error_code": int}`; errors may
come with HTTP 200 or with the error's own status, both are read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.logging_setup import protect_token

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # sendMessage text and sendPhoto caption


class ZaloError(Exception):
    """The platform refused a call. `str()` never contains the token."""

    def __init__(self, method: str, code: int, description: str = "") -> None:
        super().__init__(f"Zalo {method} failed: {code} {description}".strip())
        self.method = method
        self.code = code
        self.description = description


class ZaloTimeout(ZaloError):
    """408: getUpdates found nothing new within its timeout."""


class ZaloRateLimited(ZaloError):
    """429: quota exceeded; back off and retry later."""


class ZaloUnauthorized(ZaloError):
    """401: the token is wrong or was reset in Zalo Bot Manager."""


class ZaloNetworkError(ZaloError):
    """The platform could not be reached (no details: httpx's would quote the URL)."""


_ERRORS: dict[int, type[ZaloError]] = {
    408: ZaloTimeout, 429: ZaloRateLimited, 401: ZaloUnauthorized,
}


@dataclass(frozen=True)
class BotInfo:
    id: str
    account_name: str
    can_join_groups: bool


class PatientSender:
    """Sends of a reply: a 429 (quota) is waited out a few times before the reply fails, so a
    short burst does not turn a person's answer into an apology."""

    def __init__(self, client: ZaloClient, delays: tuple[float, ...] = (1.0, 2.0, 4.0)) -> None:
        self.client = client
        self.delays = delays

    async def _patiently(self, method: str, *args: Any) -> dict[str, Any]:
        for delay in (*self.delays, None):
            try:
                result: dict[str, Any] = await getattr(self.client, method)(*args)
                return result
            except ZaloRateLimited:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return await self._patiently("send_message", chat_id, text)

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
        return await self._patiently("send_photo", chat_id, photo_url, caption)


class ZaloClient:
    def __init__(self, token: str, base_url: str, *, timeout: float = 15.0,
                 http: httpx.AsyncClient | None = None) -> None:
        if not token:
            raise ValueError("a Zalo bot token is required")
        protect_token(token)
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None
        self._closed = False

    def __repr__(self) -> str:  # never the token
        return f"ZaloClient({self.base_url!r})"

    async def close(self) -> None:
        self._closed = True
        if self._own_http:
            await self._http.aclose()

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   wait: float | None = None) -> Any:
        if self._closed:  # e.g. a campaign send during shutdown: a transient failure
            raise ZaloNetworkError(method, 0, "client closed")
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            response = await self._http.post(
                url, json=params or {},
                timeout=wait if wait is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(method, 0, type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            code = response.status_code if response.status_code != 200 else 502
            raise _ERRORS.get(code, ZaloError)(method, code, "not a JSON object")
        if body.get("ok") is True and response.status_code < 400:
            return body.get("result")
        given = body.get("error_code")
        code = given if isinstance(given, int) else 0
        if not code:
            code = response.status_code if response.status_code >= 400 else 400
        description = str(body.get("description", ""))[:200].replace(self._token, "<token>")
        raise _ERRORS.get(code, ZaloError)(method, code, description)

    # -- methods -----------------------------------------------------------------------------
    async def get_me(self) -> BotInfo:
        result = await self.call("getMe")
        if not isinstance(result, dict):
            raise ZaloError("getMe", 502, "no result")
        return BotInfo(
            id=str(result.get("id", "")),
            account_name=str(result.get("account_name", "")),
            can_join_groups=bool(result.get("can_join_groups", False)),
        )

    async def get_updates(self, timeout: int = 30) -> dict[str, Any] | None:  # noqa: ASYNC109
        """One update, or None when nothing arrived within `timeout` seconds (408)."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": str(timeout)}, wait=timeout + 10
            )
        except ZaloTimeout:
            return None
        if isinstance(result, list):  # [?] accept a list too, should the platform batch
            return result[0] if result and isinstance(result[0], dict) else None
        return result if isinstance(result, dict) else None

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        result = await self.call("sendPhoto", params)
        return result if isinstance(result, dict) else {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str, *, max_bytes: int, limit_seconds: float = 20.0,
                       truncate: bool = False) -> bytes:
        """A photo a person sent (a URL on Zalo's servers): streamed, refused above
        `max_bytes` (or, with `truncate`, cut at `max_bytes + 1` so the caller's own size check
        answers politely), abandoned after `limit_seconds`. Only URLs from Zalo events come
        here, never a URL typed in a message."""
        if not url.startswith(("https://", "http://")):
            raise ZaloError("download", 400, "not an http(s) URL")
        try:
            async with asyncio.timeout(limit_seconds):
                async with self._http.stream("GET", url, timeout=limit_seconds) as response:
                    if response.status_code != 200:
                        raise ZaloError("download", response.status_code, "photo not available")
                    declared = response.headers.get("content-length")
                    too_large = ZaloError("download", 413, "photo too large")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        if not truncate:
                            raise too_large
                        return bytes(max_bytes + 1)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        chunks.append(chunk)
                        if size > max_bytes:
                            if not truncate:
                                raise too_large
                            return b"".join(chunks)[:max_bytes + 1]
                    return b"".join(chunks)
        except TimeoutError:
            raise ZaloNetworkError("download", 0, "timeout") from None
        except httpx.HTTPError as exc:
            raise ZaloNetworkError("download", 0, type(exc).__name__) from None
