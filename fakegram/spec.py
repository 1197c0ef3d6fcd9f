"""The official Bot API spec (``tests/data/telegram-bot-api/api.json``) as a validator.

The spec file has the shape ``{"methods": {name: {"fields": [...], "returns": [...]}},
"types": {name: {"fields": [...], "subtypes": [...]}}}``; each field has ``name``, ``types``
(e.g. ``["Integer", "String"]`` or ``["Array of InlineKeyboardButton"]``) and ``required``.

:class:`ApiSpec` answers two questions:

* how to decode a form/multipart value (everything arrives as a string there; non-string
  values are JSON-encoded, exactly like python-telegram-bot sends them), and
* whether a decoded value matches the declared types, recursively through objects, arrays and
  union types (``InlineQueryResult``, ``BotCommandScope`` ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "telegram-bot-api" / "api.json"
)

_ARRAY = "Array of "
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always)\s+[\"“]?([A-Za-z0-9_]+)")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (an ``InputFile`` upload)."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:  # keep recorded params readable
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(slots=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...] = ()
    # (field name, literal value) for members of a union, e.g. ("type", "article")
    discriminator: tuple[str, str] | None = None


@dataclass(slots=True)
class _Ctx:
    allow_unknown: bool = False
    depth: int = 0
    errors: list[str] = field(default_factory=list)


class ApiSpec:
    """Loaded Bot API spec with type checking helpers."""

    def __init__(self, path: str | Path | None = None) -> None:
        p = Path(path) if path is not None else DEFAULT_SPEC_PATH
        raw = json.loads(p.read_text(encoding="utf-8"))
        self.version: str = str(raw.get("version", "?"))
        self.methods: dict[str, MethodSpec] = {}
        self._methods_lower: dict[str, str] = {}
        for name, m in raw["methods"].items():
            self.methods[name] = MethodSpec(
                name=name,
                fields={f["name"]: _field(f) for f in m.get("fields", [])},
                returns=tuple(m.get("returns", [])),
            )
            self._methods_lower[name.lower()] = name
        self.types: dict[str, TypeSpec] = {}
        for name, t in raw["types"].items():
            fields = {f["name"]: _field(f) for f in t.get("fields", [])}
            self.types[name] = TypeSpec(
                name=name, fields=fields, subtypes=tuple(t.get("subtypes", []))
            )
        for ts in self.types.values():
            for sub in ts.subtypes:
                st = self.types.get(sub)
                if st is None or st.discriminator is not None:
                    continue
                for fname in ("type", "status", "source"):
                    f = st.fields.get(fname)
                    if f is not None and f.types == ("String",):
                        m = _DISCRIMINATOR_RE.search(f.description)
                        if m:
                            st.discriminator = (fname, m.group(1))
                        break

    # ------------------------------------------------------------------ lookup
    def resolve_method(self, name: str) -> MethodSpec | None:
        """Method names are case-insensitive in the Bot API."""
        canonical = self._methods_lower.get(name.lower())
        return self.methods[canonical] if canonical else None

    # ------------------------------------------------------------------ decoding
    def decode_form_value(self, fs: FieldSpec, raw: str) -> tuple[Any, str | None]:
        """Decode a string parameter from a form/multipart/query body by its declared types.

        Returns ``(value, error)``.
        """
        types = fs.types
        if all(t in ("String", "InputFile") for t in types):
            return raw, None
        s = raw.strip()
        if "Integer" in types and re.fullmatch(r"-?\d+", s):
            return int(s), None
        if "Boolean" in types:
            low = s.lower()
            if low in ("true", "1"):
                return True, None
            if low in ("false", "0"):
                return False, None
        needs_json = any(t not in ("String", "Integer", "InputFile") for t in types)
        if needs_json:
            try:
                return json.loads(raw), None
            except ValueError:
                if "String" in types:
                    return raw, None
                return raw, f"can't parse {fs.name} JSON object"
        return raw, None

    # ------------------------------------------------------------------ checking
    def check_value(
        self, value: Any, types: Sequence[str], path: str, *, allow_unknown: bool = False
    ) -> str | None:
        """Return an error message if ``value`` matches none of ``types``."""
        return self._check_union(value, tuple(types), path, _Ctx(allow_unknown=allow_unknown))

    def check_object(
        self, type_name: str, obj: Any, path: str | None = None, *, allow_unknown: bool = False
    ) -> str | None:
        """Check a JSON object against a spec type (also used to self-check server output)."""
        return self._check_one(obj, type_name, path or type_name, _Ctx(allow_unknown=allow_unknown))

    def _check_union(self, value: Any, types: tuple[str, ...], path: str, ctx: _Ctx) -> str | None:
        if len(types) == 1:
            return self._check_one(value, types[0], path, ctx)
        errors: list[tuple[int, str]] = []
        for t in types:
            err = self._check_one(value, t, path, ctx)
            if err is None:
                return None
            errors.append((_kind_score(value, t), err))
        # report the error of the candidate whose basic kind matches best
        errors.sort(key=lambda e: -e[0])
        if errors[0][0] > 0:
            return errors[0][1]
        return f"{path} must be {' or '.join(types)}, got {_kind(value)}"

    def _check_one(self, value: Any, t: str, path: str, ctx: _Ctx) -> str | None:
        if t.startswith(_ARRAY):
            if not isinstance(value, list):
                return f"{path} must be an Array, got {_kind(value)}"
            inner = t[len(_ARRAY) :]
            for i, item in enumerate(value):
                err = self._check_one(item, inner, f"{path}[{i}]", ctx)
                if err:
                    return err
            return None
        if t == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else f"{path} must be Integer, got {_kind(value)}"
        if t == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return None if ok else f"{path} must be Float, got {_kind(value)}"
        if t == "Boolean":
            return None if isinstance(value, bool) else f"{path} must be Boolean, got {_kind(value)}"
        if t == "True":
            return None if value is True else f"{path} must be True, got {value!r}"
        if t == "String":
            return None if isinstance(value, str) else f"{path} must be String, got {_kind(value)}"
        if t == "InputFile":
            ok = isinstance(value, UploadedFile)
            return None if ok else f"{path} must be an uploaded file, got {_kind(value)}"
        ts = self.types.get(t)
        if ts is None:  # unknown type name in the spec: accept anything
            return None
        if ts.subtypes:
            return self._check_subtypes(value, ts, path, ctx)
        if not isinstance(value, Mapping):
            return f"{path} must be an object of type {t}, got {_kind(value)}"
        if ctx.depth > 40:
            return None
        ctx.depth += 1
        try:
            for fname, fs in ts.fields.items():
                if fname not in value:
                    if fs.required:
                        return f"{path}: required field {fname!r} of {t} is missing"
                    continue
                err = self._check_union(value[fname], fs.types, f"{path}.{fname}", ctx)
                if err:
                    return err
            if not ctx.allow_unknown:
                for k in value:
                    if k not in ts.fields:
                        return f"{path}: unknown field {k!r} for type {t}"
            if ts.discriminator is not None:
                dname, dval = ts.discriminator
                if value.get(dname) != dval:
                    return f"{path}.{dname} must be {dval!r} for {t}"
        finally:
            ctx.depth -= 1
        return None

    def _check_subtypes(self, value: Any, ts: TypeSpec, path: str, ctx: _Ctx) -> str | None:
        candidates: list[str] = []
        plain: list[str] = []
        for sub in ts.subtypes:
            st = self.types.get(sub)
            if st is None:
                plain.append(sub)  # e.g. "String" member of RichText
                continue
            if st.discriminator is None:
                candidates.append(sub)
            elif isinstance(value, Mapping) and value.get(st.discriminator[0]) == st.discriminator[1]:
                candidates.insert(0, sub)
        if plain:
            for p in plain:
                if self._check_one(value, p, path, ctx) is None:
                    return None
        if not candidates:
            if isinstance(value, Mapping):
                disc = {
                    self.types[s].discriminator for s in ts.subtypes if s in self.types
                } - {None}
                names = sorted({d[0] for d in disc if d})
                shown = ", ".join(f"{n}={value.get(n)!r}" for n in names)
                return f"{path}: can't parse {ts.name} ({shown or 'no matching variant'})"
            return f"{path} must be an object of type {ts.name}, got {_kind(value)}"
        first_err: str | None = None
        for sub in candidates:
            err = self._check_one(value, sub, path, ctx)
            if err is None:
                return None
            first_err = first_err or err
        return first_err


def _field(f: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=f["name"],
        types=tuple(f.get("types", [])),
        required=bool(f.get("required", False)),
        description=str(f.get("description", "")),
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, Mapping):
        return "Object"
    if isinstance(value, UploadedFile):
        return "InputFile"
    if value is None:
        return "null"
    return type(value).__name__


def _kind_score(value: Any, t: str) -> int:
    k = _kind(value)
    if t.startswith(_ARRAY):
        return 2 if k == "Array" else 0
    if t in ("Integer", "Float", "Boolean", "String", "True"):
        return 2 if k == t or (t == "True" and k == "Boolean") else 0
    if t == "InputFile":
        return 2 if k == "InputFile" else 0
    return 1 if k == "Object" else 0


@lru_cache(maxsize=8)
def load_spec(path: str | None = None) -> ApiSpec:
    """Load (and cache) the spec; ``None`` means the repo's default copy."""
    return ApiSpec(path)
