"""One process at a time on a data directory: the running bot holds `BOT_DATA_DIR/bot.lock`.

An exclusive `flock` on the file, taken when the bot starts and released when it stops; the
kernel drops it when the process dies, so a crash leaves no stale lock to clean up. The file
holds the holder's pid for the message. `db restore` takes the same lock, so it cannot replace
the database under a running bot, and a second bot on the same folder refuses to start.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.config import ConfigError

LOCK_FILE = "bot.lock"


class InUse(ConfigError):
    """Another process holds the data directory."""


class InstanceLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise InUse(
                f"the bot is running on {self.path.parent} (pid {holder}, holds {self.path}); "
                "stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        # The file stays: removing it would let a second process lock a new file while a third
        # still holds the old one.
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
