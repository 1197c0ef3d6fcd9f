"""A class contest on the web: the teacher creates it in the page, a student joins by the link
(/c/CODE) with a display name only and answers on the server clock, the teacher's leaderboard
and projector view show them."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.channels.web.app import make_app
from bot.quiz import LETTERS
from bot.quiz_logic import ShuffledQuestion
from bot.runtime import Runtime
from tests.web.conftest import Browser, started


async def _web_accounts(runtime: Runtime) -> list[int]:
    rows = await runtime.db.fetchall("SELECT user_id FROM accounts WHERE channel = 'web'")
    return [int(r["user_id"]) for r in rows]


async def make_contest(teacher: Browser) -> str:
    await teacher.get("/")
    await teacher.say("/newcontest")
    await teacher.say("Lớp 9A")
    for label in ("5", "All topics", "Mixed", "20 s", "Correct answers only", "Now", "1 h",
                  "Skip ▶", "✅ Create"):
        await teacher.press(label)
    found = re.search(r"/c/([A-Z0-9]{4,8})", teacher.page)
    assert found, teacher.last_bubble()
    return found.group(1)


async def test_student_joins_by_link_and_the_teacher_sees_them(runtime: Runtime) -> None:
    server = await started(make_app(runtime))
    headers = {"Accept-Language": "en"}
    async with TestClient(server, headers=headers) as t_client, \
            TestClient(server, headers=headers) as s_client:
        teacher, student = Browser(t_client), Browser(s_client)
        code = await make_contest(teacher)
        page = await student.get(f"/c/{code}")
        assert "display name" in page
        page = await student.say("An <b>9A</b>")
        assert "Welcome, <b>An &lt;b&gt;9A&lt;/b&gt;</b>!" in page
        await student.press("▶️ Start")
        first = student.buttons()[-1][2]
        await student.press(first[:1])  # any answer: the verdict and the next question follow
        assert "Question 2" in student.page or "2/5" in student.page
        page = await teacher.say(f"/leaderboard {code}")
        assert "An &lt;b&gt;9A&lt;/b&gt;" in page
        # the results CSV: a download button in the page
        await teacher.press("📥")
        links = re.findall(r'href="(media/\d+)" download>⬇ ([^<]+)<', teacher.page)
        assert links, teacher.last_bubble()
        async with t_client.get("/" + links[0][0]) as resp:
            assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
            assert "An <b>9A</b>" in (await resp.read()).decode("utf-8-sig")
        async with s_client.get("/" + links[0][0]) as resp:  # another session: not theirs
            assert resp.status == 404
        # the student finishes (all right from here: 80% needed) and downloads a certificate
        quiz = runtime.services.quiz
        contest = await quiz.find(code)
        [student_id] = [e.user_id for e in [await quiz.entry(contest, uid) for uid in
                        await _web_accounts(runtime)] if e is not None]
        for _ in range(4):
            entry = await quiz.entry(contest, student_id)
            qid, order = entry.plan[entry.position]
            right = ShuffledQuestion(quiz.bank.get(qid), order).correct_displayed[0]
            await student.press(LETTERS[right])
        await student.press("🎓")
        media = re.findall(r'(?:src|href)="(media/\d+)"', student.page)
        assert media, student.last_bubble()
        async with s_client.get("/" + media[-1]) as resp:
            assert resp.status == 200 and len(await resp.read()) > 1000
        page = await teacher.get(f"/board/{code}")
        assert teacher.status == 200 and "An &lt;b&gt;9A&lt;/b&gt;" in page
        assert f"/c/{code}" in page and 'src="data:image/png;base64,' in page  # link and QR
        page = await student.get(f"/board/{code}")  # not the owner
        assert student.status == 403 and "9A" not in page


async def test_practice_quiz_in_the_page(browser: Browser) -> None:
    await browser.get("/")
    await browser.say("/quiz")
    await browser.press("🎲")
    question = browser.last_bubble()
    await browser.press(browser.buttons()[-1][2][:1])
    assert browser.last_bubble() != question
    assert "✅" in browser.page or "❌" in browser.page
