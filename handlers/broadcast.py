"""Broadcasts: /broadcast (an admin's wizard: message, optional second-language version,
optional link buttons, area, topic, language, time, preview), the campaign list, the live
progress message and its Cancel button. Campaigns go out through the delivery port
(bot/delivery.py; Telegram's sender in bot/channels/telegram/broadcast.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.broadcast import (
    TOPIC_EVENTS,
    TOPIC_FACTS,
    TOPIC_NAMES,
    TOPIC_QUIZ,
    BroadcastError,
    BroadcastService,
    CancelCampaign,
    Content,
    LinkButton,
    Target,
    parse_link_buttons,
    progress_screen,
)
from bot.config import SUPPORTED_LOCALES
from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Photo, Text
from bot.engine.router import Router
from bot.events import parse_local
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.media import MAX_PHOTO_BYTES
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

router = Router("broadcast")
FLOW = "bc_new"
TTL = 3 * 3600


# -- actions (packed as the callback data buttons in people's chats already carry) -----------
class NewCampaign(Action, prefix="bc:new"):
    pass


class ViewCampaign(Action, prefix="bc:v"):
    campaign: int


class Translation(Action, prefix="bc:tr"):
    locale: str  # "vi", "en", or "-" for one text for everyone


class NoButtons(Action, prefix="bc:b"):
    none: str = "-"

    def __post_init__(self) -> None:
        if self.none != "-":
            raise ValueError("bc:b takes only '-'")


class AllOfVietnam(Action, prefix="bc:a"):
    pass


class PickProvince(Action, prefix="bc:p"):
    code: str


class WardPage(Action, prefix="bc:wpg"):
    province: str
    page: int


class PickWard(Action, prefix="bc:w"):
    code: str  # a ward code, or "-" for the whole province


class PickTopic(Action, prefix="bc:t"):
    topic: int  # 0 = everyone subscribed in the area


class PickLanguage(Action, prefix="bc:l"):
    locale: str  # "vi", "en", or "-" for every language


class SendNow(Action, prefix="bc:n"):
    pass


class Discard(Action, prefix="bc:no"):
    pass


class Confirm(Action, prefix="bc:ok"):
    pass


WHOLE = PickWard("-")
TOPIC_CHOICES = (0, TOPIC_EVENTS, TOPIC_FACTS, TOPIC_QUIZ)


# -- screens -----------------------------------------------------------------------------------
def service(turn: Turn) -> BroadcastService:
    svc: BroadcastService = turn.runtime.services.broadcast
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


def _status_name(t: Translator, status: str) -> str:
    _ = t.gettext
    return {
        "scheduled": _("scheduled"), "running": _("sending"), "done": _("finished"),
        "cancelled": _("cancelled"), "expired": _("expired"),
    }.get(status, status)


async def _campaigns_screen(turn: Turn) -> Screen:
    t = turn.t
    _ = t.gettext
    campaigns = await service(turn).recent(8)
    lines = [_("📣 <b>Broadcasts</b>"), ""]
    buttons = [[Button(_("➕ New campaign"), action=NewCampaign())]]
    for c in campaigns:
        lines.append(_("#{id}: {status}, {when}").format(
            id=c.id, status=esc(_status_name(t, c.status)), when=esc(t.datetime(c.scheduled_at)),
        ))
        buttons.append([Button(_("Campaign #{id}").format(id=c.id), action=ViewCampaign(c.id))])
    if not campaigns:
        lines.append(_("No campaigns yet."))
    return Screen("\n".join(lines), buttons)


def _translation_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 2 of 7 (optional): the same message in the other language. Each subscriber gets "
          "the version in the language they chose; without a second version everyone gets the "
          "message you sent."),
        [[Button(_("🇬🇧 Add the English version"), action=Translation("en"))],
         [Button(_("🇻🇳 Add the Vietnamese version"), action=Translation("vi"))],
         [Button(_("⏭ One text for everyone"), action=Translation("-"))]],
    )


def _translation_prompt(t: Translator, locale: str, photo: bool) -> Screen:
    _ = t.gettext
    text = (
        _("Send the {language} version of the caption (the photo stays the same).") if photo
        else _("Send the {language} version of the message.")
    )
    return Screen(text.format(language=LANGUAGE_NAMES[locale]),
                  [[Button(_("⏭ One text for everyone"), action=Translation("-"))]])


def _buttons_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 3 of 7 (optional): link buttons under the message. Send up to 3 lines, one "
          "button each, like:\n<code>Register | https://example.org/walk</code>\n"
          "Links must start with https://, http:// or tg://."),
        [[Button(_("⏭ No buttons"), action=NoButtons())]],
    )


def _link_rows(draft: dict[str, Any]) -> list[list[Button]]:
    return [[Button(str(label), url=str(url))] for label, url in draft.get("buttons") or []]


def _texts_of(draft: dict[str, Any]) -> dict[str, str]:
    """Text per language: the second version for its language, the main text for the rest."""
    texts = {loc: draft["text"] for loc in SUPPORTED_LOCALES}
    if draft.get("tr_locale") in texts and draft.get("tr_text"):
        texts[draft["tr_locale"]] = draft["tr_text"]
    return texts


async def _area_screen(turn: Turn, user_id: int) -> Screen:
    allowed = await service(turn).allowed_provinces(user_id)
    rows = []
    if allowed is None:
        rows.append([Button(turn.t.gettext("🇻🇳 All of Vietnam"), action=AllOfVietnam())])
    rows += province_buttons(PickProvince, allowed)
    return Screen(turn.t.gettext("Step 4 of 7: who should receive it? Choose the area:"), rows)


def _ward_page(t: Translator, province: str, page: int) -> Screen:
    return ward_page(t, province, page, PickWard, WardPage, WHOLE)


def _topic_screen(t: Translator) -> Screen:
    _ = t.gettext
    rows = [[Button(_("Everyone subscribed in the area"), action=PickTopic(0))]]
    rows += [[Button(_(TOPIC_NAMES[bit]), action=PickTopic(bit))]
             for bit in (TOPIC_EVENTS, TOPIC_FACTS, TOPIC_QUIZ)]
    return Screen(_("Step 5 of 7: only subscribers of one topic?"), rows)


def _language_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(_("Step 6 of 7: which language do the recipients use?"), [
        [Button(_("All languages"), action=PickLanguage("-"))],
        [Button("🇻🇳 Tiếng Việt", action=PickLanguage("vi")),
         Button("🇬🇧 English", action=PickLanguage("en"))],
    ])


def _when_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Step 7 of 7: when? Press “Send now” or type a date and time like 26/6 08:00. "
          "Nothing is sent during quiet hours; it waits until they end."),
        [[Button(_("▶️ Send now"), action=SendNow())]],
    )


async def _preview(turn: Turn, draft: dict[str, Any]) -> None:
    t = turn.t
    _ = t.gettext
    svc = service(turn)
    target = _target_of(draft)
    count = await svc.count_recipients(target)
    when = (
        t.datetime(dt.datetime.fromtimestamp(int(draft["when"]), dt.UTC)) if draft.get("when")
        else _("now")
    )
    # The message exactly as recipients see it (each version), with its link buttons.
    versions = [draft["text"]] + ([draft["tr_text"]] if draft.get("tr_text") else [])
    photo = await svc.media.get(draft["photo"]) if draft.get("photo") else None
    for version in versions:
        await turn.show(Screen(version, _link_rows(draft), photo=photo.data if photo else None))
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
    await turn.show(Screen(text, [[
        Button(_("✅ Send"), action=Confirm()), Button(_("🗑 Discard"), action=Discard()),
    ]]))


# -- entry points ------------------------------------------------------------------------------
async def _admin(turn: Turn) -> int | None:
    """The person's user id if they may broadcast (re-checked on every step), else None."""
    user_id = await turn.user_id(create=False)
    if user_id is None or not await service(turn).can_broadcast(user_id):
        return None
    return user_id


