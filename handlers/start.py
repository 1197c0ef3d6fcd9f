"""The conversation frame: /start and deep links, the main menu, help, privacy, language,
/cancel, /deleteme and what happens to a message no flow is waiting for. Channel-neutral."""

from __future__ import annotations

from bot.engine.actions import Action
from bot.engine.conversation import Turn
from bot.engine.inputs import Command, Input, Pressed
from bot.engine.router import Router
from bot.i18n import Translator
from bot.screens import Button, Screen, esc
from handlers import commands

router = Router("start")


class OpenMenu(Action, prefix="m"):
    """A main-menu entry ("home", "help", "settings" or a feature's key)."""

    key: str


class SetLanguage(Action, prefix="lang"):
    locale: str


class EraseChoice(Action, prefix="del"):
    choice: str  # "yes" or "no"


# Main-menu entries in display order: (key, label). Features register handlers for their keys;
# an entry whose feature is not installed is not shown.
MENU = (
    ("learn", "📚 Learn"),
    ("quiz", "🧠 Quiz"),
    ("tip", "🛡 Report a tip"),
    ("events", "📅 Events"),
    ("subscribe", "🔔 Get updates"),
    ("settings", "⚙️ Settings / Language"),
    ("help", "❓ Help"),
)


def _menu_labels(_: Translator) -> dict[str, str]:
    # Written out so that babel extracts each label.
    return {
        "learn": _.gettext("📚 Learn"),
        "quiz": _.gettext("🧠 Quiz"),
        "tip": _.gettext("🛡 Report a tip"),
        "events": _.gettext("📅 Events"),
        "subscribe": _.gettext("🔔 Get updates"),
        "settings": _.gettext("⚙️ Settings / Language"),
        "help": _.gettext("❓ Help"),
    }


def main_menu(t: Translator, available: set[str] | frozenset[str]) -> Screen:
    _ = t.gettext
    labels = _menu_labels(t)
    keys = [key for key, _label in MENU if key in ("settings", "help") or key in available]
    buttons = [Button(labels[k], action=OpenMenu(k)) for k in keys]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    text = _(
        "<b>Không Ma Túy</b> — drug-free together.\n\n"
        "Learn about the drugs young people meet, test yourself with a quiz, "
        "or tell the police about drug activity — anonymously.\n\n"
        "In immediate danger? Call <b>113</b>."
    )
    return Screen(text, rows)


def help_screen(t: Translator) -> Screen:
    _ = t.gettext
    text = _(
        "<b>How to use this bot</b>\n\n"
        "/start — main menu\n"
        "/learn — articles on drugs, the law and getting help\n"
        "/quiz — practise or join a contest\n"
        "/tip — report drug activity anonymously\n"
        "/followup — check a tip with your receipt number\n"
        "/events — events in your area\n"
        "/language — Tiếng Việt / English\n"
        "/privacy — what the bot keeps about you\n"
        "/cancel — stop what you are doing\n"
        "/deleteme — erase everything the bot keeps about you\n\n"
        "In immediate danger, call <b>113</b>."
    )
    return Screen(text, [[Button(_("⬅️ Main menu"), action=OpenMenu("home"))]])


