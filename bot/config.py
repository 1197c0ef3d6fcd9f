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


ZALO_API = "https://bot-api.zaloplatforms.com"
# Zalo Bot Platform tokens look like "12345689:abc-xyz" (docs/ZALO.md); the exact alphabet is
# not published, so only the shape is checked: digits, a colon, then no spaces or slashes.
_ZALO_TOKEN_RE = re.compile(r"^\d{3,25}:[^\s/?#]{3,200}$")


@dataclass(frozen=True)
class ZaloSettings:
    """The Zalo Bot Platform channel (bot/channels/zalo); off while `token` is empty."""

    token: str = ""
    api_base_url: str = ZALO_API
    webhook_secret: str = ""  # required for webhook mode (8-256 characters)
    webhook_path: str = "zalo/webhook"
    # Where the bot is reachable over https (signed photo URLs, the webhook URL, web links).
    public_url: str = ""
    broadcast_rate: float = 10.0  # messages per second to Zalo subscribers (429 = back off)
    admin_ids: frozenset[str] = frozenset()  # Zalo user ids of national admins
    photo_max_bytes: int = 20 * 1024 * 1024  # as bot/photos.py takes

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class WebSettings:
    """The web channel (bot/channels/web): off while `port` is 0."""

    host: str = "127.0.0.1"
    port: int = 0
    public_url: str = ""  # the https address people use, e.g. https://khongmatuy.example.vn

    @property
    def enabled(self) -> bool:
        return self.port > 0


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
    zalo: ZaloSettings = field(default_factory=ZaloSettings)
    web: WebSettings = field(default_factory=WebSettings)

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


