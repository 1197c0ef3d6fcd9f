"""Anonymous tips, the police side: the card's buttons (acknowledge, ask, thread, transfer,
close, details in private), /ask, /transfer, /tipaudit, replies to the bot's prompts in
groups, and the jobs (reminders, retention, the outbox safety net). Channel-neutral: cards
reach police chats through the tip outbox (bot/tip_outbox.py) and the channel's chat port;
Telegram starts the worker in bot/channels/telegram/tip_outbox.py.

Thin: every permission is re-checked in bot.tip_police. Never logs message text or ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot import directory
from bot.engine.chat_port import Destination, Rejected, RetryLater, Undeliverable, chat_port
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Text
from bot.engine.router import Router
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.tip_outbox import Delivery, send_part
from bot.tip_police import (
    Acknowledge,
    AskPrompt,
    BackToCard,
    CloseAs,
    CloseMenu,
    OpenDetails,
    PoliceError,
    Thread,
    TipPolice,
    TransferCancel,
    TransferMenu,
    TransferPrompt,
    TransferProvince,
    TransferProvinces,
    TransferTo,
    audit_text,
    close_buttons,
    thread_screen,
    transfer_provinces_buttons,
    transfer_wards_buttons,
)

router = Router("tip_police")

ASK_FLOW = "tpol_ask"
TRANSFER_FLOW = "tpol_tr"
# A group's open prompts (the bot's "reply to this message" questions), in the group's sealed
# session: {message key: [kind, tip code]}. The newest PROMPTS_KEPT, for PROMPT_TTL seconds.
PROMPTS = "tpol_prompts"
PROMPTS_KEPT = 30
PROMPT_TTL = 7 * 86400


def police(turn: Turn) -> TipPolice:
    svc: TipPolice = turn.runtime.services.tip_police
    return svc


async def _actor(turn: Turn) -> int | None:
    """The officer's account id (a Telegram account's is its Telegram id, as the units store
    it). Never called for tipsters."""
    if turn.person is None:
        return None
    return await turn.user_id()


# -- jobs ------------------------------------------------------------------------------------
async def outbox_job(bot: Any, runtime: Runtime) -> None:
    """Safety net: the worker is kicked on every change; this looks again every 30 s."""
    worker = runtime.services.tip_outbox
    if worker is not None:
        worker.kick()


async def reminders_job(bot: Any, runtime: Runtime) -> None:
    svc = runtime.services.tip_police
    if svc is not None:
        await svc.run_reminders()


async def retention_job(bot: Any, runtime: Runtime) -> None:
    svc = runtime.services.tips
    if svc is not None:
        await svc.purge()
    await runtime.db.checkpoint()  # purged tip data must not linger in the WAL


# -- refusals --------------------------------------------------------------------------------
async def _refuse(turn: Turn, exc: PoliceError) -> None:
    """A refused press: the reason as an alert, or (refused too often lately) nothing."""
    if exc.silent:
        await turn.notice()
    else:
        await turn.notice(exc.text(turn.t)[:200], alert=True)


async def _say_refusal(turn: Turn, exc: PoliceError) -> None:
    if not exc.silent:
        await turn.show(Screen(exc.text(turn.t)))


T = TypeVar("T")


async def _act(turn: Turn, call: Callable[[TipPolice, int], Awaitable[T]]) -> T | None:
    """Run a police action for the person who pressed; a refusal is answered (an alert, or
    silence once they were refused too often) and gives None."""
    actor = await _actor(turn)
    if actor is None:
        return None
    try:
        return await call(police(turn), actor)
    except PoliceError as exc:
        await _refuse(turn, exc)
        return None


# -- the card ----------------------------------------------------------------------------------
async def _card_screen(turn: Turn, tip: Any) -> Screen:
    role = await police(turn).card_role(int(tip["id"]), turn.chat.key)
    return await police(turn).card_view(tip, role)


async def _refresh_card(turn: Turn, tip: Any) -> None:
    await turn.show(await _card_screen(turn, tip), replace=True)


async def _on_card(turn: Turn, tip: Any) -> bool:
    """Whether the pressed message is the tip's card in this chat (not a search result)."""
    return await police(turn).is_card(int(tip["id"]), turn.chat.key, turn.message)


