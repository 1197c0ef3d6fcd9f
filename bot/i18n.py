"""Translations and locale-aware formatting.

Source strings are English (`_("Report a tip")`); the catalogs in content/locales/<lang>/
LC_MESSAGES/<domain>.po translate them, one domain per feature so that features can be edited
independently. The .po files are read directly with babel at start-up: no compile step to forget.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from bot.config import SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "content" / "locales"
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Each language's name in itself (never translated).
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


def catalog_files(locale: str) -> list[Path]:
    return sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po"))


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """All domains of one locale merged into one gettext object (cached for the process)."""
    merged: gettext.NullTranslations | None = None
    for path in catalog_files(locale):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        part = gettext.GNUTranslations(buf)
        if merged is None:
            merged = part
        else:
            merged._catalog.update(part._catalog)  # type: ignore[attr-defined]
    return merged or gettext.NullTranslations()


def normalise_locale(code: str | None, default: str = "vi") -> str:
    """Telegram's language_code ("vi", "en-US", "fr") → a supported locale."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LOCALES:
            return base
    return default


# English "short"/"medium" dates read "12/2/26" or "Dec 2, 2026": a Vietnamese reader of the
# English screens takes 12/2 for 12 February. Day, month name, year is unambiguous everywhere.
_UNAMBIGUOUS: dict[tuple[str, str, str], str] = {
    ("en", "date", "short"): "d MMM y",
    ("en", "date", "medium"): "d MMM y",
    ("en", "datetime", "short"): "d MMM y, HH:mm",
    ("en", "datetime", "medium"): "d MMM y, HH:mm:ss",
}


class Translator:
    """gettext for one locale plus babel formatting in the bot's time zone."""

    def __init__(self, locale: str, tz: ZoneInfo = DEFAULT_TZ) -> None:
        self.locale = locale if locale in SUPPORTED_LOCALES else "vi"
        self.tz = tz
        self._t = translations(self.locale)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def date(self, value: date | datetime, fmt: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        fmt = _UNAMBIGUOUS.get((self.locale, "date", fmt), fmt)
        return _babel_date(value, format=fmt, locale=Locale.parse(self.locale))

    def datetime(self, value: datetime, fmt: str = "short") -> str:
        fmt = _UNAMBIGUOUS.get((self.locale, "datetime", fmt), fmt)
        return _babel_datetime(value, format=fmt, tzinfo=self.tz, locale=Locale.parse(self.locale))

    def number(self, value: float) -> str:
        return format_decimal(value, locale=Locale.parse(self.locale))

    def percent(self, value: float) -> str:
        return format_percent(value, locale=Locale.parse(self.locale))

    def duration(self, delta: timedelta) -> str:
        from babel.dates import format_timedelta

        return format_timedelta(delta, locale=Locale.parse(self.locale), threshold=1.1)


@cache
def translator(locale: str) -> Translator:
    return Translator(locale)
