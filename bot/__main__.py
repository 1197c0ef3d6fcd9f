"""Command line: `python -m bot run|web|webhook|doctor|db backup PATH|db restore PATH|playground`.

Exit codes: 0 stopped normally, 1 a check failed or the Bot API is unreachable, 2 the bot cannot
run as configured (a setting, the key file, the data directory, another bot on the same data).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.channels.zalo.client import ZaloError, ZaloUnauthorized
from bot.config import (
    ConfigError,
    Settings,
    ensure_data_dir,
    load_settings,
    require_webhook_secret,
)
from bot.crypto import KeyError_
from bot.logging_setup import setup_logging


def _any_channel() -> bool:
    settings = load_settings()
    return bool(settings.token or settings.zalo.enabled)


NO_TOKEN = (
    "BOT_TOKEN is not set. To run the real bot, get a token from @BotFather and run:\n"
    "    BOT_TOKEN=123456789:AA... python -m bot run\n"
)
# `run` without a token under a service manager (stdin is /dev/null or closed): the playground
# would end at once and exit 0, and the manager would think the bot is fine.
NO_TERMINAL = (
    "error: BOT_TOKEN is not set and stdin is not a terminal, so the playground cannot start "
    "either; set BOT_TOKEN (or use `python -m bot playground` to script the playground)"
)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _run(mode: str) -> int:
    from bot.app import running

    settings = load_settings()
    setup_logging(settings.token)
    setup_logging(settings.zalo.token)
    ensure_data_dir(settings)
    if not settings.token and settings.zalo.enabled:
        return await _run_zalo_only(settings, webhook=mode == "webhook")
    if not settings.token:
        raise ConfigError("BOT_TOKEN is required for this mode (get one from @BotFather)")
    if mode == "webhook":
        from bot.config import check_zalo_webhook

        check_zalo_webhook(settings)
        if not settings.webhook.url:
            raise ConfigError("BOT_WEBHOOK_URL is required for webhook mode (https://host/path)")
        require_webhook_secret(settings)
        from bot.channels.telegram.webhook import serve_webhook

        # (The web channel is served beside polling only, as before.)
        async with running(settings, polling=False, serve_web=False) as app:
            runner = await serve_webhook(app, app.bot_data["rt"])
            try:
                await _wait_for_signal()
            finally:
                await runner.cleanup()
        return 0
    async with running(settings):  # with the web channel when BOT_WEB_PORT is set
        print("Bot is running (long polling). Press Ctrl+C to stop.", flush=True)
        await _wait_for_signal()
    return 0


async def _run_zalo_only(settings: Settings, *, webhook: bool) -> int:
    """Only ZALO_BOT_TOKEN is set: the bot on Zalo (the conversations on the engine)."""
    from bot.channels.zalo.run import zalo_only

    async with zalo_only(settings, webhook=webhook):
        how = "webhook" if webhook else "long polling"
        print(f"Bot is running on Zalo ({how}). Press Ctrl+C to stop.", flush=True)
        await _wait_for_signal()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Không Ma Túy bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured channel (Telegram, Zalo) with long polling; "
                   "the playground when no token is set")
    sub.add_parser("webhook", help="run behind a webhook with a /healthz endpoint")
    web_cmd = sub.add_parser("web", help="run only the web channel (BOT_WEB_PORT), no Telegram")
    web_cmd.add_argument("--demo", action="store_true", help="seeded demo data and a /demo page")
    sub.add_parser("doctor", help="check settings, database, content and the tokens")
    sub.add_parser("playground", help="chat with the bot locally, no Telegram account needed")
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    backup = db_sub.add_parser(
        "backup", help="online backup of the database (0600; master.key is backed up apart)"
    )
    backup.add_argument("path", type=Path)
    backup.add_argument(
        "--parents", action="store_true", help="create the backup's folder if it is missing"
    )
    restore = db_sub.add_parser(
        "restore", help="replace the database with a backup (the bot must be stopped)"
    )
    restore.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        if command == "doctor":
            from bot.doctor import doctor

            return asyncio.run(doctor())
        if command == "db":
            from bot import dbtools

            settings = load_settings()
            if args.db_command == "restore":
                return asyncio.run(dbtools.restore_command(settings, args.path))
            return asyncio.run(dbtools.backup_command(settings, args.path, parents=args.parents))
        if command == "web":
            from bot.channels.web.serve import run_alone

            return asyncio.run(run_alone(demo=args.demo))
        if command == "playground" or (command == "run" and not _any_channel()):
            from bot.playground import playground

            if command == "run":
                print(NO_TOKEN, file=sys.stderr)
                if not _stdin_is_terminal():
                    print(NO_TERMINAL, file=sys.stderr)
                    return 2
                print("Starting the local playground instead.\n", file=sys.stderr)
            elif sys.stdin is None:
                print("error: the playground reads stdin, which is closed", file=sys.stderr)
                return 2
            return asyncio.run(playground())
        return asyncio.run(_run(command))
    except (ConfigError, KeyError_) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("error: Telegram rejected BOT_TOKEN; check it with @BotFather", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"error: cannot reach the Bot API ({type(exc).__name__}); check the network "
              "and BOT_API_BASE_URL", file=sys.stderr)
        return 1
    except ZaloUnauthorized:
        print("error: Zalo rejected ZALO_BOT_TOKEN; check it in Zalo Bot Manager", file=sys.stderr)
        return 2
    except ZaloError as exc:  # never quotes the token (bot/channels/zalo/client.py)
        print(f"error: the Zalo Bot Platform refused a call ({exc}); check the network and "
              "ZALO_API_BASE_URL", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
