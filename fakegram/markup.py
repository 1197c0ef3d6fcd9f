"""Telegram's text formatting: HTML / MarkdownV2 / Markdown parsing into ``(text, entities)``.

Offsets and lengths of entities are in UTF-16 code units, as in the Bot API. Parse errors raise
:class:`EntityParseError` whose message is the part after ``"Bad Request: can't parse
entities: "`` in Telegram's answer.

The HTML dialect follows https://core.telegram.org/bots/api#html-style : tags ``b strong i em u
ins s strike del span class="tg-spoiler" tg-spoiler a href code pre blockquote [expandable]
tg-emoji emoji-id tg-time``, the named entities ``&lt; &gt; &amp; &quot;`` and numeric entities.
Unlike the (lenient) real server, a bare ``&`` that does not start a valid entity is rejected:
it almost always means the bot forgot to escape user input.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """Markup that Telegram would refuse with "can't parse entities"."""


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (how Telegram measures offsets)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def utf16_slice(s: str, offset: int, length: int) -> str:
    """Slice ``s`` by UTF-16 offsets."""
    out: list[str] = []
    pos = 0
    end = offset + length
    for ch in s:
        if pos >= end:
            break
        if pos >= offset:
            out.append(ch)
        pos += 2 if ord(ch) > 0xFFFF else 1
    return "".join(out)


def _sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# ---------------------------------------------------------------------------------------- HTML
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = {*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji", "tg-time"}


def _byte_offset(s: str, i: int) -> int:
    return len(s[:i].encode("utf-8"))


def parse_html(s: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-HTML into plain text and entities."""
    out: list[str] = []
    pos16 = 0  # current UTF-16 length of output
    # stack entries: (tag name, utf16 start, entity dict or None)
    stack: list[tuple[str, int, Entity | None]] = []
    entities: list[Entity] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "&":
            m = _ENTITY_RE.match(s, i)
            if m is None:
                raise EntityParseError(
                    f"Unsupported or unescaped '&' at byte offset {_byte_offset(s, i)} "
                    "(use &amp; for a literal ampersand)"
                )
            if m.group(1):
                ch = _NAMED[m.group(1)]
            else:
                code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise EntityParseError(
                        f"Invalid character entity at byte offset {_byte_offset(s, i)}"
                    )
                ch = chr(code)
            out.append(ch)
            pos16 += utf16_len(ch)
            i = m.end()
            continue
        if c == "<":
            begin = i
            if i + 1 < n and s[i + 1] == "/":
                m2 = _TAG_NAME_RE.match(s, i + 2)
                assert m2 is not None
                name = m2.group(0).lower()
                j = m2.end()
                while j < n and s[j] in " \t\n\r":
                    j += 1
                if j >= n or s[j] != ">":
                    raise EntityParseError(
                        f"Can't find end tag corresponding to start tag at byte offset "
                        f"{_byte_offset(s, begin)}"
                    )
                if not stack:
                    raise EntityParseError(
                        f'Unexpected end tag "</{name}>" at byte offset {_byte_offset(s, begin)}'
                    )
                open_name, start16, ent = stack.pop()
                if name and name != open_name:
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {_byte_offset(s, begin)}, expected '
                        f'"</{open_name}>", found "</{name}>"'
                    )
                if ent is not None and pos16 > start16:
                    ent["offset"] = start16
                    ent["length"] = pos16 - start16
                    entities.append(ent)
                i = j + 1
                continue
            m2 = _TAG_NAME_RE.match(s, i + 1)
            assert m2 is not None
            name = m2.group(0).lower()
            if not name:
                raise EntityParseError(
                    f'Unsupported start tag "" at byte offset {_byte_offset(s, begin)} '
                    "(escape a literal '<' as &lt;)"
                )
            j = m2.end()
            attrs: dict[str, str] = {}
            while True:
                while j < n and s[j] in " \t\n\r":
                    j += 1
                if j >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{name}" at byte offset {_byte_offset(s, begin)}'
                    )
                if s[j] == ">":
                    j += 1
                    break
                if s[j] == "/" and j + 1 < n and s[j + 1] == ">":
                    raise EntityParseError(
                        f'Self-closing tag "{name}" at byte offset {_byte_offset(s, begin)} '
                        "is not supported"
                    )
                am = _ATTR_NAME_RE.match(s, j)
                if am is None:
                    raise EntityParseError(
                        f'Can\'t parse attributes of tag "{name}" at byte offset '
                        f"{_byte_offset(s, begin)}"
                    )
                aname = am.group(0).lower()
                j = am.end()
                while j < n and s[j] in " \t\n\r":
                    j += 1
                value = ""
                if j < n and s[j] == "=":
                    j += 1
                    while j < n and s[j] in " \t\n\r":
                        j += 1
                    if j < n and s[j] in "\"'":
                        q = s[j]
                        k = s.find(q, j + 1)
                        if k < 0:
                            raise EntityParseError(
                                f"Unclosed end of attribute value at byte offset "
                                f"{_byte_offset(s, j)}"
                            )
                        value = _html.unescape(s[j + 1 : k])
                        j = k + 1
                    else:
                        k = j
                        while k < n and s[k] not in " \t\n\r>":
                            k += 1
                        value = _html.unescape(s[j:k])
                        j = k
                attrs[aname] = value
            if name not in _SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(s, begin)}'
                )
            ent = _html_entity(name, attrs, stack, s, begin)
            stack.append((name, pos16, ent))
            i = j
            continue
        if c == ">":
            # real Telegram tolerates a bare ">" - keep it as text
            pass
        out.append(c)
        pos16 += 2 if ord(c) > 0xFFFF else 1
        i += 1
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        )
    text = "".join(out)
    entities = _merge_pre_code(entities)
    return text, _sort_entities(entities)


