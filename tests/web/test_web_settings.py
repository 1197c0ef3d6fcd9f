"""BOT_WEB_HOST, BOT_WEB_PORT and BOT_PUBLIC_URL are validated like every other setting."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_off_by_default() -> None:
    web = load_settings({}).web
    assert not web.enabled and web.public_url == ""


def test_port_gives_a_local_address() -> None:
    web = load_settings({"BOT_WEB_PORT": "8080"}).web
    assert web.enabled and web.public_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize("url", ["https://bot.example.vn", "https://bot.example.vn:8443/kmt",
                                 "http://localhost:8080", "http://" + "a" * 56 + ".onion"])
def test_accepted_public_urls(url: str) -> None:
    assert load_settings({"BOT_WEB_PORT": "8080", "BOT_PUBLIC_URL": url}).web.public_url == url


@pytest.mark.parametrize("env", [
    {"BOT_WEB_PORT": "70000"},
    {"BOT_WEB_PORT": "eighty"},
    {"BOT_WEB_PORT": "8080", "BOT_PUBLIC_URL": "http://bot.example.vn"},  # plain http on the net
    {"BOT_WEB_PORT": "8080", "BOT_PUBLIC_URL": "https://bot.example.vn/<script>"},
    {"BOT_WEB_HOST": "host name with spaces"},
])
def test_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_settings(env)
