"""`python -m bot doctor`: one line per check, `ok`, `warn` or `FAIL`; exit 1 on any FAIL
(2 when the settings themselves are wrong).

`warn` is something an operator should look at but the bot runs with (no national admin yet,
the Bot API not reachable from here); `FAIL` is something that stops the bot or endangers
tipsters (a key that does not open the database, a webhook without a secret).
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

from bot.config import ConfigError, Settings, ensure_data_dir, load_settings

Status = Literal["ok", "warn", "FAIL"]
_MARK: dict[Status, str] = {"ok": "ok  ", "warn": "warn", "FAIL": "FAIL"}
# Shorter secrets are accepted by Telegram but easier to guess.
MIN_WEBHOOK_SECRET = 16

# Content validators: (label, module, function) returning a list of problems (str()-able).
VALIDATORS: tuple[tuple[str, str, str], ...] = (
    ("articles", "content.articles", "validate_library"),
    ("quiz bank", "content.quiz_bank", "validate_bank"),
    ("events calendar", "content.events", "validate_calendar"),
)


class Report:
    def __init__(self) -> None:
        self.counts: Counter[Status] = Counter()

    def line(self, status: Status, what: str, detail: str = "") -> None:
        self.counts[status] += 1
        print(f"[{_MARK[status]}] {what}" + (f": {detail}" if detail else ""), flush=True)

    def summary(self) -> int:
        warns = f" ({self.counts['warn']} warning(s))" if self.counts["warn"] else ""
        if self.counts["FAIL"]:
            print(f"doctor: {self.counts['FAIL']} check(s) failed{warns}")
            return 1
        print(f"doctor: all checks passed{warns}")
        return 0


def content_problems() -> dict[str, list[str]]:
    """Run each installed content validator on the shipped data."""
    results: dict[str, list[str]] = {}
    for label, module_name, func_name in VALIDATORS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        validate: Callable[..., list[object]] = getattr(module, func_name)
        results[label] = [str(p) for p in validate()]
    return results


def loose_files(settings: Settings) -> list[str]:
    """The data directory and database files that group or others may open ("name 0755")."""
    from storage.db import SIDECARS

    paths = [settings.data_dir, settings.db_path]
    paths += [Path(f"{settings.db_path}{suffix}") for suffix in SIDECARS]
    found = []
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append(f"{path.name} {mode:04o}")
    return found


async def check_key(report: Report, settings: Settings) -> None:
    """master.key: present (or not needed yet), private, and opening the database's sealed data."""
    from bot.crypto import KEY_FILE, KeyError_, Keyring
    from bot.keycheck import holds_sealed_data, key_opens, mismatch_message
    from storage.db import Database

    key_path = settings.data_dir / KEY_FILE
    async with Database(settings.db_path) as db:
        if not key_path.exists():
            if await holds_sealed_data(db):
                report.line("FAIL", "master.key", f"{key_path} is missing but the database holds "
                            "data sealed with it; restore it from its backup")
            else:
                report.line("ok", "master.key", "not made yet (the bot makes it on first start)")
            return
        try:
            keyring = Keyring.load(settings.data_dir)
        except KeyError_ as exc:
            report.line("FAIL", "master.key", str(exc))
            return
        if not await key_opens(db, keyring):
            report.line("FAIL", "master.key", mismatch_message(key_path, db.path))
            return
    report.line("ok", "master.key", "0600, opens the database's sealed data")


async def check_telegram(report: Report, settings: Settings) -> None:
    """The Telegram channel: the token (getMe) and, when configured, webhook mode."""
    if not settings.webhook.url:
        report.line("ok", "telegram webhook", "not configured (long polling)")
    elif not settings.webhook.secret_token:
        report.line("FAIL", "telegram webhook", "BOT_WEBHOOK_URL is set but BOT_WEBHOOK_SECRET "
                    "is not; webhook mode refuses to start without it")
    elif len(settings.webhook.secret_token) < MIN_WEBHOOK_SECRET:
        report.line("warn", "telegram webhook", f"BOT_WEBHOOK_SECRET is shorter than "
                    f"{MIN_WEBHOOK_SECRET} characters; use a long random one")
    else:
        report.line("ok", "telegram webhook", f"{settings.webhook.url}, secret set")

    if not settings.token:
        report.line("warn", "telegram token", "BOT_TOKEN not set; only the playground can run")
        return
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    try:
        async with Bot(settings.token, base_url=settings.api_base_url) as bot:
            me = await asyncio.wait_for(bot.get_me(), timeout=10)
        report.line("ok", "telegram token", f"getMe answered: @{me.username}")
    except InvalidToken:
        report.line("FAIL", "telegram token", "Telegram rejected BOT_TOKEN")
    except (NetworkError, TimeoutError) as exc:
        report.line("warn", "telegram token", f"Bot API at {settings.api_base_url} not reachable "
                    f"({type(exc).__name__}); the token is not checked")