@router.on(Acknowledge)
async def on_acknowledge(turn: Turn, act: Acknowledge) -> None:
    tip = await _act(turn, lambda svc, actor: svc.acknowledge(actor, act.code))
    if tip is None:
        return
    await turn.notice(turn.t.gettext("Acknowledged. Reminders for this tip stop."))
    await _refresh_card(turn, tip)


@router.on(CloseMenu)
async def on_close_menu(turn: Turn, act: CloseMenu) -> None:
    tip = await _act(turn, lambda svc, actor: svc.require(actor, act.code, "close_menu"))
    if tip is None:
        return
    await turn.notice()
    card = await _card_screen(turn, tip)
    await turn.show(Screen(card.text, close_buttons(turn.t, str(tip["code"]))), replace=True)


@router.on(BackToCard)
async def on_back(turn: Turn, act: BackToCard) -> None:
    tip = await _act(turn, lambda svc, actor: svc.require(actor, act.code, "view"))
    if tip is None:
        return
    await turn.notice()
    await _refresh_card(turn, tip)


@router.on(CloseAs)
async def on_close(turn: Turn, act: CloseAs) -> None:
    tip = await _act(turn, lambda svc, actor: svc.close(actor, act.code, act.outcome))
    if tip is None:
        return
    await turn.notice(turn.t.gettext("Closed."))
    await _refresh_card(turn, tip)


@router.on(Thread)
async def on_thread(turn: Turn, act: Thread) -> None:
    found = await _act(turn, lambda svc, actor: svc.thread(actor, act.code))
    if found is None:
        return
    tip, items = found
    svc = police(turn)
    page = act.page if act.page is not None and 0 <= act.page < 10000 else None
    screen = thread_screen(turn.t, tip, items, page)
    if not svc.details_in_card and not turn.chat.private:
        # Cards without details: the thread goes to the officer, not the group.
        await _send_private(turn, [screen])
        return
    await turn.notice()
    await turn.show(screen, replace=page is not None)


@router.on(OpenDetails)
async def on_details(turn: Turn, act: OpenDetails) -> None:
    delivery = await _act(turn, lambda svc, actor: svc.details(actor, act.code))
    if delivery is None:
        return
    await _send_private(turn, delivery)


async def _send_private(turn: Turn, what: Delivery | list[Screen]) -> None:
    """The whole tip (or its thread) into the officer's private chat with the bot, through the
    channel's chat port (cards without details)."""
    _ = turn.t.gettext
    port = chat_port(turn.runtime, turn.chat.channel)
    person = turn.person
    if port is None or person is None:
        await turn.notice(_("I cannot write to you yet: open a private chat with me, press "
                            "Start, then press the button again."), alert=True)
        return
    key: int | str = int(person.external_id) if person.external_id.isdigit() else person.external_id
    try:
        if isinstance(what, Delivery):
            for part in what.parts:
                await send_part(port, key, part, None)
        else:
            for screen in what:
                await port.send(Destination(port.channel, key), screen)
    except Undeliverable:
        await turn.notice(_("I cannot write to you yet: open a private chat with me, press "
                            "Start, then press the button again."), alert=True)
        return
    except RetryLater:
        await turn.notice(_("The messaging app asks me to slow down. Please try again in a minute."),
                          alert=True)
        return
    except Rejected:
        await turn.notice(_("The messaging app refused to deliver this. Please tell an administrator."),
                          alert=True)
        return
    if not turn.chat.private:
        await turn.notice(_("Sent to your private chat with me."))
    else:
        await turn.notice()


# -- the transfer picker (on the pressed message) ------------------------------------------------
async def _picker(turn: Turn, tip: Any, rows: list[list[Button]]) -> None:
    """The picker's buttons on the pressed message, its text unchanged: the card's, or the
    "which commune/ward?" question of a typed search."""
    if await _on_card(turn, tip):
        text = (await _card_screen(turn, tip)).text
    else:
        text = _which_ward(turn, tip)
    await turn.show(Screen(text, rows), replace=True)


def _which_ward(turn: Turn, tip: Any) -> str:
    return turn.t.gettext("Transfer tip #{code} to which commune/ward?").format(code=tip["code"])


