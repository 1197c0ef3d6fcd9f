"""Does master.key belong to this database? Checked at every start, by doctor and by db restore.

When the key is made, a fixed text sealed with it is stored in the database (`key_check`). A lost
key file would otherwise be replaced by a new key without a word, leaving every sealed tip, its
messages and stored updates unreadable while the bot looks healthy: the bot refuses to start
instead, naming the file to restore. A key file is never overwritten.

Databases made before the check existed are checked against the sealed value they may already
hold (the newest tip's body) the first time; then the check is recorded.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidTag

from bot.crypto import KEY_FILE, KeyError_, Keyring
from storage import keycheck as repo
from storage.db import Database

PURPOSE = "key-check/v1"
PLAINTEXT = b"Khong Ma Tuy master.key check v1"


def seal_check(keyring: Keyring) -> bytes:
    return keyring.seal(PURPOSE, PLAINTEXT)


def _opens(keyring: Keyring, purpose: str, blob: bytes, aad: bytes = b"") -> bool:
    try:
        keyring.open(purpose, blob, aad=aad)
    except (InvalidTag, ValueError):
        return False
    return True


async def _legacy_samples(db: Database) -> list[tuple[str, bytes, bytes]]:
    from bot.tips import P_BODY

    sample = await repo.legacy_sample(db)
    return [] if sample is None else [(P_BODY, *sample)]


async def holds_sealed_data(db: Database) -> bool:
    """Whether the database has anything a key must open (the check or older sealed values)."""
    return await repo.get(db) is not None or bool(await _legacy_samples(db))


async def key_opens(db: Database, keyring: Keyring) -> bool:
    """Whether `keyring` opens the database's key check (or, before it existed, its sealed
    values). A database with nothing sealed is opened by any key."""
    stored = await repo.get(db)
    if stored is not None:
        try:
            return keyring.open(PURPOSE, stored) == PLAINTEXT
        except (InvalidTag, ValueError):
            return False
    return all(_opens(keyring, purpose, blob, aad) for purpose, blob, aad in await _legacy_samples(db))


def mismatch_message(key_path: Path, db_path: str) -> str:
    return (
        f"{key_path} does not open the data sealed in {db_path}: the key was replaced or belongs "
        "to another installation; put this database's master.key back from its backup"
    )


async def open_keyring(db: Database, data_dir: Path) -> Keyring:
    """The keyring for this database: the existing key file if it opens the sealed data, or a
    new key for a database that holds nothing sealed. Raises KeyError_ with the fix otherwise."""
    key_path = data_dir / KEY_FILE
    if key_path.exists():
        keyring = Keyring.load(data_dir)
        if not await key_opens(db, keyring):
            raise KeyError_(mismatch_message(key_path, db.path))
    elif await holds_sealed_data(db):
        raise KeyError_(
            f"{key_path} is missing but {db.path} holds data sealed with it; restore master.key "
            "from its backup (a new key could not open that data)"
        )
    else:
        keyring = Keyring.load_or_create(data_dir)
    if await repo.get(db) is None:
        await repo.put(db, seal_check(keyring))
    return keyring
