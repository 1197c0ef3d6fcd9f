"""fakegram: an in-process fake Telegram Bot API server plus "act as a user" helpers.

See ``fakegram/README.md``.
"""

from .server import DEFAULT_TOKEN, CommandEntry, FakeBotApi, FloodLimiter, Injection
from .spec import ApiSpec, UploadedFile, load_spec
from .state import BotEvent, RecordedRequest, Violation
from .telegram import FakeTelegram
from .users import BotMessage, Button, CallbackAnswer, FakeGroup, FakeUser, Reply

__all__ = [
    "DEFAULT_TOKEN",
    "ApiSpec",
    "BotEvent",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "CommandEntry",
    "FakeBotApi",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "FloodLimiter",
    "Injection",
    "RecordedRequest",
    "Reply",
    "UploadedFile",
    "Violation",
    "load_spec",
]
