"""Request validation: the spec (fields, types) plus Telegram's documented limits.

:func:`validate_request` raises :class:`ApiError` with ``violation=True`` for anything the real
Bot API would refuse as malformed (or that breaks the spec). Business errors ("chat not found",
"message is not modified") are raised by the server handlers with ``violation=False``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .markup import EntityParseError, parse_text, strip_text, utf16_len
from .spec import ApiSpec, MethodSpec

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_CALLBACK_ANSWER = 200
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MIN_POLL_OPTIONS = 2
MAX_POLL_OPTIONS = 12
MAX_QUIZ_EXPLANATION = 200
MAX_INLINE_RESULTS = 50

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "guest_message",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
        "managed_bot",
    }
)
_BUTTON_NON_ACTION = {"text", "icon_custom_emoji_id", "style"}
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = False,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters


def bad(description: str) -> ApiError:
    """A 400 that is also a violation."""
    return ApiError(400, f"Bad Request: {description}", violation=True)


@dataclass(slots=True)
class Formatted:
    """Text after entity parsing."""

    text: str
    entities: list[dict[str, Any]]
    source: str
    parse_mode: str | None


@dataclass(slots=True)
class ValidatedRequest:
    method: MethodSpec
    params: dict[str, Any]
    # formatted texts by key: "text", "caption", "question", "explanation", "option:0",
    # "media:0", "result:<id>"
    formatted: dict[str, Formatted] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.method.name


def validate_request(
    spec: ApiSpec, method: MethodSpec, params: dict[str, Any], attachments: Mapping[str, Any]
) -> ValidatedRequest:
    """Validate decoded ``params`` of ``method``; raise :class:`ApiError` on a violation."""
    for k in params:
        if k not in method.fields:
            raise bad(f'unknown parameter "{k}" for method {method.name}')
    for fs in method.fields.values():
        if fs.required and (fs.name not in params or params[fs.name] is None):
            if fs.name == "text":
                raise bad("message text is empty")
            raise bad(f"{fs.name} is empty (required parameter of {method.name})")
    for k, v in params.items():
        err = spec.check_value(v, method.fields[k].types, k)
        if err:
            raise bad(err)
    _check_attach_refs(params, attachments)
    req = ValidatedRequest(method=method, params=params)
    check = _SEMANTIC.get(method.name)
    if "reply_markup" in params:
        check_reply_markup(params["reply_markup"])
    if check is not None:
        check(req)
    return req


def _check_attach_refs(value: Any, attachments: Mapping[str, Any]) -> None:
    if isinstance(value, str):
        if value.startswith("attach://") and value[len("attach://") :] not in attachments:
            raise bad(f"file {value} is not attached to the request (wrong file identifier)")
    elif isinstance(value, Mapping):
        for v in value.values():
            _check_attach_refs(v, attachments)
    elif isinstance(value, list):
        for v in value:
            _check_attach_refs(v, attachments)


# ------------------------------------------------------------------------------ formatted text
def format_text(
    text: str,
    parse_mode: Any,
    entities: Any,
    *,
    limit: int,
    what: str,
    allow_empty: bool = False,
) -> Formatted:
    """Parse text like Telegram; raise violations for bad markup, empty or too long text."""
    if parse_mode is not None and not isinstance(parse_mode, str):
        raise bad("unsupported parse_mode")
    if entities is not None:
        plain, ents = text, list(entities)
    elif parse_mode:
        try:
            plain, ents = parse_text(text, parse_mode)
        except EntityParseError as e:
            raise bad(f"can't parse entities: {e}") from None
        except ValueError:
            raise bad(f"unsupported parse_mode {parse_mode!r}") from None
    else:
        plain, ents = text, []
    plain, ents = strip_text(plain, ents)
    if not plain and not allow_empty:
        raise bad(f"{what} is empty" if what != "text" else "message text is empty")
    length = utf16_len(plain)
    if length > limit:
        if what == "text":
            raise bad(f"message is too long ({length} > {limit} characters after entity parsing)")
        raise bad(f"{what} is too long ({length} > {limit} characters after entity parsing)")
    return Formatted(plain, ents, text, parse_mode if entities is None else None)


def _fmt(
    req: ValidatedRequest,
    key: str,
    mode_key: str,
    ent_key: str,
    *,
    limit: int,
    what: str,
    allow_empty: bool = False,
    store_as: str | None = None,
) -> None:
    p = req.params
    if key not in p:
        return
    req.formatted[store_as or key] = format_text(
        p[key], p.get(mode_key), p.get(ent_key), limit=limit, what=what, allow_empty=allow_empty
    )


# ------------------------------------------------------------------------------ keyboards
def check_reply_markup(markup: Any) -> None:
    if not isinstance(markup, Mapping):
        return
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not rows or not any(rows):
            raise bad("keyboard must not be empty")
        for row in rows:
            for b in row:
                text = b.get("text") if isinstance(b, Mapping) else b
                if not isinstance(text, str) or not text.strip():
                    raise bad("keyboard button text must not be empty")


def check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list):
        return
    total = sum(len(r) for r in rows if isinstance(r, list))
    if total > MAX_BUTTONS:
        raise bad(f"reply markup is too long: {total} buttons > {MAX_BUTTONS}")
    for i, row in enumerate(rows):
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise bad(f"too many buttons in row {i}: {len(row)} > {MAX_BUTTONS_PER_ROW}")
        for b in row:
            text = b.get("text", "")
            if not text.strip():
                raise bad("BUTTON_TEXT_INVALID: inline keyboard button text is empty")
            actions = [k for k in b if k not in _BUTTON_NON_ACTION]
            if not actions:
                raise bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    f"inline keyboard (button {text!r} has no callback_data/url/...)"
                )
            if len(actions) > 1:
                raise bad(
                    f"can't parse inline keyboard button: button {text!r} has more than one "
                    f"action field {actions}"
                )
            if "callback_data" in b:
                data = b["callback_data"]
                size = len(data.encode("utf-8"))
                if size == 0 or size > MAX_CALLBACK_DATA:
                    raise bad(
                        f"BUTTON_DATA_INVALID: callback_data must be 1-{MAX_CALLBACK_DATA} bytes, "
                        f"got {size} bytes for button {text!r}"
                    )
            if "url" in b and not _URL_RE.match(b["url"]):
                raise bad(f"BUTTON_URL_INVALID: {b['url']!r} for button {text!r}")


# ------------------------------------------------------------------------------ per method
def _send_message(req: ValidatedRequest) -> None:
    _fmt(req, "text", "parse_mode", "entities", limit=MAX_TEXT, what="text")


def _edit_text(req: ValidatedRequest) -> None:
    p = req.params
    if "text" not in p and "rich_message" not in p:
        raise bad("message text is empty")
    _fmt(req, "text", "parse_mode", "entities", limit=MAX_TEXT, what="text")
    _check_target(p)


def _check_target(p: Mapping[str, Any]) -> None:
    if "inline_message_id" in p:
        return
    if "chat_id" not in p:
        raise bad("chat_id is empty")
    if "message_id" not in p:
        raise bad("message identifier is not specified")


def _caption(req: ValidatedRequest) -> None:
    _fmt(
        req, "caption", "parse_mode", "caption_entities",
        limit=MAX_CAPTION, what="message caption", allow_empty=True,
    )


def _edit_caption(req: ValidatedRequest) -> None:
    _caption(req)
    _check_target(req.params)


def _edit_markup(req: ValidatedRequest) -> None:
    _check_target(req.params)


def _media_group(req: ValidatedRequest) -> None:
    media = req.params["media"]
    if not 2 <= len(media) <= 10:
        raise bad(f"media group must include 2-10 items, got {len(media)}")
    for i, m in enumerate(media):
        if "caption" in m:
            req.formatted[f"media:{i}"] = format_text(
                m["caption"], m.get("parse_mode"), m.get("caption_entities"),
                limit=MAX_CAPTION, what="message caption", allow_empty=True,
            )


def _poll(req: ValidatedRequest) -> None:
    p = req.params
    _fmt(req, "question", "question_parse_mode", "question_entities",
         limit=MAX_POLL_QUESTION, what="poll question")
    options = p["options"]
    if not MIN_POLL_OPTIONS <= len(options) <= MAX_POLL_OPTIONS:
        raise bad(
            f"poll must have {MIN_POLL_OPTIONS}-{MAX_POLL_OPTIONS} options, got {len(options)}"
        )
    texts = []
    for i, o in enumerate(options):
        f = format_text(o["text"], o.get("text_parse_mode"), o.get("text_entities"),
                        limit=MAX_POLL_OPTION, what=f"poll option {i}")
        req.formatted[f"option:{i}"] = f
        texts.append(f.text)
    if len(set(texts)) != len(texts):
        raise bad("POLL_OPTION_DUPLICATE: poll options must be unique")
    _fmt(req, "explanation", "explanation_parse_mode", "explanation_entities",
         limit=MAX_QUIZ_EXPLANATION, what="quiz explanation", allow_empty=True)
    _fmt(req, "description", "description_parse_mode", "description_entities",
         limit=MAX_TEXT, what="poll description", allow_empty=True)
    ptype = p.get("type", "regular")
    if ptype not in ("regular", "quiz"):
        raise bad(f"wrong poll type {ptype!r}")
    correct = p.get("correct_option_ids")
    if ptype == "quiz":
        if not correct:
            raise bad("correct_option_ids must be specified for quiz polls")
        if any(not 0 <= c < len(options) for c in correct):
            raise bad("correct_option_ids out of range")
        if len(correct) > 1 and not p.get("allows_multiple_answers"):
            raise bad("quiz with several correct options must allow multiple answers")
    elif correct:
        raise bad("correct_option_ids can be specified only for quiz polls")
    if "open_period" in p and "close_date" in p:
        raise bad("open_period and close_date can't be used together")
    if "open_period" in p and not 5 <= p["open_period"] <= 2628000:
        raise bad("open_period must be 5-2628000 seconds")


def _callback_answer(req: ValidatedRequest) -> None:
    text = req.params.get("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad(f"MESSAGE_TOO_LONG: callback answer text is {len(text)} > "
                  f"{MAX_CALLBACK_ANSWER} characters")


def _inline_answer(req: ValidatedRequest) -> None:
    results = req.params["results"]
    if len(results) > MAX_INLINE_RESULTS:
        raise bad(f"RESULTS_TOO_MUCH: {len(results)} results > {MAX_INLINE_RESULTS}")
    seen: set[str] = set()
    for r in results:
        rid = r["id"]
        if not 1 <= len(rid.encode("utf-8")) <= 64:
            raise bad(f"RESULT_ID_INVALID: {rid!r}")
        if rid in seen:
            raise bad(f"RESULT_ID_DUPLICATE: {rid!r}")
        seen.add(rid)
        if "reply_markup" in r:
            check_reply_markup(r["reply_markup"])
        imc = r.get("input_message_content")
        if isinstance(imc, Mapping) and "message_text" in imc:
            req.formatted[f"result:{rid}"] = format_text(
                imc["message_text"], imc.get("parse_mode"), imc.get("entities"),
                limit=MAX_TEXT, what="text",
            )
        if "caption" in r:
            format_text(r["caption"], r.get("parse_mode"), r.get("caption_entities"),
                        limit=MAX_CAPTION, what="message caption", allow_empty=True)


def _commands(req: ValidatedRequest) -> None:
    cmds = req.params["commands"]
    if len(cmds) > 100:
        raise bad(f"too many commands: {len(cmds)} > 100")
    names = set()
    for c in cmds:
        if not _COMMAND_RE.match(c["command"]):
            raise bad(f"BOT_COMMAND_INVALID: {c['command']!r} (1-32 chars, a-z 0-9 _)")
        if not 1 <= len(c["description"]) <= 256:
            raise bad(f"BOT_COMMAND_DESCRIPTION_INVALID for {c['command']!r} (1-256 chars)")
        if c["command"] in names:
            raise bad(f"BOT_COMMAND_DUPLICATE: {c['command']!r}")
        names.add(c["command"])


def _chat_action(req: ValidatedRequest) -> None:
    if req.params["action"] not in CHAT_ACTIONS:
        raise bad(f"wrong parameter action in request: {req.params['action']!r}")


def _location(req: ValidatedRequest) -> None:
    p = req.params
    if not -90 <= p["latitude"] <= 90 or not -180 <= p["longitude"] <= 180:
        raise bad("wrong latitude/longitude")
    if "horizontal_accuracy" in p and not 0 <= p["horizontal_accuracy"] <= 1500:
        raise bad("horizontal_accuracy must be 0-1500")


def _delete_messages(req: ValidatedRequest) -> None:
    if not 1 <= len(req.params["message_ids"]) <= 100:
        raise bad("message_ids must contain 1-100 identifiers")


def _get_updates(req: ValidatedRequest) -> None:
    for u in req.params.get("allowed_updates") or ():
        if u not in UPDATE_TYPES:
            raise bad(f"unknown update type {u!r} in allowed_updates")
    if "timeout" in req.params and req.params["timeout"] < 0:
        raise bad("timeout must be non-negative")


def _copy(req: ValidatedRequest) -> None:
    _caption(req)


def _description(req: ValidatedRequest) -> None:
    d = req.params.get("description")
    if d is not None and len(d) > 512:
        raise bad("description is too long (max 512)")


def _short_description(req: ValidatedRequest) -> None:
    d = req.params.get("short_description")
    if d is not None and len(d) > 120:
        raise bad("short description is too long (max 120)")


_SEMANTIC = {
    "sendMessage": _send_message,
    "editMessageText": _edit_text,
    "editMessageCaption": _edit_caption,
    "editMessageReplyMarkup": _edit_markup,
    "sendPhoto": _caption,
    "sendDocument": _caption,
    "sendVideo": _caption,
    "sendAudio": _caption,
    "sendVoice": _caption,
    "sendAnimation": _caption,
    "copyMessage": _copy,
    "sendMediaGroup": _media_group,
    "sendPoll": _poll,
    "answerCallbackQuery": _callback_answer,
    "answerInlineQuery": _inline_answer,
    "setMyCommands": _commands,
    "sendChatAction": _chat_action,
    "sendLocation": _location,
    "deleteMessages": _delete_messages,
    "getUpdates": _get_updates,
    "setMyDescription": _description,
    "setMyShortDescription": _short_description,
}
