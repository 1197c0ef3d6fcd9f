"""Anonymous tips, the police side: the durable delivery worker's Telegram sender, card
buttons (acknowledge, ask, thread, transfer, close), /ask, /transfer, /tipaudit and the jobs
(/tipstats lives in handlers/stats.py).

Thin: every permission is re-checked in bot.tip_police. Never logs message text or ids.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import ForceReply, InputMediaPhoto, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import directory
from bot.i18n import Translator
from bot.jobs import job
from bot.rate_limit import SELF_PACED
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.tip_outbox import (
    ChatMoved,
    Delivery,
    OutboxWorker,
    Part,
    Rejected,
    RetryLater,
    Undeliverable,
    send_part,
)
from bot.tip_police import (
    PoliceError,
    TipPolice,
    audit_text,
    close_buttons,
    thread_screen,
    transfer_provinces_buttons,
    transfer_wards_buttons,
)
from bot.tip_services import ensure_services
from handlers import registry
from handlers.common import Context, answer, args_of, callback_parts, markup, rt, show, tr
from storage import tips as tips_repo

log = logging.getLogger(__name__)

ASK_FLOW = "tpol_ask"
TRANSFER_FLOW = "tpol_tr"
REPLY_GROUP = 6
_boot_tasks: set[asyncio.Task[None]] = set()
# The Ask/Transfer prompts start "❓ #CODE —" / "↪️ #CODE —" (other bot messages do not).
_PROMPT_RE = re.compile(r"^(❓|↪️?) #([A-Z0-9]{6}) —")


# -- wiring ----------------------------------------------------------------------------------
def police(context: Context) -> TipPolice:
    svc: TipPolice = rt(context).services["tip_police"]
    return svc


class TelegramSender:
    """bot.tip_outbox.Sender over python-telegram-bot; maps Telegram errors for the worker."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        # The outbox paces each group itself: the reply limiter counts, but does not hold, it.
        self.rl: dict[str, Any] = (
            {"rate_limit_args": SELF_PACED} if getattr(bot, "rate_limiter", None) is not None else {}
        )

    @staticmethod
    def _reply(reply_to: int | None) -> ReplyParameters | None:
        if reply_to is None:
            return None
        return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)

    async def _call(self, fn: Callable[[], Awaitable[Any]], ignore: tuple[str, ...] = ()) -> Any:
        try:
            return await fn()
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise RetryLater(seconds) from None
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from None
        except Forbidden:
            raise Undeliverable() from None
        except BadRequest as exc:
            text = str(exc).lower()
            if "chat not found" in text or "not enough rights" in text or "bot was kicked" in text:
                raise Undeliverable() from None
            if any(s in text for s in ignore):
                return None
            raise Rejected() from None  # this message is refused; the worker bounds retries

    async def send_text(self, chat_id: int, html: str, buttons: list[list[Button]], reply_to: int | None) -> int:
        msg = await self._call(lambda: self.bot.send_message(
            chat_id, html, reply_markup=markup(buttons), reply_parameters=self._reply(reply_to),
            **self.rl))
        return int(msg.message_id)

    async def send_photos(self, chat_id: int, photos: list[bytes], reply_to: int | None) -> int:
        if len(photos) == 1:
            msg = await self._call(lambda: self.bot.send_photo(
                chat_id, photos[0], reply_parameters=self._reply(reply_to), **self.rl))
            return int(msg.message_id)
        media = [InputMediaPhoto(p) for p in photos[:10]]
        msgs = await self._call(lambda: self.bot.send_media_group(
            chat_id, media, reply_parameters=self._reply(reply_to), **self.rl))
        return int(msgs[0].message_id)

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        # (PTB adds the default parse_mode here too; the method has none.) Already without
        # buttons, or the card was deleted: nothing to do.
        await self._call(lambda: self.bot.edit_message_reply_markup(
            chat_id, message_id, api_kwargs={"parse_mode": None}), ignore=("not modified", "not found"))

    async def send_location(self, chat_id: int, lat: float, lon: float, reply_to: int | None) -> int:
        # PTB adds the default parse_mode to every send; sendLocation has none (Telegram would
        # ignore it, the strict fake refuses it), so it is removed explicitly.
        msg = await self._call(lambda: self.bot.send_location(
            chat_id, latitude=lat, longitude=lon, reply_parameters=self._reply(reply_to),
            api_kwargs={"parse_mode": None}, **self.rl))
        return int(msg.message_id)


