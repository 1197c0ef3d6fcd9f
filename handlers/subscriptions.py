"""Subscriptions: /subscriptions, the `sub` deep link, the one-tap unsubscribe button of every
broadcast, and blocked/unblocked users (my_chat_member in private chats)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.broadcast import ALL_TOPICS
from bot.runtime import Runtime
from bot.screens import Screen
from bot.subscriptions import (
    SubscriptionService,
    confirm_screen,
    intro_screen,
    province_key,
    search_results,
    status_screen,
    unsubscribed_screen,
    ward_key,
    ward_page,
)
from handlers import registry
from handlers.common import Context, answer, callback_parts, rt, show, tr

FLOW = "sub_ward"
# Private-chat status changes in their own handler group, beside the units feature's group.
STATUS_GROUP = 32


def service(context: Context) -> SubscriptionService:
    svc: SubscriptionService = rt(context).services["subscriptions"]
    return svc


async def home(update: Update, context: Context, *, edit: bool = False) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = await tr(update, context)
    if chat.type != ChatType.PRIVATE:
        await show(update, context, Screen(t.gettext("Subscriptions work in a private chat with me.")))
        return
    sub = await service(context).get(user.id)
    if sub is not None:
        if not sub.active:
            await service(context).mark_back(user.id)
        await show(update, context, status_screen(t, sub), edit=edit)
    else:
        await show(update, context, intro_screen(t), edit=edit)


async def subscriptions_command(update: Update, context: Context) -> None:
    await home(update, context)


async def deep_link(update: Update, context: Context, _arg: str) -> None:
    await home(update, context)


async def open_from_menu(update: Update, context: Context) -> None:
    """The opt-in offered in the main menu right after /start."""
    if update.callback_query:
        await update.callback_query.answer()
    await home(update, context, edit=True)


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = await tr(update, context)
    svc = service(context)
    action = parts[1] if len(parts) > 1 else ""
    if action == "home":
        await answer(update)
        await home(update, context, edit=True)
    elif action == "new":
        await answer(update)
        await show(update, context, intro_screen(t), edit=True)
    elif action == "p" and len(parts) == 3 and (prov := province_key(parts[2])):
        await rt(context).sessions.set(chat.id, {"flow": FLOW, "province": prov}, ttl=3600)
        await answer(update)
        await show(update, context, ward_page(t, prov, 0, "sub:w", f"sub:w:-{prov}"), edit=True)
    elif action == "wpg" and len(parts) == 4 and (prov := province_key(parts[2])) and parts[3].isdigit():
        await answer(update)
        await show(update, context, ward_page(t, prov, int(parts[3]), "sub:w", f"sub:w:-{prov}"), edit=True)
    elif action == "w" and len(parts) == 3:
        await rt(context).sessions.clear(chat.id)
        arg = parts[2]
        if arg.startswith("-"):
            prov, ward = province_key(arg[1:]), None
        else:
            ward = ward_key(arg)
            prov = _province_of(ward) if ward else None
        if not prov:
            await answer(update, t.gettext("This button is no longer available."))
            return
        current = await svc.get(user.id)
        await answer(update)
        await show(
            update, context,
            confirm_screen(t, prov, ward, current.topics if current else ALL_TOPICS, t.locale),
            edit=True,
        )
    elif action == "c" and len(parts) == 6:
        cprov, cward, ctopics, clocale = _parse_choice(parts)
        if cprov is None or ctopics is None or clocale not in ("vi", "en"):
            await answer(update, t.gettext("This button is no longer available."))
            return
        await answer(update)
        await show(update, context, confirm_screen(t, cprov, cward, ctopics, clocale), edit=True)
    elif action == "ok" and len(parts) == 6:
        cprov, cward, ctopics, clocale = _parse_choice(parts)
        if cprov is None or ctopics is None or clocale not in ("vi", "en"):
            await answer(update, t.gettext("This button is no longer available."))
            return
        if chat.type != ChatType.PRIVATE:
            await answer(update)
            return
        created = await svc.subscribe(user.id, cprov, cward, ctopics, clocale)
        t = await tr(update, context)  # the language may have changed
        await answer(update, t.gettext("Subscribed."))
        await show(update, context, status_screen(t, created, t.gettext("✅ Subscribed. Thank you!")), edit=True)
    elif action == "t" and len(parts) == 3 and parts[2].isdigit():
        if not await svc.set_topics(user.id, int(parts[2])):
            await answer(update, t.gettext("You are not subscribed."))
            return
        current = await svc.get(user.id)
        await answer(update)
        if current is not None:
            await show(update, context, status_screen(t, current), edit=True)
    elif action == "off":
        removed = await svc.unsubscribe(user.id)
        await answer(update, t.gettext("Unsubscribed.") if removed else t.gettext("You are not subscribed."))
        # From the status screen: replace it; from a broadcast: keep the message, confirm below.
        await show(update, context, unsubscribed_screen(t), edit=len(parts) == 3 and parts[2] == "s")
    else:
        await answer(update, t.gettext("This button is no longer available."))


def _province_of(ward: str) -> str | None:
    from bot import directory

    unit = directory.get_ward(ward)
    return f"{unit.province_code:02d}" if unit else None


def _parse_choice(parts: list[str]) -> tuple[str | None, str | None, int | None, str]:
    prov = province_key(parts[2])
    ward = None if parts[3] == "-" else ward_key(parts[3], prov)
    if parts[3] != "-" and ward is None:
        prov = None
    topics = int(parts[4]) if parts[4].isdigit() and int(parts[4]) <= ALL_TOPICS else None
    return prov, ward, topics, parts[5]


async def on_ward_text(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    t = await tr(update, context)
    session = await rt(context).sessions.get(chat.id)
    prov = province_key(session.get("province"))
    if prov is None:
        await rt(context).sessions.clear(chat.id)
        await show(update, context, intro_screen(t))
        return
    query = (message.text or "").strip()[:100]
    if not query:
        await show(update, context, Screen(t.gettext("Please type the name of your commune or ward.")))
        return
    await show(update, context, search_results(t, query, prov, "sub:w", f"sub:w:-{prov}"))


async def on_my_chat_member(update: Update, context: Context) -> None:
    """A private chat's user blocked (kicked) or unblocked the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        await service(context).mark_blocked(change.chat.id)
    elif status == ChatMemberStatus.MEMBER:
        await service(context).mark_back(change.chat.id)


async def setup(app: Application, runtime: Runtime) -> None:  # type: ignore[type-arg,unused-ignore]
    svc = SubscriptionService(runtime.db, runtime.clock, runtime.users)
    runtime.services["subscriptions"] = svc
    runtime.users.register_eraser(svc.forget)
    app.add_handler(CommandHandler("subscriptions", subscriptions_command))
    app.add_handler(CommandHandler("subscribe", subscriptions_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^sub:"))
    app.add_handler(
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=STATUS_GROUP
    )
    registry.deep_link("sub", deep_link)
    registry.menu_entry("subscribe", open_from_menu)
    registry.flow(FLOW, on_ward_text)
