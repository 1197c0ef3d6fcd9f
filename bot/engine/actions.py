"""Typed button actions: one codec packs an action and its fields into a short string and
unpacks and validates it again.

A button carries an `Action` (a frozen dataclass registered under a short prefix), never a
hand-built string. Telegram puts the packed form in callback data (at most 64 bytes), Zalo keeps
it in the chat's sealed numbered-option map, the web in a form field. Whatever comes back is
untrusted: `parse` returns None for anything that is not exactly a registered action with
well-typed fields, and the services still re-check permission and existence.

    class OpenArticle(Action, prefix="learn:a"):
        article: str
        page: int = 1

    OpenArticle("n2o", 2).pack()          # "learn:a:n2o:2"
    parse("learn:a:n2o:2")                # OpenArticle(article="n2o", page=2)

aiogram's `CallbackData` is the model; this one adds no dependency on a messenger library.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, ClassVar, dataclass_transform

MAX_BYTES = 64  # Telegram's callback_data limit; the tightest of the channels
SEP = ":"
# One or two segments ("m", "learn:a"): two keep the callback data of buttons already sitting
# in people's chats valid across the move to typed actions (the second segment may use capitals
# and up to 12 characters for that reason only: "ev:L" and "ev:l" are two older actions, and
# "tip:urgent_ok" is one).
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,11}(:[a-zA-Z0-9_]{1,12})?$")
# A packed str field: no separator, no control characters, not empty.
_STR_RE = re.compile(r"^[^:\x00-\x1f\x7f]{1,64}$")
_INT_RE = re.compile(r"^-?\d{1,19}$")

_REGISTRY: dict[str, type[Action]] = {}


class ActionError(ValueError):
    """An action that cannot be packed (a programming error, raised at build time)."""


@dataclass_transform(frozen_default=True)
class Action:
    """Base of every button action: subclass it with a prefix and typed fields, e.g.
    `class OpenTopic(Action, prefix="learn:t"): topic: str`. The subclass becomes a frozen
    dataclass registered under the prefix."""

    prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[tuple[str, type, bool], ...]] = ()  # name, type, optional

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX_RE.match(prefix):
            raise ActionError(f"bad action prefix {prefix!r}")
        if prefix in _REGISTRY and _REGISTRY[prefix].__qualname__ != cls.__qualname__:
            raise ActionError(f"action prefix {prefix!r} is used twice")
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        cls._fields = tuple(
            (f.name, *_field_type(cls, f.name, hints[f.name]))
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        )
        cls.prefix = prefix
        _REGISTRY[prefix] = cls

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind, optional in self._fields:
            value = getattr(self, name)
            parts.append(_pack_value(type(self), name, kind, optional, value))
        # Trailing empty optionals are dropped, so adding an optional field keeps old data valid.
        while len(parts) > 1 and parts[-1] == "" and self._fields[len(parts) - 2][2]:
            parts.pop()
        packed = SEP.join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ActionError(f"{type(self).__name__} packs to over {MAX_BYTES} bytes: {packed!r}")
        return packed


def parse(data: object) -> Action | None:
    """The action packed in `data`, or None when it is not a valid packed action."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(SEP)
    cls = _REGISTRY.get(SEP.join(parts[:2])) if len(parts) > 1 else None
    if cls is not None:
        values = parts[2:]
    else:
        cls = _REGISTRY.get(parts[0])
        values = parts[1:]
    if cls is None:
        return None
    fields = cls._fields
    required = sum(1 for _n, _k, optional in fields if not optional)
    if not required <= len(values) <= len(fields):
        return None
    kwargs: dict[str, Any] = {}
    for (name, kind, optional), raw in zip(fields, values, strict=False):
        value = _unpack_value(kind, optional, raw)
        if value is _INVALID:
            return None
        kwargs[name] = value
    for name, _kind, optional in fields[len(values):]:
        if optional:
            kwargs[name] = None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):  # a __post_init__ check refused the values
        return None


def registered() -> dict[str, type[Action]]:
    return dict(_REGISTRY)


# -- field types ---------------------------------------------------------------------------
_INVALID = object()


def _field_type(cls: type, name: str, hint: Any) -> tuple[type, bool]:
    optional = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1 or len(typing.get_args(hint)) != 2:
            raise ActionError(f"{cls.__name__}.{name}: only X | None unions are supported")
        hint, optional = args[0], True
    if hint not in (int, str, bool):
        raise ActionError(f"{cls.__name__}.{name}: field type must be int, str or bool")
    return hint, optional


def _pack_value(cls: type, name: str, kind: type, optional: bool, value: Any) -> str:
    if value is None:
        if not optional:
            raise ActionError(f"{cls.__name__}.{name} is None")
        return ""
    if kind is bool:
        return "1" if value else "0"
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ActionError(f"{cls.__name__}.{name} must be an int")
        return str(value)
    text = str(value)
    if not _STR_RE.match(text):
        raise ActionError(f"{cls.__name__}.{name}: {text!r} cannot be packed")
    return text


def _unpack_value(kind: type, optional: bool, raw: str) -> Any:
    if raw == "":
        return None if optional else _INVALID
    if kind is bool:
        return {"1": True, "0": False}.get(raw, _INVALID)
    if kind is int:
        return int(raw) if _INT_RE.match(raw) else _INVALID
    return raw if _STR_RE.match(raw) else _INVALID
