"""A problem found while loading an editable content file (articles, quiz bank, calendar):
where it is and what is wrong, printed as `path:line: message` for the person editing it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    path: str | Path  # articles keep the Path; the quiz bank and the calendar a display string
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
