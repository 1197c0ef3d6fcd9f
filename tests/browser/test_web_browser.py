"""Journeys in a real browser (Chromium), with JavaScript on and off: a citizen files a tip
with a photo, the ward police console shows the card and acknowledges it and asks a question,
the tipster reads it by receipt in another session and answers; the demo page."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Personas, Server


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


async def _file_tip(server: Server, text: str) -> str:
    from bot.photos import clean_image

    tips = server.runtime.services.tips
    draft: dict[str, Any] = {"category": "spot", "ward": server.demo.ward_code, "when": "today",
                             "text": text}
    await tips.add_draft_photo(draft, clean_image(_photo()))
    import secrets

    return str((await tips.submit(secrets.randbelow(10**9) + 10**6, draft)).code)


# Accessibility rules every page keeps (WCAG 2.2 AA in spirit, checked in the page itself):
# a language, labelled form controls, named buttons and links, images with text, a viewport
# that allows zoom, nothing wider than the screen at 400 px.
_A11Y = """
const out = [];
if (!['vi', 'en'].includes(document.documentElement.lang)) out.push('lang');
for (const el of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
  const labelled = el.id && document.querySelector('label[for="' + el.id + '"]');
  if (!labelled && !el.getAttribute('aria-label')) out.push('unlabelled ' + el.outerHTML.slice(0, 60));
}
for (const el of document.querySelectorAll('button, a')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.push('unnamed ' + el.outerHTML.slice(0, 60));
}
for (const img of document.querySelectorAll('img')) if (!img.alt) out.push('img without alt');
const vp = document.querySelector('meta[name=viewport]');
if (!vp || /user-scalable=no|maximum-scale=1/.test(vp.content)) out.push('viewport');
if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('horizontal scroll');
return out;
"""


def _check_page(driver: Any) -> None:
    problems = driver.execute_script(_A11Y)
    assert not problems, problems


def _click(driver: Any, element: Any) -> None:
    """Click and wait for the next page (every button is a form submit); check the page."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(drv: Any) -> bool:
        try:
            return bool(expected_conditions.staleness_of(old)(drv))
        except WebDriverException:  # the old node went away mid-check: replaced
            return True

    WebDriverWait(driver, 10).until(replaced)
    WebDriverWait(driver, 10).until(
        lambda drv: drv.execute_script("return document.readyState") == "complete")
    if not driver.find_elements(By.TAG_NAME, "iframe"):
        _check_page(driver)


def _press(driver: Any, label: str) -> None:
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "main button, main a.button, nav button")
               if b.text.strip().startswith(label)]
    assert buttons, f"no button {label!r} in {[b.text for b in driver.find_elements(By.TAG_NAME, 'button')]}"
    _click(driver, buttons[-1])


def _text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def _citizen_learns(personas: Personas, name: str) -> None:
    d = personas.driver
    personas.be(name)
    assert "113" in _text(d)
    _press(d, "📚")
    topics = d.find_elements(By.CSS_SELECTOR, "article.b.bot:last-of-type button")
    assert len(topics) > 3
    _click(d, topics[0])
    articles = d.find_elements(By.CSS_SELECTOR, "article.b.bot:last-of-type button")
    _click(d, articles[0])
    body = _text(d)
    assert "1/" in body or "Trang 1" in body or "Page 1" in body
    if d.find_elements(By.XPATH, "//button[normalize-space()='▶']"):
        _press(d, "▶")
        assert "Trang 2" in _text(d) or "Page 2" in _text(d)


def _type(driver: Any, text: str) -> None:
    box = driver.find_element(By.ID, "msg")
    box.clear()
    box.send_keys(text)
    _click(driver, driver.find_element(By.CSS_SELECTOR, "form.composer button[type=submit]"))