def _refused(turn: Turn) -> str:
    return turn.t.gettext("Only administrators can send broadcasts.")


def _gone(turn: Turn) -> str:
    return turn.t.gettext("This button is no longer available.")


@router.command("broadcast", private_only=True)
async def broadcast_command(turn: Turn, cmd: Command) -> None:
    if await _admin(turn) is None:
        await turn.show(Screen(_refused(turn)))
        return
    await turn.show(await _campaigns_screen(turn))


@router.on(CancelCampaign)
async def on_cancel_campaign(turn: Turn, act: CancelCampaign) -> None:
    svc = service(turn)
    user_id = await turn.user_id(create=False)
    try:
        if user_id is None:
            raise BroadcastError(N_("Only administrators can send broadcasts."))
        changed = await svc.cancel(user_id, act.campaign)
    except BroadcastError as exc:
        await turn.notice(exc.text(turn.t), alert=True)
        return
    _ = turn.t.gettext
    await turn.notice(_("Cancelled.") if changed else _("This campaign has already ended."))
    p = await svc.progress(act.campaign)
    p.state = "cancelled" if changed else p.state
    await turn.show(progress_screen(turn.t, act.campaign, p), replace=True)


@router.on(NewCampaign)
async def on_new(turn: Turn, act: NewCampaign) -> None:
    if await _admin(turn) is None:
        await turn.notice(_refused(turn), alert=True)
        return
    await turn.notice()
    await turn.set_session({"flow": FLOW, "step": "text"}, ttl=TTL)
    await turn.show(Screen(turn.t.gettext(
        "📣 <b>New campaign</b> (step 1 of 7)\n\nSend the message: text, or a photo with a caption. "
        "Bold, italic and links are kept. /cancel stops."
    )))


