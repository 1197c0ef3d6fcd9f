"""The chat port on Zalo (bot/engine/chat_port.py): tip cards and what follows them (answers,
photos, reminders, escalation notices) in a ward officer's private Zalo chat.

A destination's key is the officer's account id (what `Units.destinations` returns for an
officer whose account is on Zalo); it is resolved to their Zalo chat here. A card is a message
whose buttons become the chat's numbered list (ZaloChannel.send_screen keeps it in the chat's
sealed session), so the officer's "1" reaches the police conversation (handlers/tip_police.py)
like a press on Telegram, permissions re-checked by the service.

Zalo has no edits, no replies under a message, no locations and no buttons to take back:
`replace` sends the screen anew, `reply_to` is ignored, a place is a map link, and
`remove_buttons` does nothing (the notice that follows says the tip left the unit, and the
service refuses any later choice). Photos go as signed, expiring URLs (media.py); without
BOT_PUBLIC_URL a line says how many there are and where to read them. Message references are
0: nothing on Zalo can be answered under or edited.

Errors: a quota error (429) or an unreachable platform → RetryLater; a chat that cannot be
reached (not found, blocked, no Zalo account) → Undeliverable; any other refusal → Rejected.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.channels.zalo.client import ZaloError, ZaloNetworkError, ZaloRateLimited
from bot.channels.zalo.conversation import CHANNEL, QUOTA_PAUSE
from bot.engine.chat_port import Destination, Rejected, RetryLater, Undeliverable
from bot.engine.conversation import ShowLater, ShowRefused, Unreachable
from bot.i18n import Translator, translator
from bot.screens import Screen

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

NO_REF = 0  # Zalo messages cannot be replied under or edited: no reference is kept


async def _mapped(call: Awaitable[Any]) -> Any:
    """A client call with Zalo's errors as the port's."""
    try:
        return await call
    except (ZaloRateLimited, ZaloNetworkError):
        raise RetryLater(QUOTA_PAUSE) from None
    except ZaloError as exc:
        if exc.code == 403 or "not found" in exc.description.lower():
            raise Undeliverable() from None
        raise Rejected() from None


class ZaloChatPort:
    channel = CHANNEL

    def __init__(self, zalo: ZaloChannel) -> None:
        self.zalo = zalo

    async def _chat(self, to: Destination) -> tuple[str, str]:
        """The officer's Zalo chat id and language."""
        runtime = self.zalo.runtime
        if isinstance(to.key, str):  # already a Zalo chat id (e.g. an officer's own turn)
            account = await runtime.accounts.user_id(CHANNEL, to.key, create=False)
            return to.key, await runtime.users.locale(account, None)
        for channel, external in await runtime.accounts.channels_of(int(to.key)):
            if channel == CHANNEL:
                return external, await runtime.users.locale(int(to.key), None)
        raise Undeliverable()  # the account is not (any more) on Zalo

    async def _show(self, to: Destination, screen: Screen) -> int:
        chat_id, locale = await self._chat(to)
        try:
            # Not patient: the outbox waits out a quota error itself (RetryLater).
            await self.zalo.send_screen(chat_id, screen, locale, patient=False)
        except ShowLater as exc:
            raise RetryLater(exc.retry_after or QUOTA_PAUSE) from None
        except Unreachable:
            raise Undeliverable() from None
        except ShowRefused:
            raise Rejected() from None
        return NO_REF

    async def _text(self, to: Destination, text: str) -> int:
        chat_id, _locale = await self._chat(to)
        await _mapped(self.zalo.client.send_message(chat_id, text))
        return NO_REF

    async def _t(self, to: Destination) -> Translator:
        _chat, locale = await self._chat(to)
        return translator(locale)

    async def send(self, to: Destination, screen: Screen, *, reply_to: Any = None) -> int:
        return await self._show(to, screen)

    async def send_photos(self, to: Destination, photos: list[bytes], *,
                          reply_to: Any = None) -> int:
        chat_id, locale = await self._chat(to)
        if not self.zalo.media.available:
            _ = translator(locale).gettext
            text = _("📷 This tip has {count} photo(s); Zalo cannot show them without the bot's "
                     "public address. Read them in the web console.").format(count=len(photos))
            console = self.zalo.runtime.settings.web.public_url
            if console:
                text += f"\n{console}/officer"
            return await self._text(to, text)
        for data in photos:
            await _mapped(self.zalo.client.send_photo(chat_id, self.zalo.media.publish(data)))
        return NO_REF

    async def send_location(self, to: Destination, latitude: float, longitude: float, *,
                            reply_to: Any = None) -> int:
        _ = (await self._t(to)).gettext
        return await self._text(to, _("📍 Place on the map: {url}").format(
            url=f"https://www.google.com/maps?q={latitude:.6f},{longitude:.6f}"))

    async def replace(self, to: Destination, message: Any, screen: Screen) -> int:
        return await self._show(to, screen)  # no edits on Zalo: the screen anew

    async def remove_buttons(self, to: Destination, message: Any) -> None:
        """Nothing to take back: a Zalo list has no buttons, and the service refuses a number
        that no longer applies (the notice sent next says why)."""
