"""Flow tests: the channel-neutral conversations against a stub conversation, milliseconds
each. The runtime is real (database, keys, services); only the channel is a stub."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.runtime import Runtime
from handlers import build_engine, feature_modules
from tests.flows.stub import StubChat


class Flow:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def chat(self, user: int = 1001, locale: str = "vi", private: bool = True,
             group: str | None = None) -> StubChat:
        return StubChat(self.runtime, user, locale, private, group=group)


async def open_runtime(data_dir: Path) -> Runtime:
    """A real runtime with every engine feature set up, and no channel."""
    settings = dataclasses.replace(load_settings({}), data_dir=data_dir,
                                   admin_ids=frozenset({900001}))
    runtime = await Runtime.open(settings, FrozenClock())
    try:
        modules = feature_modules()
        for module in modules:
            await module.setup(runtime)
        runtime.engine = build_engine(modules)
        runtime.commands_available = set(runtime.engine.commands)
    except BaseException:
        await runtime.close()
        raise
    return runtime


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[Flow]:
    runtime = await open_runtime(tmp_path / "data")
    try:
        yield Flow(runtime)
    finally:
        await runtime.close()


FlowFactory = Callable[..., Any]