def _int(name: str, raw: object, low: int, high: int) -> int:
    """A whole number in [low, high]: a zero or negative limit would refuse (or allow) every
    action silently, so the range is checked here rather than where the value is used."""
    if isinstance(raw, bool):  # TOML `true` is not a number
        raise ConfigError(f"{name} must be a whole number, got {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(name: str, raw: object, high: float) -> float:
    """A number greater than 0 and at most `high`."""
    if isinstance(raw, bool):
        raise ConfigError(f"{name} must be a number, got {raw!r}")
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not 0 < value <= high:  # also refuses nan
        raise ConfigError(f"{name} must be greater than 0 and at most {high:g}, got {raw!r}")
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
        # A national admin is a person: Telegram user ids are positive (negative ids are groups).
        if not re.fullmatch(r"\d{1,20}", part) or int(part) == 0:
            raise ConfigError(
                f"BOT_ADMIN_IDS must be comma-separated Telegram user ids (positive numbers), "
                f"got {part!r}"
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
    "ZALO_BOT_TOKEN": ("zalo", "token"),
    "ZALO_API_BASE_URL": ("zalo", "api_base_url"),
    "ZALO_WEBHOOK_SECRET": ("zalo", "webhook_secret"),
    "ZALO_WEBHOOK_PATH": ("zalo", "webhook_path"),
    "ZALO_BROADCAST_RATE": ("zalo", "broadcast_rate"),
    "ZALO_ADMIN_IDS": ("zalo", "admin_ids"),
    "BOT_WEB_HOST": ("web", "host"),
    "BOT_WEB_PORT": ("web", "port"),
    "BOT_PUBLIC_URL": ("web", "public_url"),
}


# What the TOML file may hold besides the keys above: [hotlines] maps unit codes to numbers.
_TOML_TABLES = ("hotlines",)


def _unknown_toml_keys(data: dict[str, object]) -> list[str]:
    """Keys and sections the file holds that no setting reads: a typo must not be ignored."""
    known: dict[str, set[str]] = {}
    for keys in _TOML_KEYS.values():
        known.setdefault(keys[0] if len(keys) > 1 else "", set()).add(keys[-1])
    unknown = []
    for key, value in data.items():
        if key in _TOML_TABLES:
            continue
        if key in known and key:
            if not isinstance(value, dict):
                unknown.append(f"{key} (must be a [{key}] section)")
                continue
            unknown += [f"{key}.{sub}" for sub in value if sub not in known[key]]
        elif key not in known[""]:
            unknown.append(f"[{key}]" if isinstance(value, dict) else key)
    return unknown


def _from_toml(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"BOT_CONFIG points to {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    unknown = _unknown_toml_keys(data)
    if unknown:
        raise ConfigError(f"{path} has unknown settings: {', '.join(unknown)} (see README.md)")
    values: dict[str, object] = {}
    for env_name, keys in _TOML_KEYS.items():
        node: object = data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            values[env_name] = node
    hotlines = data.get("hotlines")
    if hotlines is not None and not isinstance(hotlines, dict):
        raise ConfigError(f"{path}: hotlines must be a [hotlines] section")
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

    port = _int("BOT_WEBHOOK_PORT", raw.get("BOT_WEBHOOK_PORT", 8443), 1, 65535)
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
        daily_limit=_int("BOT_TIP_DAILY_LIMIT", raw.get("BOT_TIP_DAILY_LIMIT", 5), 1, 100),
        burst_limit=_int("BOT_TIP_BURST_LIMIT", raw.get("BOT_TIP_BURST_LIMIT", 2), 1, 100),
        retention_days=_int(
            "BOT_TIP_RETENTION_DAYS", raw.get("BOT_TIP_RETENTION_DAYS", 180), 1, 3650
        ),
        remind_after_hours=_float(
            "BOT_TIP_REMIND_HOURS", raw.get("BOT_TIP_REMIND_HOURS", 12), 24 * 30
        ),
        escalate_after_hours=_float(
            "BOT_TIP_ESCALATE_HOURS", raw.get("BOT_TIP_ESCALATE_HOURS", 48), 24 * 30
        ),
        province_info_copies=_bool(
            "BOT_TIP_PROVINCE_COPIES", raw.get("BOT_TIP_PROVINCE_COPIES", False)
        ),
        card_details=_choice(
            "BOT_TIP_CARD_DETAILS", raw.get("BOT_TIP_CARD_DETAILS", "group"), ("group", "private")
        ),
        stats_min_count=_int(
            "BOT_TIP_STATS_MIN_COUNT", raw.get("BOT_TIP_STATS_MIN_COUNT", 3), 1, 1000
        ),
    )
    if tips.escalate_after_hours < tips.remind_after_hours:
        raise ConfigError(
            "BOT_TIP_ESCALATE_HOURS must not be less than BOT_TIP_REMIND_HOURS "
            f"({tips.escalate_after_hours:g} < {tips.remind_after_hours:g})"
        )
    hotlines = raw.get("hotlines")
    zalo = _zalo_settings(raw)
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
        # Telegram allows about 30 messages/s, 1,000/s with paid broadcasts (docs/BROADCASTS.md).
        broadcast_rate=_float("BOT_BROADCAST_RATE", raw.get("BOT_BROADCAST_RATE", 25), 1000),
        paid_broadcast=_bool("BOT_PAID_BROADCAST", raw.get("BOT_PAID_BROADCAST", False)),
        quiet_hours=_quiet_hours(raw.get("BOT_QUIET_HOURS", "22-7")),
        report_dates=_report_dates(raw.get("BOT_REPORT_DATES", "07-01,06-10,12-10")),
        report_national=_bool("BOT_REPORT_NATIONAL", raw.get("BOT_REPORT_NATIONAL", False)),
        unit_hotlines=hotlines if isinstance(hotlines, dict) else {},
        zalo=zalo,
        web=_web_settings(raw),
    )