def _html_entity(
    name: str,
    attrs: Mapping[str, str],
    stack: Sequence[tuple[str, int, Entity | None]],
    s: str,
    begin: int,
) -> Entity | None:
    if name in _SIMPLE_TAGS:
        ent: Entity = {"type": _SIMPLE_TAGS[name]}
        if name == "code" and attrs.get("class", "").startswith("language-"):
            ent["_language"] = attrs["class"][len("language-") :]
        return ent
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(s, begin)}'
            )
        return {"type": "spoiler"}
    if name == "a":
        href = attrs.get("href", "").strip()
        if not href:
            return None  # Telegram drops links without a URL
        m = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if m:
            return {"type": "text_mention", "user": {"id": int(m.group(1)), "is_bot": False,
                                                     "first_name": ""}}
        return {"type": "text_link", "url": href}
    if name == "blockquote":
        if any(n == "blockquote" for n, _, _ in stack):
            raise EntityParseError("Nested blockquotes are not supported")
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if name == "tg-emoji":
        eid = attrs.get("emoji-id", "")
        if not eid:
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{_byte_offset(s, begin)}"
            )
        return {"type": "custom_emoji", "custom_emoji_id": eid}
    if name == "tg-time":
        unix = attrs.get("unix", "")
        if not unix.isdigit():
            raise EntityParseError(
                f'Tag "tg-time" must have a numeric attribute "unix" at byte offset '
                f"{_byte_offset(s, begin)}"
            )
        ent = {"type": "date_time", "unix_time": int(unix)}
        if attrs.get("format"):
            ent["date_time_format"] = attrs["format"]
        return ent
    return None  # pragma: no cover


def _merge_pre_code(entities: list[Entity]) -> list[Entity]:
    """``<pre><code class="language-x">`` becomes one ``pre`` entity with a language."""
    result: list[Entity] = []
    pres = [e for e in entities if e["type"] == "pre"]
    for e in entities:
        lang = e.pop("_language", None)
        if e["type"] == "code":
            outer = next(
                (p for p in pres if p["offset"] == e["offset"] and p["length"] == e["length"]),
                None,
            )
            if outer is not None:
                if lang:
                    outer["language"] = lang
                continue
        result.append(e)
    return result


