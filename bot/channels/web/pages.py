"""The page shell and the chat page, server-rendered, small (the first page is well under
50 KB), readable on a 360-px phone, usable by keyboard and screen reader. The text of the
shell is in the "web" gettext domain."""

from __future__ import annotations

from bot.channels.web.render import buttons_html, esc
from bot.channels.web.sessions import Bubble, WebSession
from bot.i18n import N_, Translator


def shell(t: Translator, title: str, body: str, *, live: str = "", version: int = -1,
          base: str = "") -> str:
    """A whole page. `live` names the event stream the small script follows (JS only), and
    `version` the state the page shows (no reload for the same one). Links and forms in pages
    are relative to `base` (the demo serves one copy of the app per persona under /p/<name>)."""
    _ = t.gettext
    data = f' data-live="{esc(live)}" data-version="{version}"' if live else ""
    return (
        "<!doctype html>"
        f'<html lang="{esc(t.locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<base href="{esc(base)}/">'
        f"<title>{esc(title)}</title>"
        '<link rel="stylesheet" href="/static/app.css">'
        '<script src="/static/app.js" defer></script></head>'
        f"<body{data}>"
        f'<a class="skip" href="#end">{esc(_("Skip to the message box"))}</a>'
        f'<header><a class="brand" href="./">Không Ma Túy</a></header>'
        f"{body}</body></html>"
    )


def bubble_html(bubble: Bubble, csrf: str, t: Translator, *, page: bool = True) -> str:
    """One bubble. A shown-once bubble (a receipt) is shown, and forgotten, only by a whole
    page load (`page`): the live script's transcript fetch, which can race the page the
    person's own form submit loads, must not use it up first."""
    _ = t.gettext
    who = "me" if bubble.mine else "bot"
    parts = [f'<article class="b {who}" id="b{bubble.id}">']
    if bubble.photo is not None:
        parts.append(f'<img src="media/{bubble.id}" alt="{esc(_("Picture"))}">')
    if bubble.once and bubble.shown:
        parts.append(f'<div class="t"><i>{esc(_("This message was shown once and is now hidden."))}</i></div>')
    elif bubble.once and not page:
        parts.append('<div class="t">…</div>')
    else:
        parts.append(f'<div class="t">{bubble.html}</div>')
        if bubble.once:  # forgotten once rendered
            bubble.shown, bubble.html = True, ""
    if bubble.document is not None:
        name = bubble.document[0]
        parts.append(f'<p><a class="button" href="media/{bubble.id}" download>'
                     f'⬇ {esc(name)}</a></p>')
    parts.append(buttons_html(bubble.buttons, csrf=csrf, bubble_id=bubble.id))
    parts.append("</article>")
    return "".join(parts)


def transcript_html(session: WebSession, t: Translator, *, page: bool = True) -> str:
    return "".join(bubble_html(b, session.csrf, t, page=page) for b in session.bubbles)


def chat_page(session: WebSession, t: Translator, *, location: bool = True, base: str = "") -> str:
    _ = t.gettext
    csrf = esc(session.csrf)
    shortcuts = "".join(
        f'<button type="submit" name="text" value="{esc(cmd)}">{esc(label)}</button>'
        for cmd, label in (("/menu", _("Menu")), ("/followup", _("Follow up a tip")),
                           ("/cancel", _("Cancel")))
    )
    geo = ""
    if location:
        # Shown by the script only (geolocation needs JavaScript); never required: a typed
        # ward always works.
        geo = (
            f'<form method="post" action="loc" class="geo" hidden>'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            '<input type="hidden" name="lat"><input type="hidden" name="lon">'
            f'<button type="submit">{esc(_("📍 Share my location (optional)"))}</button></form>'
        )
    body = (
        f'<nav aria-label="{esc(_("Shortcuts"))}"><form method="post" action="say" class="nav">'
        f'<input type="hidden" name="csrf" value="{csrf}">{shortcuts}</form></nav>'
        f'<main id="chat" aria-live="polite">{transcript_html(session, t)}</main>'
        f'<form method="post" action="say" enctype="multipart/form-data" class="composer" id="end">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<label for="msg">{esc(_("Your message (or a command such as /learn)"))}</label>'
        '<textarea id="msg" name="text" rows="2" maxlength="4000"></textarea>'
        f'<label for="photo">{esc(_("Photo (optional; location data and camera details are removed)"))}</label>'
        '<input type="file" id="photo" name="photo" accept="image/jpeg,image/png,image/webp">'
        f'<button type="submit">{esc(_("Send"))}</button></form>{geo}'
    )
    return shell(t, "Không Ma Túy", body, live="events", version=session.version, base=base)


def message_page(t: Translator, title: str, text: str, *, base: str = "") -> str:
    _ = t.gettext
    body = (f'<main><h1>{esc(title)}</h1><p>{esc(text)}</p>'
            f'<p><a class="button" href="./">{esc(_("Back"))}</a></p></main>')
    return shell(t, title, body, base=base)


def too_busy(t: Translator, base: str = "") -> str:
    _ = t.gettext
    return message_page(t, _("Please wait a moment"),
                        _("Too many requests right now. Please try again in a minute."), base=base)


def bad_request(t: Translator, base: str = "") -> str:
    _ = t.gettext
    return message_page(t, _("That did not work"),
                        _("This form has expired or was not sent from this page. Nothing was "
                          "changed. Please go back and try again."), base=base)


def too_large(t: Translator, base: str = "") -> str:
    _ = t.gettext
    return message_page(t, _("Too large"),
                        _("That was too large to send. Photos may be at most 10 MB. Nothing "
                          "was changed."), base=base)


def server_error(t: Translator, base: str = "") -> str:
    _ = t.gettext
    return message_page(t, _("Sorry"), _("Sorry, something went wrong on our side. Please try again."), base=base)


def not_found(t: Translator, base: str = "") -> str:
    _ = t.gettext
    return message_page(t, _("Not found"), _("This page does not exist."), base=base)


# Babel cannot look inside f-strings (Python 3.11): these marks put the strings used in
# them into the catalog.
_IN_F_STRINGS = (
    N_('This message was shown once and is now hidden.'),
    N_('Skip to the message box'),
    N_('Shortcuts'),
    N_('Your message (or a command such as /learn)'),
    N_('Photo (optional; location data and camera details are removed)'),
    N_('Send'),
    N_('Back'),
    N_('📍 Share my location (optional)'),
    N_('Picture'),
)
