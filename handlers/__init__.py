"""The conversations, channel-neutral. Each feature module has a `router` (bot.engine.router)
and `async def setup(runtime)` that creates its services; `build_engine` collects them.

Features not yet moved to the engine still have `async def setup(app, runtime)` registering
python-telegram-bot handlers; the Telegram channel installs those (see
bot/channels/telegram/dispatch.py, LegacyBridge).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.engine.router import Engine

# Feature modules. Order matters only for legacy handlers with overlapping patterns.
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
)


def feature_modules() -> list[ModuleType]:
    return [importlib.import_module(f"handlers.{name}") for name in FEATURES]


def is_engine_feature(module: ModuleType) -> bool:
    return hasattr(module, "router")


def build_engine(modules: list[ModuleType]) -> Engine:
    from handlers import start

    engine = Engine([start.router])
    for module in modules:
        if is_engine_feature(module):
            engine.add(module.router)
    engine.fallback = start.fallback
    return engine