def _citizen_files_tip(personas: Personas, name: str, text: str, tmp: Any) -> str:
    """The whole tip through the page, a photo uploaded through the file input; returns the
    receipt (shown once)."""
    import re

    d = personas.driver
    personas.be(name)
    _type(d, "/tip")
    _press(d, "✍️")
    _press(d, "📍")
    _type(d, "Hà Nội")
    _type(d, "Ba Đình")
    _press(d, "Phường Ba Đình")
    _press(d, "✅")
    _press(d, "Skip")
    _type(d, text)
    photo = tmp / "photo.jpg"
    photo.write_bytes(_photo())
    d.find_element(By.ID, "photo").send_keys(str(photo))
    _click(d, d.find_element(By.CSS_SELECTOR, "form.composer button[type=submit]"))
    assert "Photo 1 cleaned and added" in _text(d)
    _press(d, "Done")
    _press(d, "Today")
    _press(d, "📨")
    found = re.search(r"\d{4} \d{4} \d{4} \d{4}", _text(d))
    assert found, _text(d)[-500:]
    return found.group(0)


def _tipster_reads_and_answers(personas: Personas, name: str, receipt: str) -> None:
    d = personas.driver
    personas.be(name)
    _type(d, "/followup")
    _type(d, receipt)
    assert "Which house number?" in _text(d)
    _press(d, "✍️")
    _type(d, "Number 12, the blue gate")
    assert "sent" in _text(d).lower()


def _officer_acknowledges(personas: Personas, server: Server, code: str, name: str) -> None:
    from bot.channels.web.links import officer_link

    d = personas.driver
    link = officer_link(server.runtime, server.demo.officer_id)
    assert link is not None
    personas.be(name, link[len(server.url):])
    _press(d, "Đăng nhập") if "Đăng nhập" in _text(d) else _press(d, "Sign in")
    assert f"#{code}" in _text(d)
    _click(d, d.find_element(By.LINK_TEXT, f"#{code}"))
    body = _text(d)
    assert "Ba Đình" in body and "đang bán" in body
    images = d.find_elements(By.CSS_SELECTOR, "main img")
    assert images and d.execute_script("return arguments[0].naturalWidth", images[0]) > 0
    _press(d, "✅")
    status = d.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert status
    assert not d.find_elements(By.XPATH, "//button[contains(., '✅')]")
    d.find_element(By.ID, "q").send_keys("Which house number?")
    _press(d, "Send question")
    assert "Question sent" in _text(d)


def _latest_code(server: Server) -> str:
    row = server.run(server.runtime.db.fetchone("SELECT code FROM tips ORDER BY id DESC LIMIT 1"))
    return str(row["code"])


def test_journeys_with_javascript(personas: Personas, server: Server, tmp_path: Any) -> None:
    personas.javascript(True)
    _citizen_learns(personas, "citizen")
    receipt = _citizen_files_tip(personas, "citizen", "Có người đang bán ma túy ở quán nước.", tmp_path)
    code = _latest_code(server)
    _officer_acknowledges(personas, server, code, "police")
    _tipster_reads_and_answers(personas, "tipster later", receipt)
    personas.be("police", f"/officer/tip/{code}")
    assert "Number 12, the blue gate" in _text(personas.driver)


def test_journeys_without_javascript(personas: Personas, server: Server, tmp_path: Any) -> None:
    personas.javascript(False)
    _citizen_learns(personas, "citizen without JS")
    # The location button needs JavaScript: without it, it stays hidden and nothing needs it.
    assert not personas.driver.find_element(By.CSS_SELECTOR, "form.geo").is_displayed()
    receipt = _citizen_files_tip(personas, "citizen without JS",
                                 "Nhóm thanh niên đang bán bóng cười ở công viên.", tmp_path)
    _officer_acknowledges(personas, server, _latest_code(server), "police without JS")
    _tipster_reads_and_answers(personas, "tipster later without JS", receipt)


