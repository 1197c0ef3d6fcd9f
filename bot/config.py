"""Settings from environment variables, optionally layered over a TOML file.

Every problem becomes a `ConfigError` with one actionable line; the CLI prints it and exits 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TELEGRAM_API = "https://api.telegram.org/bot"
SUPPORTED_LOCALES = ("vi", "en")
# Telegram tokens look like "123456789:AA...": a numeric bot id, a colon, 30+ url-safe characters.
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says what to set."""


@dataclass(frozen=True)
class WebhookSettings:
    url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "telegram"
    secret_token: str = ""


@dataclass(frozen=True)
class TipSettings:
    daily_limit: int = 5
    burst_limit: int = 2
    burst_minutes: int = 10
    retention_days: int = 180
    remind_after_hours: float = 12
    escalate_after_hours: float = 48
    province_info_copies: bool = False
    # "group": the card in the unit's group shows the whole tip. "private": the group card
    # shows only code, category, ward and time; each officer opens the text, photos and pin in
    # a private chat with the bot, and every opening is in the audit log.
    card_details: str = "group"
    # Statistics show a breakdown cell (category × count, month × count) below this as "<N".
    stats_min_count: int = 3


@dataclass(frozen=True)
class Settings:
    token: str = ""
    api_base_url: str = TELEGRAM_API
    api_file_url: str = ""
    data_dir: Path = Path("data")
    admin_ids: frozenset[int] = frozenset()
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    tips: TipSettings = field(default_factory=TipSettings)
    broadcast_rate: float = 25.0
    paid_broadcast: bool = False
    quiet_hours: tuple[int, int] = (22, 7)
    # Automatic reports to province admins (MM-DD, bot time zone): after the action month,
    # six-monthly, yearly. report_national: national admins get the whole country's too.
    report_dates: tuple[str, str, str] = ("07-01", "06-10", "12-10")
    report_national: bool = False
    unit_hotlines: Mapping[str, str] = field(default_factory=dict)

    @property
    def file_url(self) -> str:
        """The file download URL: explicit, or derived from the API base URL like Telegram's."""
        if self.api_file_url:
            return self.api_file_url
        base = self.api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "bot.sqlite3"

    def with_token(self, token: str) -> Settings:
        return replace(self, token=token)


def _int(name: str, raw: object) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, raw: object) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _bool(name: str, raw: object) -> bool:
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _choice(name: str, raw: object, choices: tuple[str, ...]) -> str:
    text = str(raw).strip().lower()
    if text not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return text


