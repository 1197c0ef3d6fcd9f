"""The process: open the runtime, start every configured channel, stop them all.

One code path (`running`) serves the CLI, the webhook mode, the playground and the tests, so
what the tests exercise is what production runs. Telegram's application itself is built in
bot/channels/telegram/application.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram.ext import (
    Application,
)

from bot.channels.telegram.application import (
    DurableUpdateQueue,
    build_application,
    install_features,
)
from bot.clock import Clock
from bot.config import Settings
from bot.logging_setup import protect_token
from bot.runtime import Runtime

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(
    settings: Settings,
    *,
    clock: Clock | None = None,
    polling: bool = True,
    poll_timeout: int = 30,
    rate_limit: bool = True,
    jobs: bool = True,
    serve_zalo_media: bool = True,
    serve_web: bool = True,
) -> AsyncIterator[Application]:
    """Open storage, start the bot (polling by default) with every configured channel (Zalo,
    the web when BOT_WEB_PORT is set and `serve_web`), run the start-up work once they can all
    send, and stop everything on exit."""
    protect_token(settings.token)
    runtime = await Runtime.open(settings, clock)
    app = build_application(runtime, rate_limit=rate_limit)
    try:
        async with app:
            me = await app.bot.get_me()
            runtime.bot_username = me.username or ""
            username = runtime.bot_username
            runtime.start_link = lambda payload: (
                f"https://t.me/{username}?start={payload}" if username else None
            )
            # Features are installed once the bot's username is known (deep links need it).
            await install_features(app, runtime)
            from bot.channels.telegram.command_menus import publish

            await publish(app.bot, runtime.commands_available, runtime)
            await app.start()
            if isinstance(app.update_queue, DurableUpdateQueue):
                replayed = await app.update_queue.replay(app.bot)
                if replayed:
                    log.info("handling %d update(s) fetched before the last stop", replayed)
            zalo, zalo_http, web_runner = None, None, None
            try:
                if settings.zalo.enabled:  # every configured channel is served
                    from bot.channels.zalo.run import serve, start_channel

                    zalo = await start_channel(runtime, webhook=not polling,
                                               poll_timeout=poll_timeout)
                    if polling and settings.zalo.public_url and serve_zalo_media:
                        # Signed photo URLs need a server; in webhook mode
                        # bot/channels/telegram/webhook.py has one.
                        zalo_http = await serve(zalo, webhook=False)
                if serve_web and settings.web.enabled:  # the web channel, same runtime
                    from bot.channels.web.app import serve as serve_web_channel

                    web_runner = await serve_web_channel(runtime)
                # Only now is every channel's Messenger registered: start-up work (contest
                # questions owed since before the stop) must reach Zalo and web people too.
                await runtime.started()
                if jobs:
                    from bot.jobs import schedule_all
                    from bot.wiring import JOBS

                    schedule_all(app, runtime, JOBS)
                if polling and app.updater is not None:
                    await app.updater.start_polling(
                        poll_interval=0, timeout=poll_timeout, drop_pending_updates=False
                    )
                yield app
            finally:
                if web_runner is not None:
                    await web_runner.cleanup()
                if zalo_http is not None:
                    await zalo_http.cleanup()
                if zalo is not None:  # no more Zalo updates; its client stays for the sends
                    await zalo.stop(close_client=False)
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.job_queue is not None and app.job_queue.scheduler.running:
                    with suppress(Exception):
                        await app.job_queue.stop(wait=False)
                await app.stop()  # campaigns in flight finish (some through Zalo)
                if zalo is not None:
                    await zalo.client.close()
    finally:
        await runtime.close()
