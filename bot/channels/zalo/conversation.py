"""The Conversation port on Zalo: a screen is one or more plain-text messages with its buttons
numbered; replacing a screen sends a new one; a notice with text is a message.

The numbers of the last menu shown are part of the chat's flow state (a tipster mid-flow must
not be stranded with numbers that mean nothing after a restart); see `save_menu`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.zalo.client import ZaloError, ZaloNetworkError, ZaloRateLimited
from bot.channels.zalo.render import MAX_TEXT, Rendered, plain_text, render, split_text
from bot.engine.conversation import Capabilities, ShowLater, ShowRefused, Turn, Unreachable
from bot.screens import Screen
from bot.sessions import SessionStore

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

CHANNEL = "zalo"
QUOTA_PAUSE = 5.0  # seconds; Zalo's 429 says nothing about how long to wait
MENU_KEY = "zalo_menu"


def capabilities(groups: bool) -> Capabilities:
    return Capabilities(
        channel=CHANNEL, buttons=False, edit=False, location=False, share_inline=False,
        native_polls=False, groups=groups, max_text=MAX_TEXT, app="Zalo",
    )


def chat_key(chat_id: str) -> str:
    return f"{CHANNEL}:{chat_id}"


class ZaloConversation:
    def __init__(self, channel: ZaloChannel, chat_id: str, caps: Capabilities, *,
                 patient: bool = True) -> None:
        self.channel = channel
        # Replies wait out a short 429; campaigns report it to their pacer instead.
        self.sender: Any = channel.sender if patient else channel.client
        self.chat_id = chat_id
        self.capabilities = caps
        self.turn: Turn | None = None
        self.menu: dict[int, str] | None = None  # set when a screen was shown this turn
        self.sent: list[str] = []  # message ids

    def link(self, payload: str = "") -> str | None:
        # Zalo has no documented deep links into a bot; the web channel is the shared door.
        return None

    async def show(self, screen: Screen, *, replace: bool = False) -> Any:
        assert self.turn is not None
        extra: list[str] = []
        if screen.document is not None:
            name, data = screen.document
            url = self.channel.publish_media(data)
            if url:
                extra.append(f"{plain_text(name)}: {url}")
        rendered = render(screen, self.turn.t, extra_links=extra)
        self.menu = rendered.options
        try:
            return await self._send(rendered, screen.photo)
        except ZaloRateLimited:
            raise ShowLater(QUOTA_PAUSE) from None
        except ZaloNetworkError:
            raise ShowLater() from None
        except ZaloError as exc:  # the port's errors, never the client's (engine contract)
            if exc.code == 403 or "not found" in exc.description.lower():
                raise Unreachable() from None
            raise ShowRefused() from None

    async def _send(self, rendered: Rendered, photo: bytes | None) -> str | None:
        client = self.sender
        first: str | None = None
        messages = list(rendered.messages)
        if photo is not None:
            url = self.channel.publish_media(photo)
            if url:
                caption = messages.pop(0) if messages else ""
                result = await client.send_photo(self.chat_id, url, caption)
                first = str(result.get("message_id", "")) or None
        for text in messages:
            result = await client.send_message(self.chat_id, text)
            first = first or str(result.get("message_id", "")) or None
        return first

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        if text:  # an empty acknowledgement means nothing on Zalo
            for piece in split_text(plain_text(text)):
                await self.sender.send_message(self.chat_id, piece)


# -- the numbered menu, part of the flow state ------------------------------------------------
# The menu's packed actions can name a tip (the receipt's "notify me" carries its id), so a
# chat's menu is kept like a tip flow's state: under a sibling session key whose "flow" is
# protected (bot/sessions.py), i.e. sealed under a key held only in memory. A clean restart
# keeps it; after a crash the numbers are forgotten and a bare number is read as text.
MENU_FLOW = "zalo_menu"


def _side(key: str) -> str:
    return f"{key}#menu"


def _decode(raw: object) -> dict[int, str]:
    if not isinstance(raw, dict):
        return {}
    return {int(k): v for k, v in raw.items() if str(k).isdigit() and isinstance(v, str)}


async def load_menu(sessions: SessionStore, key: str) -> dict[int, str]:
    return _decode((await sessions.get(_side(key))).get(MENU_KEY))


async def save_menu(sessions: SessionStore, key: str, menu: dict[int, str]) -> None:
    if menu:
        await sessions.set(_side(key), {
            "flow": MENU_FLOW, MENU_KEY: {str(k): v for k, v in menu.items()}})
    else:
        await sessions.clear(_side(key))
