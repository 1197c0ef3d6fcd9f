"""Accounts: a person on a channel, (channel, external id) -> user id.

Features that keep per-person data (quiz results, subscriptions, roles) key it by user id. A
Telegram account's user id is the Telegram user id itself, so nothing stored before accounts
existed had to move; other channels get ids from 2^53 on. The tip flow never asks for an
account (its abuse limits use a requester key instead, see bot/tips.py).
"""

from __future__ import annotations

from storage import accounts as repo
from storage.accounts import FIRST_ALLOCATED_ID
from storage.db import Database

TELEGRAM = "telegram"


class AccountService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], int] = {}

    async def user_id(self, channel: str, external_id: str, *, create: bool = True) -> int | None:
        key = (channel, external_id)
        if key in self._cache:
            return self._cache[key]
        if channel == TELEGRAM:
            user_id = int(external_id)
            if create:
                await repo.add(self.db, channel, external_id, user_id)
        else:
            found = await repo.find(self.db, channel, external_id)
            if found is None and not create:
                return None
            user_id = found if found is not None else await repo.allocate(
                self.db, channel, external_id
            )
        self._cache[key] = user_id
        return user_id

    async def channels_of(self, user_id: int) -> list[tuple[str, str]]:
        """Where a person can be reached: [(channel, external id)], Telegram ids included even
        when they predate accounts."""
        found = await repo.of_user(self.db, user_id)
        if not found and 0 < user_id < FIRST_ALLOCATED_ID:
            found = [(TELEGRAM, str(user_id))]
        return found

    async def channels_of_many(self, user_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
        """`channels_of` for many people in one query (a page of broadcast recipients)."""
        found: dict[int, list[tuple[str, str]]] = {uid: [] for uid in user_ids}
        for start in range(0, len(user_ids), 500):  # SQLite's parameter limit
            for uid, channel, external in await repo.of_users(self.db, user_ids[start:start + 500]):
                found[uid].append((channel, external))
        for uid, channels in found.items():
            if not channels and 0 < uid < FIRST_ALLOCATED_ID:
                channels.append((TELEGRAM, str(uid)))
        return found

    async def erase(self, user_id: int) -> None:
        await repo.delete_user(self.db, user_id)
        self._cache = {k: v for k, v in self._cache.items() if v != user_id}
