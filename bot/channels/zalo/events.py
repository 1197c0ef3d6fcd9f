"""Zalo updates as plain, validated values, with the sender's display name dropped.

Zalo sends `display_name` with every event; it is never read into `ZaloEvent`, so it cannot be
logged, stored or shown anywhere past this boundary. Ids are opaque strings; anything that does
not look like an update is None (a webhook body is untrusted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"  # protected users, files, locations, videos
_EVENT_RE = re.compile(r"^[a-z][a-z._]{0,63}$")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TEXT = 4000  # longer texts are cut (Zalo's own limit is 2,000)


@dataclass(frozen=True)
class ZaloEvent:
    event_name: str
    message_id: str
    chat_id: str
    user_id: str
    private: bool
    text: str = ""
    photo_url: str = ""
    caption: str = ""

    def to_update(self) -> dict[str, Any]:
        """The update again, as Zalo's JSON, with only what was kept (no display name): what
        the inbox stores until the update is handled."""
        message: dict[str, Any] = {
            "from": {"id": self.user_id},
            "chat": {"id": self.chat_id, "chat_type": "PRIVATE" if self.private else "GROUP"},
            "message_id": self.message_id,
        }
        for name, value in (("text", self.text), ("photo_url", self.photo_url),
                            ("caption", self.caption)):
            if value:
                message[name] = value
        return {"event_name": self.event_name, "message": message}

    @property
    def dedup_key(self) -> str:
        """Zalo may deliver an update twice (a webhook retry): event + message id names it."""
        return f"{self.event_name}:{self.message_id}"


def unwrap(body: object) -> dict[str, Any] | None:
    """The update in a webhook body or getUpdates result: the documented wrapped form
    `{"ok": true, "result": {...}}` and the bare `{...}` reported from live deliveries [?]."""
    if not isinstance(body, dict):
        return None
    if "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    return body if isinstance(body, dict) else None


def parse_event(raw: object) -> ZaloEvent | None:
    update = unwrap(raw)
    if update is None:
        return None
    name = update.get("event_name")
    message = update.get("message")
    if not isinstance(name, str) or not _EVENT_RE.match(name) or not isinstance(message, dict):
        return None
    sender: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    chat: dict[str, Any] = message["chat"] if isinstance(message.get("chat"), dict) else {}
    message_id = _id(message.get("message_id"))
    chat_id = _id(chat.get("id")) or _id(sender.get("id"))
    user_id = _id(sender.get("id")) or chat_id
    if not message_id or not chat_id or not user_id:
        return None
    if sender.get("is_bot") is True:
        return None  # never answer a bot (our own echoes in a group included)
    chat_type = str(chat.get("chat_type", "PRIVATE")).upper()
    text = message.get("text")
    caption = message.get("caption")
    # Docs say `photo_url`, some copies `photo` [?]: read both.
    photo = message.get("photo_url") or message.get("photo") or ""
    return ZaloEvent(
        event_name=name,
        message_id=message_id,
        chat_id=chat_id,
        user_id=user_id,
        private=chat_type != "GROUP",
        text=text[:MAX_TEXT] if isinstance(text, str) else "",
        photo_url=photo if isinstance(photo, str) and len(photo) <= 2048 else "",
        caption=caption[:MAX_TEXT] if isinstance(caption, str) else "",
    )


def _id(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ID_RE.match(value) else ""