def privacy_screen(t: Translator, app: str) -> Screen:
    """`app`: the messenger the person uses ("Telegram", "Zalo"; `Capabilities.app`), or ""
    on the web, where no app account exists and the browser and network are what can tell."""
    _ = t.gettext
    if app:
        text = _(
            "<b>Privacy: what this bot keeps</b>\n\n"
            "<b>Tips.</b> A tip stores only what you write in it: category, ward, when, your text "
            "and cleaned photos (location data and camera details removed). It never stores your "
            "{app} id, chat id, username, name or phone number. Your receipt number is stored "
            "only as a one-way hash. Tip content is encrypted and deleted some months after the "
            "tip is closed. While you are writing a tip, the draft is kept encrypted for at most "
            "24 hours and deleted when you send or cancel it.\n\n"
            "<b>Only if you choose.</b> Your language, your subscriptions and your quiz display "
            "name and scores are kept so the bot can serve you. /deleteme erases them at any "
            "time.\n\n"
            "<b>What {app} sees.</b> {app} itself knows which account talks to this bot and "
            "when. The bot cannot hide that from {app}. If that worries you, report through "
            "another channel, such as calling <b>113</b> or VNeID.\n\n"
            "<b>Who reads tips.</b> Only the police unit of the ward you choose (or the province "
            "police when the ward has no unit on the bot). They cannot see who you are."
        ).format(app=app)
    else:
        text = _(
            "<b>Privacy: what this bot keeps</b>\n\n"
            "<b>Tips.</b> A tip stores only what you write in it: category, ward, when, your text "
            "and cleaned photos (location data and camera details removed). It never stores who "
            "you are: no account, name, phone number or internet address. Your receipt number is "
            "stored only as a one-way hash. Tip content is encrypted and deleted some months "
            "after the tip is closed. While you are writing a tip, the draft is kept encrypted "
            "for at most 24 hours and deleted when you send or cancel it.\n\n"
            "<b>Only if you choose.</b> Your language, your subscriptions and your quiz display "
            "name and scores are kept so the bot can serve you. /deleteme erases them at any "
            "time.\n\n"
            "<b>What others can see.</b> This page needs no account, and the bot does not keep "
            "your internet address. Your browser history and your network (whoever runs the "
            "Wi-Fi, your internet provider) can still show that you opened this site. A private "
            "window or Tor Browser leaves less behind. If that worries you, report through "
            "another channel, such as calling <b>113</b> or VNeID.\n\n"
            "<b>Who reads tips.</b> Only the police unit of the ward you choose (or the province "
            "police when the ward has no unit on the bot). They cannot see who you are."
        )
    return Screen(text, [[Button(_("⬅️ Main menu"), action=OpenMenu("home"))]])


def language_screen(t: Translator) -> Screen:
    _ = t.gettext
    return Screen(
        _("Choose your language:"),
        [[Button("🇻🇳 Tiếng Việt", action=SetLanguage("vi")), Button("🇬🇧 English", action=SetLanguage("en"))]],
    )


def menu_keys(turn: Turn) -> set[str]:
    """Main-menu keys some installed feature serves."""
    return set(turn.runtime.engine.menu)


def home(turn: Turn) -> Screen:
    return main_menu(turn.t, menu_keys(turn))


@router.command("start")
async def start(turn: Turn, cmd: Command) -> None:
    t = turn.t
    if not turn.chat.private:
        link = turn.link()
        buttons = [[Button(t.gettext("Open private chat"), url=link)]] if link else []
        await turn.show(Screen(
            t.gettext("Hello! Open a private chat with me to learn, take quizzes or send a tip."),
            buttons,
        ))
        return
    payload = cmd.args[0] if cmd.args else ""
    if payload:
        found = turn.runtime.engine.find_deep_link(payload)
        if found:
            handler, arg = found
            await handler(turn, arg)
            return
    await turn.clear_session()
    if turn.person is not None:
        user_id = await turn.user_id(create=False)
        if user_id is not None:
            await turn.runtime.roles_changed(user_id, force=False)  # staff: their menu
    await turn.show(home(turn))


@router.command("menu")
async def menu_command(turn: Turn, cmd: Command) -> None:
    await turn.show(home(turn))


@router.command("help")
async def help_command(turn: Turn, cmd: Command) -> None:
    screen = help_screen(turn.t)
    if turn.person is not None and turn.chat.private:
        # Staff also see their commands (and, where the channel has one, their own menu).
        user_id = await turn.user_id(create=False)
        if user_id is not None:
            roles = await turn.runtime.roles_changed(user_id, force=False)
            extra = commands.staff_help(turn.t, roles, turn.runtime.commands_available)
            if extra:
                screen = Screen(screen.text + "\n\n" + extra, screen.buttons)
    await turn.show(screen)


