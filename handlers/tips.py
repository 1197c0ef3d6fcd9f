"""Anonymous tips, the citizen's side: /tip, the draft flow, the receipt and /followup.

Channel-neutral (bot/engine): typed actions in (bot/tip_actions.py), screens out; photos come
as `Photo`/`File` inputs fetched only when they will be cleaned, the pin as `Location`. Thin:
rules live in bot.tips. Never logs message text or ids. Never creates an account: the abuse
limits get a requester key of (channel, external id) that is never stored (bot/tips.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bot import directory
from bot import tips as rules
from bot.engine.actions import Action
from bot.engine.conversation import ShowLater, ShowRefused, Turn, Unreachable
from bot.engine.inputs import Command, File, Input, Location, Photo, Text, Unsupported
from bot.engine.router import Router
from bot.i18n import Translator
from bot.photos import NotAnImage, clean_image
from bot.runtime import Runtime
from bot.screens import Button, Screen
from bot.tip_actions import (
    Cancel,
    Category,
    Edit,
    FollowAnswer,
    FollowDone,
    FollowPage,
    FollowPhoto,
    FollowupStart,
    Go,
    PhotosDone,
    Privacy,
    Province,
    ProvincePage,
    Restart,
    Resume,
    Send,
    SkipPlace,
    UrgentOk,
    Ward,
    WardConfirm,
    WatchAsk,
    WatchOn,
    When,
)
from bot.tips import TipError, TipService
from handlers.start import OpenMenu, privacy_screen

log = logging.getLogger(__name__)
router = Router("tips")

MAX_DOWNLOAD = 20 * 1024 * 1024
# The receipt exists only in the message that shows it: a transient error must not lose it.
RECEIPT_ATTEMPTS = 4
RECEIPT_BACKOFF = 0.5  # seconds, doubled after each failure
HOME = OpenMenu("home")
# Kinds of message that can identify the sender and cannot be cleaned.
_VOICE_OR_VIDEO = {"voice", "video", "video_note", "audio", "animation"}
_IMAGE_NAMES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic")


def service(turn: Turn) -> TipService:
    svc: TipService = turn.runtime.services.tips
    return svc


def requester(turn: Turn) -> str:
    """The abuse limits' key for this person: (channel, external id), never stored (only an
    HMAC under the in-memory key of the day is). The tip flow never asks for an account."""
    if turn.person is not None:
        return rules.requester_key(turn.person.channel, turn.person.external_id)
    return rules.requester_key(turn.chat.channel, f"chat:{turn.chat.key}")


def _home_row(t: Translator) -> list[list[Button]]:
    return [[Button(t.gettext("⬅️ Main menu"), action=HOME)]]


async def _say(turn: Turn, text: str) -> None:
    await turn.show(Screen(text))


async def _clear(turn: Turn) -> None:
    await turn.clear_session()
    service(turn).checkpoint_soon()  # the deleted draft must not linger in the WAL


def _group_redirect(turn: Turn, payload: str) -> Screen:
    t = turn.t
    link = turn.link(payload)
    if link is None:  # no deep link on this channel (Zalo): no button to point at
        return Screen(t.gettext("Tips are taken only in a private chat with me, so nobody in "
                                "this group sees them. Write to me privately to send one."))
    return Screen(
        t.gettext("Tips are taken only in a private chat with me, so nobody in this group sees "
                  "them. Use the button below to open it."),
        [[Button(t.gettext("🛡 Send a tip privately"), url=link)]],
    )


# -- entry points -------------------------------------------------------------------------------
@router.command("tip")
async def tip_command(turn: Turn, cmd: Command) -> None:
    if not turn.chat.private:
        await turn.show(_group_redirect(turn, "tip"))  # records nothing
        return
    await start_tip(turn)


@router.deep_link("tip")
async def tip_link(turn: Turn, _arg: str) -> None:
    await start_tip(turn)


@router.menu_entry("tip")
async def menu_tip(turn: Turn) -> None:
    await start_tip(turn, pressed=True)


async def start_tip(turn: Turn, *, pressed: bool = False) -> None:
    if not turn.chat.private:
        return
    t = turn.t
    session = await turn.session()
    if session.get("flow") == rules.FLOW and session.get("step") not in (None, "intro"):
        # A draft in progress (e.g. after a restart): offer to continue it.
        await turn.notice()
        await turn.show(Screen(
            t.gettext("You have an unfinished tip. Continue it or start again?"),
            [[Button(t.gettext("▶️ Continue"), action=Resume())],
             [Button(t.gettext("🔄 Start again"), action=Restart())],
             [Button(t.gettext("✖️ Cancel"), action=Cancel())]],
        ), replace=pressed)
        return
    await turn.set_session(rules.new_draft())
    await turn.notice()
    await turn.show(rules.intro_screen(t, turn.caps.app), replace=pressed)


@router.command("followup")
async def followup_command(turn: Turn, cmd: Command) -> None:
    if not turn.chat.private:
        await turn.show(_group_redirect(turn, "followup"))
        return
    await start_followup(turn)


@router.deep_link("followup")
async def followup_link(turn: Turn, _arg: str) -> None:
    await start_followup(turn)


async def start_followup(turn: Turn) -> None:
    if not turn.chat.private:
        return
    await turn.set_session({"flow": rules.FOLLOWUP_FLOW, "step": "receipt"}, rules.FOLLOWUP_TTL)
    await turn.notice()
    await turn.show(rules.followup_prompt(turn.t))


# -- the draft flow ---------------------------------------------------------------------------
def _step_screen(turn: Turn, session: dict[str, Any]) -> Screen:
    t = turn.t
    step = session.get("step")
    d = session.setdefault("d", {"photos": []})
    screens = {
        "intro": lambda: rules.intro_screen(t, turn.caps.app),
        "category": lambda: rules.category_screen(t),
        "urgent": lambda: rules.urgent_screen(t),
        "province": lambda: rules.province_screen(t, int(session.get("page", 0)),
                                                  pin=turn.caps.location,
                                                  hint=turn.caps.location_hint),
        "ward": lambda: rules.ward_prompt(t, int(session.get("province", 0))),
        "place": lambda: rules.place_prompt(t),
        "text": lambda: rules.text_prompt(t),
        "photos": lambda: rules.photos_prompt(t, len(d.get("photos", []))),
        "when": lambda: rules.when_screen(t),
        "review": lambda: rules.review_screen(t, d),
    }
    return screens.get(str(step), screens["intro"])()


async def _show_step(turn: Turn, session: dict[str, Any], *, replace: bool = False) -> None:
    await turn.show(_step_screen(turn, session), replace=replace)


def _next(session: dict[str, Any], after: str) -> str:
    """The step after `after`, or back to review when editing a submitted-ready draft."""
    if session.get("editing"):
        session.pop("editing", None)
        return "review"
    order = ["category", "province", "place", "text", "photos", "when", "review"]
    d = session.get("d", {})
    if after == "ward":
        after = "province"
    idx = order.index(after) if after in order else -1
    step = order[idx + 1] if idx + 1 < len(order) else "review"
    if step == "province" and d.get("ward"):
        return "place"
    return step


async def _draft(turn: Turn) -> dict[str, Any] | None:
    """The open draft of this private chat, or None after saying the button is stale."""
    if not turn.chat.private:
        await turn.notice()
        return None
    session = await turn.session()
    if session.get("flow") != rules.FLOW:
        await turn.notice(turn.t.gettext("This tip is no longer open. Send /tip to start again."))
        return None
    session.setdefault("d", {"photos": []})
    return session


async def _advance(turn: Turn, session: dict[str, Any]) -> None:
    """Save the changed draft and show its step in place of the pressed screen. The press is
    acknowledged after the screen changed, so the next press sees the new screen."""
    await turn.set_session(session)
    await _show_step(turn, session, replace=True)
    await turn.notice()


@router.on(Privacy)
async def on_privacy(turn: Turn, act: Privacy) -> None:
    await turn.notice()
    await turn.show(privacy_screen(turn.t, turn.caps.app))


@router.on(FollowupStart)
async def on_followup_start(turn: Turn, act: FollowupStart) -> None:
    if not turn.chat.private:
        await turn.notice()
        return
    await start_followup(turn)


@router.on(Cancel)
async def on_cancel(turn: Turn, act: Cancel) -> None:
    if not turn.chat.private:
        await turn.notice()
        return
    t = turn.t
    had = bool(await turn.session())
    await _clear(turn)  # (the draft's photos go with it: see setup)
    await turn.notice()
    await turn.show(Screen(
        t.gettext("Cancelled. Nothing was sent or kept.") if had
        else t.gettext("There is nothing to cancel."),
        _home_row(t),
    ), replace=True)


@router.on(Resume)
async def on_resume(turn: Turn, act: Resume) -> None:
    session = await _draft(turn)
    if session is None:
        return
    await _show_step(turn, session, replace=True)
    await turn.notice()


@router.on(Restart)
async def on_restart(turn: Turn, act: Restart) -> None:
    session = await _draft(turn)
    if session is None:
        return
    await service(turn).discard_draft_photos(session["d"])
    await _advance(turn, rules.new_draft())


# Presses that only move the draft on: the step each leads to.
_MOVES: dict[type[Action], Callable[[dict[str, Any]], str]] = {
    Go: lambda session: "category",
    UrgentOk: lambda session: _next(session, "category"),
    SkipPlace: lambda session: _next(session, "place"),
    PhotosDone: lambda session: _next(session, "photos"),
}


@router.on(Go, UrgentOk, SkipPlace, PhotosDone)
async def on_move(turn: Turn, act: Go | UrgentOk | SkipPlace | PhotosDone) -> None:
    session = await _draft(turn)
    if session is None:
        return
    session["step"] = _MOVES[type(act)](session)
    await _advance(turn, session)


@router.on(Category)
async def on_category(turn: Turn, act: Category) -> None:
    session = await _draft(turn)
    if session is None:
        return
    if act.key in rules.CATEGORY_KEYS:
        session["d"]["category"] = act.key
        session["step"] = "urgent" if act.key in rules.URGENT else _next(session, "category")
    await _advance(turn, session)


@router.on(ProvincePage)
async def on_province_page(turn: Turn, act: ProvincePage) -> None:
    session = await _draft(turn)
    if session is None:
        return
    session["step"] = "province"
    session["page"] = max(0, min(act.page, 99))
    await _advance(turn, session)


@router.on(Province)
async def on_province(turn: Turn, act: Province) -> None:
    session = await _draft(turn)
    if session is None:
        return
    if act.code.isdigit() and directory.get_province(act.code):
        session["province"] = int(act.code)
        session["step"] = "ward"
    await _advance(turn, session)


@router.on(Ward)
async def on_ward(turn: Turn, act: Ward) -> None:
    session = await _draft(turn)
    if session is None:
        return
    if not (act.code.isdigit() and directory.get_ward(act.code)):
        await _advance(turn, session)
        return
    await turn.show(rules.confirm_ward_screen(turn.t, int(act.code)), replace=True)
    await turn.notice()


@router.on(WardConfirm)
async def on_ward_confirm(turn: Turn, act: WardConfirm) -> None:
    session = await _draft(turn)
    if session is None:
        return
    if act.code.isdigit() and directory.get_ward(act.code):
        session["d"]["ward"] = int(act.code)
        session["step"] = _next(session, "ward") if not session.get("editing") else "place"
    await _advance(turn, session)


@router.on(When)
async def on_when(turn: Turn, act: When) -> None:
    session = await _draft(turn)
    if session is None:
        return
    if act.key in rules.WHEN_KEYS:
        session["d"]["when"] = act.key
        session["step"] = _next(session, "when")
    await _advance(turn, session)


_EDIT_TARGETS = {"cat": "category", "place": "province", "text": "text", "photos": "photos",
                 "when": "when"}


@router.on(Edit)
async def on_edit(turn: Turn, act: Edit) -> None:
    session = await _draft(turn)
    if session is None:
        return
    d = session["d"]
    if act.what == "nopin":
        d.pop("lat", None)
        d.pop("lon", None)
        session["step"] = "review"
    elif act.what in _EDIT_TARGETS:
        if act.what == "photos":
            await service(turn).discard_draft_photos(d)
        session["editing"] = True
        session["step"] = _EDIT_TARGETS[act.what]
        session["page"] = 0
    await _advance(turn, session)


@router.on(Send)
async def on_send(turn: Turn, act: Send) -> None:
    session = await _draft(turn)
    if session is None:
        return
    await _submit(turn, session)
    await turn.notice()


async def _submit(turn: Turn, session: dict[str, Any]) -> None:
    t = turn.t
    d = session.get("d", {})
    missing = rules.draft_missing(d)
    if missing:
        session["step"] = {"category": "category", "place": "province", "text": "text",
                           "when": "when"}[missing[0]]
        await turn.set_session(session)
        await _show_step(turn, session)
        return
    svc = service(turn)
    try:
        sub = await svc.submit(requester(turn), d)
    except TipError as exc:
        await turn.show(Screen(exc.text(t), _home_row(t)))
        return
    await _clear(turn)  # the draft is gone with the submit
    await show_receipt(turn, _without_watch(
        turn, rules.receipt_screen(t, sub, svc.watch_token(sub.tip_id), HOME,
                                  app=turn.caps.app)))


def _without_watch(turn: Turn, screen: Screen) -> Screen:
    """Where the bot cannot write to the person later (the web), no reply-ping opt-in is
    offered: it could never ping, and would only link the chat to the tip."""
    if turn.caps.reach_later:
        return screen
    rows = [row for row in screen.buttons if not any(isinstance(b.action, WatchAsk) for b in row)]
    return Screen(screen.text, rows, screen.photo, screen.document)


async def show_receipt(turn: Turn, screen: Screen) -> None:
    """Show the receipt, which exists nowhere else: retry transient errors a few times with
    backoff, and show it anew once replacing the review has failed (the review message may be
    gone, or replacing may keep failing while a new message works)."""
    replace = True
    delay = RECEIPT_BACKOFF
    for attempt in range(RECEIPT_ATTEMPTS):
        try:
            await turn.show(screen, replace=replace)
            return
        except Unreachable:  # the person blocked the bot: nobody can see it any more
            log.warning("receipt not shown: %s", "Unreachable")
            return
        except ShowRefused:  # not replaceable (or not showable): a new one, or give up
            if not replace:
                break
            replace = False
            continue
        except ShowLater as exc:  # rate limit, 5xx, timeouts, connection errors
            if exc.retry_after is not None:
                wait = exc.retry_after
            else:
                log.info("receipt retry in %.1fs: %s", delay, "ShowLater")
                wait = delay
                delay *= 2
        replace = False  # after a failed replace, a new screen is the surer way
        if attempt + 1 < RECEIPT_ATTEMPTS:
            await asyncio.sleep(min(wait, 10.0))
    log.error("receipt could not be shown after %d attempts", RECEIPT_ATTEMPTS)


async def _watch_tip(turn: Turn, tip_id: int, token: str) -> bool:
    if not turn.chat.private or not turn.caps.reach_later or tip_id <= 0 or \
            not service(turn).check_watch_token(tip_id, token):
        await turn.notice(turn.t.gettext("This button is no longer available."))
        return False
    await turn.notice()
    return True


@router.on(WatchAsk)
async def on_watch_ask(turn: Turn, act: WatchAsk) -> None:
    if await _watch_tip(turn, act.tip_id, act.token):
        await turn.show(rules.watch_explain_screen(turn.t, act.tip_id, act.token, HOME))


@router.on(WatchOn)
async def on_watch_on(turn: Turn, act: WatchOn) -> None:
    if not await _watch_tip(turn, act.tip_id, act.token):
        return
    t = turn.t
    ok = await service(turn).watch(act.tip_id, turn.chat.key, t.locale, channel=turn.chat.channel)
    text = (t.gettext("🔔 On. You will get a short message when the police reply; read it with "
                      "/followup and your receipt.") if ok
            else t.gettext("This tip is closed; there will be no more replies."))
    await turn.show(Screen(text, _home_row(t)), replace=True)


# -- follow-up -----------------------------------------------------------------------------------
async def _show_followup(turn: Turn, tip_id: int, *, replace: bool = False,
                         page: int | None = None) -> None:
    svc = service(turn)
    view = await svc.view(tip_id)
    if view is None or view.status == "closed":
        # Nothing more can be done with this tip here: its id leaves the session now.
        await _clear(turn)
    if view is None:
        await _say(turn, turn.t.gettext("This tip no longer exists."))
        return
    await turn.show(_without_watch(
        turn, rules.followup_screen(turn.t, view, svc.watch_token(tip_id), page)), replace=replace)


async def _followup(turn: Turn) -> tuple[dict[str, Any], int] | None:
    """This chat's follow-up session and its tip, or None after ending it (stale press)."""
    session = await turn.session() if turn.chat.private else {}
    tip_id = session.get("tip") if session.get("flow") == rules.FOLLOWUP_FLOW else None
    if not isinstance(tip_id, int) or tip_id <= 0:
        await _followup_done(turn)
        return None
    return session, tip_id