# ---------------------------------------------------------------------------------- MarkdownV2
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_MDV2_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def parse_markdown_v2(s: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 (https://core.telegram.org/bots/api#markdownv2-style)."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 start, byte offset)
    entities: list[Entity] = []
    quote_start: int | None = None
    i = 0
    n = len(s)

    def emit(text: str) -> None:
        nonlocal pos16
        out.append(text)
        pos16 += utf16_len(text)

    while i < n:
        c = s[i]
        at_line_start = i == 0 or s[i - 1] == "\n"
        if at_line_start and quote_start is not None and c != ">":
            # blockquote ends before this line (exclude the newline)
            end = pos16 - 1
            if end > quote_start:
                entities.append({"type": "blockquote", "offset": quote_start,
                                 "length": end - quote_start})
            quote_start = None
        if c == "\\" and i + 1 < n and 0 < ord(s[i + 1]) < 127:
            emit(s[i + 1])
            i += 2
            continue
        if c == ">" and at_line_start:
            if quote_start is None:
                quote_start = pos16
            i += 1
            continue
        if c == "`":
            byte = _byte_offset(s, i)
            if s.startswith("```", i):
                j = i + 3
                nl = s.find("\n", j)
                close = _find_unescaped(s, "```", j)
                if close < 0:
                    raise EntityParseError(f"Can't find end of Pre entity at byte offset {byte}")
                lang = ""
                if 0 <= nl < close:
                    first = s[j:nl]
                    if first and not any(ch.isspace() for ch in first):
                        lang = first
                        j = nl + 1
                content = _unescape_code(s[j:close])
                start = pos16
                emit(content)
                if pos16 > start:
                    ent: Entity = {"type": "pre", "offset": start, "length": pos16 - start}
                    if lang:
                        ent["language"] = lang
                    entities.append(ent)
                i = close + 3
                continue
            close = _find_unescaped(s, "`", i + 1)
            if close < 0:
                raise EntityParseError(f"Can't find end of Code entity at byte offset {byte}")
            start = pos16
            emit(_unescape_code(s[i + 1 : close]))
            if pos16 > start:
                entities.append({"type": "code", "offset": start, "length": pos16 - start})
            i = close + 1
            continue
        marker: str | None = None
        if c == "_":
            marker = "__" if s.startswith("__", i) else "_"
        elif c == "|":
            if s.startswith("||", i):
                marker = "||"
        elif c in "*~":
            marker = c
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _b = stack.pop()
                if pos16 > start:
                    entities.append(
                        {"type": _MDV2_TYPES[marker], "offset": start, "length": pos16 - start}
                    )
            else:
                stack.append((marker, pos16, _byte_offset(s, i)))
            i += len(marker)
            continue
        if c == "[":
            stack.append(("[", pos16, _byte_offset(s, i)))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _, start, byte = stack.pop()
            if i + 1 < n and s[i + 1] == "(":
                close = _find_unescaped(s, ")", i + 2)
                if close < 0:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(s, i + 1)}"
                    )
                url = re.sub(r"\\(.)", r"\1", s[i + 2 : close])
                i = close + 1
            else:
                url = utf16_slice("".join(out), start, pos16 - start)
                i += 1
            if pos16 > start and url:
                entities.append(
                    {"type": "text_link", "offset": start, "length": pos16 - start, "url": url}
                )
            continue
        if c in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(c)
        i += 1
    if quote_start is not None and pos16 > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start,
                         "length": pos16 - quote_start})
    if stack:
        marker, _, byte = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[marker]} entity at byte offset {byte}"
        )
    return "".join(out), _sort_entities(entities)


def _find_unescaped(s: str, needle: str, start: int) -> int:
    i = start
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s.startswith(needle, i):
            return i
        i += 1
    return -1


def _unescape_code(s: str) -> str:
    return re.sub(r"\\([`\\])", r"\1", s)


