"""Does master.key belong to this database? Checked at every start, by doctor and by db restore.

When the key is made, a fixed text sealed with it is stored in the database (`key_check`). A lost
key file would otherwise be replaced by a new key without a word, leaving every sealed tip, its
messages and stored updates unreadable while the bot looks healthy: the bot refuses to start
instead, naming the file to restore. A key file is never overwritten.

Databases that held tips before the check existed are checked against the newest tip's sealed
body the first time; then the check is recorded. Deleting the row is how an operator accepts a
lost key on purpose (docs/TIPS.md).
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


async def _opens_legacy(db: Database, keyring: Keyring) -> bool:
    from bot.tips import P_BODY

    sample = await repo.legacy_sample(db)
    return sample is None or _opens(keyring, P_BODY, *sample)


async def holds_sealed_data(db: Database) -> bool:
    """Whether the database has sealed data a key must open (see storage/migrations/008)."""
    present, _sealed = await repo.get(db)
    return present


async def key_opens(db: Database, keyring: Keyring) -> bool:
    """Whether `keyring` opens the database's key check (or, for a database from before the
    check, its newest tip). A database with no check is opened by any key."""
    present, sealed = await repo.get(db)
    if not present:
        return True
    if sealed is None:
        return await _opens_legacy(db, keyring)
    try:
        return keyring.open(PURPOSE, sealed) == PLAINTEXT
    except (InvalidTag, ValueError):
        return False


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
    if (await repo.get(db))[1] is None:
        await repo.put(db, seal_check(keyring))
    return keyring
