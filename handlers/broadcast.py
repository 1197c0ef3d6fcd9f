"""Broadcasts: the Bot API transport of the engine, /broadcast (an admin's wizard: message,
optional second-language version, optional link buttons, area, topic, language, time,
preview), the live progress message and its Cancel button."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any

from telegram import Bot, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.aiohttp_request import AiohttpRequest
from bot.broadcast import (
    BLOCKED,
    FAILED,
    GONE,
    RETRY,
    SENT,
    TOPIC_EVENTS,
    TOPIC_FACTS,
    TOPIC_NAMES,
    TOPIC_QUIZ,
    TRANSIENT,
    BroadcastError,
    BroadcastService,
    Content,
    LinkButton,
    OutMessage,
    SendResult,
    Target,
    parse_link_buttons,
    progress_screen,
)
from bot.config import SUPPORTED_LOCALES
from bot.events import parse_local
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.runtime import Runtime
from bot.screens import Button, Screen, esc
from bot.subscriptions import (
    area_label,
    province_buttons,
    province_key,
    search_results,
    ward_key,
    ward_page,
)
from handlers import registry
from handlers.common import Context, answer, callback_parts, markup, rt, show, tr

log = logging.getLogger(__name__)
FLOW = "bc_new"


# -- the transport ----------------------------------------------------------------------------
def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, dt.timedelta) else float(value)


class TelegramTransport:
    """The engine's own Bot (aiohttp client, no rate limiter: the engine paces itself and must
    see every 429)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    async def open(cls, runtime: Runtime, pool: int = 64) -> TelegramTransport:
        settings = runtime.settings
        bot = Bot(
            settings.token,
            base_url=settings.api_base_url,
            base_file_url=settings.file_url,
            request=AiohttpRequest(connection_pool_size=pool),
        )
        try:
            await bot.initialize()
        except Exception:
            await bot.shutdown()
            raise
        return cls(bot)

    async def send(self, chat_id: int, message: OutMessage) -> SendResult:
        reply_markup = markup(message.buttons)
        paid = True if message.paid else None
        try:
            if message.photo:
                sent = await self.bot.send_photo(
                    chat_id, message.photo, caption=message.text or None,
                    parse_mode=ParseMode.HTML, reply_markup=reply_markup,
                    allow_paid_broadcast=paid,
                )
            else:
                sent = await self.bot.send_message(
                    chat_id, message.text, parse_mode=ParseMode.HTML, reply_markup=reply_markup,
                    allow_paid_broadcast=paid,
                )
        except RetryAfter as exc:
            return SendResult(RETRY, retry_after=_seconds(exc))
        except Forbidden:
            return SendResult(BLOCKED)
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return SendResult(GONE)
            return SendResult(FAILED, detail=type(exc).__name__)
        except (TimedOut, NetworkError) as exc:
            return SendResult(TRANSIENT, detail=type(exc).__name__)
        return SendResult(SENT, sent.message_id)

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        reply_markup = markup(screen.buttons)
        if message_id is not None:
            try:
                await self.bot.edit_message_text(
                    screen.text, chat_id, message_id, parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                )
                return message_id
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return message_id
                if "not found" not in str(exc).lower():
                    raise
        sent = await self.bot.send_message(
            chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
        )
        return sent.message_id

    async def close(self) -> None:
        await self.bot.shutdown()


# -- the wizard -----------------------------------------------------------------------------------
def service(context: Context) -> BroadcastService:
    svc: BroadcastService = rt(context).services["broadcast"]
    return svc


def _target_of(draft: dict[str, Any]) -> Target:
    return Target(draft.get("province"), draft.get("ward"), draft.get("topic") or None,
                  draft.get("locale") or None)


def target_text(t: Translator, target: Target) -> str:
    _ = t.gettext
    area = area_label(target.province, target.ward) or _("All of Vietnam")
    topic = _(TOPIC_NAMES[target.topic]) if target.topic in TOPIC_NAMES else _("all subscribers")
    lang = LANGUAGE_NAMES.get(target.locale or "", _("all languages"))
    return _("Area: {area}\nTopic: {topic}\nLanguage: {language}").format(
        area=esc(area), topic=esc(topic), language=esc(lang)
    )


