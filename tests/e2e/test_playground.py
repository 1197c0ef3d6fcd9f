"""`python -m bot run` without BOT_TOKEN says what to set and starts the playground on a
terminal; without a terminal (a service manager) it exits non-zero instead of "running" a
playground that ends at once (issue 11, item 18)."""

import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update({"BOT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)})
    return env


def test_run_without_token_on_a_terminal_starts_playground(tmp_path: Path) -> None:
    primary, terminal = pty.openpty()  # stdin is a terminal, as with scripts/run by hand
    try:
        old_umask = os.umask(0o022)  # the child inherits the usual umask
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], stdin=terminal, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=_env(tmp_path), cwd=tmp_path, text=True,
        )
        os.umask(old_umask)
        os.write(primary, b"/help\n:1\n/language\n:2\n:quit\n")
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        os.close(primary)
        os.close(terminal)
    assert proc.returncode == 0, stderr[-2000:]
    assert "BOT_TOKEN is not set" in stderr
    assert "/followup" in stdout  # the help screen, from the real bot
    assert "drug-free together" in stdout  # after choosing English
    assert "Traceback" not in stdout + stderr
    # The data directory is private like the real bot's, though the playground made it.
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_run_without_token_and_without_terminal_fails(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, env=_env(tmp_path),
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "BOT_TOKEN is not set and stdin is not a terminal" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started


def test_playground_command_takes_a_script_on_stdin(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "playground"], input="/help\n:quit\n", env=_env(tmp_path),
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "/followup" in result.stdout
