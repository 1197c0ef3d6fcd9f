"""The web channel through HTTP: a real runtime (database, keys, services, the engine's
conversations) behind the aiohttp app, driven by aiohttp's test client."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web.app import RUNNER_OPTIONS, make_app
from bot.clock import FrozenClock
from bot.config import WebSettings, load_settings
from bot.runtime import Runtime
from tests.web.browser import WebBrowser


async def open_runtime(tmp_path: Path, public_url: str = "http://127.0.0.1:8080") -> Runtime:
    settings = dataclasses.replace(
        load_settings({}), data_dir=tmp_path / "data", admin_ids=frozenset({900001}),
        web=WebSettings(host="127.0.0.1", port=8080, public_url=public_url),
    )
    runtime = await Runtime.open(settings, FrozenClock())
    from bot.channels.web.serve import install_services

    await install_services(runtime)
    return runtime


class Browser(WebBrowser):
    """One browser (one cookie jar) against the test server."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)


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