async def _campaigns_screen(context: Context, t: Translator) -> Screen:
    _ = t.gettext
    from storage import broadcasts as repo

    rows = await repo.recent(rt(context).db, 8)
    lines = [_("📣 <b>Broadcasts</b>"), ""]
    buttons = [[Button(_("➕ New campaign"), data="bc:new")]]
    for row in rows:
        lines.append(_("#{id}: {status}, {when}").format(
            id=row["id"], status=esc(_status_name(t, row["status"])),
            when=esc(t.datetime(dt.datetime.fromtimestamp(int(row["scheduled_at"]), dt.UTC))),
        ))
        buttons.append([Button(_("Campaign #{id}").format(id=row["id"]), data=f"bc:v:{row['id']}")])
    if not rows:
        lines.append(_("No campaigns yet."))
    return Screen("\n".join(lines), buttons)


def _status_name(t: Translator, status: str) -> str:
    _ = t.gettext
    return {
        "scheduled": _("scheduled"), "running": _("sending"), "done": _("finished"),
        "cancelled": _("cancelled"), "expired": _("expired"),
    }.get(status, status)


async def broadcast_command(update: Update, context: Context) -> None:
    user = update.effective_user
    chat = update.effective_chat
    t = await tr(update, context)
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    if not await service(context).can_broadcast(user.id):
        await show(update, context, Screen(t.gettext("Only administrators can send broadcasts.")))
        return
    await show(update, context, await _campaigns_screen(context, t))


async def _ask_text(update: Update, context: Context, t: Translator) -> None:
    chat = update.effective_chat
    assert chat is not None
    await rt(context).sessions.set(chat.id, {"flow": FLOW, "step": "text"}, ttl=3 * 3600)
    await show(update, context, Screen(t.gettext(
        "📣 <b>New campaign</b> (step 1 of 7)\n\nSend the message: text, or a photo with a caption. "
        "Bold, italic and links are kept. /cancel stops."
    )))


def _translation_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 2 of 7 (optional): the same message in the other language. Each subscriber gets "
          "the version in the language they chose; without a second version everyone gets the "
          "message you sent."),
        [[Button(_("🇬🇧 Add the English version"), data="bc:tr:en")],
         [Button(_("🇻🇳 Add the Vietnamese version"), data="bc:tr:vi")],
         [Button(_("⏭ One text for everyone"), data="bc:tr:-")]],
    )


def _translation_prompt(t: Translator, locale: str, photo: bool) -> Screen:
    _ = t.gettext
    text = (
        _("Send the {language} version of the caption (the photo stays the same).") if photo
        else _("Send the {language} version of the message.")
    )
    return Screen(text.format(language=LANGUAGE_NAMES[locale]),
                  [[Button(_("⏭ One text for everyone"), data="bc:tr:-")]])


def _buttons_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 3 of 7 (optional): link buttons under the message. Send up to 3 lines, one "
          "button each, like:\n<code>Register | https://example.org/walk</code>\n"
          "Links must start with https://, http:// or tg://."),
        [[Button(_("⏭ No buttons"), data="bc:b:-")]],
    )


def _link_rows(draft: dict[str, Any]) -> list[list[Button]]:
    return [[Button(str(label), url=str(url))] for label, url in draft.get("buttons") or []]


def _texts_of(draft: dict[str, Any]) -> dict[str, str]:
    """Text per language: the second version for its language, the main text for the rest."""
    texts = {loc: draft["text"] for loc in SUPPORTED_LOCALES}
    if draft.get("tr_locale") in texts and draft.get("tr_text"):
        texts[draft["tr_locale"]] = draft["tr_text"]
    return texts


async def _area_screen(context: Context, t: Translator, user_id: int) -> Screen:
    allowed = await service(context).allowed_provinces(user_id)
    rows = []
    if allowed is None:
        rows.append([Button(t.gettext("🇻🇳 All of Vietnam"), data="bc:a")])
    rows += province_buttons("bc:p", allowed)
    return Screen(t.gettext("Step 4 of 7: who should receive it? Choose the area:"), rows)