def require_webhook_secret(settings: Settings) -> None:
    """Webhook mode needs the secret Telegram echoes in every delivery: without it anyone who
    reaches the path can post forged updates (and pose as a national admin)."""
    if not settings.webhook.secret_token:
        raise ConfigError(
            "BOT_WEBHOOK_SECRET is required for webhook mode (without it anyone reaching the "
            "webhook can forge updates); make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def _zalo_settings(raw: Mapping[str, object]) -> ZaloSettings:
    token = str(raw.get("ZALO_BOT_TOKEN", "")).strip()
    if token and not _ZALO_TOKEN_RE.match(token):
        # Never echo the token itself: the error may end up in a log.
        raise ConfigError(
            "ZALO_BOT_TOKEN is malformed: it should look like 12345689:abc-xyz "
            "(Zalo Bot Manager shows it when the bot is created)"
        )
    base = str(raw.get("ZALO_API_BASE_URL", ZALO_API)).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", base):
        raise ConfigError(f"ZALO_API_BASE_URL must be an http(s) URL, got {base!r}")
    secret = str(raw.get("ZALO_WEBHOOK_SECRET", ""))
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{8,256}", secret):
        raise ConfigError(
            "ZALO_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    public = str(raw.get("BOT_PUBLIC_URL", "")).strip().rstrip("/")
    if public and not re.match(r"^https?://[^\s/]+", public):
        raise ConfigError(f"BOT_PUBLIC_URL must be an https URL, got {public!r}")
    admins_raw = raw.get("ZALO_ADMIN_IDS", "")
    parts = admins_raw if isinstance(admins_raw, list) else str(admins_raw).replace(";", ",").split(",")
    admins = set()
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        if not re.fullmatch(r"[A-Za-z0-9]{1,64}", part):
            raise ConfigError(f"ZALO_ADMIN_IDS must be comma-separated Zalo user ids, got {part!r}")
        admins.add(part)
    return ZaloSettings(
        token=token,
        api_base_url=base,
        webhook_secret=secret,
        webhook_path=str(raw.get("ZALO_WEBHOOK_PATH", "zalo/webhook")).strip("/ ") or "zalo/webhook",
        public_url=public,
        broadcast_rate=_float("ZALO_BROADCAST_RATE", raw.get("ZALO_BROADCAST_RATE", 10), 1000),
        admin_ids=frozenset(admins),
    )


def check_zalo_webhook(settings: Settings) -> None:
    """Webhook mode needs a secret Zalo sends back (we refuse deliveries without it) and the
    public https address Zalo posts to."""
    zalo = settings.zalo
    if not zalo.enabled:
        return
    if not zalo.webhook_secret:
        raise ConfigError("ZALO_WEBHOOK_SECRET is required for webhook mode (8-256 characters)")
    if not zalo.public_url.startswith("https://"):
        raise ConfigError("BOT_PUBLIC_URL must be the bot's public https address for the "
                          "Zalo webhook (e.g. https://bot.example.vn)")
def _web_settings(raw: Mapping[str, object]) -> WebSettings:
    host = str(raw.get("BOT_WEB_HOST", "127.0.0.1")).strip()
    if not re.fullmatch(r"[A-Za-z0-9.:_-]{1,253}", host):
        raise ConfigError(f"BOT_WEB_HOST must be a host name or IP address, got {host!r}")
    port_raw = str(raw.get("BOT_WEB_PORT", "0")).strip()
    if not re.fullmatch(r"\d{1,5}", port_raw) or not 0 <= int(port_raw) <= 65535:
        raise ConfigError(f"BOT_WEB_PORT must be a port number 1-65535 (0: off), got {port_raw!r}")
    port = int(port_raw)
    url = str(raw.get("BOT_PUBLIC_URL", "")).strip().rstrip("/")
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    if not url:
        url = local if port else ""
    elif not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?", url) and \
            not re.fullmatch(r"http://(127\.0\.0\.1|localhost|[a-z2-7]{56}\.onion)(:\d{1,5})?", url):
        # Plain http only where nobody on the path can read it: this machine or an onion.
        raise ConfigError(
            "BOT_PUBLIC_URL must be the https address people use (e.g. https://bot.example.vn); "
            f"http only for localhost or a .onion address, got {url!r}"
        )
    return WebSettings(host=host, port=port, public_url=url)


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data directory, make it 0700 (also when it already existed: it holds the
    database and master.key) and prove it is writable."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"BOT_DATA_DIR {str(path)!r} is not writable ({exc.strerror}); "
            "point BOT_DATA_DIR at a folder this user can write"
        ) from None
    return path
