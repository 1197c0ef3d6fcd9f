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

    async def show(self, screen: Screen, *, replace: bool = False) -> int:
        self.shown.append(Shown(screen, replace))
        return len(self.shown)

    async def notice(self, text: str | None = None, *, alert: bool = False) -> None:
        self.notices.append((text, alert))

    def link(self, payload: str = "") -> str | None:
        return f"stub://bot/{payload}"


class StubChat:
    """One person in one private chat (or a group, private=False)."""

    def __init__(self, runtime: Runtime, user: int, locale: str = "vi",
                 private: bool = True, capabilities: Capabilities = STUB,
                 group: str | None = None) -> None:
        """`group` names a group chat several people share (private=False)."""
        self.runtime = runtime
        self.conv = StubConversation(capabilities)
        self.person = Person("stub", str(user), locale)
        self.chat = Chat("stub", f"stub:{user}" if private else f"stub:group:{group or user}",
                         private)

    async def send(self, inp: Input) -> list[Shown]:
        before = len(self.conv.shown)
        locale = await self.runtime.users.locale(
            await self.runtime.accounts.user_id("stub", self.person.external_id, create=False),
            self.person.language_code,
        )
        turn = Turn(self.conv, self.chat, self.person, translator(locale), self.runtime)
        await self.runtime.engine.dispatch(turn, inp)
        return self.conv.shown[before:]

    async def command(self, name: str, arg: str = "") -> list[Shown]:
        return await self.send(Command(name, arg))

    async def text(self, text: str) -> list[Shown]:
        return await self.send(Text(text))

    async def press(self, label: str) -> list[Shown]:
        button = self.last.button(label)
        found = parse(button.data)
        assert found is not None, f"button {label!r} carries no action: {button!r}"
        return await self.send(Pressed(found))

    async def press_data(self, data: str) -> list[Shown]:
        """A forged or stale press: the raw data as a client could send it."""
        found = parse(data)
        if found is None:
            return []  # the channel drops what does not parse; nothing reaches a handler
        return await self.send(Pressed(found))

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


def screen_texts(shown: list[Shown]) -> str:
    return "\n---\n".join(s.text for s in shown)


def any_text(shown: list[Any]) -> str:
    return screen_texts(shown)
