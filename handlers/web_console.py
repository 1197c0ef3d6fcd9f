"""/console: an officer gets a signed, expiring sign-in link to the web console (works on any
channel that shows URL buttons). The link names their account; the console re-checks that
the account is still an officer or an admin when the link is used, and the services re-check
every action."""

from __future__ import annotations

from bot.channels.web.links import LINK_TTL, officer_link
from bot.engine.conversation import Turn
from bot.engine.inputs import Command
from bot.engine.router import Router
from bot.runtime import Runtime
from bot.screens import Button, Screen

router = Router("web_console")


@router.command("console", private_only=True)
async def console(turn: Turn, cmd: Command) -> None:
    _ = turn.t.gettext
    runtime = turn.runtime
    units = runtime.services.units
    user_id = await turn.user_id(create=False)
    staff = units is not None and user_id is not None and (
        bool(await units.officer_units(user_id)) or units.is_national_admin(user_id))
    if not staff or user_id is None:
        await turn.show(Screen(_("The web console is for police officers.")))
        return
    link = officer_link(runtime, user_id)
    if link is None:
        await turn.show(Screen(_("The web console is not set up on this bot (BOT_PUBLIC_URL).")))
        return
    await turn.show(Screen(
        _("Open the police console in your browser. The link works once, for {minutes} "
          "minutes; do not forward it.").format(minutes=LINK_TTL // 60),
        [[Button(_("🖥 Open the console"), url=link)]],
    ))


async def setup(runtime: Runtime) -> None:
    return None
