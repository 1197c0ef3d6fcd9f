"""`FakeTelegram`: the fake Bot API server (`server.FakeBotApi`) plus the people and groups a
test acts as (`users`). Kept apart so that the server never imports the user views and the
views depend on the server only (no import cycle)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .server import FakeBotApi, _admin_rights
from .state import ChatRecord, MemberStatus, UserRecord
from .users import BotMessage, FakeGroup, FakeUser, bot_messages


class FakeTelegram(FakeBotApi):
    """The fake server and its cast: ``tg.user(...)``, ``tg.group(...)``, ``tg.sent_to(...)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._user_views: dict[int, FakeUser] = {}
        self._group_views: dict[int, FakeGroup] = {}

    def user(
        self,
        id: int,
        first_name: str = "User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        is_premium: bool = False,
        started: bool = False,
    ) -> FakeUser:
        """Create (or fetch) a user with a private chat with the bot.

        ``started=False`` means the user has never written to the bot: until they do, the bot
        gets ``403 Forbidden: bot can't initiate conversation with a user``.
        """
        if id in self._user_views:
            return self._user_views[id]
        if id <= 0:
            raise ValueError("user ids are positive")
        rec = UserRecord(
            id=id, first_name=first_name, last_name=last_name, username=username,
            language_code=language_code, is_premium=is_premium, started=started,
        )
        self.users[id] = rec
        self.chats[id] = ChatRecord(
            id=id, type="private", first_name=first_name, last_name=last_name,
            username=username,
        )
        view = FakeUser(self, rec)
        self._user_views[id] = view
        return view

    def group(
        self,
        id: int,
        title: str = "Group",
        *,
        type: str | None = None,
        username: str | None = None,
        bot_status: MemberStatus = "member",
        members: Iterable[FakeUser] = (),
        owner: FakeUser | None = None,
    ) -> FakeGroup:
        """Create (or fetch) a group. ``-100…`` ids default to supergroups.

        The bot is already a member (``bot_status="member"``); pass ``bot_status="left"`` and
        then ``await g.add_bot(by=u)`` to add it the way a user would (``my_chat_member``).
        Users who write in the group join it silently if they are not members yet.
        """
        if id in self._group_views:
            return self._group_views[id]
        if id >= 0:
            raise ValueError("group ids are negative")
        ctype = type or ("supergroup" if str(id).startswith("-100") else "group")
        if ctype not in ("group", "supergroup", "channel"):
            raise ValueError(f"bad chat type {ctype!r}")
        chat = ChatRecord(id=id, type=ctype, title=title, username=username,  # type: ignore[arg-type]
                          bot_status=bot_status)
        if bot_status == "administrator":
            chat.bot_rights = _admin_rights(can_delete_messages=True)
        self.chats[id] = chat
        if owner is not None:
            chat.members[owner.id] = "creator"
        for m in members:
            chat.members.setdefault(m.id, "member")
        view = FakeGroup(self, chat)
        self._group_views[id] = view
        return view

    def sent_to(self, chat: int | FakeUser | FakeGroup) -> list[BotMessage]:
        """Bot messages currently visible in a chat (oldest first, edits applied)."""
        return bot_messages(self, chat if isinstance(chat, int) else chat.id)
