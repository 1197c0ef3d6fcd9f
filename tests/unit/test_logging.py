"""The bot token never appears in a log record, whichever library logs it."""

import logging

import pytest

from bot.logging_setup import protect_token

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_token_scrubbed_from_messages_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    protect_token(TOKEN)
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("httpx.test")
    log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("telegram.ext.Updater").exception("network error")
    text = caplog.text
    assert TOKEN not in text
    assert "bot<token>/getUpdates" in text
    assert "connect failed for https://api.telegram.org/bot<token>/getMe" in text


def test_url_logging_libraries_quiet() -> None:
    protect_token(TOKEN)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("telegram").getEffectiveLevel() >= logging.WARNING
