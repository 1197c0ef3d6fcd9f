"""Everything a running bot shares: settings, database, keys, clock and the services.

Built once at start-up and kept in `application.bot_data["rt"]`; handlers reach services
through it, services never reach back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring
from bot.sessions import SessionStore
from bot.users import UserService
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: Keyring
    clock: Clock
    sessions: SessionStore
    users: UserService
    bot_username: str = ""
    # Feature services, by name ("content", "directory", "tips", ...): added by their modules.
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        from bot.config import ensure_data_dir

        ensure_data_dir(settings)
        db = await Database(settings.db_path).open()
        keyring = Keyring.load_or_create(settings.data_dir)
        clock = clock or Clock()
        sessions = SessionStore(db, keyring, clock)
        await sessions.resume()  # protected flow state left by a clean shutdown
        return cls(
            settings=settings,
            db=db,
            keyring=keyring,
            clock=clock,
            sessions=sessions,
            users=UserService(db, settings.default_locale),
        )

    async def close(self) -> None:
        try:
            await self.sessions.suspend()  # keep protected flow state for the next start
        finally:
            await self.db.close()
