"""Logging that never carries the bot token or personal data.

httpx and PTB log request URLs, and Bot API URLs contain the token: those loggers stay at
WARNING, and a filter on every handler replaces the token anywhere it appears.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.ext", "apscheduler", "aiohttp.access")


class TokenScrubber(logging.Filter):
    """Replace any bot token in a record's message and arguments with a placeholder."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.token = token

    def _scrub(self, text: str) -> str:
        if self.token:
            text = text.replace(self.token, "<token>")
        return _TOKEN_IN_TEXT.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self._scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exceptions from httpx quote the URL: render now, scrubbed, and drop the raw info.
            formatted = logging.Formatter().formatException(record.exc_info)
            scrubbed = scrubbed + "\n" + self._scrub(formatted)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = scrubbed, ()
        return True


def setup_logging(token: str = "", level: int = logging.INFO) -> TokenScrubber:
    scrubber = TokenScrubber(token)
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for handler in root.handlers:
        if not any(isinstance(f, TokenScrubber) for f in handler.filters):
            handler.addFilter(scrubber)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return scrubber
