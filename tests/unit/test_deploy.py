"""The service files the operator guide tells people to use: Dockerfile, compose.yaml and the
systemd unit. Static checks always run; `systemd-analyze verify` and `docker build` run when
the machine has the tool (and are skipped, saying why, when it has not)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
UNIT = ROOT / "deploy" / "khong-ma-tuy.service"
ENV_EXAMPLE = ROOT / "deploy" / "bot.env.example"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "KEY")


def _instructions() -> list[tuple[str, str]]:
    """Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _unit() -> dict[str, list[str]]:
    """systemd unit keys (section.Key) -> values; keys may repeat (Environment=)."""
    keys: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        keys.setdefault(f"{section}.{key}", []).append(value)
    return keys


def test_dockerfile_base_user_volume_command_and_no_secrets() -> None:
    ins = _instructions()
    assert ins[0] == ("FROM", "python:3.11-slim")
    users = [arg for word, arg in ins if word == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = max(i for i, (word, _) in enumerate(ins) if word == "USER")
    cmd = [arg for word, arg in ins if word == "CMD"]
    assert cmd and max(i for i, (w, _) in enumerate(ins) if w == "CMD") > last_user
    assert yaml.safe_load(cmd[-1]) == ["python", "-m", "bot", "run"]
    assert ("VOLUME", '["/data"]') in ins
    runs = " ".join(arg for word, arg in ins if word == "RUN")
    assert "chmod 0700 /data" in runs and f"chown {users[-1]}:" in runs.replace("bot:bot", "bot:")
    envs = " ".join(arg for word, arg in ins if word in ("ENV", "ARG"))
    assert "BOT_DATA_DIR=/data" in envs
    assert not any(word in envs.upper() for word in SECRET_WORDS)
    copied = [arg.split()[0] for word, arg in ins if word in ("COPY", "ADD")]
    assert not any(src in (".", "data", "bot.env", ".env") for src in copied)
    # `pip install .` in the image needs every package pyproject.toml installs.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= set(copied)
    assert "pyproject.toml" in copied


def test_dockerignore_keeps_secrets_and_data_out_of_the_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in ("data", ".venv", ".git", "**/master.key", "*.env", "bot.env"):
        assert entry in ignored


def test_compose_runs_the_image_with_env_file_and_data_volume() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["command"] == ["python", "-m", "bot", "run"]
    assert bot["env_file"] == ["bot.env"]
    assert bot["environment"]["BOT_DATA_DIR"] == "/data"
    volume, _, target = bot["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"]
    assert str(bot["user"]).split(":")[0] not in ("0", "root")
    assert bot["restart"] == "unless-stopped"
    text = yaml.safe_dump(bot).upper()
    assert not any(f"{word}:" in text or f"{word}=" in text for word in SECRET_WORDS)


def test_systemd_unit_command_user_state_directory_and_env_file() -> None:
    keys = _unit()
    exec_start = shlex.split(keys["Service.ExecStart"][0])
    assert exec_start[1:] == ["-m", "bot", "run"]
    assert exec_start[0] == keys["Service.WorkingDirectory"][0] + "/.venv/bin/python"
    assert keys["Service.User"][0] not in ("root", "0")
    assert keys["Service.EnvironmentFile"] == ["/etc/khong-ma-tuy/bot.env"]
    state = keys["Service.StateDirectory"][0]
    assert keys["Service.StateDirectoryMode"] == ["0700"]
    assert f"BOT_DATA_DIR=/var/lib/{state}" in keys["Service.Environment"]
    assert keys["Service.UMask"] == ["0077"]
    assert keys["Service.RestartPreventExitStatus"] == ["2"]  # bot exits 2 on bad settings
    assert keys["Install.WantedBy"] == ["multi-user.target"]


def test_env_example_names_real_settings_and_holds_no_values() -> None:
    from bot.config import _TOML_KEYS  # the variables the bot actually reads

    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=")[0].isupper() and " " not in line.split("=")[0]:
            name, _, value = line.partition("=")
            assert name in _TOML_KEYS, name
            if any(word in name for word in SECRET_WORDS):
                assert value == "", name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed on this machine")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """The unit as shipped, with ExecStart pointed at this interpreter (verify wants it to
    exist); any warning (unknown key, bad value) fails."""
    text = UNIT.read_text(encoding="utf-8")
    prefix = "ExecStart=/opt/khong-ma-tuy/.venv/bin/python "
    assert prefix in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(prefix, f"ExecStart={sys.executable} "), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def _docker_unusable() -> str:
    if shutil.which("docker") is None:
        return "docker is not installed on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return "docker is installed but its daemon is not running or not reachable"
    return ""


def test_docker_build() -> None:
    reason = _docker_unusable()
    if reason:
        pytest.skip(reason)
    done = subprocess.run(["docker", "build", "-q", "-t", "khong-ma-tuy:test", str(ROOT)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    user = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Config.User}} {{json .Config.Cmd}}", "khong-ma-tuy:test"],
        capture_output=True, text=True, timeout=60,
    )
    assert user.stdout.split(" ", 1)[0] == "bot"
    assert '"python","-m","bot","run"' in user.stdout


def test_web_channel_port_is_exposed_and_published_to_loopback_only() -> None:
    ins = _instructions()
    exposed = {port for word, arg in ins if word == "EXPOSE" for port in arg.split()}
    assert {"8080", "8443"} <= exposed
    bot = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["bot"]
    # Inside the container the web channel must accept the mapping's connections ...
    assert bot["environment"]["BOT_WEB_HOST"] == "0.0.0.0"
    # ... and on the host only the loopback reaches it (a TLS proxy or Tor in front).
    published = [str(p) for p in bot["ports"]]
    web = [p for p in published if p.endswith(":8080")]
    assert web == ["127.0.0.1:8080:8080"]
    assert all(p.startswith("127.0.0.1:") for p in published)
    # The container side is the port bot.env.example tells Docker users to keep.
    assert "# BOT_WEB_PORT=8080" in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def test_env_example_lists_web_and_zalo_settings_with_comments() -> None:
    from bot.config import _TOML_KEYS

    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    listed = {line.lstrip("# ").partition("=")[0]: i for i, line in enumerate(lines)
              if "=" in line and line.lstrip("# ").partition("=")[0] in _TOML_KEYS}
    wanted = [k for k in _TOML_KEYS if k.startswith(("BOT_WEB_", "ZALO_")) or k == "BOT_PUBLIC_URL"]
    # BOT_WEBHOOK_* is Telegram's webhook, listed already; the web channel's are BOT_WEB_HOST/PORT.
    assert {"BOT_WEB_HOST", "BOT_WEB_PORT", "BOT_PUBLIC_URL", "ZALO_BOT_TOKEN"} <= set(wanted)
    settings = set(listed.values())
    for name in wanted:
        assert name in listed, name
        # each setting, or the block of settings it belongs to, has a prose comment above it
        i = listed[name] - 1
        while i in settings:
            i -= 1
        assert lines[i].startswith("# ") and i not in settings, (name, lines[i])
