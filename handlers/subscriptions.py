"""Subscriptions: /subscriptions, the `sub` deep link, the main menu's opt-in, the one-tap
unsubscribe button of every broadcast. (A person blocking or unblocking the bot is a Telegram
event: bot/channels/telegram/membership.py tells the service.)"""

from __future__ import annotations

from bot import directory
from bot.broadcast import ALL_TOPICS, Unsubscribe
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.router import Router
from bot.i18n import translator
from bot.runtime import Runtime
from bot.screens import Screen
from bot.subscriptions import (
    Choice,
    Home,
    NewArea,
    PickProvince,
    PickWard,
    Subscribe,
    SubscriptionService,
    Topics,
    WardPage,
    confirm_screen,
    intro_screen,
    province_key,
    search_results,
    status_screen,
    unsubscribed_screen,
    ward_key,
    ward_page,
)

router = Router("subscriptions")
FLOW = "sub_ward"


def service(turn: Turn) -> SubscriptionService:
    svc: SubscriptionService = turn.runtime.services.subscriptions
    return svc


def _ward_page(turn: Turn, province: str, page: int) -> Screen:
    return ward_page(turn.t, province, page, PickWard, WardPage, PickWard("-" + province))


def _unreachable(turn: Turn) -> Screen:
    return Screen(turn.t.gettext(
        "Updates are sent by messenger (Telegram): a web page cannot reach you after you close "
        "it. Open the bot in Telegram to subscribe. The events of your area are always under "
        "/events."))


async def home(turn: Turn, *, replace: bool = False) -> None:
    if not turn.chat.private:
        await turn.show(Screen(turn.t.gettext("Subscriptions work in a private chat with me.")))
        return
    if not turn.caps.reach_later:  # e.g. the web: nothing could ever be delivered
        await turn.show(_unreachable(turn), replace=replace)
        return
    # Only looking: no account is created before the person subscribes.
    user_id = await turn.user_id(create=False)
    sub = await service(turn).get(user_id) if user_id is not None else None
    if sub is None or user_id is None:
        await turn.show(intro_screen(turn.t), replace=replace)
        return
    if not sub.active:
        await service(turn).mark_back(user_id)
    await turn.show(status_screen(turn.t, sub), replace=replace)


@router.command("subscriptions", "subscribe")
async def subscriptions_command(turn: Turn, cmd: Command) -> None:
    await home(turn)


@router.deep_link("sub")
async def deep_link(turn: Turn, arg: str) -> None:
    await home(turn)


@router.menu_entry("subscribe")
async def open_from_menu(turn: Turn) -> None:
    """The opt-in offered in the main menu right after /start."""
    await turn.notice()
    await home(turn, replace=True)


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


@router.on(Home)
async def on_home(turn: Turn, act: Home) -> None:
    await turn.notice()
    await home(turn, replace=True)


@router.on(NewArea)
async def on_new(turn: Turn, act: NewArea) -> None:
    await turn.notice()
    await turn.show(intro_screen(turn.t), replace=True)


@router.on(PickProvince)
async def on_province(turn: Turn, act: PickProvince) -> None:
    prov = province_key(act.code)
    if prov is None:
        await turn.notice(_gone(turn))
        return
    await turn.set_session({"flow": FLOW, "province": prov}, ttl=3600)
    await turn.notice()
    await turn.show(_ward_page(turn, prov, 0), replace=True)


@router.on(WardPage)
async def on_ward_page(turn: Turn, act: WardPage) -> None:
    prov = province_key(act.province)
    if prov is None or act.page < 0:
        await turn.notice(_gone(turn))
        return
    await turn.notice()
    await turn.show(_ward_page(turn, prov, act.page), replace=True)


def _province_of(ward: str) -> str | None:
    unit = directory.get_ward(ward)
    return f"{unit.province_code:02d}" if unit else None


@router.on(PickWard)
async def on_ward(turn: Turn, act: PickWard) -> None:
    if act.code.startswith("-"):
        prov, ward = province_key(act.code[1:]), None
    else:
        ward = ward_key(act.code)
        prov = _province_of(ward) if ward else None
    if not prov:
        await turn.notice(_gone(turn))
        return
    await turn.clear_session()
    user_id = await turn.user_id(create=False)
    current = await service(turn).get(user_id) if user_id is not None else None
    await turn.notice()
    topics = current.topics if current else ALL_TOPICS
    await turn.show(confirm_screen(turn.t, prov, ward, topics, turn.t.locale), replace=True)


def _parse_choice(act: Choice | Subscribe) -> tuple[str, str | None, int, str] | None:
    """The choice carried by the button, re-checked (the button may be forged or stale)."""
    prov = province_key(act.province)
    ward = None if act.ward == "-" else ward_key(act.ward, prov)
    if prov is None or (act.ward != "-" and ward is None):
        return None
    if not 0 <= act.topics <= ALL_TOPICS or act.locale not in ("vi", "en"):
        return None
    return prov, ward, act.topics, act.locale


@router.on(Choice)
async def on_choice(turn: Turn, act: Choice) -> None:
    choice = _parse_choice(act)
    if choice is None:
        await turn.notice(_gone(turn))
        return
    await turn.notice()
    await turn.show(confirm_screen(turn.t, *choice), replace=True)


@router.on(Subscribe)
async def on_subscribe(turn: Turn, act: Subscribe) -> None:
    choice = _parse_choice(act)
    if choice is None:
        await turn.notice(_gone(turn))
        return
    if not turn.chat.private:
        await turn.notice()
        return
    if not turn.caps.reach_later:  # a forged press from a channel that cannot deliver
        await turn.show(_unreachable(turn))
        return
    user_id = await turn.user_id()
    if user_id is None:
        return
    created = await service(turn).subscribe(user_id, *choice)
    t = translator(created.locale)  # the language may have changed
    await turn.notice(t.gettext("Subscribed."))
    await turn.show(status_screen(t, created, t.gettext("✅ Subscribed. Thank you!")), replace=True)


@router.on(Topics)
async def on_topics(turn: Turn, act: Topics) -> None:
    user_id = await turn.user_id(create=False)
    svc = service(turn)
    if user_id is None or act.topics < 0 or not await svc.set_topics(user_id, act.topics):
        await turn.notice(turn.t.gettext("You are not subscribed."))
        return
    current = await svc.get(user_id)
    await turn.notice()
    if current is not None:
        await turn.show(status_screen(turn.t, current), replace=True)


@router.on(Unsubscribe)
async def on_unsubscribe(turn: Turn, act: Unsubscribe) -> None:
    user_id = await turn.user_id(create=False)
    removed = user_id is not None and await service(turn).unsubscribe(user_id)
    _ = turn.t.gettext
    await turn.notice(_("Unsubscribed.") if removed else _("You are not subscribed."))
    # From the status screen: replace it; from a broadcast: keep the message, confirm below.
    await turn.show(unsubscribed_screen(turn.t), replace=act.origin == "s")


@router.flow(FLOW)
async def on_ward_text(turn: Turn, inp: Input) -> None:
    session = await turn.session()
    prov = province_key(session.get("province"))
    if prov is None:
        await turn.clear_session()
        await turn.show(intro_screen(turn.t))
        return
    query = inp.text.strip()[:100] if isinstance(inp, Text) else ""
    if not query:
        await turn.show(Screen(turn.t.gettext("Please type the name of your commune or ward.")))
        return
    await turn.show(search_results(turn.t, query, prov, PickWard, PickWard("-" + prov)))


async def setup(runtime: Runtime) -> None:
    runtime.users.register_eraser(runtime.services.subscriptions.forget)