@router.on(ViewCampaign)
async def on_view(turn: Turn, act: ViewCampaign) -> None:
    user_id = await _admin(turn)
    if user_id is None:
        await turn.notice(_refused(turn), alert=True)
        return
    svc = service(turn)
    campaign = await svc.get(act.campaign)
    if campaign is None:
        await turn.notice(_gone(turn))
        return
    try:
        await svc.check_visible(user_id, campaign)
    except BroadcastError as exc:
        await turn.notice(exc.text(turn.t), alert=True)
        return
    await turn.notice()
    await turn.show(progress_screen(turn.t, act.campaign, await svc.progress(act.campaign)))


# -- the wizard's buttons ------------------------------------------------------------------------
async def _draft(turn: Turn, *steps: str) -> tuple[int, dict[str, Any]] | None:
    """(admin id, draft) when the person may broadcast and the wizard is at one of `steps`
    (any step when none is given); else a notice and None (a forged or stale press)."""
    user_id = await _admin(turn)
    if user_id is None:
        await turn.notice(_refused(turn), alert=True)
        return None
    draft = await turn.session()
    if draft.get("flow") != FLOW or (steps and draft.get("step") not in steps):
        await turn.notice(_gone(turn))
        return None
    return user_id, draft


async def _next(turn: Turn, draft: dict[str, Any], screen: Screen) -> None:
    await turn.set_session(draft, ttl=TTL)
    await turn.notice()
    await turn.show(screen, replace=True)


@router.on(Translation)
async def on_translation(turn: Turn, act: Translation) -> None:
    found = await _draft(turn, "translation", "translation_text")
    if found is None:
        return
    _uid, draft = found
    if act.locale == "-":
        draft.update({"tr_locale": None, "tr_text": None, "step": "buttons"})
        await _next(turn, draft, _buttons_screen(turn.t))
    elif act.locale in LANGUAGE_NAMES:
        draft.update({"tr_locale": act.locale, "tr_text": None, "step": "translation_text"})
        await _next(turn, draft, _translation_prompt(turn.t, act.locale, bool(draft.get("photo"))))
    else:
        await turn.notice(_gone(turn))


@router.on(NoButtons)
async def on_no_buttons(turn: Turn, act: NoButtons) -> None:
    found = await _draft(turn, "buttons")
    if found is None:
        return
    user_id, draft = found
    draft.update({"buttons": [], "step": "area"})
    await _next(turn, draft, await _area_screen(turn, user_id))


@router.on(AllOfVietnam)
async def on_all(turn: Turn, act: AllOfVietnam) -> None:
    found = await _draft(turn, "area")
    if found is None:
        return
    user_id, draft = found
    if await service(turn).allowed_provinces(user_id) is not None:
        await turn.notice(turn.t.gettext("You can only send broadcasts to your own province."),
                          alert=True)
        return
    draft.update({"province": None, "ward": None, "step": "topic"})
    await _next(turn, draft, _topic_screen(turn.t))


