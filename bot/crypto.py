"""All cryptography of the bot in one place (GlobaLeaks keeps it so too).

One random master key lives in BOT_DATA_DIR/master.key (0600). Purpose-bound subkeys are derived
from it with HKDF, so a sealed tip can never be opened as, say, a session. Losing the key file
makes every sealed value (tips, drafts, opted-in chat ids) unreadable: back it up with the
database, and keep the backups apart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE = "master.key"
_NONCE = 12


class KeyError_(Exception):
    """The key file is unreadable or corrupt."""


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master
    )


@dataclass
class Keyring:
    master: bytes
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> Keyring:
        path = data_dir / KEY_FILE
        if not path.exists():
            # O_EXCL: two processes starting at once must not both write a key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(32))
        data = path.read_bytes()
        if len(data) != 32:
            raise KeyError_(f"{path} is corrupt (expected 32 bytes); restore it from a backup")
        return cls(master=data)

    @classmethod
    def ephemeral(cls) -> Keyring:
        return cls(master=secrets.token_bytes(32))

    def key(self, purpose: str) -> bytes:
        if purpose not in self._cache:
            self._cache[purpose] = _derive(self.master, purpose)
        return self._cache[purpose]

    def seal(self, purpose: str, plaintext: bytes, *, aad: bytes = b"") -> bytes:
        """Encrypt and authenticate with AES-256-GCM; the nonce is prepended."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self.key(purpose)).encrypt(nonce, plaintext, aad or None)

    def open(self, purpose: str, blob: bytes, *, aad: bytes = b"") -> bytes:
        return AESGCM(self.key(purpose)).decrypt(blob[:_NONCE], blob[_NONCE:], aad or None)

    def pseudonym(self, purpose: str, value: str | int, *, extra_key: bytes = b"") -> bytes:
        """A keyed, one-way name for a value (HMAC-SHA256): useless without the key."""
        key = self.key(purpose) + extra_key
        return hmac.new(key, str(value).encode(), hashlib.sha256).digest()


def random_digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def random_code(n: int, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") -> str:
    """Human-typable random code without look-alike characters (0/O, 1/I)."""
    return "".join(secrets.choice(alphabet) for _ in range(n))
