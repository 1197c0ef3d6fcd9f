"""Police groups on Telegram: the tip outbox worker runs with the channels' chat ports (Zalo's
joins when that channel starts), started
once the application runs (its first drain re-sends what was left unconfirmed before a crash
or restart). Installed by bot/app.py's install_features."""

from __future__ import annotations

import asyncio

from telegram.ext import Application

from bot.channels.telegram.chat_port import TelegramChatPort
from bot.engine.chat_port import chat_ports
from bot.runtime import Runtime
from bot.tip_outbox import OutboxWorker

_boot_tasks: set[asyncio.Task[None]] = set()


async def _start_worker(app: Application, runtime: Runtime, worker: OutboxWorker,
                        port: TelegramChatPort) -> None:
    for _ in range(1200):
        if app.running:
            break
        await asyncio.sleep(0.05)
    else:
        return
    app.create_task(worker.run(port, lambda: bool(app.running), ports=chat_ports(runtime)),
                    name="tips-outbox")


def install(app: Application, runtime: Runtime) -> None:
    """Telegram's chat port for every feature, and the tip outbox on it (when tips are
    installed)."""
    port = TelegramChatPort(app.bot)
    chat_ports(runtime)[port.channel] = port
    worker = runtime.services.tip_outbox
    if isinstance(worker, OutboxWorker):
        boot = asyncio.get_running_loop().create_task(_start_worker(app, runtime, worker, port))
        _boot_tasks.add(boot)
        boot.add_done_callback(_boot_tasks.discard)