async def _followup_done(turn: Turn) -> None:
    if not turn.chat.private:
        await turn.notice()
        return
    await _clear(turn)
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Done. Use /followup and your receipt to come back."),
                           _home_row(turn.t)), replace=True)


@router.on(FollowDone)
async def on_follow_done(turn: Turn, act: FollowDone) -> None:
    await _followup_done(turn)


@router.on(FollowPage)
async def on_follow_page(turn: Turn, act: FollowPage) -> None:
    found = await _followup(turn)
    if found is None:
        return
    await turn.notice()
    page = act.page if 0 <= act.page < 10000 else None
    await _show_followup(turn, found[1], replace=True, page=page)


@router.on(FollowAnswer, FollowPhoto)
async def on_follow_add(turn: Turn, act: FollowAnswer | FollowPhoto) -> None:
    found = await _followup(turn)
    if found is None:
        return
    session, _tip = found
    t = turn.t
    await turn.notice()
    answer = isinstance(act, FollowAnswer)
    session["step"] = "answer" if answer else "photo"
    await turn.set_session(session, rules.FOLLOWUP_TTL)
    prompt = (t.gettext("Write your answer or the new details (up to {max} characters).").format(
        max=rules.MAX_ANSWER) if answer
        else t.gettext("Send one photo (it will be cleaned of location and camera data)."))
    await turn.show(Screen(prompt, [[Button(t.gettext("✅ Done"), action=FollowDone())]]))