async def _start_worker(app: Application, worker: OutboxWorker) -> None:
    """Once the application runs, start the delivery loop as an application task (awaited on
    stop). Its first drain re-sends everything left unconfirmed before a crash or restart."""
    for _ in range(1200):
        if app.running:
            break
        await asyncio.sleep(0.05)
    else:
        return
    app.create_task(worker.run(TelegramSender(app.bot), lambda: bool(app.running)), name="tips-outbox")


# -- jobs ------------------------------------------------------------------------------------
@job("tips_outbox", every_seconds=30, first=3)
async def outbox_job(bot: Any, runtime: Runtime) -> None:
    """Safety net: the worker is kicked on every change; this looks again every 30 s."""
    worker = runtime.services.get("tip_outbox")
    if worker is not None:
        worker.kick()


@job("tips_reminders", every_seconds=600, first=30)
async def reminders_job(bot: Any, runtime: Runtime) -> None:
    svc = runtime.services.get("tip_police")
    if svc is not None:
        await svc.run_reminders()


@job("tips_retention", every_seconds=86400, first=120)
async def retention_job(bot: Any, runtime: Runtime) -> None:
    svc = runtime.services.get("tips")
    if svc is not None:
        await svc.purge()
    await tips_repo.checkpoint(runtime.db)


# -- card buttons ------------------------------------------------------------------------------
async def _refuse(update: Update, t: Translator, exc: PoliceError) -> None:
    if exc.silent:  # refused too often lately: stop the spinner, say nothing
        await answer(update)
    else:
        await answer(update, exc.text(t)[:200], alert=True)


async def _say_refusal(update: Update, context: Context, t: Translator, exc: PoliceError) -> None:
    if not exc.silent:
        await show(update, context, Screen(exc.text(t)))


async def _card_role(context: Context, tip_id: int, chat_id: int) -> str:
    from storage import tips as repo

    row = await repo.card(rt(context).db, tip_id, chat_id)
    return str(row["role"]) if row else "primary"


