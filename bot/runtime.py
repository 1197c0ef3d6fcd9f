"""Everything a running bot shares: settings, database, keys, clock and the services.

Built once at start-up (`Runtime.open`, which also builds the typed service container,
bot/services.py) and kept in `application.bot_data["rt"]`; conversations and channels reach
the services through it, services never reach back.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.accounts import AccountService
from bot.clock import Clock
from bot.config import Settings
from bot.crypto import Keyring
from bot.engine.messenger import Messenger
from bot.engine.router import Engine
from bot.instance_lock import InstanceLock
from bot.sessions import SessionStore
from bot.users import UserService
from storage.db import Database

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: Keyring
    clock: Clock
    sessions: SessionStore
    users: UserService
    accounts: AccountService
    bot_username: str = ""
    # The conversations of every installed feature (filled by handlers.install).
    engine: Engine = field(default_factory=Engine)
    # A URL that opens the bot at a deep link ("a_<article>"), filled by the main channel
    # (Telegram: t.me/<bot>?start=...); None while no channel has one.
    start_link: Callable[[str], str | None] = lambda payload: None
    # Every command some channel serves (for /help and command menus).
    commands_available: set[str] = field(default_factory=set)
    # Channels that show per-role menus listen here: fn(user_id, force).
    role_listeners: list[Callable[[int, frozenset[str], bool], Awaitable[None]]] = field(
        default_factory=list)
    # The services (bot/services.py), built once the rest is open.
    services: Services = field(init=False)
    # Channels' chat ports (bot/engine/chat_port.py) and Telegram's published staff menus.
    chat_ports: dict[str, Any] = field(default_factory=dict)
    # Channels running beside Telegram, by name ("zalo"), and their campaign senders
    # (bot/delivery.py ChannelSender factories), by channel name.
    channels: dict[str, Any] = field(default_factory=dict)
    channel_senders: dict[str, Callable[[], Any]] = field(default_factory=dict)
    staff_menus: dict[int, frozenset[str]] = field(default_factory=dict)
    # BOT_DATA_DIR/bot.lock, held while the bot runs (bot.instance_lock).
    lock: InstanceLock | None = None
    # Channels that can show a screen to a person outside a Turn (bot/engine/messenger.py).
    messengers: dict[str, Messenger] = field(default_factory=dict)
    # Called once the channels are up and can send (e.g. re-sending owed contest questions).
    on_started: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        from bot.config import ensure_data_dir
        from bot.keycheck import open_keyring

        ensure_data_dir(settings)
        # Held until close: `db restore` and a second bot on this folder are refused meanwhile.
        lock = InstanceLock(settings.data_dir).acquire()
        try:
            db = await Database(settings.db_path).open()
            try:
                # The key must open the database's sealed data (a lost one is never replaced).
                keyring = await open_keyring(db, settings.data_dir)
                clock = clock or Clock()
                sessions = SessionStore(db, keyring, clock)
                await sessions.resume()  # protected flow state left by a clean shutdown
            except BaseException:
                await db.close()
                raise
        except BaseException:
            lock.release()
            raise
        accounts = AccountService(db)
        if settings.zalo.admin_ids:
            # National admins on Zalo (ZALO_ADMIN_IDS): their account ids join BOT_ADMIN_IDS,
            # so every feature's permission check knows them.
            zalo_admins = {await accounts.user_id("zalo", ext) for ext in settings.zalo.admin_ids}
            settings = dataclasses.replace(settings, admin_ids=settings.admin_ids | {
                uid for uid in zalo_admins if uid is not None})
        users = UserService(db, settings.default_locale)
        users.register_eraser(accounts.erase, last=True)
        runtime = cls(
            lock=lock,
            settings=settings,
            db=db,
            keyring=keyring,
            clock=clock,
            sessions=sessions,
            users=users,
            accounts=accounts,
        )
        from bot.services import build_services

        try:
            runtime.services = build_services(runtime)
        except BaseException:
            await runtime.close()
            raise
        return runtime

    async def roles_changed(self, user_id: int, *, force: bool = True) -> frozenset[str]:
        """A person's staff roles changed (force) or may have (their /start or /help): tell
        the channels that show per-role menus. Returns the roles."""
        from handlers.commands import roles_of

        roles = await roles_of(self, user_id)
        for listener in self.role_listeners:
            await listener(user_id, roles, force)
        return roles

    async def started(self) -> None:
        """The channels are up: run the start-up work features asked for. One failing task
        must not stop the others (nor the bot)."""
        for fn in self.on_started:
            try:
                await fn()
            except Exception as exc:
                log.error("start-up task failed: %s", type(exc).__name__)

    async def close(self) -> None:
        try:
            await self.sessions.suspend()  # keep protected flow state for the next start
        finally:
            await self.db.close()
            if self.lock is not None:
                self.lock.release()
