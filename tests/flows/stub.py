"""A stub channel: the conversations driven directly through the engine, no server, no PTB.

    chat = flow.chat(user=7, locale="en")
    await chat.command("learn")
    await chat.press("🔎 Search")
    await chat.text("bóng cười")
    assert "Results" in chat.last.text

Each input runs through `Engine.dispatch` exactly as a channel would run it; screens are
recorded as they were shown (new or replacing the last one), notices separately. Buttons are
pressed by their label and sent as the packed action the channel would send back, so the
codec is part of every flow test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.actions import parse
from bot.engine.chat_port import Destination
from bot.engine.conversation import Capabilities, Chat, Person, Turn
from bot.engine.inputs import Command, File, Input, Location, Photo, Pressed, Text
from bot.i18n import translator
from bot.runtime import Runtime
from bot.screens import Button, Screen

STUB = Capabilities(channel="stub", buttons=True, edit=True, location=True, max_text=4096)


@dataclass
class Shown:
    screen: Screen
    replaced: bool
    ref: int = 0  # the message this screen is (a replaced screen keeps the pressed one's)
    reply_to: int | None = None  # the message it was sent under (chat port)

    @property
    def text(self) -> str:
        return self.screen.text

    @property
    def labels(self) -> list[str]:
        return [b.text for row in self.screen.buttons for b in row]

    def button(self, label: str) -> Button:
        for row in self.screen.buttons:
            for b in row:
                if b.text == label or b.text.startswith(label):
                    return b
        raise AssertionError(f"no button {label!r} on {self.labels}")


@dataclass
class StubConversation:
    capabilities: Capabilities = STUB
    shown: list[Shown] = field(default_factory=list)
    notices: list[tuple[str | None, bool]] = field(default_factory=list)

    pressed: int | None = None  # the message whose button is being pressed now

    async def show(self, screen: Screen, *, replace: bool = False) -> int:
        if replace and self.pressed is not None:
            self.shown.append(Shown(screen, True, self.pressed))
            return self.pressed
        ref = len(self.shown) + 1
        self.shown.append(Shown(screen, replace, ref))
        return ref

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        self.notices.append((text, alert))

    def link(self, payload: str = "") -> str | None:
        return f"stub://bot/{payload}"


class StubChat:
    """One person in one private chat (or a group, private=False). `channel` and `key` name
    the chat as a channel would (e.g. a police group's Telegram chat id), `conv` shares one
    chat's messages between several people (see `member`)."""

    def __init__(self, runtime: Runtime, user: int, locale: str = "vi",
                 private: bool = True, capabilities: Capabilities = STUB,
                 group: str | None = None, *, channel: str = "stub",
                 key: int | str | None = None, conv: StubConversation | None = None) -> None:
        """`group` names a group chat several people share (private=False)."""
        self.runtime = runtime
        self.conv = conv or StubConversation(capabilities)
        self.person = Person(channel, str(user), locale)
        if key is None:
            key = f"stub:{user}" if private else f"stub:group:{group or user}"
        self.chat = Chat(channel, key, private)

    def member(self, user: int, locale: str = "vi") -> StubChat:
        """Another person in this same chat (a group): same messages, same session."""
        return StubChat(self.runtime, user, locale, self.chat.private, self.conv.capabilities,
                        channel=self.chat.channel, key=self.chat.key, conv=self.conv)

    async def send(self, inp: Input, message: int | None = None) -> list[Shown]:
        before = len(self.conv.shown)
        locale = await self.runtime.users.locale(
            await self.runtime.accounts.user_id(self.person.channel, self.person.external_id,
                                                create=False),
            self.person.language_code,
        )
        turn = Turn(self.conv, self.chat, self.person, translator(locale), self.runtime,
                    message=message)
        self.conv.pressed = message
        try:
            await self.runtime.engine.dispatch(turn, inp)
        finally:
            self.conv.pressed = None
        return self.conv.shown[before:]

    async def command(self, name: str, arg: str = "") -> list[Shown]:
        return await self.send(Command(name, arg))

    async def text(self, text: str, reply_to: int | None = None) -> list[Shown]:
        return await self.send(Text(text, reply_to=reply_to))

    async def press(self, label: str, on: Shown | None = None) -> list[Shown]:
        """Press a button of `on` (default: the last screen shown)."""
        shown = on or self.last
        button = shown.button(label)
        found = parse(button.data)
        assert found is not None, f"button {label!r} carries no action: {button!r}"
        return await self.send(Pressed(found), message=shown.ref or None)

    async def press_data(self, data: str, on: Shown | None = None) -> list[Shown]:
        """A forged or stale press: the raw data as a client could send it."""
        found = parse(data)
        if found is None:
            return []  # the channel drops what does not parse; nothing reaches a handler
        return await self.send(Pressed(found), message=on.ref if on is not None else None)

    async def photo(self, data: bytes) -> list[Shown]:
        async def fetch() -> bytes:
            return data

        return await self.send(Photo(fetch=fetch, size=len(data)))

    async def file(self, data: bytes, name: str = "file", mime: str = "application/octet-stream",
                   caption: str = "") -> list[Shown]:
        async def fetch() -> bytes:
            return data

        return await self.send(File(fetch=fetch, name=name, mime=mime, size=len(data),
                                    caption=caption))

    async def location(self, lat: float, lon: float) -> list[Shown]:
        return await self.send(Location(lat, lon))

    @property
    def last(self) -> Shown:
        assert self.conv.shown, "nothing was shown"
        return self.conv.shown[-1]

    @property
    def notices(self) -> list[tuple[str | None, bool]]:
        return self.conv.notices


class StubChatPort:
    """A chat port (bot/engine/chat_port.py) into stub chats: what the bot sends on its own
    (tip cards, answers under them, reports) lands in the chat's `StubConversation`, so people
    there press the buttons of what they received. `fail[key]` makes sends to a chat raise."""

    def __init__(self, channel: str = "stub") -> None:
        self.channel = channel
        self.chats: dict[int | str, StubConversation] = {}
        self.fail: dict[int | str, Exception] = {}

    def conv(self, key: int | str) -> StubConversation:
        return self.chats.setdefault(key, StubConversation())

    def _append(self, to: Destination, screen: Screen, reply_to: Any = None) -> int:
        if to.key in self.fail:
            raise self.fail[to.key]
        conv = self.conv(to.key)
        ref = len(conv.shown) + 1
        conv.shown.append(Shown(screen, False, ref, reply_to))
        return ref

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> int:
        return self._append(to, screen, reply_to)

    async def send_photos(self, to: Destination, photos: list[bytes], *,
                          reply_to: Any = None) -> int:
        first = self._append(to, Screen("", photo=photos[0]), reply_to)
        for photo in photos[1:]:
            self._append(to, Screen("", photo=photo), reply_to)
        return first

    async def send_location(self, to: Destination, latitude: float, longitude: float, *,
                            reply_to: Any = None) -> int:
        return self._append(to, Screen(f"📍 {latitude:.5f},{longitude:.5f}"), reply_to)

    async def replace(self, to: Destination, message: Any, screen: Screen) -> int:
        self.conv(to.key).shown.append(Shown(screen, True, int(message)))
        return int(message)

    async def remove_buttons(self, to: Destination, message: Any) -> None:
        conv = self.conv(to.key)
        current = [s for s in conv.shown if s.ref == message]
        if current:
            conv.shown.append(Shown(Screen(current[-1].text), True, int(message)))


def screen_texts(shown: list[Shown]) -> str:
    return "\n---\n".join(s.text for s in shown)


def any_text(shown: list[Any]) -> str:
    return screen_texts(shown)
