"""The web channel over HTTP: what a browser gets, and what a forged or oversized request
changes (nothing)."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.channels.web.sessions import COOKIE
from bot.runtime import Runtime
from tests.web.conftest import Browser


async def test_first_page_is_the_menu_small_and_safe(browser: Browser, client: TestClient) -> None:
    resp = await client.get("/")
    page = await resp.text()
    assert resp.status == 200
    assert "Không Ma Túy" in page and "113" in page
    assert '<html lang="vi">' in page
    assert len(page.encode()) < 50_000
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # on localhost only
    # no third-party anything, no inline script or style
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script>" not in page and "style=" not in page


async def test_secure_cookie_off_localhost(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.channels.web.app import make_app
    from tests.web.conftest import open_runtime, started

    runtime = await open_runtime(tmp_path, public_url="https://bot.example.vn")
    try:
        async with TestClient(await started(make_app(runtime))) as client:
            resp = await client.get("/")
            assert "Secure" in resp.headers["Set-Cookie"]
    finally:
        await runtime.close()


async def test_learn_articles_paging_and_sources(browser: Browser) -> None:
    await browser.get("/")
    page = await browser.press("📚")
    assert "Learn" in page or "Tìm hiểu" in page
    await browser.say("/learn")
    assert browser.status == 200


async def test_typed_command_and_unknown_command(browser: Browser) -> None:
    await browser.get("/")
    page = await browser.say("/nosuchcommand")
    assert "/nosuchcommand" in page


async def test_user_text_is_escaped(browser: Browser) -> None:
    await browser.get("/")
    page = await browser.say("<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_post_without_csrf_changes_nothing(browser: Browser, client: TestClient) -> None:
    await browser.get("/")
    before = browser.page.count('class="b ')
    resp = await client.post("/say", data={"text": "/help"})
    assert resp.status == 403
    resp = await client.post("/say", data={"csrf": "forged", "text": "/help"})
    assert resp.status == 403
    page = await browser.get("/")
    assert page.count('class="b ') == before


async def test_forged_action_is_refused(browser: Browser, client: TestClient) -> None:
    await browser.get("/")
    bubble = re.findall(r'name="b" value="(\d+)"', browser.page)[-1]
    # a well-formed action this page never offered
    resp = await client.post("/act", data={"csrf": browser.csrf, "b": bubble, "a": "del:yes"})
    assert resp.status == 200
    page = await resp.text()
    assert "no longer available" in page or "không còn" in page
    # garbage action, unknown bubble
    resp = await client.post("/act", data={"csrf": browser.csrf, "b": "999", "a": "x" * 70})
    assert resp.status == 200


async def test_oversized_bodies_are_refused(browser: Browser, client: TestClient) -> None:
    await browser.get("/")
    resp = await client.post("/say", data={"csrf": browser.csrf, "text": "x" * 100_000})
    assert resp.status == 413
    from aiohttp import FormData

    form = FormData()
    form.add_field("csrf", browser.csrf)
    form.add_field("text", "")
    form.add_field("photo", b"\xff" * (11 * 1024 * 1024), filename="big.jpg",
                   content_type="image/jpeg")
    resp = await client.post("/say", data=form)
    assert resp.status == 413


async def test_expired_session_is_a_new_visitor(browser: Browser, client: TestClient,
                                                runtime: Runtime) -> None:
    await browser.get("/")
    old = browser.csrf
    runtime.clock.advance(hours=25)  # type: ignore[attr-defined]
    resp = await client.post("/say", data={"csrf": old, "text": "/help"})
    assert resp.status == 403
    page = await browser.get("/")
    assert browser.csrf != old and "Không Ma Túy" in page


async def test_tampered_cookie_is_ignored(client: TestClient) -> None:
    client.session.cookie_jar.update_cookies({COOKIE: "AAAA" * 20})
    resp = await client.get("/")
    assert resp.status == 200 and COOKIE in resp.headers.get("Set-Cookie", "")


async def test_no_address_or_agent_is_logged(browser: Browser, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.DEBUG)
    await browser.client.get("/", headers={"User-Agent": "Agent-7c1d", "X-Forwarded-For": "203.0.113.77"})
    await browser.get("/")
    await browser.say("/help")
    text = caplog.text
    assert "127.0.0.1" not in text and "Agent-7c1d" not in text and "203.0.113.77" not in text


async def test_officer_signs_in_with_a_code_and_a_citizen_cannot(browser: Browser, client: TestClient,
                                                                 runtime: Runtime) -> None:
    from bot.units import OFFICER, WARD

    page = await browser.get("/officer")
    assert 'name="code"' in page
    resp = await client.post("/officer/bind", data={"csrf": browser.csrf, "code": "WRONG123"})
    assert resp.status == 403
    resp = await client.get("/officer/tip/ABCDEF")  # not signed in: back to the sign-in page
    assert 'name="code"' in await resp.text()
    invite = await runtime.services.units.issue_invite(900001, WARD, 4, OFFICER)
    resp = await client.post("/officer/bind", data={"csrf": browser.csrf, "code": invite.code})
    page = await resp.text()
    assert resp.status == 200 and "officer/stats" in page
    # the code works once
    await browser.get("/")
    other = Browser(client)
    client.session.cookie_jar.clear()
    await other.get("/officer")
    resp = await client.post("/officer/bind", data={"csrf": other.csrf, "code": invite.code})
    assert resp.status == 403


async def test_signed_link_works_once_and_expires(browser: Browser, client: TestClient,
                                                  runtime: Runtime) -> None:
    from bot.channels.web.links import officer_link
    from bot.units import OFFICER, WARD

    officer = await runtime.accounts.user_id("web", "test-officer")
    assert officer is not None
    invite = await runtime.services.units.issue_invite(900001, WARD, 4, OFFICER)
    await runtime.services.units.redeem(officer, invite.code, None)
    link = officer_link(runtime, officer)
    assert link is not None
    path = link[len(runtime.settings.web.public_url):]
    await browser.get(path)  # a GET (a link preview) signs nobody in
    token = path.rsplit("/", 1)[1]
    resp = await client.post("/officer/link", data={"csrf": browser.csrf, "token": token})
    assert "officer/stats" in await resp.text()
    resp = await client.post("/officer/link", data={"csrf": browser.csrf, "token": token})
    assert resp.status == 403  # used
    late = officer_link(runtime, officer)
    assert late is not None
    runtime.clock.advance(minutes=11)  # type: ignore[attr-defined]
    await browser.get("/officer")
    resp = await client.post("/officer/link", data={"csrf": browser.csrf,
                                                    "token": late.rsplit("/", 1)[1]})
    assert resp.status == 403


async def test_console_command_refuses_citizens(browser: Browser) -> None:
    await browser.get("/")
    page = await browser.say("/console")
    assert "công an" in page or "police officers" in page


async def test_a_restart_keeps_the_flow_of_a_session(runtime: Runtime) -> None:
    """The sealed cookie names the session: after a restart (a new app, sessions forgotten)
    the person continues the flow they were in instead of starting again."""
    from bot.channels.web.app import make_app
    from tests.web.conftest import started

    async with TestClient(await started(make_app(runtime)), headers={"Accept-Language": "en"}) as before:
        b = Browser(before)
        await b.get("/")
        await b.press("📚")
        await b.press("🔎")  # the search flow waits for a query
        jar = before.session.cookie_jar.filter_cookies(before.make_url("/"))
        cookie = {name: morsel.value for name, morsel in jar.items()}
    async with TestClient(await started(make_app(runtime)), headers={"Accept-Language": "en"}) as after:
        after.session.cookie_jar.update_cookies(cookie)
        b = Browser(after)
        page = await b.get("/")
        assert "restarted" in page
        page = await b.say("bóng cười")
        assert "bóng cười" in page and "did not understand" not in page


async def test_live_updates_stream_the_transcript_version(browser: Browser, client: TestClient) -> None:
    page = await browser.get("/")
    version = re.search(r'data-version="(\d+)"', page)
    assert version
    async with client.get("/events") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        first = await resp.content.readline()
        assert first.decode().strip() == f"data: {version.group(1)}"
        await browser.say("/help")  # another request of the same session changes the transcript
        await resp.content.readline()  # the blank line ending the first event
        second = await resp.content.readline()
        assert second.decode().startswith("data: ") and second.decode().strip() != first.decode().strip()
    fragment = await (await client.get("/transcript")).text()
    assert "<article" in fragment and "<html" not in fragment
    resp = await client.get("/officer/events")  # not signed in: no stream
    assert resp.status == 404


async def test_subscriptions_are_refused_where_nothing_could_reach_the_person(
        browser: Browser, client: TestClient, runtime: Runtime) -> None:
    await browser.get("/")
    page = await browser.say("/subscribe")
    assert "Telegram" in page and "/events" in page
    assert await runtime.db.fetchall("SELECT * FROM subscriptions") == []


async def test_an_officer_bound_on_the_web_gets_tips_in_the_console_not_on_telegram(
        runtime: Runtime) -> None:
    """The unit is reachable (its tips go to it, read in the console), but no Telegram message
    is ever addressed to a web account's id."""
    from bot.units import OFFICER, WARD

    units = runtime.services.units
    officer = await runtime.accounts.user_id("web", "some-browser")
    assert officer is not None
    invite = await units.issue_invite(900001, WARD, 4, OFFICER)
    assert (await units.redeem(officer, invite.code, None)).status == "enrolled"
    route = await units.route_for_ward(4)
    assert route.primary is not None and route.primary.id == invite.unit.id
    assert await units.destinations(invite.unit.id) == []


async def test_a_screen_sent_outside_a_turn_reaches_an_open_page(browser: Browser,
                                                                 runtime: Runtime) -> None:
    from bot.engine.messenger import SendOutcome, send_to_user
    from bot.screens import Screen

    await browser.get("/")
    await browser.say("/language")
    await browser.press("🇬🇧")  # creates the person's web account
    [(user_id,)] = [(r["user_id"],) for r in await runtime.db.fetchall(
        "SELECT user_id FROM accounts WHERE channel = 'web'")]
    assert await send_to_user(runtime, int(user_id), Screen("🏁 <b>Final ranking</b>")) == SendOutcome.SENT
    assert "🏁 <b>Final ranking</b>" in await browser.get("/")
    assert await runtime.messengers["web"].send("web:person:nobody", Screen("x")) == SendOutcome.UNREACHABLE
