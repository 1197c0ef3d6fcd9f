"""Demo mode: the seed is idempotent and gives a bound ward unit and a ward event."""

from __future__ import annotations

from bot.channels.web.demo import DEMO_EVENT, DEMO_WARD, seed
from bot.runtime import Runtime


async def test_seed_twice_gives_one_unit_officer_and_event(runtime: Runtime) -> None:
    first = await seed(runtime)
    second = await seed(runtime)
    assert first == second
    units = runtime.services.units
    assert [u.id for u in await units.officer_units(first.officer_id)] == [first.unit_id]
    assert units.is_national_admin(first.admin_id)
    listed = await runtime.services.events.upcoming("vi", "01", f"{DEMO_WARD:05d}", limit=None)
    assert [e.title for e in listed].count(DEMO_EVENT) == 1
    teacher = await runtime.accounts.user_id("web", "demo:teacher", create=False)
    assert teacher is not None and first.contest_code
    assert [c.code for c in await runtime.services.quiz.my_contests(teacher)] == [first.contest_code]


async def test_the_demo_refuses_to_serve_beyond_this_machine(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every demo visitor is a ward officer and a national admin: never on a public address
    (and always on its own data folder)."""
    import pytest

    from bot.channels.web.serve import run_alone
    from bot.config import ConfigError

    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOT_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("BOT_WEB_PORT", "8090")
    with pytest.raises(ConfigError):
        await run_alone(demo=True)
    assert not (tmp_path / "bot.sqlite3").exists()