# ------------------------------------------------------------------------------ Markdown (legacy)
def parse_markdown(s: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (``*bold* _italic_ `code` ```pre``` [text](url)``)."""
    out: list[str] = []
    pos16 = 0
    entities: list[Entity] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in "_*`[":
            out.append(s[i + 1])
            pos16 += 1
            i += 2
            continue
        if c in "*_`[":
            byte = _byte_offset(s, i)
            if c == "`" and s.startswith("```", i):
                close = s.find("```", i + 3)
                if close < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {byte}"
                    )
                content = s[i + 3 : close]
                lang = ""
                nl = content.find("\n")
                if nl > 0 and not any(ch.isspace() for ch in content[:nl]):
                    lang, content = content[:nl], content[nl + 1 :]
                ent: Entity = {"type": "pre", "offset": pos16, "length": utf16_len(content)}
                if lang:
                    ent["language"] = lang
                if content:
                    entities.append(ent)
                out.append(content)
                pos16 += utf16_len(content)
                i = close + 3
                continue
            end_char = "]" if c == "[" else c
            close = s.find(end_char, i + 1)
            if close < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {byte}"
                )
            content = s[i + 1 : close]
            j = close + 1
            ent = {"offset": pos16, "length": utf16_len(content)}
            if c == "[":
                if j < n and s[j] == "(":
                    uclose = s.find(")", j + 1)
                    if uclose < 0:
                        raise EntityParseError(
                            f"Can't find end of the entity starting at byte offset {byte}"
                        )
                    ent.update(type="text_link", url=s[j + 1 : uclose])
                    j = uclose + 1
                else:
                    ent.update(type="text_link", url=content)
            else:
                ent["type"] = {"*": "bold", "_": "italic", "`": "code"}[c]
            if content:
                entities.append(ent)
            out.append(content)
            pos16 += utf16_len(content)
            i = j
            continue
        out.append(c)
        pos16 += 2 if ord(c) > 0xFFFF else 1
        i += 1
    return "".join(out), _sort_entities(entities)


# ------------------------------------------------------------------------------------ helpers
def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Parse ``text`` according to ``parse_mode`` (case-insensitive; ``None`` = plain)."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace like Telegram does, shifting/clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[Entity] = []
    for e in entities:
        start = max(e["offset"] - left, 0)
        end = min(e["offset"] + e["length"] - left, total)
        if end > start:
            result.append({**e, "offset": start, "length": end - start})
    return stripped, result


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("url", re.compile(r"(?<![\w@])https?://[^\s<>]+")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+\w")),
)


def auto_entities(text: str) -> list[Entity]:
    """Entities the Telegram client/server detects in a user's plain text message."""
    found: list[tuple[int, int, str]] = []
    for etype, pat in _AUTO_PATTERNS:
        for m in pat.finditer(text):
            a, b = m.span()
            if any(not (b <= x or a >= y) for x, y, _ in found):
                continue
            found.append((a, b, etype))
    ents = [
        {"type": t, "offset": utf16_len(text[:a]), "length": utf16_len(text[a:b])}
        for a, b, t in found
    ]
    return _sort_entities(ents)


_HTML_OPEN = {
    "bold": "<b>",
    "italic": "<i>",
    "underline": "<u>",
    "strikethrough": "<s>",
    "spoiler": "<tg-spoiler>",
    "code": "<code>",
    "blockquote": "<blockquote>",
    "expandable_blockquote": "<blockquote expandable>",
}
_HTML_CLOSE = {
    "bold": "</b>",
    "italic": "</i>",
    "underline": "</u>",
    "strikethrough": "</s>",
    "spoiler": "</tg-spoiler>",
    "code": "</code>",
    "blockquote": "</blockquote>",
    "expandable_blockquote": "</blockquote>",
}


def entities_to_html(text: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """Render ``text`` + formatting entities back to Telegram-HTML."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for e in sorted(entities, key=lambda e: (e["offset"], -e["length"])):
        t = e["type"]
        if t == "text_link":
            o, c = f'<a href="{_html.escape(str(e.get("url", "")))}">', "</a>"
        elif t == "text_mention":
            o, c = f'<a href="tg://user?id={e.get("user", {}).get("id")}">', "</a>"
        elif t == "pre":
            lang = e.get("language")
            o = f'<pre><code class="language-{_html.escape(lang)}">' if lang else "<pre>"
            c = "</code></pre>" if lang else "</pre>"
        elif t == "custom_emoji":
            o, c = f'<tg-emoji emoji-id="{_html.escape(str(e.get("custom_emoji_id")))}">', (
                "</tg-emoji>"
            )
        elif t in _HTML_OPEN:
            o, c = _HTML_OPEN[t], _HTML_CLOSE[t]
        else:
            continue
        opens.setdefault(e["offset"], []).append(o)
        closes.setdefault(e["offset"] + e["length"], []).insert(0, c)
    out: list[str] = []
    pos = 0
    for ch in text:
        out.extend(closes.get(pos, ()))
        out.extend(opens.get(pos, ()))
        out.append(_html.escape(ch, quote=False))
        pos += 2 if ord(ch) > 0xFFFF else 1
    out.extend(closes.get(pos, ()))
    return "".join(out)