@router.flow(rules.FOLLOWUP_FLOW)
async def on_followup_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    session = await turn.session()
    svc = service(turn)
    step = session.get("step")
    tip = session.get("tip")
    try:
        if step == "receipt":
            if not isinstance(inp, Text):  # not a receipt: nothing is counted
                if not await _refuse(turn, inp):
                    await turn.show(rules.followup_prompt(t))
                return
            tip_id = await svc.find_by_receipt(requester(turn), inp.text)
            if tip_id is None:
                await turn.show(Screen(
                    t.gettext("No tip matches this receipt number. Check the 16 digits and try again."),
                    [[Button(t.gettext("✖️ Cancel"), action=Cancel())]]))
                return
            session.update({"tip": tip_id, "step": "menu"})
            await turn.set_session(session, rules.FOLLOWUP_TTL)
            await _show_followup(turn, tip_id)
        elif step == "answer" and isinstance(tip, int):
            if not isinstance(inp, Text):
                if not await _refuse(turn, inp):
                    await _say(turn, t.gettext("Please write your answer as text."))
                return
            await svc.add_answer(tip, inp.text, requester(turn))
            session["step"] = "menu"
            await turn.set_session(session, rules.FOLLOWUP_TTL)
            await _say(turn, t.gettext("✅ Sent to the police."))
            await _show_followup(turn, tip)
        elif step == "photo" and isinstance(tip, int):
            if not isinstance(inp, Photo | File):
                if not await _refuse(turn, inp):
                    await _say(turn, t.gettext(
                        "Send one photo (it will be cleaned of location and camera data)."))
                return
            cleaned = await _cleaned_media(turn, inp)
            if cleaned is None:
                return
            await svc.add_followup_photo(tip, cleaned)
            session["step"] = "menu"
            await turn.set_session(session, rules.FOLLOWUP_TTL)
            await _say(turn, t.gettext("✅ Photo cleaned and sent to the police."))
            await _show_followup(turn, tip)
        else:
            await _show_followup(turn, tip if isinstance(tip, int) else 0)
    except TipError as exc:
        await _say(turn, exc.text(t))


