"""`python -m bot run` serves every configured channel; `doctor` checks Zalo too; both keep
the token out of what they print."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import ZaloSettings, load_settings
from fakezalo import FakeZalo
from tests.conftest import BotHarness

ROOT = Path(__file__).resolve().parents[2]


def _env(zl: FakeZalo, tmp_path: Path, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ZALO_"))}
    env.update({"ZALO_BOT_TOKEN": token or zl.token, "ZALO_API_BASE_URL": zl.base_url,
                "BOT_DATA_DIR": str(tmp_path / "d"), "PYTHONPATH": str(ROOT)})
    return env


async def test_doctor_checks_zalo(zl: FakeZalo, capsys: pytest.CaptureFixture[str]) -> None:
    # In process: the full `doctor` also validates all content, which takes seconds.
    from bot.doctor import Report, check_zalo

    good = load_settings({"ZALO_BOT_TOKEN": zl.token, "ZALO_API_BASE_URL": zl.base_url})
    report = Report()
    await check_zalo(report, good)
    assert report.counts["FAIL"] == 0
    out = capsys.readouterr().out
    assert "[ok  ] zalo token: getMe answered: bot.khongmatuy, groups not enabled" in out
    assert "[ok  ] zalo webhook: none (long polling)" in out
    assert "[warn] zalo photos: BOT_PUBLIC_URL (https) not set" in out
    wrong = load_settings({"ZALO_BOT_TOKEN": "111222:wrong-zalo-token",
                           "ZALO_API_BASE_URL": zl.base_url})
    report = Report()
    await check_zalo(report, wrong)
    assert report.counts["FAIL"] == 1
    out += capsys.readouterr().out
    assert "[FAIL] zalo token: Zalo rejected ZALO_BOT_TOKEN" in out
    assert zl.token not in out and "wrong-zalo-token" not in out


async def test_run_with_only_a_zalo_token_serves_zalo(zl: FakeZalo, tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(zl, tmp_path), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        line = b""
        while b"Bot is running" not in line:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the process ended"
        assert b"Bot is running on Zalo (long polling)" in line
        zl.reply_timeout = 15
        # The process does not report handling to the fake: wait for the message itself.
        await zl.user("c1", "Lan").send("/start", wait=False)
        sent = await zl.sent_to("c1", 1, within=15)
        assert sent and "Không Ma Túy" in sent[0].text
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert zl.token not in out.decode()


@pytest.fixture
def settings_overrides(zl: FakeZalo) -> dict[str, Any]:
    return {"zalo": ZaloSettings(token=zl.token, api_base_url=zl.base_url)}


async def test_telegram_and_zalo_in_one_process(bot: BotHarness, tg: Any, zl: FakeZalo) -> None:
    bot.rt.channels["zalo"].on_handled = zl.mark_handled
    reply = await tg.user(id=5001, first_name="Lan", language_code="vi").send("/start")
    assert "Không Ma Túy" in reply.text
    zreply = await zl.user("z5001", "Lan").send("/start")
    assert "Không Ma Túy" in zreply.text and "1. " in zreply.text