async def _refresh_card(update: Update, context: Context, tip: Any) -> None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    role = await _card_role(context, int(tip["id"]), query.message.chat.id)
    screen = await police(context).card_view(tip, role)
    try:
        await query.message.edit_text(screen.text, reply_markup=markup(screen.buttons))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _on_card(update: Update, context: Context, tip: Any) -> bool:
    """Whether the pressed message is the tip's card in this chat (not a search result)."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return False
    from storage import tips as repo

    row = await repo.card(rt(context).db, int(tip["id"]), query.message.chat.id)
    return row is not None and row["message_id"] == query.message.message_id


async def _edit_buttons(update: Update, rows: list[list[Button]]) -> None:
    """Replace the pressed message's buttons, keeping its text."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=markup(rows),
                                              api_kwargs={"parse_mode": None})
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    tip_arg = parts[2] if len(parts) > 2 else ""
    arg = parts[3] if len(parts) > 3 else ""
    user = update.effective_user
    chat = update.effective_chat
    t = await tr(update, context)
    _ = t.gettext
    if user is None or chat is None:
        return
    svc = police(context)
    try:
        if action == "ack":
            tip = await svc.acknowledge(user.id, tip_arg)
            await answer(update, _("Acknowledged. Reminders for this tip stop."))
            await _refresh_card(update, context, tip)
        elif action == "cl":
            tip = await svc._require(user.id, tip_arg, "close_menu")
            await answer(update)
            query = update.callback_query
            if query is not None and isinstance(query.message, Message):
                role = await _card_role(context, int(tip["id"]), query.message.chat.id)
                screen = await svc.card_view(tip, role)
                await query.message.edit_text(
                    screen.text, reply_markup=markup(close_buttons(t, str(tip["code"]))))
        elif action == "bk":
            tip = await svc._require(user.id, tip_arg, "view")
            await answer(update)
            await _refresh_card(update, context, tip)
        elif action == "co":
            tip = await svc.close(user.id, tip_arg, arg)
            await answer(update, _("Closed."))
            await _refresh_card(update, context, tip)
        elif action == "th":
            tip, items = await svc.thread(user.id, tip_arg)
            page = int(arg) if arg.isdigit() and len(arg) < 5 else None  # None: the newest
            screen = thread_screen(t, tip, items, page)
            if not svc.details_in_card and chat.type != ChatType.PRIVATE:
                # cards without details: the thread goes to the officer, not the group
                await _send_details(update, context, t, Delivery(
                    user.id, [Part("text", screen.text, screen.buttons)]))
            else:
                await answer(update)
                await show(update, context, screen, edit=page is not None)
        elif action in ("tr", "tp", "tl"):  # the transfer picker, on the pressed message
            tip = await svc.transfer_menu(user.id, tip_arg)
            await answer(update)
            if action == "tl":
                rows = transfer_provinces_buttons(t, tip)
            else:
                province = arg if action == "tp" and directory.get_province(arg) else tip["province_code"]
                at = parts[4] if len(parts) > 4 and parts[4].isdigit() and len(parts[4]) < 4 else "0"
                rows = transfer_wards_buttons(t, tip, int(province), int(at))
            await _edit_buttons(update, rows)
        elif action == "tx":  # cancel the transfer: the card as it was / the search dismissed
            tip = await svc._require(user.id, tip_arg, "transfer_cancel")
            await answer(update)
            if await _on_card(update, context, tip):
                await _refresh_card(update, context, tip)
            else:
                await show(update, context, Screen(_("Transfer cancelled. Nothing changed.")), edit=True)
        elif action in ("ask", "trs"):
            tip = await svc._require(user.id, tip_arg, "prompt_" + action)
            if tip["status"] == "closed":
                raise PoliceError("This tip is already closed.")
            await answer(update)
            code = tip["code"]
            if action == "ask":
                text = _("❓ #{code} — reply to this message with your question for the tipster. "
                         "They read it with their receipt; they stay anonymous.").format(code=code)
            else:
                text = _("↪️ #{code} — reply to this message with the name of the commune/ward "
                         "the tip should go to.").format(code=code)
            if chat.type == ChatType.PRIVATE:
                await rt(context).sessions.set(
                    chat.id, {"flow": ASK_FLOW if action == "ask" else TRANSFER_FLOW,
                              "tip": int(tip["id"])},
                    ttl=3600)
                await context.bot.send_message(chat.id, text)
            else:
                # selective ForceReply opens the reply box for the users mentioned in the text:
                # name the officer who pressed, so the box opens for them and not for everyone.
                text += f' <a href="tg://user?id={user.id}">{esc(user.first_name)}</a>'
                await context.bot.send_message(
                    chat.id, text, reply_markup=ForceReply(selective=True),
                    reply_parameters=ReplyParameters(
                        message_id=update.callback_query.message.message_id,  # type: ignore[union-attr]
                        allow_sending_without_reply=True))
        elif action == "op":
            await _send_details(update, context, t, await svc.details(user.id, tip_arg))
        elif action == "tw":
            on_card = await _on_card(update, context, await svc.transfer_menu(user.id, tip_arg))
            tip = await svc.transfer(user.id, tip_arg, arg)
            await answer(update, _("Transferred."))
            if on_card:  # the card stays (without buttons); a notice under it names the new unit
                await _edit_buttons(update, [])
            else:
                ward = directory.get_ward(arg)
                await show(update, context, Screen(
                    _("↪️ Tip #{code} was transferred to {ward}.").format(
                        code=tip["code"], ward=esc(ward.label if ward else arg))), edit=True)
        else:
            await answer(update, _("This button is no longer available."))
    except PoliceError as exc:
        await _refuse(update, t, exc)


async def _send_details(update: Update, context: Context, t: Translator, delivery: Delivery) -> None:
    """The whole tip into the officer's private chat (cards without details)."""
    _ = t.gettext
    sender = TelegramSender(context.bot)
    try:
        for part in delivery.parts:
            await send_part(sender, delivery.chat_id, part, None)
    except Undeliverable:
        await answer(update, _("I cannot write to you yet: open a private chat with me, press "
                               "Start, then press the button again."), alert=True)
        return
    except RetryLater:
        await answer(update, _("Telegram asks me to slow down. Please try again in a minute."),
                     alert=True)
        return
    except Rejected:
        await answer(update, _("Telegram refused to deliver this. Please tell an administrator."),
                     alert=True)
        return
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await answer(update, _("Sent to your private chat with me."))
    else:
        await answer(update)


# -- questions and transfers as text -------------------------------------------------------------
async def _do_ask(update: Update, context: Context, tip_id: int, question: str) -> None:
    t = await tr(update, context)
    user = update.effective_user
    if user is None:
        return
    try:
        tip = await police(context).ask(user.id, tip_id, question)
    except PoliceError as exc:
        await _say_refusal(update, context, t, exc)
        return
    await show(update, context, Screen(t.gettext(
        "✅ Question sent for tip #{code}. The tipster sees it when they check with their "
        "receipt; their answer will appear here as a reply to the card.").format(code=tip["code"])))