@router.on(TransferMenu, TransferProvince, TransferProvinces)
async def on_transfer_picker(turn: Turn, act: TransferMenu | TransferProvince | TransferProvinces) -> None:
    tip = await _act(turn, lambda svc, actor: svc.transfer_menu(actor, act.code))
    if tip is None:
        return
    await turn.notice()
    if isinstance(act, TransferProvinces):
        rows = transfer_provinces_buttons(turn.t, tip)
    else:
        province = tip["province_code"]
        page = 0
        if isinstance(act, TransferProvince):
            if directory.get_province(act.province):
                province = act.province
            page = act.page if act.page is not None and 0 <= act.page < 1000 else 0
        rows = transfer_wards_buttons(turn.t, tip, int(province), page)
    await _picker(turn, tip, rows)


@router.on(TransferCancel)
async def on_transfer_cancel(turn: Turn, act: TransferCancel) -> None:
    """The card as it was, or the typed search's choices dismissed."""
    tip = await _act(turn, lambda svc, actor: svc.require(actor, act.code, "transfer_cancel"))
    if tip is None:
        return
    await turn.notice()
    if await _on_card(turn, tip):
        await _refresh_card(turn, tip)
    else:
        await turn.show(Screen(turn.t.gettext("Transfer cancelled. Nothing changed.")),
                        replace=True)


@router.on(TransferTo)
async def on_transfer(turn: Turn, act: TransferTo) -> None:
    actor = await _actor(turn)
    if actor is None:
        return
    _ = turn.t.gettext
    svc = police(turn)
    try:
        before = await svc.transfer_menu(actor, act.code)
        on_card = await _on_card(turn, before)
        card = await _card_screen(turn, before) if on_card else None
        tip = await svc.transfer(actor, act.code, act.ward)
    except PoliceError as exc:
        await _refuse(turn, exc)
        return
    await turn.notice(_("Transferred."))
    if card is not None:  # the card stays, without buttons; a notice under it names the new unit
        await turn.show(Screen(card.text), replace=True)
        return
    ward = directory.get_ward(act.ward)
    await turn.show(Screen(_("↪️ Tip #{code} was transferred to {ward}.").format(
        code=tip["code"], ward=esc(ward.label if ward else act.ward))), replace=True)


# -- prompts: a question for the tipster, a ward name to transfer to --------------------------------
@router.on(AskPrompt, TransferPrompt)
async def on_prompt(turn: Turn, act: AskPrompt | TransferPrompt) -> None:
    actor = await _actor(turn)
    if actor is None:
        return
    ask = isinstance(act, AskPrompt)
    try:
        tip = await police(turn).require(actor, act.code, "prompt_ask" if ask else "prompt_trs")
        if tip["status"] == "closed":
            raise PoliceError("This tip is already closed.")
    except PoliceError as exc:
        await _refuse(turn, exc)
        return
    await turn.notice()
    _ = turn.t.gettext
    code = str(tip["code"])
    if ask:
        text = _("❓ #{code} — reply to this message with your question for the tipster. "
                 "They read it with their receipt; they stay anonymous.").format(code=code)
    else:
        text = _("↪️ #{code} — reply to this message with the name of the commune/ward "
                 "the tip should go to.").format(code=code)
    if turn.chat.private:
        await turn.set_session({"flow": ASK_FLOW if ask else TRANSFER_FLOW,
                                "tip": int(tip["id"])}, ttl=3600)
        await turn.show(Screen(text))
        return
    # In a group the bot reads only replies to its own messages: the answer comes as a reply
    # to this prompt, remembered in the group's sealed session.
    ref = await turn.show(Screen(text, reply_from_person=True))
    key = turn.message_key(ref)
    if key is None:
        return
    session = await turn.session()
    prompts = dict(session.get(PROMPTS) or {})
    prompts[str(key)] = ["ask" if ask else "transfer", code]
    kept = dict(list(prompts.items())[-PROMPTS_KEPT:])
    await turn.set_session({**session, PROMPTS: kept}, ttl=PROMPT_TTL)


@router.group_input
async def on_group_reply(turn: Turn, inp: Input) -> bool:
    """A reply, in a group, to one of the bot's Ask/Transfer prompts."""
    if not isinstance(inp, Text) or inp.reply_to is None or not inp.text:
        return False
    session = await turn.session()
    entry = (session.get(PROMPTS) or {}).get(str(inp.reply_to))
    if not isinstance(entry, list) or len(entry) != 2:
        return False
    tip = await police(turn).tip_by_code(str(entry[1]))
    if tip is None:
        return False
    if entry[0] == "ask":
        await _do_ask(turn, int(tip["id"]), inp.text)
    else:
        await _transfer_candidates(turn, int(tip["id"]), inp.text)
    return True