# -- media and other inputs -----------------------------------------------------------------------
async def _refuse(turn: Turn, inp: Input) -> bool:
    """Explain why a voice/video message, a contact or another unsupported kind is not taken;
    True when `inp` was such a thing (and nothing changed)."""
    if not isinstance(inp, Unsupported):
        return False
    _ = turn.t.gettext
    if inp.kind in _VOICE_OR_VIDEO:
        await _say(turn, _(
            "🎙 Voice, audio and video messages are not accepted: a voice or a reflection can "
            "identify you, and they cannot be cleaned. Please describe it in writing, or send "
            "a photo."))
    elif inp.kind == "contact":
        await _say(turn, _("Please do not send contacts or phone numbers; they are not kept. "
                           "Continue with the options above."))
    else:
        await _say(turn, _("This kind of message cannot be taken here. Please choose one of the "
                           "options above, write text, or /cancel."))
    return True


def _is_image_file(inp: File) -> bool:
    return inp.mime.lower().startswith("image/") or inp.name.lower().endswith(_IMAGE_NAMES)


async def _cleaned_media(turn: Turn, inp: Photo | File) -> bytes | None:
    """The cleaned image of this photo or image file, or None after telling the person why
    not. Downloads only after the size and the day's cleaning limit allow it."""
    _ = turn.t.gettext
    if isinstance(inp, File) and not _is_image_file(inp):
        await _say(turn, _(
            "This kind of file is not accepted. Only photos and image files can be cleaned "
            "of hidden data (location, device, author names) before police see them; other "
            "files (PDF, documents, archives…) can carry such data, so they are refused."))
        return None
    if (inp.size or 0) > MAX_DOWNLOAD:
        await _say(turn, _("This image is too large. Please send a smaller one."))
        return None
    try:  # every image costs a download and a decode: counted per person and day
        await service(turn).count_decode(requester(turn))
    except TipError as exc:
        await _say(turn, exc.text(turn.t))
        return None
    raw = await inp.fetch()
    if len(raw) > MAX_DOWNLOAD:  # a channel that did not say the size beforehand
        await _say(turn, _("This image is too large. Please send a smaller one."))
        return None
    try:
        return await asyncio.to_thread(clean_image, raw)
    except NotAnImage:
        await _say(turn, _(
            "I could not read this as an image, so it could not be cleaned and was not kept. "
            "Please send it as a normal photo (JPEG or PNG)."))
        return None


