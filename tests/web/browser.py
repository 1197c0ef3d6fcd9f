"""A scripted browser for the web channel without a browser engine: GET pages, submit the
page's forms (the CSRF token included), press buttons by label, upload a photo. Used by the
HTTP tests (with aiohttp's TestClient) and by bench/bench_web.py (with a ClientSession and a
base URL); either client has `get` and `post`."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from aiohttp import FormData

_BUBBLE_FORM = re.compile(r'<input type="hidden" name="b" value="(\d+)">(.*?)</form>', re.S)
_BUTTON = re.compile(r'<button type="submit" name="a" value="([^"]+)">([^<]*)</button>')


class WebBrowser:
    def __init__(self, client: Any, base: str = "") -> None:
        self.client = client  # TestClient (relative paths) or ClientSession (base URL)
        self.base = base
        self.page = ""
        self.status = 0
        self.latencies: list[float] = []  # seconds per request, for the bench

    async def _done(self, resp: Any, started: float) -> str:
        self.page = await resp.text()
        self.status = resp.status
        self.latencies.append(time.perf_counter() - started)
        return self.page

    async def get(self, path: str = "/") -> str:
        started = time.perf_counter()
        async with self.client.get(self.base + path) as resp:
            return await self._done(resp, started)

    async def post(self, path: str, data: Any) -> str:
        started = time.perf_counter()
        async with self.client.post(self.base + path, data=data) as resp:
            return await self._done(resp, started)

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    @property
    def prefix(self) -> str:
        found = re.search(r'<base href="([^"]*)/">', self.page)
        return found.group(1) if found else ""

    async def say(self, text: str) -> str:
        return await self.post(self.prefix + "/say", {"csrf": self.csrf, "text": text})

    async def photo(self, data: bytes, caption: str = "") -> str:
        form = FormData()
        form.add_field("csrf", self.csrf)
        form.add_field("text", caption)
        form.add_field("photo", data, filename="photo.jpg", content_type="image/jpeg")
        return await self.post(self.prefix + "/say", form)

    def buttons(self) -> list[tuple[str, str, str]]:
        """(bubble id, packed action, label) of every button on the page, oldest first."""
        out = []
        for bubble in _BUBBLE_FORM.finditer(self.page):
            for button in _BUTTON.finditer(bubble.group(2)):
                out.append((bubble.group(1), html.unescape(button.group(1)),
                            html.unescape(button.group(2))))
        return out

    async def press(self, label: str) -> str:
        found = [b for b in self.buttons() if b[2].startswith(label)]
        assert found, f"no button {label!r} in {[b[2] for b in self.buttons()][-12:]}"
        bubble, action, _label = found[-1]
        return await self.post(self.prefix + "/act", {"csrf": self.csrf, "b": bubble, "a": action})

    def last_bubble(self) -> str:
        bubbles = re.findall(r'<article class="b bot"[^>]*>(.*?)</article>', self.page, re.S)
        return bubbles[-1] if bubbles else ""