@router.command("privacy")
async def privacy_command(turn: Turn, cmd: Command) -> None:
    await turn.show(privacy_screen(turn.t, turn.caps.app))


@router.command("language")
async def language_command(turn: Turn, cmd: Command) -> None:
    await turn.show(language_screen(turn.t))


@router.on(OpenMenu)
async def on_menu(turn: Turn, act: OpenMenu) -> None:
    t = turn.t
    screens = {"home": home, "help": lambda turn: help_screen(turn.t),
               "settings": lambda turn: language_screen(turn.t)}
    if act.key in screens:
        await turn.notice()
        await turn.show(screens[act.key](turn), replace=True)
        return
    entry = turn.runtime.engine.menu.get(act.key)
    if entry is not None:
        await entry(turn)
        return
    await turn.notice(t.gettext("This button is no longer available."))


@router.on(SetLanguage)
async def on_language(turn: Turn, act: SetLanguage) -> None:
    user_id = await turn.user_id() if turn.person is not None else None
    if user_id is None or not await turn.runtime.users.set_locale(user_id, act.locale):
        await turn.notice(turn.t.gettext("This button is no longer available."))
        return
    from bot.i18n import translator

    turn.t = translator(act.locale)
    await turn.notice(turn.t.gettext("Language saved."))
    await turn.show(home(turn), replace=True)


@router.command("cancel")
async def cancel_command(turn: Turn, cmd: Command) -> None:
    t = turn.t
    session = await turn.session()
    await turn.clear_session()
    text = (
        t.gettext("Cancelled. Nothing was sent or kept.")
        if session
        else t.gettext("There is nothing to cancel.")
    )
    await turn.show(Screen(text, home(turn).buttons))


@router.command("deleteme", private_only=True)
async def deleteme_command(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    await turn.show(
        Screen(
            _(
                "<b>Erase everything the bot keeps about you?</b>\n\n"
                "This deletes your language choice, subscriptions, quiz names and scores. "
                "Tips you sent are not linked to you, so they are not affected. "
                "This cannot be undone."
            ),
            [[Button(_("Yes, erase everything"), action=EraseChoice("yes")),
              Button(_("No, keep"), action=EraseChoice("no"))]],
        ),
    )


@router.on(EraseChoice)
async def on_erase(turn: Turn, act: EraseChoice) -> None:
    if turn.person is None:
        return
    erase = act.choice == "yes"
    if erase:
        user_id = await turn.user_id(create=False)
        if user_id is not None:
            await turn.runtime.users.erase(user_id)
            await turn.runtime.roles_changed(user_id)  # roles erased: citizens' menu
        await turn.clear_session()
    # Answer in the language the channel reports: the saved choice is gone now.
    if erase:
        locale = await turn.runtime.users.locale(None, turn.person.language_code)
        from bot.i18n import translator

        turn.t = translator(locale)
    await turn.notice()
    text = (
        turn.t.gettext("Done. Everything the bot kept about you has been erased.")
        if erase
        else turn.t.gettext("Nothing was deleted.")
    )
    await turn.show(Screen(text), replace=True)


async def fallback(turn: Turn, inp: Input) -> None:
    """What no route took: an unknown command, a button whose action no feature serves any
    more, or a message outside any flow."""
    t = turn.t
    if isinstance(inp, Pressed):
        await turn.notice(t.gettext("This button is no longer available."))
        return
    if isinstance(inp, Command):
        if turn.chat.private:
            await turn.show(Screen(
                t.gettext("Sorry, I do not know the command {command}. Try /help.").format(
                    command=esc("/" + inp.name)
                )
            ))
        return
    if not turn.chat.private:
        return  # never react to ordinary group chatter
    session = await turn.session()
    if not session.get("flow"):
        for free in turn.runtime.engine.free_inputs:
            if await free(turn, inp):
                return
    menu = home(turn)
    await turn.show(Screen(
        t.gettext("I did not understand that. Please choose from the menu:") + "\n\n" + menu.text,
        menu.buttons,
    ))
