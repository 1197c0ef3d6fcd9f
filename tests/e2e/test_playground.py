"""`python -m bot run` without BOT_TOKEN says what to set and starts the playground."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_without_token_starts_playground(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update({"BOT_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/help\n:1\n/language\n:2\n:quit\n",
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "BOT_TOKEN is not set" in result.stderr
    assert "/followup" in result.stdout  # the help screen, from the real bot
    assert "drug-free together" in result.stdout  # after choosing English
    assert "Traceback" not in result.stdout + result.stderr