async def _on_location(turn: Turn, session: dict[str, Any], step: str, inp: Location) -> None:
    _ = turn.t.gettext
    if step not in ("province", "ward", "place"):
        await _say(turn, _("A location pin can be sent at the “Where?” step."))
        return
    cands = directory.nearest(inp.latitude, inp.longitude)
    if not cands:
        await _say(turn, _("This pin is not in Viet Nam. Choose the province instead."))
        return
    d = session["d"]
    d["lat"] = round(float(inp.latitude), 5)
    d["lon"] = round(float(inp.longitude), 5)
    session["step"] = "province"
    await turn.set_session(session)
    await turn.show(rules.candidates_screen(turn.t, cands, pin=True))


async def _on_media(turn: Turn, session: dict[str, Any], step: str, inp: Photo | File) -> None:
    t = turn.t
    _ = t.gettext
    d = session["d"]
    if step not in ("photos", "text", "review"):
        await _say(turn, _("Photos can be added after you describe what happened."))
        return
    if len(d.get("photos", [])) >= rules.MAX_PHOTOS:
        await _say(turn, _("You can attach at most {max} photos.").format(max=rules.MAX_PHOTOS))
        return
    cleaned = await _cleaned_media(turn, inp)
    if cleaned is None:
        return
    try:
        n = await service(turn).add_draft_photo(d, cleaned)
    except TipError as exc:
        await _say(turn, exc.text(t))
        return
    if inp.caption and step == "text" and not d.get("text"):
        try:
            d["text"] = rules.check_text(inp.caption)
        except TipError:
            pass
    if step in ("text", "review") and not d.get("text"):
        await turn.set_session(session)
        await _say(turn, _("📷 Photo {n} cleaned and added. Now please describe what happened.")
                   .format(n=n))
        return
    session["step"] = "photos"
    await turn.set_session(session)
    await _say(turn, _("📷 Photo {n} cleaned and added.").format(n=n))
    await turn.show(rules.photos_prompt(t, n))