@router.on(PickProvince)
async def on_province(turn: Turn, act: PickProvince) -> None:
    found = await _draft(turn, "area", "ward")
    if found is None:
        return
    user_id, draft = found
    prov = province_key(act.code)
    if prov is None:
        await turn.notice(_gone(turn))
        return
    allowed = await service(turn).allowed_provinces(user_id)
    if allowed is not None and prov not in allowed:
        await turn.notice(turn.t.gettext("You can only send broadcasts to your own province."),
                          alert=True)
        return
    draft.update({"province": prov, "ward": None, "step": "ward"})
    await _next(turn, draft, _ward_page(turn.t, prov, 0))


@router.on(WardPage)
async def on_ward_page(turn: Turn, act: WardPage) -> None:
    found = await _draft(turn, "ward")
    if found is None:
        return
    _uid, draft = found
    if act.province != draft.get("province") or act.page < 0:
        await turn.notice(_gone(turn))
        return
    await _next(turn, draft, _ward_page(turn.t, draft["province"], act.page))


@router.on(PickWard)
async def on_ward(turn: Turn, act: PickWard) -> None:
    found = await _draft(turn, "ward")
    if found is None:
        return
    _uid, draft = found
    if act.code != "-":
        ward = ward_key(act.code, draft.get("province"))
        if ward is None:
            await turn.notice(_gone(turn))
            return
        draft["ward"] = ward
    draft["step"] = "topic"
    await _next(turn, draft, _topic_screen(turn.t))


@router.on(PickTopic)
async def on_topic(turn: Turn, act: PickTopic) -> None:
    found = await _draft(turn, "topic")
    if found is None:
        return
    _uid, draft = found
    if act.topic not in TOPIC_CHOICES:
        await turn.notice(_gone(turn))
        return
    draft.update({"topic": act.topic, "step": "language"})
    await _next(turn, draft, _language_screen(turn.t))


@router.on(PickLanguage)
async def on_language(turn: Turn, act: PickLanguage) -> None:
    found = await _draft(turn, "language")
    if found is None:
        return
    _uid, draft = found
    if act.locale not in ("-", *SUPPORTED_LOCALES):
        await turn.notice(_gone(turn))
        return
    draft.update({"locale": None if act.locale == "-" else act.locale, "step": "when"})
    await _next(turn, draft, _when_screen(turn.t))


@router.on(SendNow)
async def on_send_now(turn: Turn, act: SendNow) -> None:
    found = await _draft(turn, "when")
    if found is None:
        return
    _uid, draft = found
    draft.update({"when": None, "step": "confirm"})
    await turn.set_session(draft, ttl=TTL)
    await turn.notice()
    await _preview(turn, draft)


@router.on(Discard)
async def on_discard(turn: Turn, act: Discard) -> None:
    if await _draft(turn) is None:
        return
    await turn.clear_session()
    await turn.notice()
    await turn.show(Screen(turn.t.gettext("Discarded. Nothing was sent.")), replace=True)


@router.on(Confirm)
async def on_confirm(turn: Turn, act: Confirm) -> None:
    found = await _draft(turn, "confirm")
    if found is None:
        return
    user_id, draft = found
    svc = service(turn)
    t = turn.t
    when = dt.datetime.fromtimestamp(int(draft["when"]), dt.UTC) if draft.get("when") else None
    # Each language gets its own version if the admin wrote one, else the main text.
    buttons = tuple(
        (LinkButton({loc: str(label) for loc in SUPPORTED_LOCALES}, url=str(url)),)
        for label, url in draft.get("buttons") or []
    )
    content = Content(_texts_of(draft), draft.get("photo"), buttons, admin_locale=t.locale)
    progress_chat = turn.chat.key if isinstance(turn.chat.key, int) else None
    try:
        cid = await svc.create(content, _target_of(draft), scheduled_at=when,
                               created_by=user_id, progress_chat=progress_chat)
    except BroadcastError as exc:
        await turn.notice(exc.text(t), alert=True)
        return
    await turn.clear_session()
    await turn.notice(t.gettext("Campaign saved."))
    assert cid is not None
    shown = await turn.show(progress_screen(t, cid, await svc.progress(cid)), replace=True)
    message_id = getattr(shown, "message_id", None)
    if progress_chat is not None and isinstance(message_id, int):
        await svc.set_progress_message(cid, progress_chat, message_id)
    await svc.tick()


