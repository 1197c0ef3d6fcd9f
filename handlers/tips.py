"""Anonymous tips, the citizen's side: /tip, the draft flow, the receipt and /followup.

Thin: rules live in bot.tips. Never logs message text or ids. Never creates a user record.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import directory
from bot import tips as rules
from bot.i18n import Translator
from bot.jobs import job
from bot.photos import NotAnImage, clean_image
from bot.runtime import Runtime
from bot.screens import Button, Screen
from bot.tips import TipError, TipService
from handlers import registry
from handlers.common import Context, answer, callback_parts, rt, show, tr
from handlers.tip_police import ensure_services

log = logging.getLogger(__name__)

MAX_DOWNLOAD = 20 * 1024 * 1024
# The receipt exists only in the message that shows it: a transient error must not lose it.
RECEIPT_ATTEMPTS = 4
RECEIPT_BACKOFF = 0.5  # seconds, doubled after each failure


def service(context: Context) -> TipService:
    svc: TipService = rt(context).services["tips"]
    return svc


def _chat_id(update: Update) -> int | None:
    return update.effective_chat.id if update.effective_chat else None


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def _save(context: Context, chat_id: int, session: dict[str, Any], ttl: int | None = None) -> None:
    if ttl is None:
        await rt(context).sessions.set(chat_id, session)
    else:
        await rt(context).sessions.set(chat_id, session, ttl=ttl)


async def _clear(context: Context, chat_id: int) -> None:
    await rt(context).sessions.clear(chat_id)
    service(context).checkpoint_soon()  # the deleted draft must not linger in the WAL


def _group_redirect(update: Update, context: Context, t: Translator, payload: str) -> Screen:
    username = rt(context).bot_username or context.bot.username
    return Screen(
        t.gettext("Tips are taken only in a private chat with me, so nobody in this group sees "
                  "them. Tap the button to open it."),
        [[Button(t.gettext("🛡 Send a tip privately"), url=f"https://t.me/{username}?start={payload}")]],
    )


# -- entry points -------------------------------------------------------------------------------
async def tip_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    if not _private(update):
        await show(update, context, _group_redirect(update, context, t, "tip"))  # records nothing
        return
    await start_tip(update, context)


async def start_tip(update: Update, context: Context, _arg: str = "") -> None:
    chat_id = _chat_id(update)
    if chat_id is None or not _private(update):
        return
    t = await tr(update, context)
    session = await rt(context).sessions.get(chat_id)
    if session.get("flow") == rules.FLOW and session.get("step") not in (None, "intro"):
        # A draft in progress (e.g. after a restart): offer to continue it.
        await answer(update)
        await show(update, context, Screen(
            t.gettext("You have an unfinished tip. Continue it or start again?"),
            [[Button(t.gettext("▶️ Continue"), data="tip:resume")],
             [Button(t.gettext("🔄 Start again"), data="tip:restart")],
             [Button(t.gettext("✖️ Cancel"), data="tip:x")]],
        ), edit=update.callback_query is not None)
        return
    await _save(context, chat_id, rules.new_draft())
    await answer(update)
    await show(update, context, rules.intro_screen(t), edit=update.callback_query is not None)


async def menu_tip(update: Update, context: Context) -> None:
    await start_tip(update, context)


async def followup_command(update: Update, context: Context) -> None:
    t = await tr(update, context)
    if not _private(update):
        await show(update, context, _group_redirect(update, context, t, "followup"))
        return
    await start_followup(update, context)


async def start_followup(update: Update, context: Context, _arg: str = "") -> None:
    chat_id = _chat_id(update)
    if chat_id is None or not _private(update):
        return
    t = await tr(update, context)
    await _save(context, chat_id, {"flow": rules.FOLLOWUP_FLOW, "step": "receipt"}, rules.FOLLOWUP_TTL)
    await answer(update)
    await show(update, context, rules.followup_prompt(t))


# -- the draft flow ---------------------------------------------------------------------------
async def _show_step(update: Update, context: Context, session: dict[str, Any], t: Translator,
                     *, edit: bool = False) -> None:
    step = session.get("step")
    d = session.setdefault("d", {"photos": []})
    screens = {
        "intro": lambda: rules.intro_screen(t),
        "category": lambda: rules.category_screen(t),
        "urgent": lambda: rules.urgent_screen(t),
        "province": lambda: rules.province_screen(t, int(session.get("page", 0))),
        "ward": lambda: rules.ward_prompt(t, int(session.get("province", 0))),
        "place": lambda: rules.place_prompt(t),
        "text": lambda: rules.text_prompt(t),
        "photos": lambda: rules.photos_prompt(t, len(d.get("photos", []))),
        "when": lambda: rules.when_screen(t),
        "review": lambda: rules.review_screen(t, d),
    }
    screen = screens.get(str(step), screens["intro"])()
    await show(update, context, screen, edit=edit)


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


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    chat_id = _chat_id(update)
    t = await tr(update, context)
    if chat_id is None or not _private(update):
        await answer(update)
        return
    if action in ("wq", "won"):
        await _watch_button(update, context, parts, t)
        return
    if action == "privacy":
        from handlers.start import privacy_screen

        await answer(update)
        await show(update, context, privacy_screen(t))
        return
    if action == "fu":
        await start_followup(update, context)
        return
    if action in ("fa", "fph", "fx", "fpg"):
        await _followup_button(update, context, action, t, parts[2] if len(parts) > 2 else "")
        return
    session = await rt(context).sessions.get(chat_id)
    if action == "x":
        had = bool(session)
        await _clear(context, chat_id)  # (the draft's photos go with it: see setup)
        await answer(update)
        await show(update, context, Screen(
            t.gettext("Cancelled. Nothing was sent or kept.") if had
            else t.gettext("There is nothing to cancel."),
            [[Button(t.gettext("⬅️ Main menu"), data="m:home")]],
        ), edit=True)
        return
    if session.get("flow") != rules.FLOW:
        await answer(update, t.gettext("This tip is no longer open. Send /tip to start again."))
        return
    d = session.setdefault("d", {"photos": []})
    svc = service(context)
    arg = parts[2] if len(parts) > 2 else ""
    # The button is answered after the screen changed, so the next press sees the new screen.
    if action == "resume":
        await _show_step(update, context, session, t, edit=True)
        await answer(update)
        return
    if action == "restart":
        await svc.discard_draft_photos(d)
        session = rules.new_draft()
    elif action == "go":
        session["step"] = "category"
    elif action == "c" and arg in rules.CATEGORY_KEYS:
        d["category"] = arg
        session["step"] = "urgent" if arg in rules.URGENT else _next(session, "category")
    elif action == "urgent_ok":
        session["step"] = _next(session, "category")
    elif action == "pp":
        session["step"] = "province"
        session["page"] = int(arg) if arg.isdigit() else 0
    elif action == "p" and arg.isdigit() and directory.get_province(arg):
        session["province"] = int(arg)
        session["step"] = "ward"
    elif action == "w" and arg.isdigit() and directory.get_ward(arg):
        await _save(context, chat_id, session)
        await show(update, context, rules.confirm_ward_screen(t, int(arg)), edit=True)
        await answer(update)
        return
    elif action == "wc" and arg.isdigit() and directory.get_ward(arg):
        d["ward"] = int(arg)
        session["step"] = _next(session, "ward") if not session.get("editing") else "place"
    elif action == "ps":
        session["step"] = _next(session, "place")
    elif action == "phd":
        session["step"] = _next(session, "photos")
    elif action == "t" and arg in rules.WHEN_KEYS:
        d["when"] = arg
        session["step"] = _next(session, "when")
    elif action == "e":
        targets = {"cat": "category", "place": "province", "text": "text", "photos": "photos",
                   "when": "when"}
        if arg == "nopin":
            d.pop("lat", None)
            d.pop("lon", None)
            session["step"] = "review"
        elif arg in targets:
            if arg == "photos":
                await svc.discard_draft_photos(d)
            session["editing"] = True
            session["step"] = targets[arg]
            session["page"] = 0
    elif action == "send":
        await _submit(update, context, session, t)
        await answer(update)
        return
    await _save(context, chat_id, session)
    await _show_step(update, context, session, t, edit=True)
    await answer(update)


async def _submit(update: Update, context: Context, session: dict[str, Any], t: Translator) -> None:
    chat_id = _chat_id(update)
    user = update.effective_user
    if chat_id is None or user is None:
        return
    d = session.get("d", {})
    missing = rules.draft_missing(d)
    if missing:
        session["step"] = {"category": "category", "place": "province", "text": "text",
                           "when": "when"}[missing[0]]
        await _save(context, chat_id, session)
        await _show_step(update, context, session, t)
        return
    svc = service(context)
    try:
        sub = await svc.submit(user.id, d)
    except TipError as exc:
        await show(update, context, Screen(exc.text(t), [[Button(t.gettext("⬅️ Main menu"), data="m:home")]]))
        return
    await _clear(context, chat_id)  # the draft is gone with the submit
    await show_receipt(update, context, rules.receipt_screen(t, sub, svc.watch_token(sub.tip_id)))


async def show_receipt(update: Update, context: Context, screen: Screen) -> None:
    """Show the receipt, which exists nowhere else: retry transient errors a few times with
    backoff, and send it as a new message once editing the review has failed (the review
    message may be gone, or editing may keep failing while sending works)."""
    edit = True
    delay = RECEIPT_BACKOFF
    for attempt in range(RECEIPT_ATTEMPTS):
        try:
            await show(update, context, screen, edit=edit)
            return
        except RetryAfter as exc:
            after = exc.retry_after
            wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
        except Forbidden:  # the person blocked the bot: nobody can see it any more
            log.warning("receipt not shown: %s", "Forbidden")
            return
        except BadRequest:  # not editable (or not sendable): a new message, or give up
            if not edit:
                break
            edit = False
            continue
        except NetworkError as exc:  # 5xx, timeouts, connection errors
            log.info("receipt retry in %.1fs: %s", delay, type(exc).__name__)
            wait = delay
            delay *= 2
        edit = False  # after a failed edit, a new message is the surer way
        if attempt + 1 < RECEIPT_ATTEMPTS:
            await asyncio.sleep(min(wait, 10.0))
    log.error("receipt could not be shown after %d attempts", RECEIPT_ATTEMPTS)


async def _watch_button(update: Update, context: Context, parts: list[str], t: Translator) -> None:
    svc = service(context)
    chat_id = _chat_id(update)
    tip_id = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0
    token = parts[3] if len(parts) > 3 else ""
    if chat_id is None or not tip_id or not svc.check_watch_token(tip_id, token):
        await answer(update, t.gettext("This button is no longer available."))
        return
    await answer(update)
    if parts[1] == "wq":
        await show(update, context, rules.watch_explain_screen(t, tip_id, token))
        return
    ok = await svc.watch(tip_id, chat_id, t.locale)
    text = (t.gettext("🔔 On. You will get a short message when the police reply; read it with "
                      "/followup and your receipt.") if ok
            else t.gettext("This tip is closed; there will be no more replies."))
    await show(update, context, Screen(text, [[Button(t.gettext("⬅️ Main menu"), data="m:home")]]), edit=True)


# -- follow-up -----------------------------------------------------------------------------------
async def _show_followup(update: Update, context: Context, tip_id: int, t: Translator,
                         *, edit: bool = False, page: int | None = None) -> None:
    svc = service(context)
    view = await svc.view(tip_id)
    chat_id = _chat_id(update)
    if (view is None or view.status == "closed") and chat_id is not None:
        # Nothing more can be done with this tip here: its id leaves the session now.
        await _clear(context, chat_id)
    if view is None:
        await show(update, context, Screen(t.gettext("This tip no longer exists.")))
        return
    await show(update, context, rules.followup_screen(t, view, svc.watch_token(tip_id), page),
               edit=edit)


async def _followup_button(update: Update, context: Context, action: str, t: Translator,
                           arg: str = "") -> None:
    chat_id = _chat_id(update)
    if chat_id is None:
        return
    session = await rt(context).sessions.get(chat_id)
    tip_id = session.get("tip") if session.get("flow") == rules.FOLLOWUP_FLOW else None
    if action == "fx" or not tip_id:
        await _clear(context, chat_id)
        await answer(update)
        await show(update, context, Screen(
            t.gettext("Done. Use /followup and your receipt to come back."),
            [[Button(t.gettext("⬅️ Main menu"), data="m:home")]]), edit=True)
        return
    await answer(update)
    if action == "fpg":  # another page of a long thread
        page = int(arg) if arg.isdigit() and len(arg) < 5 else None
        await _show_followup(update, context, int(tip_id), t, edit=True, page=page)
        return
    session["step"] = "answer" if action == "fa" else "photo"
    await _save(context, chat_id, session, rules.FOLLOWUP_TTL)
    prompt = (t.gettext("Write your answer or the new details (up to {max} characters).").format(
        max=rules.MAX_ANSWER) if action == "fa"
        else t.gettext("Send one photo (it will be cleaned of location and camera data)."))
    await show(update, context, Screen(prompt, [[Button(t.gettext("✅ Done"), data="tip:fx")]]))


async def on_followup_input(update: Update, context: Context) -> None:
    msg = update.effective_message
    chat_id = _chat_id(update)
    user = update.effective_user
    if msg is None or chat_id is None or user is None:
        return
    t = await tr(update, context)
    session = await rt(context).sessions.get(chat_id)
    svc = service(context)
    step = session.get("step")
    try:
        if step == "receipt":
            tip_id = await svc.find_by_receipt(user.id, msg.text or "")
            if tip_id is None:
                await show(update, context, Screen(
                    t.gettext("No tip matches this receipt number. Check the 16 digits and try again."),
                    [[Button(t.gettext("✖️ Cancel"), data="tip:x")]]))
                return
            session.update({"tip": tip_id, "step": "menu"})
            await _save(context, chat_id, session, rules.FOLLOWUP_TTL)
            await _show_followup(update, context, tip_id, t)
        elif step == "answer" and session.get("tip"):
            if msg.text is None:
                await show(update, context, Screen(t.gettext("Please write your answer as text.")))
                return
            await svc.add_answer(int(session["tip"]), msg.text, user.id)
            session["step"] = "menu"
            await _save(context, chat_id, session, rules.FOLLOWUP_TTL)
            await show(update, context, Screen(t.gettext("✅ Sent to the police.")))
            await _show_followup(update, context, int(session["tip"]), t)
        elif step == "photo" and session.get("tip"):
            cleaned = await _cleaned_media(update, context, t)
            if cleaned is None:
                return
            await svc.add_followup_photo(int(session["tip"]), cleaned)
            session["step"] = "menu"
            await _save(context, chat_id, session, rules.FOLLOWUP_TTL)
            await show(update, context, Screen(t.gettext("✅ Photo cleaned and sent to the police.")))
            await _show_followup(update, context, int(session["tip"]), t)
        else:
            await _show_followup(update, context, int(session.get("tip") or 0), t)
    except TipError as exc:
        await show(update, context, Screen(exc.text(t)))


# -- media -----------------------------------------------------------------------------------------
async def _cleaned_media(update: Update, context: Context, t: Translator) -> bytes | None:
    """The cleaned image of this message, or None after telling the person why not."""
    msg = update.effective_message
    if msg is None:
        return None
    _ = t.gettext
    if msg.voice or msg.video or msg.video_note or msg.audio or msg.animation:
        await show(update, context, Screen(_(
            "🎙 Voice, audio and video messages are not accepted: a voice or a reflection can "
            "identify you, and they cannot be cleaned. Please describe it in writing, or send "
            "a photo.")))
        return None
    file_id = None
    size = 0
    if msg.photo:
        largest = msg.photo[-1]
        file_id, size = largest.file_id, largest.file_size or 0
    elif msg.document:
        doc = msg.document
        mime = (doc.mime_type or "").lower()
        name = (doc.file_name or "").lower()
        if mime.startswith("image/") or name.endswith((".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic")):
            file_id, size = doc.file_id, doc.file_size or 0
        else:
            await show(update, context, Screen(_(
                "This kind of file is not accepted. Only photos and image files can be cleaned "
                "of hidden data (location, device, author names) before police see them; other "
                "files (PDF, documents, archives…) can carry such data, so they are refused.")))
            return None
    else:
        return None
    if size > MAX_DOWNLOAD:
        await show(update, context, Screen(_("This image is too large. Please send a smaller one.")))
        return None
    if update.effective_user is None:
        return None
    try:  # every image costs a download and a decode: counted per person and day
        await service(context).count_decode(update.effective_user.id)
    except TipError as exc:
        await show(update, context, Screen(exc.text(t)))
        return None
    tg_file = await context.bot.get_file(file_id)
    raw = bytes(await tg_file.download_as_bytearray())
    try:
        return await asyncio.to_thread(clean_image, raw)
    except NotAnImage:
        await show(update, context, Screen(_(
            "I could not read this as an image, so it could not be cleaned and was not kept. "
            "Please send it as a normal photo (JPEG or PNG).")))
        return None


def _has_media(msg: Message) -> bool:
    return bool(msg.photo or msg.document or msg.voice or msg.video or msg.video_note
                or msg.audio or msg.animation)


async def on_tip_input(update: Update, context: Context) -> None:
    msg = update.effective_message
    chat_id = _chat_id(update)
    if msg is None or chat_id is None:
        return
    t = await tr(update, context)
    _ = t.gettext
    session = await rt(context).sessions.get(chat_id)
    d = session.setdefault("d", {"photos": []})
    step = str(session.get("step"))
    if msg.contact:
        await show(update, context, Screen(_("Please do not send contacts or phone numbers; they "
                                             "are not kept. Continue with the buttons.")))
        return
    if msg.location is not None:
        if step not in ("province", "ward", "place"):
            await show(update, context, Screen(_("A location pin can be sent at the “Where?” step.")))
            return
        cands = directory.nearest(msg.location.latitude, msg.location.longitude)
        if not cands:
            await show(update, context, Screen(_("This pin is not in Viet Nam. Choose the province instead.")))
            return
        d["lat"] = round(float(msg.location.latitude), 5)
        d["lon"] = round(float(msg.location.longitude), 5)
        session["step"] = "province"
        await _save(context, chat_id, session)
        await show(update, context, rules.candidates_screen(t, cands, pin=True))
        return
    if _has_media(msg):
        if step not in ("photos", "text", "review"):
            if msg.voice or msg.video or msg.video_note or msg.audio or msg.animation:
                await _cleaned_media(update, context, t)  # explains the refusal
            else:
                await show(update, context, Screen(_("Photos can be added after you describe what happened.")))
            return
        if len(d.get("photos", [])) >= rules.MAX_PHOTOS:
            await show(update, context, Screen(_("You can attach at most {max} photos.").format(max=rules.MAX_PHOTOS)))
            return
        cleaned = await _cleaned_media(update, context, t)
        if cleaned is None:
            return
        try:
            n = await service(context).add_draft_photo(d, cleaned)
        except TipError as exc:
            await show(update, context, Screen(exc.text(t)))
            return
        if msg.caption and step == "text" and not d.get("text"):
            try:
                d["text"] = rules.check_text(msg.caption)
            except TipError:
                pass
        if step in ("text", "review") and not d.get("text"):
            await _save(context, chat_id, session)
            await show(update, context, Screen(_("📷 Photo {n} cleaned and added. Now please "
                                                 "describe what happened.").format(n=n)))
            return
        session["step"] = "photos"
        await _save(context, chat_id, session)
        await show(update, context, Screen(_("📷 Photo {n} cleaned and added.").format(n=n)))
        await show(update, context, rules.photos_prompt(t, n))
        return
    text = msg.text or ""
    if not text:
        return
    if step == "province":
        options, province = directory.places(text, limit=8)
        if province is not None:
            session.update({"province": province.code, "step": "ward"})
            await _save(context, chat_id, session)
            await show(update, context, rules.ward_prompt(t, province.code))
            return
        await show(update, context, rules.places_screen(t, options))
        return
    if step == "ward":
        cands = directory.search(text, province_code=session.get("province"), limit=8)
        await show(update, context, rules.candidates_screen(t, cands))
        return
    if step == "place":
        d["place"] = text.strip()[: rules.MAX_PLACE]
        session["step"] = _next(session, "place")
    elif step == "text":
        try:
            d["text"] = rules.check_text(text)
        except TipError as exc:
            await show(update, context, Screen(exc.text(t)))
            return
        session["step"] = _next(session, "text")
    else:
        await show(update, context, Screen(_("Please use the buttons above, or /cancel.")))
        return
    await _save(context, chat_id, session)
    await _show_step(update, context, session, t)


@job("tips_hygiene", every_seconds=600, first=20)
async def hygiene_job(bot: Any, runtime: Runtime) -> None:
    """Past days' abuse counters and abandoned draft photos go soon after they stop mattering,
    and so does expired flow state (a follow-up session names a tip)."""
    svc = runtime.services.get("tips")
    if svc is not None:
        await svc.forget_past_days()
    if await runtime.sessions.purge_expired():
        await runtime.db.checkpoint()


async def setup(app: Application, runtime: Runtime) -> None:
    tips, _police, _worker = ensure_services(runtime)
    # Tip drafts and follow-ups live under the in-memory session key (bot/sessions.py).
    runtime.sessions.protect(rules.FLOW, rules.FOLLOWUP_FLOW)


    async def draft_ended(session: dict[str, Any]) -> None:
        # Sent, cancelled (button or /cancel), /deleteme, or replaced by another flow: the
        # draft's sealed photos go with it.
        await tips.discard_draft_photos(session.get("d") or {})

    runtime.sessions.on_end(rules.FLOW, draft_ended)
    # /deleteme: the reply-ping opt-ins of this person's private chat (its id is the user id).
    async def erase(user_id: int) -> None:
        await tips.erase_watches(user_id)

    runtime.users.register_eraser(erase)
    registry.flow(rules.FLOW, on_tip_input)
    registry.flow(rules.FOLLOWUP_FLOW, on_followup_input)
    registry.deep_link("tip", start_tip)
    registry.deep_link("followup", start_followup)
    registry.menu_entry("tip", menu_tip)
    app.add_handler(CommandHandler("tip", tip_command))
    app.add_handler(CommandHandler("followup", followup_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^tip:"))
