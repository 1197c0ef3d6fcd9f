"""In-memory state of the fake Telegram: users, chats, messages, files, polls, queries."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]


def now() -> int:
    return int(time.time())


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False
    # private chat with the bot
    started: bool = False  # has the user ever written to the bot (else 403 on first send)
    blocked: bool = False  # user blocked the bot

    def to_api(self) -> JSON:
        d: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        if self.is_premium:
            d["is_premium"] = True
        return d


@dataclass(slots=True)
class StoredMessage:
    """One message in a chat, kept as the Bot API JSON plus bookkeeping."""

    chat_id: int
    message_id: int
    data: JSON
    from_bot: bool
    sent_text: str | None = None  # text/caption exactly as the bot sent it (before parsing)
    parse_mode: str | None = None
    edited: bool = False
    edit_count: int = 0
    deleted: bool = False
    file_ids: list[str] = field(default_factory=list)
    history: list[JSON] = field(default_factory=list)  # previous versions (before edits)


@dataclass(slots=True)
class ChatRecord:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    description: str | None = None
    is_forum: bool = False
    members: dict[int, MemberStatus] = field(default_factory=dict)
    bot_status: MemberStatus = "member"
    bot_rights: JSON = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    reply_keyboard: JSON | None = None  # the ReplyKeyboardMarkup currently shown
    menu_button: JSON | None = None
    # A group upgraded to a supergroup: sends to the old id answer 400 with migrate_to_chat_id.
    migrated_to: int | None = None

    def next_message_id(self) -> int:
        return next(self._ids)

    def to_api(self) -> JSON:
        d: JSON = {"id": self.id, "type": self.type}
        if self.title is not None:
            d["title"] = self.title
        if self.username:
            d["username"] = self.username
        if self.first_name is not None:
            d["first_name"] = self.first_name
        if self.last_name:
            d["last_name"] = self.last_name
        if self.is_forum:
            d["is_forum"] = True
        return d

    def to_full_info(self) -> JSON:
        d = self.to_api()
        d.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        )
        if self.description:
            d["description"] = self.description
        return d


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    url: str | None = None  # when the bot "sent" a URL we could not fetch

    @property
    def size(self) -> int:
        return len(self.data)

    def to_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass(slots=True)
class PollRecord:
    id: str
    chat_id: int
    message_id: int
    data: JSON  # Bot API Poll
    votes: dict[int, list[int]] = field(default_factory=dict)

    def is_closed(self) -> bool:
        if self.data.get("is_closed"):
            return True
        close = self.data.get("close_date")
        if close is not None and now() >= int(close):
            self.data["is_closed"] = True
            return True
        return False

    def recount(self) -> None:
        counts = [0] * len(self.data["options"])
        for ids in self.votes.values():
            for i in ids:
                counts[i] += 1
        for opt, c in zip(self.data["options"], counts, strict=True):
            opt["voter_count"] = c
        self.data["total_voter_count"] = len([v for v in self.votes.values() if v])


@dataclass(slots=True)
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered: bool = False
    answer: JSON | None = None


@dataclass(slots=True)
class InlineQueryRecord:
    id: str
    user_id: int
    query: str
    offset: str = ""
    answered: bool = False
    results: list[JSON] | None = None
    answer: JSON | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A request the real Telegram would refuse (or that breaks the spec)."""

    method: str
    description: str
    params: dict[str, Any]

    def __str__(self) -> str:
        shown = {k: (v if len(repr(v)) < 120 else repr(v)[:117] + "...") for k, v in
                 self.params.items()}
        return f"{self.method}: {self.description} params={shown}"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    params: dict[str, Any]
    status: int
    time: float


@dataclass(slots=True)
class BotEvent:
    """Something the bot did (successfully or not) - used to wait for reactions.

    ``kind`` is one of ``send``, ``edit``, ``delete``, ``callback_answer``, ``inline_answer``,
    ``chat_action``, ``error``, ``other``.
    """

    seq: int
    kind: str
    method: str
    chat_id: int | None = None
    message: StoredMessage | None = None
    message_ids: tuple[int, ...] = ()
    query_id: str | None = None
    status: int = 200
    description: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def new_file_ids(kind: str) -> tuple[str, str]:
    prefix = {"photo": "AgAC", "document": "BQAC", "voice": "AwAC", "video": "BAAC"}.get(
        kind, "CAAC"
    )
    return prefix + secrets.token_urlsafe(24), "AQAD" + secrets.token_urlsafe(8)
