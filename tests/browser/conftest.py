"""Real-browser tests of the web channel: Debian's chromium and chromium-driver (installed by
scripts/test with apt), driven by Selenium, against the app served on 127.0.0.1 by a server
thread with its own event loop and runtime. One browser for the whole session; personas are
cookie sets swapped in and out; JavaScript is switched off through the DevTools protocol for
the no-JS journeys. Missing browser: the tests fail and say how to install it (never skip)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=400,900")


class Server:
    """The web channel in a thread: `run(coro)` executes in the server's loop."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = ""
        self.runtime: Any = None
        self.runner: Any = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=60)

    async def start(self) -> None:
        import dataclasses
        import socket

        from aiohttp import web

        from bot.channels.web.app import RUNNER_OPTIONS, make_app
        from bot.channels.web.demo import seed
        from bot.channels.web.serve import install_services
        from bot.config import WebSettings, load_settings
        from bot.runtime import Runtime

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        settings = dataclasses.replace(
            load_settings({}), data_dir=self.data,
            web=WebSettings(host="127.0.0.1", port=port, public_url=self.url),
        )
        self.runtime = await Runtime.open(settings)
        await install_services(self.runtime)
        self.demo = await seed(self.runtime)
        self.runner = web.AppRunner(make_app(self.runtime, demo=True), **RUNNER_OPTIONS)  # type: ignore[arg-type]
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.runtime.close()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    data = Path(tempfile.mkdtemp(prefix="kmt-web-"))
    srv = Server(data)
    srv.run(srv.start())
    try:
        yield srv
    finally:
        srv.run(srv.stop())
        srv.loop.call_soon_threadsafe(srv.loop.stop)
        srv.thread.join(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def driver(server: Server) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed for the browser tests: "
                    "scripts/test installs them (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kmt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    browser.implicitly_wait(0)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Personas:
    """Each persona is its own session: its cookies are swapped into the one browser."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url
        self.jars: dict[str, list[dict[str, Any]]] = {}
        self.current: str | None = None

    def be(self, name: str, path: str = "/") -> None:
        d = self.driver
        if self.current is not None:
            self.jars[self.current] = d.get_cookies()
        if not d.current_url.startswith(self.url):
            d.get(self.url + "/healthz")
        d.delete_all_cookies()
        for cookie in self.jars.get(name, []):
            d.add_cookie(cookie)
        self.current = name
        d.get(self.url + path)

    def javascript(self, on: bool) -> None:
        self.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not on})


@pytest.fixture
def personas(driver: Any, server: Server) -> Iterator[Personas]:
    p = Personas(driver, server.url)
    try:
        yield p
    finally:
        p.javascript(True)
        driver.delete_all_cookies()