def _topic_screen(t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(_("Everyone subscribed in the area"), data="bc:t:0")]]
    rows += [[Button(_(TOPIC_NAMES[bit]), data=f"bc:t:{bit}")] for bit in (TOPIC_EVENTS, TOPIC_FACTS, TOPIC_QUIZ)]
    return Screen(_("Step 5 of 7: only subscribers of one topic?"), rows)


def _language_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(_("Step 6 of 7: which language do the recipients use?"), [
        [Button(_("All languages"), data="bc:l:-")],
        [Button("🇻🇳 Tiếng Việt", data="bc:l:vi"), Button("🇬🇧 English", data="bc:l:en")],
    ])


def _when_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 7 of 7: when? Press “Send now” or type a date and time like 26/6 08:00. "
          "Nothing is sent during quiet hours; it waits until they end."),
        [[Button(_("▶️ Send now"), data="bc:n")]],
    )


async def _preview(update: Update, context: Context, t: Translator, draft: dict[str, Any]) -> None:
    _ = t.gettext
    svc = service(context)
    target = _target_of(draft)
    count = await svc.count_recipients(target)
    when = (
        t.datetime(dt.datetime.fromtimestamp(int(draft["when"]), dt.UTC)) if draft.get("when")
        else _("now")
    )
    chat = update.effective_chat
    assert chat is not None
    # The message exactly as recipients see it (each version), with its link buttons.
    versions = [draft["text"]] + ([draft["tr_text"]] if draft.get("tr_text") else [])
    reply_markup = markup(_link_rows(draft))
    for version in versions:
        if draft.get("photo"):
            await context.bot.send_photo(
                chat.id, draft["photo"], caption=version or None, reply_markup=reply_markup
            )
        else:
            await context.bot.send_message(chat.id, version, reply_markup=reply_markup)
    if draft.get("tr_text"):
        other = draft["tr_locale"]
        main = next(loc for loc in SUPPORTED_LOCALES if loc != other)
        languages = _("Texts: {main} gets the first message, {other} the second.").format(
            main=LANGUAGE_NAMES[main], other=LANGUAGE_NAMES[other]
        )
    else:
        languages = _("Texts: the same message for every language.")
    links = ", ".join(esc(label) for label, _url in draft.get("buttons") or [])
    text = "\n".join([
        _("<b>Ready to send?</b>"),
        target_text(t, target),
        languages,
        _("Link buttons: {buttons}").format(buttons=links) if links else _("Link buttons: none"),
        _("When: {when}").format(when=esc(when)),
        _("Recipients now: {n}").format(n=t.number(count)),
        _("Every message gets a “🔕 Unsubscribe” button."),
    ])
    await show(update, context, Screen(text, [[
        Button(_("✅ Send"), data="bc:ok"), Button(_("🗑 Discard"), data="bc:no"),
    ]]))


