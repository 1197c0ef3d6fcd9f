"""A refusal a person can understand, raised by services and rendered by any channel."""

from __future__ import annotations

from bot.i18n import Translator
from bot.screens import esc


class UserError(Exception):
    """`message` is an English msgid (marked with N_ where raised); params are escaped."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, t: Translator) -> str:
        return t.gettext(self.message).format(**{k: esc(v) for k, v in self.params.items()})