def test_demo_page_shows_personas_as_separate_sessions(personas: Personas, server: Server) -> None:
    personas.javascript(True)
    d = personas.driver
    code = server.run(_file_tip(server, "Demo: có người đang bán ma túy gần trường."))
    personas.be("chief", "/demo")
    frames = d.find_elements(By.TAG_NAME, "iframe")
    assert len(frames) == 5
    seen = {}
    for frame in frames:
        name = frame.get_attribute("src").split("/p/")[1].split("/")[0]
        d.switch_to.frame(frame)
        WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.CSS_SELECTOR, "main"))
        seen[name] = _text(d)
        d.switch_to.default_content()
    assert "113" in seen["citizen"]
    assert f"#{code}" in seen["police"]  # the ward police console, signed in as the demo officer
    assert "Lớp 9A" in seen["student"] and "#" not in seen["student"]  # the class contest
    assert "/c/" in seen["teacher"] and "9A" in seen["teacher"]  # its projector view
    _press(d, "Đặt lại") if "Đặt lại" in _text(d) else _press(d, "Reset")
    assert len(d.find_elements(By.TAG_NAME, "iframe")) == 5


def test_events_with_ics_download(personas: Personas, server: Server) -> None:
    """An event of the national calendar opens, and its calendar file downloads from the page."""
    personas.javascript(False)
    d = personas.driver
    personas.be("events reader")
    _type(d, "/events")
    _press(d, "World AIDS Day")
    links = d.find_elements(By.CSS_SELECTOR, "main a.button[download]")
    if not links:  # the calendar file is one button away
        _press(d, "📅")
        links = d.find_elements(By.CSS_SELECTOR, "main a.button[download]")
    assert links, _text(d)[-400:]
    href = links[-1].get_attribute("href")
    cookies = {c["name"]: c["value"] for c in d.get_cookies()}
    import urllib.request

    request = urllib.request.Request(href, headers={
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    with urllib.request.urlopen(request) as resp:
        body = resp.read().decode()
    assert "BEGIN:VCALENDAR" in body and "AIDS" in body


def test_student_joins_by_link_and_the_projector_board_updates(personas: Personas,
                                                               server: Server) -> None:
    """The teacher creates a contest in the page and opens the projector view; a student
    joins from the link with a display name and answers; the board (JavaScript on: server-
    sent events) shows the student without anyone touching it."""
    import re

    personas.javascript(True)
    d = personas.driver
    personas.be("teacher")
    _type(d, "/newcontest")
    _type(d, "Lớp 9A")
    for label in ("5", "All topics", "Mixed", "20 s", "Correct answers only", "Now", "1 h",
                  "Skip ▶", "✅ Create"):
        _press(d, label)
    found = re.search(r"/c/([A-Z0-9]{4,8})", _text(d))
    assert found, _text(d)[-300:]
    code = found.group(1)
    personas.be("teacher", f"/board/{code}")
    assert "Chi 9A" not in _text(d)
    board_cookies = d.get_cookies()

    personas.javascript(False)  # the student's phone at "safest"
    personas.be("student", f"/c/{code}")
    _type(d, "Chi 9A")
    _press(d, "▶️")
    options = d.find_elements(By.CSS_SELECTOR, "article.b.bot:last-of-type button")
    _click(d, options[0])

    personas.javascript(True)
    personas.jars["student"] = d.get_cookies()
    personas.current = None
    d.delete_all_cookies()
    for cookie in board_cookies:
        d.add_cookie(cookie)
    personas.current = "teacher"
    d.get(server.url + f"/board/{code}")
    assert "Chi 9A" in _text(d)  # the page as loaded now
    # and live: a second student answers while the board is open
    other = server.run(_second_student(server, code))
    WebDriverWait(d, 15).until(lambda drv: other in drv.find_element(By.TAG_NAME, "body").text)


async def _second_student(server: Server, code: str) -> str:
    """Another student, through HTTP (aiohttp), while the browser shows the board."""
    import aiohttp

    from tests.web.browser import WebBrowser

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"Accept-Language": "en"}) as http:
        b = WebBrowser(http, server.url)
        await b.get(f"/c/{code}")
        await b.say("Binh 9B")
        await b.press("▶️")
        await b.press(b.buttons()[-1][2][:1])
    return "Binh 9B"