@router.flow(rules.FLOW)
async def on_tip_input(turn: Turn, inp: Input) -> None:
    t = turn.t
    _ = t.gettext
    session = await turn.session()
    session.setdefault("d", {"photos": []})
    step = str(session.get("step"))
    if await _refuse(turn, inp):
        return
    if isinstance(inp, Location):
        await _on_location(turn, session, step, inp)
        return
    if isinstance(inp, Photo | File):
        await _on_media(turn, session, step, inp)
        return
    text = inp.text if isinstance(inp, Text) else ""
    if not text.strip():
        await _say(turn, _("Please choose one of the options above, or /cancel."))
        return
    d = session["d"]
    if step == "province":
        options, province = directory.places(text, limit=8)
        if province is not None:
            session.update({"province": province.code, "step": "ward"})
            await turn.set_session(session)
            await turn.show(rules.ward_prompt(t, province.code))
            return
        await turn.show(rules.places_screen(t, options))
        return
    if step == "ward":
        cands = directory.search(text, province_code=session.get("province"), limit=8)
        await turn.show(rules.candidates_screen(t, cands))
        return
    if step == "place":
        d["place"] = text.strip()[: rules.MAX_PLACE]
        session["step"] = _next(session, "place")
    elif step == "text":
        try:
            d["text"] = rules.check_text(text)
        except TipError as exc:
            await _say(turn, exc.text(t))
            return
        session["step"] = _next(session, "text")
    else:
        await _say(turn, _("Please choose one of the options above, or /cancel."))
        return
    await turn.set_session(session)
    await _show_step(turn, session)


