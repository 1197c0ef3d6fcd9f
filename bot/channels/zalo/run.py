"""Starting and stopping the Zalo channel, beside Telegram (`bot.app.running`) or alone
(`zalo_only`, when only ZALO_BOT_TOKEN is set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.conversation import CHANNEL
from bot.channels.zalo.webhook import make_app
from bot.clock import Clock
from bot.config import Settings, check_zalo_webhook
from bot.runtime import Runtime

log = logging.getLogger(__name__)
SERVICE = "zalo"


async def start_channel(runtime: Runtime, *, webhook: bool, poll_timeout: int = 30
                        ) -> ZaloChannel:
    """Connect (getMe), handle leftovers, and take updates by webhook or long polling."""
    settings = runtime.settings.zalo
    client = ZaloClient(settings.token, settings.api_base_url)
    channel = ZaloChannel(runtime, client)
    try:
        await channel.start()
        if webhook:
            check_zalo_webhook(runtime.settings)
            url = f"{settings.public_url}/{settings.webhook_path.strip('/')}"
            await client.set_webhook(url, settings.webhook_secret)
        else:
            # getUpdates is refused while a webhook is set (e.g. after webhook mode).
            await client.delete_webhook()
            channel.start_polling(poll_timeout)
    except BaseException:
        await client.close()
        raise
    runtime.channels[SERVICE] = channel
    from bot.channels.zalo.messenger import ZaloMessenger

    runtime.messengers[CHANNEL] = ZaloMessenger(channel)  # jobs and start-up reach Zalo chats
    from bot.channels.zalo.chat_port import ZaloChatPort
    from bot.engine.chat_port import chat_ports

    # Tip cards for officers on Zalo: the outbox worker (run by Telegram, or by zalo_only
    # below) sends rows of channel "zalo" through this port.
    chat_ports(runtime)[CHANNEL] = ZaloChatPort(channel)
    # Zalo's own dedup keys; the bot's jobs run on Telegram's JobQueue, or (Zalo alone) on
    # bot.jobs.run_without_telegram, started by zalo_only.
    channel.start_housekeeping()
    log.info("zalo: connected (%s, groups %s)", "webhook" if webhook else "long polling",
             "yes" if channel.groups else "no")
    return channel


async def serve(channel: ZaloChannel, *, webhook: bool) -> web.AppRunner:
    """The Zalo routes on their own small server (BOT_WEBHOOK_LISTEN:BOT_WEBHOOK_PORT), for
    deployments without another web server of the bot."""
    listen = channel.runtime.settings.webhook
    runner = web.AppRunner(make_app(channel, webhook=webhook), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, listen.listen, listen.port).start()
    return runner


def _start_outbox(runtime: Runtime, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """Zalo alone: no Telegram application runs the tip outbox worker; run it here, with the
    running channels' chat ports (Zalo's). It first re-sends what a stop left pending."""
    from bot.engine.chat_port import chat_ports
    from bot.tip_outbox import OutboxWorker

    worker = runtime.services.tip_outbox
    if not isinstance(worker, OutboxWorker):
        return None
    ports = chat_ports(runtime)
    return asyncio.create_task(
        worker.run(ports[CHANNEL], lambda: not stop.is_set(), ports=ports),
        name="tips-outbox")


@asynccontextmanager
async def zalo_only(settings: Settings, *, clock: Clock | None = None, webhook: bool = False,
                    poll_timeout: int = 30, http: bool = True,
                    run_jobs: bool = True) -> AsyncIterator[ZaloChannel]:
    """The bot on Zalo alone: the channel-neutral conversations, no Telegram."""
    from handlers import install_engine

    runtime = await Runtime.open(settings, clock)
    runner: web.AppRunner | None = None
    channel: ZaloChannel | None = None
    outbox: asyncio.Task[None] | None = None
    jobs: list[asyncio.Task[None]] = []
    stop = asyncio.Event()
    try:
        await install_engine(runtime)
        channel = await start_channel(runtime, webhook=webhook, poll_timeout=poll_timeout)
        if http and (webhook or settings.zalo.public_url):
            runner = await serve(channel, webhook=webhook)
        outbox = _start_outbox(runtime, stop)
        from bot.jobs import run_without_telegram
        from bot.wiring import JOBS

        # Reminders, escalations, retention, campaigns, reports: no Telegram JobQueue here.
        jobs = run_without_telegram(runtime, JOBS) if run_jobs else []
        await runtime.started()  # e.g. contest questions owed since before the stop
        yield channel
    finally:
        for task in jobs:
            task.cancel()
        stop.set()
        if outbox is not None:
            await asyncio.wait([outbox], timeout=10)
        if runner is not None:
            await runner.cleanup()
        if channel is not None:
            await channel.stop()
        await runtime.close()