# -- the wizard's typed steps --------------------------------------------------------------------
async def _message_of(turn: Turn, inp: Input) -> tuple[str, str | None] | None:
    """(HTML text, media key of the photo) of a message step; None after saying what is wrong."""
    _ = turn.t.gettext
    if isinstance(inp, Text):
        return inp.as_html(), None
    if isinstance(inp, Photo):
        if inp.size is not None and inp.size > MAX_PHOTO_BYTES:
            await turn.show(Screen(_("This photo is too large (at most 10 MB).")))
            return None
        try:  # the caption first: a refused message stores nothing
            service(turn).validate_content(Content({"x": inp.caption_as_html()}, "photo"))
        except BroadcastError as exc:
            await turn.show(Screen(exc.text(turn.t)))
            return None
        data = await inp.fetch()
        if len(data) > MAX_PHOTO_BYTES:
            await turn.show(Screen(_("This photo is too large (at most 10 MB).")))
            return None
        return inp.caption_as_html(), await service(turn).media.put(data)
    await turn.show(Screen(_("Please send text, or a photo with a caption, or /cancel.")))
    return None


@router.flow(FLOW)
async def on_input(turn: Turn, inp: Input) -> None:
    user_id = await _admin(turn)
    if user_id is None:
        await turn.clear_session()
        await turn.show(Screen(_refused(turn)))
        return
    t = turn.t
    svc = service(turn)
    draft = await turn.session()
    step = draft.get("step")
    if step == "text":
        found = await _message_of(turn, inp)
        if found is None:
            return
        text, photo = found
        try:
            svc.validate_content(Content({"x": text}, photo))
        except BroadcastError as exc:
            await turn.show(Screen(exc.text(t)))
            return
        draft.update({"step": "translation", "text": text, "photo": photo})
        await turn.set_session(draft, ttl=TTL)
        await turn.show(_translation_screen(t))
    elif step == "translation_text" and draft.get("tr_locale") in LANGUAGE_NAMES:
        if isinstance(inp, Photo) and inp.caption:
            text = inp.caption_as_html()
        elif isinstance(inp, Text):
            text = inp.as_html()
        else:
            await turn.show(Screen(t.gettext("Please send the text of this version, or /cancel.")))
            return
        try:
            if not text.strip():
                raise BroadcastError(N_("The message is empty."))
            svc.validate_content(Content({"x": text}, draft.get("photo")))
        except BroadcastError as exc:
            await turn.show(Screen(exc.text(t)))
            return
        draft.update({"step": "buttons", "tr_text": text})
        await turn.set_session(draft, ttl=TTL)
        await turn.show(_buttons_screen(t))
    elif step == "buttons":
        try:
            rows = parse_link_buttons(inp.text if isinstance(inp, Text) else "")
        except BroadcastError as exc:
            # Nothing changes: the same step again, with what was wrong.
            again = _buttons_screen(t)
            await turn.show(Screen(exc.text(t) + "\n\n" + again.text, again.buttons))
            return
        draft.update({
            "step": "area",
            "buttons": [[next(iter(row[0].text.values())), row[0].url] for row in rows],
        })
        await turn.set_session(draft, ttl=TTL)
        await turn.show(await _area_screen(turn, user_id))
    elif step == "ward" and draft.get("province") and isinstance(inp, Text):
        query = inp.text.strip()[:100]
        await turn.show(search_results(t, query, draft["province"], PickWard, WHOLE))
    elif step == "when":
        now = turn.runtime.clock.now()
        text = inp.text if isinstance(inp, Text) else ""
        value = parse_local(text, now, turn.runtime.settings.tz)
        if value is None or value < now - dt.timedelta(minutes=1):
            await turn.show(Screen(t.gettext(
                "I could not read that time, or it is in the past. Write it like 26/6 08:00."
            ), _when_screen(t).buttons))
            return
        draft.update({"step": "confirm", "when": int(value.timestamp())})
        await turn.set_session(draft, ttl=TTL)
        await _preview(turn, draft)
    else:
        await turn.show(Screen(t.gettext("Please choose one of the options above, or /cancel.")))


async def setup(runtime: Runtime) -> None:
    runtime.users.register_eraser(runtime.services.broadcast.forget_user)