def _admin_ids(raw: object) -> frozenset[int]:
    if isinstance(raw, list):
        parts = [str(p) for p in raw]
    else:
        parts = [p for p in str(raw).replace(";", ",").split(",")]
    ids = set()
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise ConfigError(
                f"BOT_ADMIN_IDS must be comma-separated numeric Telegram ids, got {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _report_dates(raw: object) -> tuple[str, str, str]:
    """"07-01,06-10,12-10": after the action month, six-monthly, yearly (MM-DD each)."""
    parts = [p.strip() for p in (raw if isinstance(raw, list) else str(raw).split(","))]
    ok = len(parts) == 3 and all(re.fullmatch(r"\d\d-\d\d", str(p)) for p in parts)
    try:
        ok = ok and all(date(2025, int(p[:2]), int(p[3:])) for p in parts)  # no 29 February
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError("BOT_REPORT_DATES must be three MM-DD dates (after the action month, "
                          f"six-monthly, yearly), e.g. 07-01,06-10,12-10; got {raw!r}")
    return (str(parts[0]), str(parts[1]), str(parts[2]))


def _quiet_hours(raw: object) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*", str(raw))
    if not match or not all(0 <= int(h) <= 23 for h in match.groups()):
        raise ConfigError(f"BOT_QUIET_HOURS must look like 22-7 (hours 0-23), got {raw!r}")
    return int(match.group(1)), int(match.group(2))


# Environment names, and the (section, key) they take in the TOML file.
_TOML_KEYS: dict[str, tuple[str, ...]] = {
    "BOT_TOKEN": ("token",),
    "BOT_API_BASE_URL": ("api_base_url",),
    "BOT_API_FILE_URL": ("api_file_url",),
    "BOT_DATA_DIR": ("data_dir",),
    "BOT_ADMIN_IDS": ("admin_ids",),
    "BOT_DEFAULT_LOCALE": ("default_locale",),
    "BOT_TIMEZONE": ("timezone",),
    "BOT_WEBHOOK_URL": ("webhook", "url"),
    "BOT_WEBHOOK_LISTEN": ("webhook", "listen"),
    "BOT_WEBHOOK_PORT": ("webhook", "port"),
    "BOT_WEBHOOK_PATH": ("webhook", "path"),
    "BOT_WEBHOOK_SECRET": ("webhook", "secret_token"),
    "BOT_TIP_DAILY_LIMIT": ("tips", "daily_limit"),
    "BOT_TIP_BURST_LIMIT": ("tips", "burst_limit"),
    "BOT_TIP_RETENTION_DAYS": ("tips", "retention_days"),
    "BOT_TIP_REMIND_HOURS": ("tips", "remind_after_hours"),
    "BOT_TIP_ESCALATE_HOURS": ("tips", "escalate_after_hours"),
    "BOT_TIP_PROVINCE_COPIES": ("tips", "province_info_copies"),
    "BOT_TIP_CARD_DETAILS": ("tips", "card_details"),
    "BOT_TIP_STATS_MIN_COUNT": ("tips", "stats_min_count"),
    "BOT_BROADCAST_RATE": ("broadcast", "rate"),
    "BOT_PAID_BROADCAST": ("broadcast", "paid"),
    "BOT_QUIET_HOURS": ("broadcast", "quiet_hours"),
    "BOT_REPORT_DATES": ("reports", "dates"),
    "BOT_REPORT_NATIONAL": ("reports", "national"),
}


def _from_toml(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"BOT_CONFIG points to {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values: dict[str, object] = {}
    for env_name, keys in _TOML_KEYS.items():
        node: object = data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            values[env_name] = node
    hotlines = data.get("hotlines")
    if isinstance(hotlines, dict):
        values["hotlines"] = {str(k): str(v) for k, v in hotlines.items()}
    return values


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings; raise ConfigError with a one-line fix for anything wrong."""
    env = os.environ if env is None else env
    raw: dict[str, object] = {}
    if env.get("BOT_CONFIG"):
        raw.update(_from_toml(Path(env["BOT_CONFIG"])))
    raw.update({k: v for k, v in env.items() if k in _TOML_KEYS and v != ""})

    token = str(raw.get("BOT_TOKEN", "")).strip()
    if token and not _TOKEN_RE.match(token):
        raise ConfigError(
            "BOT_TOKEN is malformed: it should look like 123456789:AAE... (ask @BotFather)"
        )
    base_url = str(raw.get("BOT_API_BASE_URL", TELEGRAM_API)).strip()
    for name, url in (("BOT_API_BASE_URL", base_url), ("BOT_API_FILE_URL", raw.get("BOT_API_FILE_URL", ""))):
        if url and not re.match(r"^https?://[^\s/]+", str(url)):
            raise ConfigError(f"{name} must be an http(s) URL, got {url!r}")
    locale = str(raw.get("BOT_DEFAULT_LOCALE", "vi")).strip().lower()
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"BOT_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
    timezone = str(raw.get("BOT_TIMEZONE", "Asia/Ho_Chi_Minh")).strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"BOT_TIMEZONE {timezone!r} is not a known time zone name") from None

    port = _int("BOT_WEBHOOK_PORT", raw.get("BOT_WEBHOOK_PORT", 8443))
    if not 1 <= port <= 65535:
        raise ConfigError(f"BOT_WEBHOOK_PORT must be between 1 and 65535, got {port}")
    secret = str(raw.get("BOT_WEBHOOK_SECRET", ""))
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("BOT_WEBHOOK_SECRET may use only A-Z, a-z, 0-9, _ and - (1-256 chars)")
    webhook = WebhookSettings(
        url=str(raw.get("BOT_WEBHOOK_URL", "")).strip(),
        listen=str(raw.get("BOT_WEBHOOK_LISTEN", "127.0.0.1")).strip(),
        port=port,
        path=str(raw.get("BOT_WEBHOOK_PATH", "telegram")).strip("/ "),
        secret_token=secret,
    )
    tips = TipSettings(
        daily_limit=_int("BOT_TIP_DAILY_LIMIT", raw.get("BOT_TIP_DAILY_LIMIT", 5)),
        burst_limit=_int("BOT_TIP_BURST_LIMIT", raw.get("BOT_TIP_BURST_LIMIT", 2)),
        retention_days=_int("BOT_TIP_RETENTION_DAYS", raw.get("BOT_TIP_RETENTION_DAYS", 180)),
        remind_after_hours=_float("BOT_TIP_REMIND_HOURS", raw.get("BOT_TIP_REMIND_HOURS", 12)),
        escalate_after_hours=_float(
            "BOT_TIP_ESCALATE_HOURS", raw.get("BOT_TIP_ESCALATE_HOURS", 48)
        ),
        province_info_copies=_bool(
            "BOT_TIP_PROVINCE_COPIES", raw.get("BOT_TIP_PROVINCE_COPIES", False)
        ),
        card_details=_choice(
            "BOT_TIP_CARD_DETAILS", raw.get("BOT_TIP_CARD_DETAILS", "group"), ("group", "private")
        ),
        stats_min_count=_int("BOT_TIP_STATS_MIN_COUNT", raw.get("BOT_TIP_STATS_MIN_COUNT", 3)),
    )
    hotlines = raw.get("hotlines")
    return Settings(
        token=token,
        api_base_url=base_url,
        api_file_url=str(raw.get("BOT_API_FILE_URL", "")).strip(),
        data_dir=Path(str(raw.get("BOT_DATA_DIR", "data"))).expanduser(),
        admin_ids=_admin_ids(raw.get("BOT_ADMIN_IDS", "")),
        default_locale=locale,
        timezone=timezone,
        webhook=webhook,
        tips=tips,
        broadcast_rate=_float("BOT_BROADCAST_RATE", raw.get("BOT_BROADCAST_RATE", 25)),
        paid_broadcast=_bool("BOT_PAID_BROADCAST", raw.get("BOT_PAID_BROADCAST", False)),
        quiet_hours=_quiet_hours(raw.get("BOT_QUIET_HOURS", "22-7")),
        report_dates=_report_dates(raw.get("BOT_REPORT_DATES", "07-01,06-10,12-10")),
        report_national=_bool("BOT_REPORT_NATIONAL", raw.get("BOT_REPORT_NATIONAL", False)),
        unit_hotlines=hotlines if isinstance(hotlines, dict) else {},
    )


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data directory (0700) and prove it is writable."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"BOT_DATA_DIR {str(path)!r} is not writable ({exc.strerror}); "
            "point BOT_DATA_DIR at a folder this user can write"
        ) from None
    return path