async def _do_ask(turn: Turn, tip_id: int, question: str) -> None:
    actor = await _actor(turn)
    if actor is None:
        return
    try:
        tip = await police(turn).ask(actor, tip_id, question)
    except PoliceError as exc:
        await _say_refusal(turn, exc)
        return
    await turn.show(Screen(turn.t.gettext(
        "✅ Question sent for tip #{code}. The tipster sees it when they check with their "
        "receipt; their answer will appear here as a reply to the card.").format(code=tip["code"])))


async def _transfer_candidates(turn: Turn, tip_id: int, text: str) -> None:
    actor = await _actor(turn)
    if actor is None:
        return
    _ = turn.t.gettext
    try:
        tip = await police(turn).require(actor, tip_id, "transfer_search")
    except PoliceError as exc:
        await _say_refusal(turn, exc)
        return
    # The tip's own province first; a name found only elsewhere is still offered.
    cands = (directory.search(text, tip["province_code"], limit=6)
             or directory.search(text, limit=6))
    if not cands:
        await turn.show(Screen(_("No commune or ward matches. Try again.")))
        return
    code = str(tip["code"])
    rows = [[Button(c.unit.label[:60], action=TransferTo(code, str(c.unit.code)))] for c in cands]
    rows.append([Button(_("🗺 Another province…"), action=TransferProvinces(code))])
    rows.append([Button(_("✖️ Cancel"), action=TransferCancel(code))])
    await turn.show(Screen(_which_ward(turn, tip), rows))


async def _flow_text(turn: Turn, inp: Input) -> tuple[int, str] | None:
    """A private Ask/Transfer flow's tip and the officer's text; the flow ends with a text."""
    if not isinstance(inp, Text) or not inp.text.strip():
        await turn.show(Screen(turn.t.gettext("Please type it as a text message, or /cancel.")))
        return None
    session = await turn.session()
    await turn.clear_session()
    return int(session.get("tip") or 0), inp.text


@router.flow(ASK_FLOW)
async def on_ask_flow(turn: Turn, inp: Input) -> None:
    if (found := await _flow_text(turn, inp)) is not None:
        await _do_ask(turn, *found)


@router.flow(TRANSFER_FLOW)
async def on_transfer_flow(turn: Turn, inp: Input) -> None:
    if (found := await _flow_text(turn, inp)) is not None:
        await _transfer_candidates(turn, *found)


# -- commands --------------------------------------------------------------------------------------
async def _tip_and_rest(turn: Turn, cmd: Command, usage: str) -> tuple[int, str] | None:
    """Parse `/cmd TIPCODE words…`; answer with the usage or "no such tip" when it fails."""
    if len(cmd.args) < 2:
        await turn.show(Screen(usage))
        return None
    tip = await police(turn).tip_by_code(cmd.args[0])
    if tip is None:
        await turn.show(Screen(turn.t.gettext("This tip does not exist (any more).")))
        return None
    return int(tip["id"]), " ".join(cmd.args[1:])


@router.command("ask")
async def ask_command(turn: Turn, cmd: Command) -> None:
    """/ask CODE question"""
    found = await _tip_and_rest(turn, cmd, turn.t.gettext("Usage: /ask TIPCODE your question"))
    if found is not None:
        await _do_ask(turn, *found)


@router.command("transfer")
async def transfer_command(turn: Turn, cmd: Command) -> None:
    """/transfer CODE ward name"""
    found = await _tip_and_rest(turn, cmd, turn.t.gettext("Usage: /transfer TIPCODE ward name"))
    if found is not None:
        await _transfer_candidates(turn, *found)


@router.command("tipaudit")
async def tipaudit_command(turn: Turn, cmd: Command) -> None:
    """/tipaudit TIPCODE — who did what with a tip, and when."""
    actor = await _actor(turn)
    if actor is None:
        return
    if not cmd.args:
        await turn.show(Screen(turn.t.gettext("Usage: /tipaudit TIPCODE")))
        return
    try:
        tip, rows = await police(turn).audit_trail(actor, cmd.args[0])
    except PoliceError as exc:
        await _say_refusal(turn, exc)
        return
    await turn.show(Screen(audit_text(turn.t, tip, rows)))


async def setup(runtime: Runtime) -> None:
    """The tip services are built with the others (bot/services.py)."""
