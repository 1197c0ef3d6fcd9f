"""The whole anonymous tip on the web, over HTTP: a citizen files it with a photo, the ward
police console shows the card and photo and asks a question, the tipster reads it by receipt
from another browser and answers. Then the identifier scan: nothing in the data directory or
the logs holds the browser's address, user agent, session or cookie."""

from __future__ import annotations

import io
import re
from pathlib import Path

from aiohttp.test_utils import TestClient
from PIL import Image

from bot.channels.web.app import make_app
from bot.runtime import Runtime
from tests.web.conftest import Browser, started

AGENT = "Mozilla/5.0 (TestPhone-7f3a) WebTip/1.0"
ADDRESS = "127.0.0.1"
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


async def file_tip(b: Browser, text: str) -> str:
    await b.get("/")
    await b.say("/tip")
    await b.press("✍️")
    await b.press("📍")
    await b.say("Hà Nội")
    await b.say("Ba Đình")
    await b.press("Phường Ba Đình")
    await b.press("✅")
    await b.press("Skip")
    await b.say(text)
    await b.photo(jpeg())
    assert "Photo 1 cleaned and added" in b.page
    await b.press("Done")
    await b.press("Today")
    assert "Check your tip" in b.last_bubble()
    # the live script's transcript fetch can race the page the submit loads: it never
    # uses the receipt up (only a whole page shows it, once)
    bubble, action, _label = [x for x in b.buttons() if x[2].startswith("📨")][-1]
    async with b.client.post("/act", data={"csrf": b.csrf, "b": bubble, "a": action},
                             allow_redirects=False) as resp:
        assert resp.status == 303
    fragment = await b.get("/transcript")
    assert not RECEIPT.search(fragment)
    page = await b.get("/")
    found = RECEIPT.search(page)
    assert found, b.last_bubble()
    # shown once: the next page of this browser no longer has it
    assert not RECEIPT.search(await b.get("/"))
    return found.group(0)


async def test_tip_from_the_web_reaches_the_console_and_back(runtime: Runtime, tmp_path: Path,
                                                             caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.units import OFFICER, WARD

    caplog.set_level(logging.DEBUG)
    headers = {"User-Agent": AGENT, "Accept-Language": "en", "X-Forwarded-For": "198.51.100.23"}
    server = await started(make_app(runtime))
    async with TestClient(server, headers=headers) as citizen_client, \
            TestClient(server, headers=headers) as police_client, \
            TestClient(server, headers=headers) as later_client:
        # the ward unit's officer binds a browser first (a unit nobody can read is skipped)
        invite = await runtime.services.units.issue_invite(900001, WARD, 4, OFFICER)
        police = Browser(police_client)
        await police.get("/officer")
        await police.post("/officer/bind", {"csrf": police.csrf, "code": invite.code})

        citizen = Browser(citizen_client)
        receipt = await file_tip(citizen, "Selling drugs in alley 12 every night")
        cookie = citizen_client.session.cookie_jar.filter_cookies(citizen_client.make_url("/"))
        # no Telegram message is queued for an officer who exists only on the web
        from storage import tips as tips_repo
        from storage.accounts import FIRST_ALLOCATED_ID

        rows = await tips_repo.outbox_rows(runtime.db)
        assert all(r["chat_id"] is None or int(r["chat_id"]) < FIRST_ALLOCATED_ID for r in rows)
        await police.get("/officer")
        code = re.search(r'officer/tip/([A-Z0-9]{6})"', police.page)
        assert code, police.page
        page = await police.get(f"/officer/tip/{code.group(1)}")
        assert "Selling drugs in alley 12" in page and "Ba Đình" in page
        assert 'src="data:image/jpeg;base64,' in page
        page = await police.post(f"/officer/tip/{code.group(1)}/ack", {"csrf": police.csrf})
        assert "Acknowledged." in page
        page = await police.post(f"/officer/tip/{code.group(1)}/ask",
                                 {"csrf": police.csrf, "question": "Which house number?"})
        assert "Question sent" in page

        # the tipster, from another browser, with the receipt only
        later = Browser(later_client)
        await later.get("/")
        await later.say("/followup")
        page = await later.say(receipt)
        assert "Which house number?" in page
        await later.press("✍️") if "✍️" in page else None
        await later.say("Number 12, the blue gate")
        page = await police.get(f"/officer/tip/{code.group(1)}")
        assert "Number 12, the blue gate" in page
        page = await police.get("/officer/stats")  # the unit's figures, as /tipstats gives them
        assert police.status == 200 and '<article class="b bot">' in page

    # the identifier scan: data directory and logs
    secrets_of_the_browser = [AGENT, "TestPhone-7f3a", "198.51.100.23",
                              *[m.value for m in cookie.values()]]
    for path in runtime.settings.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in secrets_of_the_browser:
                assert needle.encode() not in data, (needle, path)
            assert ADDRESS.encode() not in data, path
    for needle in [*secrets_of_the_browser, ADDRESS]:
        assert needle not in caplog.text, needle
