"""The Messenger port on the web (bot/engine/messenger.py): a screen shown to a person outside a
Turn (a contest question owed after a restart, a teacher's final ranking) becomes a bubble in
their open browser session, pushed live by server-sent events. A page nobody has open cannot
be reached: UNREACHABLE, as for a person who blocked the bot."""

from __future__ import annotations

from bot.channels.web.render import text_html
from bot.channels.web.sessions import WebSession, WebSessions
from bot.engine.messenger import SendOutcome
from bot.screens import Screen

_PERSON = "web:person:"


class WebMessenger:
    channel = "web"

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url
        self.stores: list[WebSessions] = []  # one per app (the demo serves one per persona)

    def private_chat(self, external_id: str) -> str:
        return _PERSON + external_id

    def _find(self, chat_key: int | str) -> WebSession | None:
        key = str(chat_key)
        for store in self.stores:
            if key.startswith(_PERSON):
                found = store.by_person(key[len(_PERSON):])
            else:
                found = store.by_chat_key(key)
            if found is not None:
                return found
        return None

    async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
        session = self._find(chat_key)
        if session is None:
            return SendOutcome.UNREACHABLE
        async with session.lock:
            session.add(text_html(screen.text, self.public_url), buttons=screen.buttons,
                        photo=screen.photo, document=screen.document)
        return SendOutcome.SENT
