"""Running the web channel: beside Telegram polling in `python -m bot run` (when BOT_WEB_PORT
is set) or alone with `python -m bot web` (no Telegram at all: the engine's conversations and
the services the officer console needs)."""

from __future__ import annotations

import logging

from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def install_services(runtime: Runtime) -> None:
    """Without Telegram: every conversation and its services (the console's among them)."""
    from bot.channels.web.app import web_start_link
    from handlers import build_engine, feature_modules

    modules = feature_modules()
    for module in modules:
        await module.setup(runtime)
    runtime.engine = build_engine(modules)
    runtime.commands_available = set(runtime.engine.commands)
    runtime.start_link = web_start_link(runtime)


async def run_alone(*, demo: bool = False) -> int:
    """`python -m bot web`: the web channel without Telegram, until SIGINT/SIGTERM."""
    from bot.__main__ import _wait_for_signal
    from bot.channels.web.app import serve
    from bot.config import ConfigError, load_settings

    settings = load_settings()
    if demo:
        # The demo makes every visitor a ward officer and a national admin: its own data, and
        # only on this machine.
        from dataclasses import replace

        from bot.config import WebSettings

        port = settings.web.port or 8080
        if settings.web.enabled and settings.web.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError("the demo serves only on this machine: unset BOT_WEB_HOST")
        settings = replace(settings, data_dir=settings.data_dir / "web-demo",
                           web=WebSettings("127.0.0.1", port, f"http://127.0.0.1:{port}"))
    if not settings.web.enabled:
        raise ConfigError("BOT_WEB_PORT is required for `python -m bot web` (e.g. 8080)")
    runtime = await Runtime.open(settings)
    try:
        await install_services(runtime)
        if demo:
            from bot.channels.web.demo import seed

            await seed(runtime)
        runner = await serve(runtime, demo=demo)
        from bot.jobs import run_without_telegram
        from bot.wiring import JOBS

        # No Telegram JobQueue here: the channel-neutral jobs run as tasks.
        jobs = run_without_telegram(runtime, JOBS)
        await runtime.started()  # e.g. contest questions owed since before a restart
        where = f"{settings.web.public_url}/demo" if demo else f"{settings.web.public_url}/"
        print(f"Web channel at {where} — press Ctrl+C to stop.", flush=True)
        try:
            await _wait_for_signal()
        finally:
            for task in jobs:
                task.cancel()
            await runner.cleanup()
    finally:
        await runtime.close()
    return 0
