"""Settings: defaults, derived URLs, and one-line errors for bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_derived_file_url() -> None:
    s = load_settings({})
    assert s.default_locale == "vi"
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.file_url == "https://api.telegram.org/file/bot"
    local = load_settings({"BOT_API_BASE_URL": "http://127.0.0.1:8081/bot"})
    assert local.file_url == "http://127.0.0.1:8081/file/bot"
    explicit = load_settings(
        {"BOT_API_BASE_URL": "http://a/bot", "BOT_API_FILE_URL": "http://files/file/bot"}
    )
    assert explicit.file_url == "http://files/file/bot"


def test_admin_ids_and_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        f'token = "{TOKEN}"\nadmin_ids = [1, 2]\n[tips]\ndaily_limit = 3\n'
        '[hotlines]\n"26740" = "028 0000 0000"\n',
        encoding="utf-8",
    )
    s = load_settings({"BOT_CONFIG": str(cfg), "BOT_ADMIN_IDS": "7, 8"})
    assert s.token == TOKEN
    assert s.admin_ids == {7, 8}  # the environment wins over the file
    assert s.tips.daily_limit == 3
    assert load_settings({"BOT_TIP_CARD_DETAILS": "Private"}).tips.card_details == "private"
    assert s.unit_hotlines == {"26740": "028 0000 0000"}


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN is malformed"),
        ({"BOT_ADMIN_IDS": "12,abc"}, "BOT_ADMIN_IDS"),
        ({"BOT_DEFAULT_LOCALE": "fr"}, "BOT_DEFAULT_LOCALE"),
        ({"BOT_TIMEZONE": "Mars/Olympus"}, "BOT_TIMEZONE"),
        ({"BOT_WEBHOOK_PORT": "99999"}, "BOT_WEBHOOK_PORT"),
        ({"BOT_API_BASE_URL": "ftp://x"}, "BOT_API_BASE_URL"),
        ({"BOT_QUIET_HOURS": "late"}, "BOT_QUIET_HOURS"),
        ({"BOT_BROADCAST_RATE": "0"}, "BOT_BROADCAST_RATE"),
        ({"BOT_TIP_CARD_DETAILS": "somewhere"}, "BOT_TIP_CARD_DETAILS"),
        # Limits that would refuse (or allow) every action: issue 11, item 17.
        ({"BOT_TIP_DAILY_LIMIT": "-1"}, "BOT_TIP_DAILY_LIMIT must be between 1 and 100"),
        ({"BOT_TIP_DAILY_LIMIT": "0"}, "BOT_TIP_DAILY_LIMIT"),
        ({"BOT_TIP_BURST_LIMIT": "0"}, "BOT_TIP_BURST_LIMIT"),
        ({"BOT_TIP_RETENTION_DAYS": "0"}, "BOT_TIP_RETENTION_DAYS"),
        ({"BOT_TIP_RETENTION_DAYS": "100000"}, "BOT_TIP_RETENTION_DAYS"),
        ({"BOT_TIP_STATS_MIN_COUNT": "0"}, "BOT_TIP_STATS_MIN_COUNT"),
        ({"BOT_TIP_REMIND_HOURS": "-2"}, "BOT_TIP_REMIND_HOURS"),
        ({"BOT_TIP_ESCALATE_HOURS": "nan"}, "BOT_TIP_ESCALATE_HOURS"),
        ({"BOT_TIP_ESCALATE_HOURS": "6"}, "must not be less than BOT_TIP_REMIND_HOURS"),
        ({"BOT_BROADCAST_RATE": "-5"}, "BOT_BROADCAST_RATE"),
        ({"BOT_BROADCAST_RATE": "5000"}, "BOT_BROADCAST_RATE"),
        ({"BOT_WEBHOOK_PORT": "0"}, "BOT_WEBHOOK_PORT"),
        ({"BOT_ADMIN_IDS": "-1001234567"}, "BOT_ADMIN_IDS"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('tokn = "x"\n', "unknown settings: tokn"),
        ("[tipz]\ndaily_limit = 3\n", "unknown settings: [tipz]"),
        ("[tips]\ndaily_limt = 3\n", "unknown settings: tips.daily_limt"),
        ('webhook = "https://x"\n', "webhook (must be a [webhook] section)"),
        ('hotlines = "113"\n', "hotlines must be a [hotlines] section"),
        ("[tips]\ndaily_limit = -1\n", "BOT_TIP_DAILY_LIMIT must be between 1 and 100"),
        ("[tips]\ndaily_limit = true\n", "BOT_TIP_DAILY_LIMIT must be a whole number"),
    ],
)
def test_toml_unknown_keys_and_bad_values_are_refused(
    tmp_path: Path, toml: str, fragment: str
) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings({"BOT_CONFIG": str(cfg)})
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_every_documented_toml_key_is_accepted(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text(
        f'token = "{TOKEN}"\napi_base_url = "http://127.0.0.1:8081/bot"\n'
        'api_file_url = "http://127.0.0.1:8081/file/bot"\ndata_dir = "d"\nadmin_ids = [1]\n'
        'default_locale = "en"\ntimezone = "Asia/Ho_Chi_Minh"\n'
        '[webhook]\nurl = "https://x/telegram"\nlisten = "0.0.0.0"\nport = 8443\n'
        'path = "telegram"\nsecret_token = "abcdefghijklmnopqrstuvwxyz"\n'
        "[tips]\ndaily_limit = 5\nburst_limit = 2\nretention_days = 180\n"
        "remind_after_hours = 12\nescalate_after_hours = 48\nprovince_info_copies = true\n"
        'card_details = "private"\nstats_min_count = 3\n'
        '[broadcast]\nrate = 25\npaid = false\nquiet_hours = "22-7"\n'
        '[hotlines]\n"26740" = "028 0000 0000"\n',
        encoding="utf-8",
    )
    s = load_settings({"BOT_CONFIG": str(cfg)})
    assert s.webhook.secret_token == "abcdefghijklmnopqrstuvwxyz"
    assert s.tips.card_details == "private" and s.quiet_hours == (22, 7)


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )


def test_cli_malformed_token_exits_2_without_traceback(tmp_path: Path) -> None:
    result = _cli(["run"], {"BOT_TOKEN": "12:short", "BOT_DATA_DIR": str(tmp_path)}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: BOT_TOKEN is malformed")
    assert "Traceback" not in result.stderr


def test_cli_negative_limit_and_unknown_toml_key_exit_2(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(tmp_path / "d"), "BOT_TIP_DAILY_LIMIT": "-1"}
    result = _cli(["run"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: BOT_TIP_DAILY_LIMIT must be between 1 and 100, got -1"
    cfg = tmp_path / "bot.toml"
    cfg.write_text("[tips]\ndaily_limt = 3\n", encoding="utf-8")
    result = _cli(["run"], {"BOT_TOKEN": TOKEN, "BOT_CONFIG": str(cfg)}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "tips.daily_limt" in result.stderr


def test_cli_webhook_without_secret_exits_2(tmp_path: Path) -> None:
    env = {
        "BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(tmp_path / "d"),
        "BOT_WEBHOOK_URL": "https://bot.example.org/telegram",
        "BOT_API_BASE_URL": "http://127.0.0.1:9/bot",  # never reached: refused before that
    }
    result = _cli(["webhook"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: BOT_WEBHOOK_SECRET is required for webhook mode")
    assert result.stderr.count("\n") == 1


def test_cli_replaced_key_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "d"
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(data), "BOT_API_BASE_URL": "http://127.0.0.1:9/bot"}
    first = _cli(["run"], env, tmp_path)  # makes the key, then cannot reach the (closed) API
    assert first.returncode == 1 and (data / "master.key").exists(), first.stderr
    (data / "master.key").unlink()
    (data / "master.key").write_bytes(os.urandom(32))
    (data / "master.key").chmod(0o600)
    result = _cli(["run"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "master.key does not open the data sealed in" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_unwritable_data_dir_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _cli(
        ["run"], {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(blocker / "sub")}, tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "BOT_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_on_fresh_data_dir(tmp_path: Path) -> None:
    result = _cli(["doctor"], {"BOT_DATA_DIR": str(tmp_path / "d")}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok  ] database" in result.stdout
    assert "doctor: all checks passed" in result.stdout


def test_db_backup_and_restore_commands(tmp_path: Path) -> None:
    env = {"BOT_DATA_DIR": str(tmp_path / "d")}
    assert _cli(["doctor"], env, tmp_path).returncode == 0  # creates the database
    target = tmp_path / "new" / "b.sqlite3"
    refused = _cli(["db", "backup", str(target)], env, tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("does not exist; create it or add --parents")
    result = _cli(["db", "backup", "--parents", str(target)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"backup written to {target} (mode 0600)" in result.stdout
    assert "Back that file up separately" in result.stdout and "master.key" in result.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    import sqlite3

    con = sqlite3.connect(target)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
    con.close()
    restored = _cli(["db", "restore", str(target)], env, tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "the database it replaced is kept as" in restored.stdout
