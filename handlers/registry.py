"""Where feature modules plug into the frame: deep links, free-text flows, menu entries.

A feature registers, for example, `deep_link("tip", start_tip)` and `flow("tip", on_tip_input)`;
the frame routes `/start tip` and the person's next messages to it. Keeping the routing here
means the frame never imports a feature and features never import each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from handlers.common import Context

Callback = Callable[[Update, Context], Awaitable[Any]]
DeepLink = Callable[[Update, Context, str], Awaitable[Any]]

_deep_links: dict[str, DeepLink] = {}
_flows: dict[str, Callback] = {}
_menu: dict[str, Callback] = {}
_free_inputs: list[Callable[[Update, Context], Awaitable[bool]]] = []


def deep_link(prefix: str, handler: DeepLink) -> None:
    """`/start <prefix>` or `/start <prefix>_<arg>` calls handler(update, context, arg)."""
    _deep_links[prefix] = handler


def flow(name: str, handler: Callback) -> None:
    """Non-command messages of a chat whose session has {"flow": name} go to handler."""
    _flows[name] = handler


def menu_entry(key: str, handler: Callback) -> None:
    """The main-menu button `m:<key>` calls handler."""
    _menu[key] = handler


def free_input(handler: Callable[[Update, Context], Awaitable[bool]]) -> None:
    """A private message outside any flow: handler returns True when it took it."""
    if handler not in _free_inputs:
        _free_inputs.append(handler)


def free_inputs() -> list[Callable[[Update, Context], Awaitable[bool]]]:
    return list(_free_inputs)


def find_deep_link(payload: str) -> tuple[DeepLink, str] | None:
    if payload in _deep_links:
        return _deep_links[payload], ""
    prefix, _, arg = payload.partition("_")
    if prefix in _deep_links and arg:
        return _deep_links[prefix], arg
    return None


def find_flow(name: str) -> Callback | None:
    return _flows.get(name)


def find_menu(key: str) -> Callback | None:
    return _menu.get(key)
