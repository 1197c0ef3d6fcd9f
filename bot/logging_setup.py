"""Logging that never carries the bot token.

httpx and PTB log request URLs, and Bot API URLs contain the token. Those loggers stay at
WARNING, and every log record, from any library, is scrubbed as it is created (a record factory,
so no handler added later — pytest's, a file handler — can see the raw token).
"""

from __future__ import annotations

import logging
import re
from typing import Any

_TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")
# aiosqlite's DEBUG log prints SQL parameters (user ids): it stays at WARNING too.
NOISY_LOGGERS = (
    "httpx", "httpcore", "telegram", "telegram.ext", "apscheduler", "aiohttp.access", "aiosqlite",
)
_known_tokens: set[str] = set()
_installed = False


def scrub(text: str) -> str:
    for token in _known_tokens:
        text = text.replace(token, "<token>")
    return _TOKEN_IN_TEXT.sub("<token>", text)


def _install_factory() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed %-format must not break logging
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            # Exceptions from httpx quote the URL: render now, scrubbed; formatters reuse exc_text.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def protect_token(token: str) -> None:
    """Scrub this token from every log record from now on and quieten URL-logging libraries."""
    if token:
        _known_tokens.add(token)
    _install_factory()
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def setup_logging(token: str = "", level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    protect_token(token)
