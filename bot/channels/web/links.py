"""Signed, expiring, single-use sign-in links to the officer console, given to an officer by
the bot on a messenger (/console). Sealed with the keyring: only this bot can make or read
one. Single use is enforced by the console (bot/channels/web/console.py)."""

from __future__ import annotations

import base64
import json
import secrets

from cryptography.exceptions import InvalidTag

from bot.runtime import Runtime

LINK_TTL = 10 * 60
_LINK_PURPOSE = "web/officer-link/v1"


def officer_link(runtime: Runtime, user_id: int) -> str | None:
    """A sign-in link for this officer account, or None when the web channel has no public
    address."""
    base = runtime.settings.web.public_url
    if not base:
        return None
    plain = json.dumps({"u": user_id, "e": runtime.clock.timestamp() + LINK_TTL,
                        "n": secrets.token_urlsafe(9)}).encode()
    token = base64.urlsafe_b64encode(runtime.keyring.seal(_LINK_PURPOSE, plain)).decode().rstrip("=")
    return f"{base}/officer/link/{token}"


def open_link(runtime: Runtime, token: str) -> tuple[int, str] | None:
    """(account id, nonce) of a valid, unexpired link token, else None."""
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(runtime.keyring.open(_LINK_PURPOSE, blob))
        user_id, expires, nonce = int(data["u"]), int(data["e"]), str(data["n"])
    except (ValueError, InvalidTag, KeyError, TypeError):
        return None
    if expires <= runtime.clock.timestamp():
        return None
    return user_id, nonce
