"""Demo mode (`scripts/run` without BOT_TOKEN): the web channel with seeded data — a province's
ward with a police unit and a bound officer — and a page with personas side by side (citizen,
student, teacher, ward police, admin), each its own real session, so a police chief can watch
a tip go from a citizen to the console and back. "Reset demo" forgets every session."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aiohttp import web

from bot.channels.web import pages
from bot.channels.web.render import esc
from bot.i18n import N_
from bot.runtime import Runtime

DEMO_WARD = 4  # Phường Ba Đình, Hà Nội
DEMO_ADMIN_ID = 1  # a national admin that no real Telegram account can be (ids start higher)
PERSONAS = ("citizen", "student", "teacher", "police", "admin")


@dataclass(frozen=True)
class Demo:
    ward_code: int
    unit_id: int
    officer_id: int
    admin_id: int


DEMO = web.AppKey("demo", Demo)


async def seed(runtime: Runtime) -> Demo:
    """Idempotent: the unit of the demo ward and its officer (a web account)."""
    from bot.units import OFFICER, WARD

    if DEMO_ADMIN_ID not in runtime.settings.admin_ids:
        runtime.settings = replace(runtime.settings,
                                   admin_ids=runtime.settings.admin_ids | {DEMO_ADMIN_ID})
        for svc in runtime.services.values():  # services read admins from their settings
            if hasattr(svc, "settings"):
                svc.settings = runtime.settings
    units = runtime.services["units"]
    officer = await runtime.accounts.user_id("web", "demo:ward-police")
    assert officer is not None
    current = await units.officer_units(officer)
    if not current:
        invite = await units.issue_invite(DEMO_ADMIN_ID, WARD, DEMO_WARD, OFFICER)
        await units.redeem(officer, invite.code, None)
        current = await units.officer_units(officer)
    return Demo(DEMO_WARD, current[0].id, officer, DEMO_ADMIN_ID)


def install(app: web.Application) -> None:
    async def page(request: web.Request) -> web.Response:
        from bot.channels.web.app import runtime_of, translator_of
        from bot.channels.web.links import officer_link

        runtime = runtime_of(request)
        t = await translator_of(runtime, None)
        _ = t.gettext
        demo = await seed(runtime)
        link = officer_link(runtime, demo.officer_id) or "/officer"
        body = (
            f"<main><h1>{esc(_('Demo'))}</h1>"
            f"<p>{esc(_('Open the citizen in one window and the ward police in another (a private window keeps the two sessions apart). File a tip as the citizen, then see it in the police console.'))}</p>"
            f'<p><a class="button" href="/">{esc(_("Citizen"))}</a> '
            f'<a class="button" href="{esc(link)}">{esc(_("Ward police (sign-in link, 10 minutes)"))}</a></p>'
            "</main>"
        )
        return web.Response(text=pages.shell(t, _("Demo"), body), content_type="text/html")

    app.router.add_get("/demo", page)


# Babel cannot look inside f-strings (Python 3.11): these marks put the strings used in
# them into the catalog.
_IN_F_STRINGS = (
    N_('Demo'),
    N_('Open the citizen in one window and the ward police in another (a private window keeps the two sessions apart). File a tip as the citizen, then see it in the police console.'),
    N_('Citizen'),
    N_('Ward police (sign-in link, 10 minutes)'),
)
