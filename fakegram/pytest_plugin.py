"""pytest fixture for fakegram.

Enable it in ``tests/conftest.py`` with::

    pytest_plugins = ["fakegram.pytest_plugin"]

and use ``fake_telegram`` in async tests. Tests that *expect* violations should clear
``tg.violations`` (or mark themselves with ``@pytest.mark.fakegram_allow_violations``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .telegram import FakeTelegram


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fakegram_allow_violations: do not fail the test when the bot made Bot API violations",
    )


@pytest_asyncio.fixture
async def fake_telegram(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegram]:
    """A started :class:`FakeTelegram`; the test fails at teardown on any violation."""
    tg = FakeTelegram()
    await tg.start()
    try:
        yield tg
    finally:
        await tg.stop()
    if request.node.get_closest_marker("fakegram_allow_violations") is None:
        tg.assert_no_violations()
