"""`python -m bot doctor` and `python -m bot db backup PATH`."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from pathlib import Path

from bot.config import ConfigError, ensure_data_dir, load_settings

# Content validators: (label, module, function) returning a list of problems (str()-able).
VALIDATORS: tuple[tuple[str, str, str], ...] = (
    ("articles", "content.articles", "validate_library"),
    ("quiz bank", "content.quiz_bank", "validate_bank"),
    ("events calendar", "content.events", "validate_calendar"),
)


def _line(ok: bool, what: str, detail: str = "") -> None:
    mark = "ok  " if ok else "FAIL"
    print(f"[{mark}] {what}" + (f": {detail}" if detail else ""), flush=True)


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


async def doctor() -> int:
    failures = 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        _line(False, "settings", str(exc))
        return 2
    _line(True, "settings", f"data dir {settings.data_dir}, locale {settings.default_locale}, "
          f"time zone {settings.timezone}, {len(settings.admin_ids)} national admin(s)")
    try:
        ensure_data_dir(settings)
        _line(True, "data directory writable")
    except ConfigError as exc:
        _line(False, "data directory", str(exc))
        return 2

    from storage.db import Database

    try:
        async with Database(settings.db_path) as db:
            applied = await db.fetchall("SELECT name FROM schema_migrations ORDER BY version")
            pending = await db.pending_migrations()
            integrity = await db.fetchone("PRAGMA integrity_check")
            ok = not pending and integrity is not None and integrity[0] == "ok"
            failures += not ok
            _line(ok, "database", f"{settings.db_path}, {len(applied)} migration(s) applied, "
                  f"integrity {integrity[0] if integrity else '?'}")
    except Exception as exc:
        failures += 1
        _line(False, "database", f"{type(exc).__name__}: {exc}")

    for label, problems in content_problems().items():
        failures += bool(problems)
        _line(not problems, f"content: {label}", f"{len(problems)} problem(s)" if problems else "")
        for problem in problems[:20]:
            print(f"       {problem}")

    if not settings.token:
        _line(True, "token", "BOT_TOKEN not set (the playground runs without it)")
    else:
        from telegram import Bot
        from telegram.error import InvalidToken, NetworkError

        try:
            async with Bot(settings.token, base_url=settings.api_base_url) as bot:
                me = await asyncio.wait_for(bot.get_me(), timeout=10)
            _line(True, "token", f"getMe answered: @{me.username}")
        except InvalidToken:
            failures += 1
            _line(False, "token", "Telegram rejected BOT_TOKEN")
        except (NetworkError, TimeoutError) as exc:
            _line(True, "token", f"Bot API not reachable ({type(exc).__name__}); not checked")
    print("doctor: all checks passed" if not failures else f"doctor: {failures} check(s) failed")
    return 0 if not failures else 1


async def backup_database(target: Path) -> int:
    from storage.db import Database

    settings = load_settings()
    if not settings.db_path.exists():
        raise ConfigError(f"no database at {settings.db_path}; check BOT_DATA_DIR")
    if target.resolve() == settings.db_path.resolve():
        raise ConfigError("the backup path must differ from the live database")
    async with Database(settings.db_path) as db:
        await db.backup(target)
    print(f"backup written to {target}")
    return 0