async def _transfer_candidates(update: Update, context: Context, tip_id: int, text: str) -> None:
    t = await tr(update, context)
    user = update.effective_user
    if user is None:
        return
    try:
        tip = await police(context)._require(user.id, tip_id, "transfer_search")
    except PoliceError as exc:
        await _say_refusal(update, context, t, exc)
        return
    # The tip's own province first; a name found only elsewhere is still offered.
    cands = (directory.search(text, tip["province_code"], limit=6)
             or directory.search(text, limit=6))
    if not cands:
        await show(update, context, Screen(t.gettext("No commune or ward matches. Try again.")))
        return
    rows = [[Button(c.unit.label[:60], data=f"tpol:tw:{tip['code']}:{c.unit.code}")] for c in cands]
    rows.append([Button(t.gettext("🗺 Another province…"), data=f"tpol:tl:{tip['code']}")])
    rows.append([Button(t.gettext("✖️ Cancel"), data=f"tpol:tx:{tip['code']}")])
    await show(update, context, Screen(
        t.gettext("Transfer tip #{code} to which commune/ward?").format(code=tip["code"]), rows))


async def on_group_reply(update: Update, context: Context) -> None:
    msg = update.effective_message
    if msg is None or msg.reply_to_message is None or not msg.text:
        return
    replied = msg.reply_to_message
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    found = _PROMPT_RE.match(replied.text or "")
    if not found:
        return
    tip = await police(context).tip_by_code(found.group(2))
    if tip is None:
        return
    if found.group(1) == "❓":
        await _do_ask(update, context, int(tip["id"]), msg.text)
    else:
        await _transfer_candidates(update, context, int(tip["id"]), msg.text)


async def _flow_tip_and_text(update: Update, context: Context) -> tuple[int, str] | None:
    """A private Ask/Transfer flow's tip and the officer's text; the flow ends here."""
    chat = update.effective_chat
    msg = update.effective_message
    if chat is None or msg is None:
        return None
    session = await rt(context).sessions.get(chat.id)
    await rt(context).sessions.clear(chat.id)
    return (int(session.get("tip") or 0), msg.text) if msg.text else None


async def on_ask_flow(update: Update, context: Context) -> None:
    if (found := await _flow_tip_and_text(update, context)) is not None:
        await _do_ask(update, context, *found)


async def on_transfer_flow(update: Update, context: Context) -> None:
    if (found := await _flow_tip_and_text(update, context)) is not None:
        await _transfer_candidates(update, context, *found)


async def _tip_and_rest(update: Update, context: Context, usage: str) -> tuple[int, str] | None:
    """Parse `/cmd TIPCODE words…`; answer with the usage or "no such tip" when it fails."""
    t = await tr(update, context)
    args = args_of(context)
    if len(args) < 2:
        await show(update, context, Screen(usage))
        return None
    tip = await police(context).tip_by_code(args[0])
    if tip is None:
        await show(update, context, Screen(t.gettext("This tip does not exist (any more).")))
        return None
    return int(tip["id"]), " ".join(args[1:])


async def ask_command(update: Update, context: Context) -> None:
    """/ask CODE question"""
    t = await tr(update, context)
    found = await _tip_and_rest(update, context, t.gettext("Usage: /ask TIPCODE your question"))
    if found is not None:
        await _do_ask(update, context, *found)


async def transfer_command(update: Update, context: Context) -> None:
    """/transfer CODE ward name"""
    t = await tr(update, context)
    found = await _tip_and_rest(update, context, t.gettext("Usage: /transfer TIPCODE ward name"))
    if found is not None:
        await _transfer_candidates(update, context, *found)


async def tipaudit_command(update: Update, context: Context) -> None:
    """/tipaudit TIPCODE — who did what with a tip, and when."""
    t = await tr(update, context)
    user = update.effective_user
    args = args_of(context)
    if user is None:
        return
    if not args:
        await show(update, context, Screen(t.gettext("Usage: /tipaudit TIPCODE")))
        return
    try:
        tip, rows = await police(context).audit_trail(user.id, args[0])
    except PoliceError as exc:
        await _say_refusal(update, context, t, exc)
        return
    await show(update, context, Screen(audit_text(t, tip, rows)))


async def setup(app: Application, runtime: Runtime) -> None:
    _tips, _police, worker = ensure_services(runtime)
    registry.flow(ASK_FLOW, on_ask_flow)
    registry.flow(TRANSFER_FLOW, on_transfer_flow)
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^tpol:"))
    app.add_handler(CommandHandler("ask", ask_command))
    app.add_handler(CommandHandler("transfer", transfer_command))
    app.add_handler(CommandHandler("tipaudit", tipaudit_command))
    app.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
                       on_group_reply),
        group=REPLY_GROUP,
    )
    boot = asyncio.get_running_loop().create_task(_start_worker(app, worker))
    _boot_tasks.add(boot)
    boot.add_done_callback(_boot_tasks.discard)
