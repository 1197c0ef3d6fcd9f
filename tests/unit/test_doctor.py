"""`python -m bot doctor`: one line per check, ok/warn/FAIL, non-zero exit on FAIL (issue 16)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.crypto import KEY_FILE, Keyring
from bot.doctor import doctor
from bot.runtime import Runtime

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.startswith("BOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    # The shipped content is checked by its own tests (and once in test_config's CLI run).
    monkeypatch.setattr("bot.doctor.content_problems", dict)
    return tmp_path / "data"


async def _run(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = await doctor()
    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith(("[ok  ] ", "[warn] ", "[FAIL] ", "       ", "doctor: "))
               for line in lines), lines
    return code, lines


def _line(lines: list[str], what: str) -> str:
    found = [line for line in lines if line[7:].startswith(what)]
    assert len(found) == 1, (what, lines)
    return found[0]


async def _start_once(data: Path) -> None:
    settings = dataclasses.replace(load_settings({}), data_dir=data)
    await (await Runtime.open(settings)).close()


async def test_no_admin_and_unreachable_bot_api_are_warnings(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_API_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens there
    code, lines = await _run(capsys)
    assert _line(lines, "national admins").startswith("[warn] national admins: none")
    assert _line(lines, "telegram token").startswith("[warn] telegram token: Bot API at")
    assert _line(lines, "master.key") == (
        "[ok  ] master.key: not made yet (the bot makes it on first start)")
    assert _line(lines, "telegram webhook").startswith("[ok  ] telegram webhook: not configured")
    assert code == 0 and lines[-1] == "doctor: all checks passed (2 warning(s))"


async def test_replaced_key_fails(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", "42")
    await _start_once(data)
    code, lines = await _run(capsys)
    assert _line(lines, "master.key") == "[ok  ] master.key: 0600, opens the database's sealed data"
    assert code == 0
    (data / KEY_FILE).unlink()
    code, lines = await _run(capsys)
    assert "is missing but the database holds data sealed with it" in _line(lines, "master.key")
    assert code == 1 and lines[-1].startswith("doctor: 1 check(s) failed")
    assert not (data / KEY_FILE).exists()  # doctor never makes a key
    Keyring.create(data)
    code, lines = await _run(capsys)
    assert _line(lines, "master.key").startswith("[FAIL] master.key: ")
    assert "does not open the data sealed in" in _line(lines, "master.key")
    assert code == 1


async def test_loose_permissions(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _start_once(data)
    os.chmod(data, 0o755)
    os.chmod(data / "bot.sqlite3", 0o644)
    code, lines = await _run(capsys)
    assert _line(lines, "file permissions") == (
        "[warn] file permissions: were open to other users: data 0755, bot.sqlite3 0644; "
        "made private now (0700/0600)")
    assert code == 0
    os.chmod(data / KEY_FILE, 0o640)
    code, lines = await _run(capsys)
    assert "readable by other users (mode 0640)" in _line(lines, "master.key")
    assert code == 1


async def test_webhook_without_secret_fails_and_short_secret_warns(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    code, lines = await _run(capsys)
    assert _line(lines, "telegram webhook").startswith(
        "[FAIL] telegram webhook: BOT_WEBHOOK_URL is set but BOT_WEBHOOK_SECRET is not")
    assert code == 1
    monkeypatch.setenv("BOT_WEBHOOK_SECRET", "short")
    code, lines = await _run(capsys)
    assert _line(lines, "telegram webhook").startswith("[warn] telegram webhook: ")
    assert code == 0


async def test_web_channel_checks_listen_address_port_and_public_url(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    monkeypatch.setenv("BOT_ADMIN_IDS", "42")
    code, lines = await _run(capsys)
    assert _line(lines, "web") == "[ok  ] web: BOT_WEB_PORT not set (the web channel is off)"

    with socket.socket() as probe:  # a port free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("BOT_WEB_PORT", str(port))
    code, lines = await _run(capsys)
    assert _line(lines, "web listen") == (
        f"[ok  ] web listen: 127.0.0.1:{port}, this machine only (a TLS reverse proxy or Tor in front)")
    # No BOT_PUBLIC_URL: links point at this machine over plain http.
    assert _line(lines, "web public URL").startswith(
        f"[warn] web public URL: http://127.0.0.1:{port} is not https: only this machine")
    assert code == 0

    monkeypatch.setenv("BOT_PUBLIC_URL", "https://bot.example.vn")
    onion = "http://" + "a" * 56 + ".onion"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        code, lines = await _run(capsys)
        assert _line(lines, "web listen").startswith(
            f"[warn] web listen: 127.0.0.1:{port} cannot be opened now: ")
        assert _line(lines, "web public URL") == "[ok  ] web public URL: https://bot.example.vn"
    monkeypatch.setenv("BOT_PUBLIC_URL", onion)
    monkeypatch.setenv("BOT_WEB_HOST", "0.0.0.0")
    code, lines = await _run(capsys)
    assert _line(lines, "web listen").startswith(
        f"[warn] web listen: 0.0.0.0:{port} is reachable from other machines over plain http")
    assert _line(lines, "web public URL") == (
        f"[ok  ] web public URL: {onion} (onion service: Tor encrypts the path)")
    assert code == 0
