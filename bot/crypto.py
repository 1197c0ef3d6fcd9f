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
    def create(cls, data_dir: Path) -> Keyring:
        """Write a new random key file. Never replaces one: O_EXCL fails if the file exists (also
        when two processes start at once). The file and its folder are fsynced, so a power cut
        right after the first tip cannot leave sealed data without its key."""
        path = data_dir / KEY_FILE
        master = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask cannot widen it, but make the mode explicit
            os.write(fd, master)
            os.fsync(fd)
        finally:
            os.close(fd)
        dir_fd = os.open(data_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return cls(master=master)

    @classmethod
    def load(cls, data_dir: Path) -> Keyring:
        """Read the key file. One that group or others may read is refused, not silently fixed
        (like ssh does): the key may already have been copied, and the operator must know."""
        path = data_dir / KEY_FILE
        try:
            mode = path.stat().st_mode
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError_(f"{path} is missing; restore it from its backup") from None
        except OSError as exc:
            raise KeyError_(f"{path} cannot be read ({exc.strerror})") from None
        if mode & 0o077:
            raise KeyError_(
                f"{path} is readable by other users (mode {mode & 0o777:04o}); check who may "
                f"have copied it, then run: chmod 600 {path}"
            )
        if len(data) != 32:
            raise KeyError_(f"{path} is corrupt (expected 32 bytes); restore it from a backup")
        return cls(master=data)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> Keyring:
        """Load the key file, or create it when there is none (see bot.keycheck for the check
        that a new key is not made for a database sealed with a lost one)."""
        try:
            return cls.create(data_dir)
        except FileExistsError:
            return cls.load(data_dir)

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
