"""Thin Telegram adapters. `install` wires every feature into an Application."""

from __future__ import annotations

import importlib
from typing import Any

from bot.runtime import Runtime

# Feature modules, each with `async def setup(app, runtime)` (creates its services and
# registers its handlers). Order matters only for overlapping patterns; the frame's
# fallbacks are always added last.
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
)


async def install(app: Any, runtime: Runtime) -> None:
    from handlers import errors, start

    start.register(app)
    for name in FEATURES:
        module = importlib.import_module(f"handlers.{name}")
        await module.setup(app, runtime)
    start.register_fallbacks(app)
    errors.register(app)