async def check_zalo(report: Report, settings: Settings) -> None:
    """The Zalo token (getMe), groups, the webhook as Zalo has it, the webhook and photo
    settings. Never prints the token."""
    zalo = settings.zalo
    if not zalo.enabled:
        report.line("ok", "zalo", "ZALO_BOT_TOKEN not set (the Zalo channel is off)")
        return
    from bot.channels.zalo.client import ZaloClient, ZaloNetworkError, ZaloUnauthorized
    from bot.config import check_zalo_webhook

    client = ZaloClient(zalo.token, zalo.api_base_url, timeout=10)
    try:
        me = await client.get_me()
        report.line("ok", "zalo token", f"getMe answered: {me.account_name}, groups "
                    f"{'allowed' if me.can_join_groups else 'not enabled (private chats only)'}")
        hook = await client.get_webhook_info()
        url = str(hook.get("url") or "")
        report.line("ok", "zalo webhook", f"set to {url}" if url else "none (long polling)")
    except ZaloUnauthorized:
        report.line("FAIL", "zalo token", "Zalo rejected ZALO_BOT_TOKEN (reset in Zalo Bot Manager?)")
    except (ZaloNetworkError, TimeoutError) as exc:
        report.line("warn", "zalo token", f"Zalo not reachable ({type(exc).__name__}); not checked")
    except Exception as exc:  # an unexpected answer: say which kind, never the URL
        report.line("FAIL", "zalo token", type(exc).__name__)
    finally:
        await client.close()
    try:
        check_zalo_webhook(settings)
        report.line("ok", "zalo webhook mode", "secret and public https URL set")
    except ConfigError as exc:
        report.line("ok", "zalo webhook mode", f"not possible yet: {exc} (long polling works)")
    if not zalo.public_url.startswith("https://"):
        report.line("warn", "zalo photos", "BOT_PUBLIC_URL (https) not set: the bot cannot send "
                    "photos (certificates, QR codes, tip photos) on Zalo")


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _port_free(host: str, port: int) -> str:
    """'' when host:port can be bound now, else why not (in use: the bot may already run)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{host} does not resolve ({type(exc).__name__})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    return ""


async def check_web(report: Report, settings: Settings) -> None:
    """The web channel when BOT_WEB_PORT is set: where it listens, whether the port is free,
    and whether the public address people are given is private on the wire (https, or plain
    http only for an onion service)."""
    web = settings.web
    if not web.enabled:
        report.line("ok", "web", "BOT_WEB_PORT not set (the web channel is off)")
        return
    where = f"{web.host}:{web.port}"
    busy = _port_free(web.host, web.port)
    if busy:
        report.line("warn", "web listen", f"{where} cannot be opened now: {busy} (is the bot "
                    "already running?)")
    elif web.host in _LOOPBACK:
        report.line("ok", "web listen", f"{where}, this machine only (a TLS reverse proxy or "
                    "Tor in front)")
    else:
        # Inside a container 0.0.0.0 is normal; on a host it serves plain http to the network.
        report.line("warn", "web listen", f"{where} is reachable from other machines over plain "
                    "http; listen on 127.0.0.1 behind a TLS reverse proxy unless a firewall or "
                    "container port mapping keeps it local")
    url = web.public_url
    if url.startswith("https://"):
        report.line("ok", "web public URL", url)
    elif re.fullmatch(r"http://[a-z2-7]{56}\.onion(:\d{1,5})?", url):
        report.line("ok", "web public URL", f"{url} (onion service: Tor encrypts the path)")
    else:
        report.line("warn", "web public URL", f"{url} is not https: only this machine can use "
                    "it; set BOT_PUBLIC_URL to the https address people open (or a .onion)")


CHANNELS: tuple[tuple[str, Callable[[Report, Settings], Awaitable[None]]], ...] = (
    ("telegram", check_telegram),
    ("zalo", check_zalo),
    ("web", check_web),
)


async def doctor() -> int:
    report = Report()
    try:
        settings = load_settings()
    except ConfigError as exc:
        report.line("FAIL", "settings", str(exc))
        return 2
    report.line("ok", "settings", f"data dir {settings.data_dir}, locale "
                f"{settings.default_locale}, time zone {settings.timezone}")
    if settings.admin_ids:
        report.line("ok", "national admins", str(len(settings.admin_ids)))
    else:
        report.line("warn", "national admins", "none: set BOT_ADMIN_IDS, or nobody can add "
                    "police units and tips reach no one")
    loose = loose_files(settings)  # looked at before the steps below make them private
    try:
        ensure_data_dir(settings)
        report.line("ok", "data directory writable")
    except ConfigError as exc:
        report.line("FAIL", "data directory", str(exc))
        return 2

    from storage.db import Database

    try:
        async with Database(settings.db_path) as db:
            applied = await db.applied_migrations()
            pending = await db.pending_migrations()
            integrity = await db.integrity()
            ok = not pending and integrity == "ok"
            report.line("ok" if ok else "FAIL", "database", f"{settings.db_path}, {len(applied)} "
                        f"migration(s) applied, integrity {integrity}")
        await check_key(report, settings)
    except Exception as exc:
        report.line("FAIL", "database", f"{type(exc).__name__}: {exc}")
    if loose:
        report.line("warn", "file permissions", f"were open to other users: {', '.join(loose)}; "
                    "made private now (0700/0600)")
    else:
        report.line("ok", "file permissions", "data directory 0700, database files 0600")

    for label, problems in content_problems().items():
        report.line("FAIL" if problems else "ok", f"content: {label}",
                    f"{len(problems)} problem(s)" if problems else "")
        for problem in problems[:20]:
            print(f"       {problem}")

    for _name, check in CHANNELS:
        await check(report, settings)
    return report.summary()
