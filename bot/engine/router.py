"""Routing of inputs to the conversations: by command name, by action type, by the chat's
current flow, by deep-link prefix and by main-menu key.

Each feature module in `handlers/` makes one `Router` and decorates its handlers; the engine
collects the routers and dispatches. Nothing here knows a channel.

    router = Router("learn")

    @router.command("learn")
    async def learn(turn: Turn, cmd: Command) -> None: ...

    @router.on(OpenArticle)
    async def open_article(turn: Turn, act: OpenArticle) -> None: ...
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, File, Input, Location, Photo, Pressed, Text, Unsupported

log = logging.getLogger(__name__)

Handler = Callable[[Turn, Any], Awaitable[Any]]
DeepLink = Callable[[Turn, str], Awaitable[Any]]
MenuEntry = Callable[[Turn], Awaitable[Any]]
GroupInput = Callable[[Turn, Any], Awaitable[bool]]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class CommandRoute:
    handler: Handler
    private_only: bool
    groups_only: bool


@dataclass
class Router:
    """One feature's routes."""

    name: str
    commands: dict[str, CommandRoute] = field(default_factory=dict)
    actions: dict[type[Action], Handler] = field(default_factory=dict)
    flows: dict[str, Handler] = field(default_factory=dict)
    deep_links: dict[str, DeepLink] = field(default_factory=dict)
    menu: dict[str, MenuEntry] = field(default_factory=dict)
    group_inputs: list[GroupInput] = field(default_factory=list)
    free_inputs: list[GroupInput] = field(default_factory=list)

    def command(self, *names: str, private_only: bool = False,
                groups_only: bool = False) -> Callable[[F], F]:
        def wrap(fn: F) -> F:
            for name in names:
                self.commands[name] = CommandRoute(fn, private_only, groups_only)
            return fn

        return wrap

    def on(self, *kinds: type[Action]) -> Callable[[F], F]:
        """Handle presses of these action types: `fn(turn, action)`."""

        def wrap(fn: F) -> F:
            for kind in kinds:
                self.actions[kind] = fn
            return fn

        return wrap

    def flow(self, name: str) -> Callable[[F], F]:
        """Free input (text, photo, location…) of a chat whose session has {"flow": name}:
        `fn(turn, input)`."""

        def wrap(fn: F) -> F:
            self.flows[name] = fn
            return fn

        return wrap

    def deep_link(self, prefix: str) -> Callable[[F], F]:
        """`/start <prefix>` or `/start <prefix>_<arg>`: `fn(turn, arg)`."""

        def wrap(fn: F) -> F:
            self.deep_links[prefix] = fn
            return fn

        return wrap

    def menu_entry(self, key: str) -> Callable[[F], F]:
        """The main menu's `key` entry: `fn(turn)`."""

        def wrap(fn: F) -> F:
            self.menu[key] = fn
            return fn

        return wrap


    def group_input(self, fn: F) -> F:
        """Free input in a group chat (the bot otherwise ignores group chatter): `fn(turn,
        input)` returns True when it took the input (e.g. a reply to a police prompt)."""
        self.group_inputs.append(fn)
        return fn


    def free_input(self, fn: F) -> F:
        """A private message outside any flow, before the frame's "I did not understand":
        `fn(turn, input)` returns True when it took it (e.g. a contest code typed bare)."""
        self.free_inputs.append(fn)
        return fn


class Engine:
    """All routers of the installed features, and the dispatch between them."""

    def __init__(self, routers: Iterable[Router] = ()) -> None:
        self.commands: dict[str, CommandRoute] = {}
        self.actions: dict[type[Action], Handler] = {}
        self.flows: dict[str, Handler] = {}
        self.deep_links: dict[str, DeepLink] = {}
        self.menu: dict[str, MenuEntry] = {}
        self.group_inputs: list[GroupInput] = []
        self.free_inputs: list[GroupInput] = []
        # Called for what no route claims: free input outside a flow, unknown commands.
        self.fallback: Handler | None = None
        for router in routers:
            self.add(router)

    def add(self, router: Router) -> None:
        tables: list[tuple[dict[Any, Any], dict[Any, Any]]] = [
            (self.commands, router.commands),
            (self.actions, router.actions),
            (self.flows, router.flows),
            (self.deep_links, router.deep_links),
            (self.menu, router.menu),
        ]
        for table, new in tables:
            clash = set(table) & set(new)
            if clash:
                raise ValueError(f"router {router.name!r} redefines {sorted(map(str, clash))}")
            table.update(new)
        self.group_inputs.extend(router.group_inputs)
        self.free_inputs.extend(router.free_inputs)

    def find_deep_link(self, payload: str) -> tuple[DeepLink, str] | None:
        if payload in self.deep_links:
            return self.deep_links[payload], ""
        prefix, _, arg = payload.partition("_")
        if prefix in self.deep_links and arg:
            return self.deep_links[prefix], arg
        return None

    async def dispatch(self, turn: Turn, inp: Input) -> bool:
        """Run the handler for `inp`. Returns False when nothing claimed it and no fallback
        ran (the caller decides what that means for its channel)."""
        handler: Handler | None = None
        if isinstance(inp, Command):
            route = self.commands.get(inp.name)
            if route is not None and not (
                (route.private_only and not turn.chat.private)
                or (route.groups_only and turn.chat.private)
            ):
                handler = route.handler
        elif isinstance(inp, Pressed):
            handler = self.actions.get(type(inp.action))
            if handler is not None:
                await handler(turn, inp.action)
                return True
        elif not turn.chat.private:
            for group_handler in self.group_inputs:
                if await group_handler(turn, inp):
                    return True
            return False  # never react to ordinary group chatter
        elif isinstance(inp, Text | Photo | File | Location | Unsupported):
            session = await turn.session() if turn.chat.private else {}
            handler = self.flows.get(str(session.get("flow", "")))
        if handler is not None:
            await handler(turn, inp)
            return True
        if self.fallback is not None:
            await self.fallback(turn, inp)
            return True
        return False
