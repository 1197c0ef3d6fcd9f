"""The web channel through HTTP: a real runtime (database, keys, services, the engine's
conversations) behind the aiohttp app, driven by aiohttp's test client."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web.app import RUNNER_OPTIONS, make_app
from bot.clock import FrozenClock
from bot.config import WebSettings, load_settings
from bot.runtime import Runtime
from handlers import build_engine, feature_modules, is_engine_feature


async def open_runtime(tmp_path: Path, public_url: str = "http://127.0.0.1:8080") -> Runtime:
    settings = dataclasses.replace(
        load_settings({}), data_dir=tmp_path / "data", admin_ids=frozenset({900001}),
        web=WebSettings(host="127.0.0.1", port=8080, public_url=public_url),
    )
    runtime = await Runtime.open(settings, FrozenClock())
    from bot.channels.web.serve import install_services

    await install_services(runtime)
    return runtime


class Browser:
    """One browser (one cookie jar) against the app: GETs, form posts with the page's CSRF."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.page = ""

    async def get(self, path: str = "/") -> str:
        resp = await self.client.get(path)
        self.page = await resp.text()
        self.status = resp.status
        return self.page

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    async def say(self, text: str) -> str:
        resp = await self.client.post("/say", data={"csrf": self.csrf, "text": text})
        self.page = await resp.text()
        self.status = resp.status
        return self.page

    async def press(self, label: str) -> str:
        found = None
        for bubble in re.finditer(r'<input type="hidden" name="b" value="(\d+)">(.*?)</form>',
                                  self.page, re.S):
            for button in re.finditer(r'<button type="submit" name="a" value="([^"]+)">([^<]*)</button>',
                                      bubble.group(2)):
                if button.group(2).startswith(label):
                    found = (bubble.group(1), button.group(1))
        assert found, f"no button {label!r}"
        import html as _html

        resp = await self.client.post("/act", data={"csrf": self.csrf, "b": found[0],
                                                    "a": _html.unescape(found[1])})
        self.page = await resp.text()
        self.status = resp.status
        return self.page


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = await open_runtime(tmp_path)
    try:
        yield rt
    finally:
        await rt.close()


async def started(app: object) -> TestServer:
    """A test server started exactly as `serve` starts the real one (no access log)."""
    server = TestServer(app)  # type: ignore[arg-type]
    await server.start_server(**RUNNER_OPTIONS)
    return server


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient]:
    async with TestClient(await started(make_app(runtime))) as c:
        yield c


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)


__all__ = ["Browser", "build_engine", "feature_modules", "is_engine_feature"]
