"""The conversations, channel-neutral. Each feature module has a `router` (bot.engine.router)
and `async def setup(runtime)` that creates its services; `build_engine` collects the routers.
No module here imports a channel (tests/unit/test_architecture.py)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from bot.engine.router import Engine

if TYPE_CHECKING:
    from bot.runtime import Runtime

# Feature modules, in set-up order (a service may use one set up before it).
FEATURES: tuple[str, ...] = (
    "learn",
    "units",
    "tip_police",
    "tips",
    "subscriptions",
    "broadcast",
    "events",
    "quiz",
    "quiz_teacher",
    "quiz_group",
    "stats",
    "web_console",
)


def feature_modules() -> list[ModuleType]:
    return [importlib.import_module(f"handlers.{name}") for name in FEATURES]


async def install_engine(runtime: Runtime) -> None:
    """Every feature's services and the engine, for a process without Telegram (Zalo alone)."""
    modules = feature_modules()
    for module in modules:
        await module.setup(runtime)
    runtime.engine = build_engine(modules)
    runtime.commands_available = set(runtime.engine.commands)


def build_engine(modules: list[ModuleType]) -> Engine:
    from handlers import start

    engine = Engine([start.router])
    for module in modules:
        engine.add(module.router)
    engine.fallback = start.fallback
    return engine