async def on_input(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    user = update.effective_user
    if chat is None or message is None or user is None:
        return
    t = await tr(update, context)
    sessions = rt(context).sessions
    draft = await sessions.get(chat.id)
    step = draft.get("step")
    if step == "text":
        photo = message.photo[-1].file_id if message.photo else None
        text = message.caption_html if photo else message.text_html
        content = Content({"x": text or ""}, photo)
        try:
            service(context).validate_content(content)
        except BroadcastError as exc:
            await show(update, context, Screen(exc.text(t)))
            return
        draft.update({"step": "translation", "text": text or "", "photo": photo})
        await sessions.set(chat.id, draft, ttl=3 * 3600)
        await show(update, context, _translation_screen(t))
    elif step == "translation_text" and draft.get("tr_locale") in LANGUAGE_NAMES:
        text = message.caption_html if message.photo else message.text_html
        content = Content({"x": text or ""}, draft.get("photo"))
        try:
            if not (text or "").strip():
                raise BroadcastError(N_("The message is empty."))
            service(context).validate_content(content)
        except BroadcastError as exc:
            await show(update, context, Screen(exc.text(t)))
            return
        draft.update({"step": "buttons", "tr_text": text})
        await sessions.set(chat.id, draft, ttl=3 * 3600)
        await show(update, context, _buttons_screen(t))
    elif step == "buttons":
        try:
            rows = parse_link_buttons(message.text or "")
        except BroadcastError as exc:
            # Nothing changes: the same step again, with what was wrong.
            await show(update, context, Screen(
                exc.text(t) + "\n\n" + _buttons_screen(t).text, _buttons_screen(t).buttons
            ))
            return
        draft.update({
            "step": "area",
            "buttons": [[next(iter(row[0].text.values())), row[0].url] for row in rows],
        })
        await sessions.set(chat.id, draft, ttl=3 * 3600)
        await show(update, context, await _area_screen(context, t, user.id))
    elif step == "ward" and draft.get("province"):
        query = (message.text or "").strip()[:100]
        await show(update, context, search_results(t, query, draft["province"], "bc:w", "bc:w:-"))
    elif step == "when":
        value = parse_local(message.text or "", rt(context).clock.now(), rt(context).settings.tz)
        if value is None or value < rt(context).clock.now() - dt.timedelta(minutes=1):
            await show(update, context, Screen(t.gettext(
                "I could not read that time, or it is in the past. Write it like 26/6 08:00."
            ), _when_screen(t).buttons))
            return
        draft.update({"step": "confirm", "when": int(value.timestamp())})
        await sessions.set(chat.id, draft, ttl=3 * 3600)
        await _preview(update, context, t, draft)
    else:
        await show(update, context, Screen(t.gettext("Please use the buttons above, or /cancel.")))


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = await tr(update, context)
    svc = service(context)
    action = parts[1] if len(parts) > 1 else ""
    if action == "x" and len(parts) == 3 and parts[2].isdigit():
        try:
            changed = await svc.cancel(user.id, int(parts[2]))
        except BroadcastError as exc:
            await answer(update, exc.text(t), alert=True)
            return
        await answer(update, t.gettext("Cancelled.") if changed else t.gettext("This campaign has already ended."))
        p = await svc.progress(int(parts[2]))
        p.state = "cancelled" if changed else p.state
        await show(update, context, progress_screen(t, int(parts[2]), p), edit=True)
        return
    if not await svc.can_broadcast(user.id):
        await answer(update, t.gettext("Only administrators can send broadcasts."), alert=True)
        return
    sessions = rt(context).sessions
    draft = await sessions.get(chat.id)
    in_flow = draft.get("flow") == FLOW
    if action == "new":
        await answer(update)
        await _ask_text(update, context, t)
        return
    if action == "v" and len(parts) == 3 and parts[2].isdigit():
        p = await svc.progress(int(parts[2]))
        await answer(update)
        await show(update, context, progress_screen(t, int(parts[2]), p))
        return
    if not in_flow:
        await answer(update, t.gettext("This button is no longer available."))
        return
    screen: Screen | None = None
    if action == "tr" and len(parts) == 3 and parts[2] in ("-", *LANGUAGE_NAMES):
        if draft.get("step") not in ("translation", "translation_text"):
            await answer(update, t.gettext("This button is no longer available."))
            return
        if parts[2] == "-":
            draft.update({"tr_locale": None, "tr_text": None, "step": "buttons"})
            screen = _buttons_screen(t)
        else:
            draft.update({"tr_locale": parts[2], "tr_text": None, "step": "translation_text"})
            screen = _translation_prompt(t, parts[2], bool(draft.get("photo")))
    elif action == "b" and len(parts) == 3 and parts[2] == "-":
        if draft.get("step") != "buttons":
            await answer(update, t.gettext("This button is no longer available."))
            return
        draft.update({"buttons": [], "step": "area"})
        screen = await _area_screen(context, t, user.id)
    elif action == "a":
        draft.update({"province": None, "ward": None, "step": "topic"})
        screen = _topic_screen(t)
    elif action == "p" and len(parts) == 3 and (prov := province_key(parts[2])):
        allowed = await svc.allowed_provinces(user.id)
        if allowed is not None and prov not in allowed:
            await answer(update, t.gettext("You can only send broadcasts to your own province."), alert=True)
            return
        draft.update({"province": prov, "ward": None, "step": "ward"})
        screen = ward_page(t, prov, 0, "bc:w", "bc:w:-")
    elif action == "wpg" and len(parts) == 4 and draft.get("province") and parts[3].isdigit():
        screen = ward_page(t, draft["province"], int(parts[3]), "bc:w", "bc:w:-")
    elif action == "w" and len(parts) == 3 and draft.get("province"):
        if parts[2] != "-":
            ward = ward_key(parts[2], draft["province"])
            if ward is None:
                await answer(update, t.gettext("This button is no longer available."))
                return
            draft["ward"] = ward
        draft["step"] = "topic"
        screen = _topic_screen(t)
    elif action == "t" and len(parts) == 3 and parts[2] in ("0", "1", "2", "4"):
        draft.update({"topic": int(parts[2]), "step": "language"})
        screen = _language_screen(t)
    elif action == "l" and len(parts) == 3 and parts[2] in ("-", "vi", "en"):
        draft.update({"locale": None if parts[2] == "-" else parts[2], "step": "when"})
        screen = _when_screen(t)
    elif action == "n":
        draft.update({"when": None, "step": "confirm"})
        await sessions.set(chat.id, draft, ttl=3 * 3600)
        await answer(update)
        await _preview(update, context, t, draft)
        return
    elif action == "no":
        await sessions.clear(chat.id)
        await answer(update)
        await show(update, context, Screen(t.gettext("Discarded. Nothing was sent.")), edit=True)
        return
    elif action == "ok" and draft.get("step") == "confirm":
        await _confirm(update, context, t, draft)
        return
    if screen is None:
        await answer(update, t.gettext("This button is no longer available."))
        return
    await sessions.set(chat.id, draft, ttl=3 * 3600)
    await answer(update)
    await show(update, context, screen, edit=True)


async def _confirm(update: Update, context: Context, t: Translator, draft: dict[str, Any]) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    svc = service(context)
    when = dt.datetime.fromtimestamp(int(draft["when"]), dt.UTC) if draft.get("when") else None
    # Each language gets its own version if the admin wrote one, else the main text.
    buttons = tuple(
        (LinkButton({loc: str(label) for loc in SUPPORTED_LOCALES}, url=str(url)),)
        for label, url in draft.get("buttons") or []
    )
    content = Content(_texts_of(draft), draft.get("photo"), buttons, admin_locale=t.locale)
    try:
        cid = await svc.create(
            content, _target_of(draft), scheduled_at=when, created_by=user.id,
            progress_chat=chat.id,
        )
    except BroadcastError as exc:
        await answer(update, exc.text(t), alert=True)
        return
    await rt(context).sessions.clear(chat.id)
    await answer(update, t.gettext("Campaign saved."))
    assert cid is not None
    p = await svc.progress(cid)
    message = await show(update, context, progress_screen(t, cid, p), edit=True)
    if isinstance(message, Message):
        from storage import broadcasts as repo

        await repo.set_progress_message(rt(context).db, cid, chat.id, message.message_id)
    elif update.callback_query and isinstance(update.callback_query.message, Message):
        from storage import broadcasts as repo

        await repo.set_progress_message(
            rt(context).db, cid, chat.id, update.callback_query.message.message_id
        )
    await svc.tick()


async def setup(app: Application, runtime: Runtime) -> None:  # type: ignore[type-arg,unused-ignore]
    svc = BroadcastService(
        runtime.db, runtime.settings, runtime.clock, units=runtime.services.get("units")
    )
    runtime.services["broadcast"] = svc

    async def make_transport() -> TelegramTransport:
        return await TelegramTransport.open(runtime, pool=max(8, svc.workers))

    svc.attach(make_transport, keep_going=lambda: bool(app.running), spawn=app.create_task)
    runtime.users.register_eraser(svc.forget_user)
    app.add_handler(CommandHandler("broadcast", broadcast_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^bc:"))
    registry.flow(FLOW, on_input)
