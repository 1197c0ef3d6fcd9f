"""The one rule between the layers, checked on the source: conversations in handlers/ never
reach python-telegram-bot (not even through a module they import), services in bot/ never
import it either (only bot/channels/telegram and the process wiring do), and SQL lives only in
storage/."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("bot", "handlers", "storage", "content")

# The process wiring outside bot/channels/: the CLI, starting and stopping every channel
# (bot.app), and doctor's checks of each configured channel.
TELEGRAM_WIRING = {"bot.__main__", "bot.app", "bot.doctor"}
# Reads the upstream unit dataset's own SQLite file at build time, not the bot's database.
SQL_ELSEWHERE = {"content.directory.build_data"}
_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b",
                  re.IGNORECASE | re.DOTALL)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PROJECT:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


@cache
def _imports(name: str) -> frozenset[str]:
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(out)


def _reaches_telegram(name: str, seen: set[str] | None = None) -> list[str] | None:
    """The import chain from `name` to telegram, or None."""
    seen = seen if seen is not None else set()
    seen.add(name)
    for imported in sorted(_imports(name)):
        if imported == "telegram" or imported.startswith("telegram."):
            return [name, imported]
        if imported in MODULES and imported not in seen:
            chain = _reaches_telegram(imported, seen)
            if chain:
                return [name, *chain]
    return None


def test_conversations_never_reach_telegram() -> None:
    for name in sorted(MODULES):
        if not name.startswith("handlers"):
            continue
        chain = _reaches_telegram(name)
        assert chain is None, " -> ".join(chain or [])


def test_services_and_storage_never_import_telegram() -> None:
    for name, _path in sorted(MODULES.items()):
        if name.startswith("handlers") or name.startswith("bot.channels"):
            continue
        if name in TELEGRAM_WIRING:
            continue
        direct = [i for i in _imports(name) if i == "telegram" or i.startswith("telegram.")]
        assert not direct, f"{name} imports {direct}"


def _has_sql(name: str) -> bool:
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and _SQL.search(node.value) for node in ast.walk(tree))


def test_sql_lives_in_storage() -> None:
    for name in sorted(MODULES):
        if name.startswith("storage") or name in SQL_ELSEWHERE:
            continue
        assert not _has_sql(name), f"{name} holds SQL: move it to storage/"


def test_fakegram_server_does_not_import_its_user_views() -> None:
    """The fake server is the lower layer: user views (fakegram/users.py) and the FakeTelegram
    that joins both (fakegram/telegram.py) import it, never the other way (no import cycle)."""
    tree = ast.parse((ROOT / "fakegram" / "server.py").read_text("utf-8"))
    relative = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert not relative & {"users", "telegram"}, relative
