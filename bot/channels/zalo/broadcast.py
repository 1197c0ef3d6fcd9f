"""Campaign delivery on Zalo: the `ChannelSender` of bot/delivery.py for Zalo accounts.

The campaign engine's pacer keeps the global rate; Zalo publishes no rate limit, so this sender
also keeps to its own, `ZALO_BROADCAST_RATE` messages per second, and maps a 429 (quota) to a
pause of everyone (RETRY) like Telegram's. A campaign photo goes out as a signed, expiring URL
(bot/channels/zalo/media.py); its buttons become the numbered list of that chat, unless the
person is in the middle of a flow (a tip), whose list is left alone: then only link buttons
are shown, and "0"/commands still work.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from bot.channels.zalo.conversation import QUOTA_PAUSE
from bot.delivery import BLOCKED, FAILED, RETRY, SENT, TRANSIENT, OutMessage, SendResult
from bot.engine.conversation import ShowLater, ShowRefused, Unreachable
from bot.screens import Screen

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

CHANNEL = "zalo"


class ZaloSender:
    def __init__(self, channel: ZaloChannel, rate: float) -> None:
        self.channel = channel
        self.interval = 1.0 / rate
        self.quota_pause = QUOTA_PAUSE
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def _pace(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)

    async def send(self, external_id: str, message: OutMessage) -> SendResult:
        await self._pace()
        channel = self.channel
        runtime = channel.runtime
        account = await runtime.accounts.user_id(CHANNEL, external_id, create=False)
        locale = await runtime.users.locale(account, None)
        screen = Screen(message.text, message.buttons,
                        photo=message.photo.data if message.photo is not None else None)
        try:
            await channel.send_screen(external_id, screen, locale, keep_flow_menu=True,
                                      patient=False)
        except ShowLater as exc:
            if exc.retry_after is not None:  # 429: everyone pauses, this one goes again
                return SendResult(RETRY, retry_after=self.quota_pause)
            return SendResult(TRANSIENT, detail="network")
        except Unreachable:
            return SendResult(BLOCKED)
        except ShowRefused:
            return SendResult(FAILED, detail="refused")
        return SendResult(SENT)

    async def close(self) -> None:
        """The channel owns the client."""
