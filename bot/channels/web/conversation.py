"""The Conversation port in a browser: a screen is a bubble in that browser session's
transcript (or replaces the last bot bubble), a notice is a short bubble (an empty
acknowledgement shows nothing), links point at BOT_PUBLIC_URL."""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.channels.web.render import esc, text_html
from bot.channels.web.sessions import Bubble, WebSession
from bot.engine.conversation import Capabilities, Chat, Person
from bot.i18n import N_
from bot.screens import Screen

CHANNEL = "web"
# A tip receipt (16 digits in groups of four): it must exist only in the page that shows it
# once, not in a transcript the browser can fetch again later (a seized phone, a shared PC).
_RECEIPT = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
CAPABILITIES = Capabilities(
    channel=CHANNEL,
    buttons=True,
    edit=True,
    location=True,  # optional in the page (browser geolocation); a typed ward always works
    share_inline=False,
    native_polls=False,
    groups=False,
    max_text=100_000,
    reach_later=False,
    app="",  # no account of any app: privacy texts speak of the browser and the network
    # The button the page's script shows (bot/channels/web/pages.py), JavaScript only.
    location_hint=N_("“📍 Share my location” under the message box, if your browser shows it"),
)


def deep_link(public_url: str, payload: str = "") -> str:
    """The page that opens the bot at a deep link: /c/CODE for a contest, /s/<payload> else."""
    base = public_url.rstrip("/")
    if payload.startswith("c_") and len(payload) > 2:
        return f"{base}/c/{quote(payload[2:], safe='')}"
    return f"{base}/s/{quote(payload, safe='')}" if payload else f"{base}/"


class WebConversation:
    capabilities = CAPABILITIES

    def __init__(self, session: WebSession, public_url: str) -> None:
        self.session = session
        self.public_url = public_url

    def link(self, payload: str = "") -> str | None:
        return deep_link(self.public_url, payload) if self.public_url else None

    async def show(self, screen: Screen, *, replace: bool = False) -> Bubble:
        return self.session.add(
            text_html(screen.text, self.public_url), buttons=screen.buttons,
            photo=screen.photo, document=screen.document, replace=replace,
            once=bool(_RECEIPT.search(screen.text)),
        )

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        if text:
            self.session.add(f'<p class="notice">{esc(text)}</p>')


def chat_of(session: WebSession) -> Chat:
    return Chat(CHANNEL, session.chat_key, private=True)


def person_of(session: WebSession) -> Person:
    # A random id made with the session: never an address, never a user agent.
    return Person(CHANNEL, session.person_id, session.locale)