async def hygiene_job(bot: Any, runtime: Runtime) -> None:
    """Past days' abuse counters and abandoned draft photos go soon after they stop mattering,
    and so does expired flow state (a follow-up session names a tip)."""
    svc = runtime.services.tips
    if svc is not None:
        await svc.forget_past_days()
    if await runtime.sessions.purge_expired():
        await runtime.db.checkpoint()


async def setup(runtime: Runtime) -> None:
    tips = runtime.services.tips
    # Tip drafts and follow-ups live under the in-memory session key (bot/sessions.py).
    runtime.sessions.protect(rules.FLOW, rules.FOLLOWUP_FLOW)

    async def draft_ended(session: dict[str, Any]) -> None:
        # Sent, cancelled (button or /cancel), /deleteme, or replaced by another flow: the
        # draft's sealed photos go with it.
        await tips.discard_draft_photos(session.get("d") or {})

    runtime.sessions.on_end(rules.FLOW, draft_ended)

    # /deleteme: the reply-ping opt-ins of this person's private chats. A Telegram private
    # chat's id is its user's id; other channels name the chat "<channel>:<external id>".
    async def erase(user_id: int) -> None:
        for channel, external_id in await runtime.accounts.channels_of(user_id):
            chat: int | str = (int(external_id) if channel == rules.TELEGRAM
                               else f"{channel}:{external_id}")
            await tips.erase_watches(chat, channel=channel)

    runtime.users.register_eraser(erase)
