"""People's saved preferences and their erasure. A record exists only once someone saves one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.config import SUPPORTED_LOCALES
from bot.i18n import normalise_locale
from storage import users as repo
from storage.db import Database

Eraser = Callable[[int], Awaitable[None]]


class UserService:
    def __init__(self, db: Database, default_locale: str = "vi") -> None:
        self.db = db
        self.default_locale = default_locale
        # Feature services register what they keep about a user, so /deleteme erases it all.
        self._erasers: list[Eraser] = []
        self._last_erasers: list[Eraser] = []  # after every feature's (accounts: see erase)
        self._locale_cache: dict[int, str | None] = {}

    def register_eraser(self, eraser: Eraser, *, last: bool = False) -> None:
        """`last=True`: run after every other eraser (the accounts, which the features'
        erasers still need to find the person's chats on each channel)."""
        (self._last_erasers if last else self._erasers).append(eraser)

    async def locale(self, user_id: int | None, language_code: str | None) -> str:
        """A saved choice wins; otherwise Telegram's language code; otherwise the default."""
        if user_id is not None:
            if user_id not in self._locale_cache:
                self._locale_cache[user_id] = await repo.get_locale(self.db, user_id)
            saved = self._locale_cache[user_id]
            if saved:
                return saved
        return normalise_locale(language_code, self.default_locale)

    async def set_locale(self, user_id: int, locale: str) -> bool:
        if locale not in SUPPORTED_LOCALES:
            return False
        await repo.set_locale(self.db, user_id, locale)
        self._locale_cache[user_id] = locale
        return True

    async def erase(self, user_id: int) -> None:
        """Delete everything kept about this person: features first, then the user row."""
        for eraser in (*self._erasers, *self._last_erasers):
            await eraser(user_id)
        await repo.delete(self.db, user_id)
        self._locale_cache.pop(user_id, None)
