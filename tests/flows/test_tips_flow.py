"""The citizen's tip flow and /followup through the stub channel: every step, every wrong kind
of input at each step, forged and stale presses, the requester-keyed limits, the receipt's
retries through the port and the reply-ping opt-in. What the person would see is asserted."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest
from PIL import Image

import handlers.tips
from bot import tips as rules
from bot.engine.conversation import ShowLater, ShowRefused, Unreachable
from bot.engine.inputs import File, Unsupported
from bot.screens import Screen
from storage import tips as tips_repo
from tests.flows.conftest import Flow
from tests.flows.stub import STUB, StubChat, StubConversation

SAI_GON = 26740
RECEIPT = re.compile(r"(\d{4} \d{4} \d{4} \d{4})")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


async def to_text_step(chat: StubChat) -> None:
    """/tip → Start → a category → province typed → ward typed, chosen, confirmed → skip the
    place details: the "What happened?" step."""
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    await chat.press("📍 Selling")
    [wards] = await chat.text("Hồ Chí Minh")
    assert "Type part of the commune or ward name" in wards.text
    [cands] = await chat.text("Sài Gòn")
    assert cands.text == "Which one do you mean?"
    [confirm] = await chat.press_data(f"tip:w:{SAI_GON}")
    assert "Is the place in <b>Phường Sài Gòn" in confirm.text
    [place] = await chat.press("✅ Yes")
    assert "Optionally describe the place" in place.text
    [text] = await chat.press("Skip ➡️")
    assert "<b>3/5 · What happened?</b>" in text.text


async def to_review(chat: StubChat, text: str = "Bán ma túy ở hẻm 12") -> None:
    await to_text_step(chat)
    [photos] = await chat.text(text)
    assert "Photos so far: 0." in photos.text
    [when] = await chat.press("No photos ➡️")
    assert "<b>4/5 · When did it happen?</b>" in when.text
    [review] = await chat.press("Today")
    assert "<b>5/5 · Check your tip</b>" in review.text


def receipt_in(shown: list[Any]) -> str:
    for s in shown:
        found = RECEIPT.search(s.text)
        if found:
            return found.group(1).replace(" ", "")
    raise AssertionError("no receipt shown")


async def file_tip(chat: StubChat, text: str = "Bán ma túy ở hẻm 12") -> str:
    await to_review(chat, text)
    return receipt_in(await chat.press("📨 Send to the police"))


# -- the draft, step by step --------------------------------------------------------------------
async def test_whole_flow_with_photo_place_and_receipt(flow: Flow) -> None:
    chat = flow.chat(11, "en")
    [intro] = await chat.command("tip")
    assert "Report drug activity anonymously" in intro.text and "113" in intro.text
    [cats] = await chat.press("✍️ Start a tip")
    assert cats.replaced and "<b>1/5 · What is it about?</b>" in cats.text
    [prov] = await chat.press("🚚 Trafficking")
    assert "<b>2/5 · Where?</b>" in prov.text and "or send a location pin." in prov.text
    await chat.text("Hồ Chí Minh")
    await chat.text("Sài Gòn")
    await chat.press_data(f"tip:w:{SAI_GON}")
    await chat.press("✅ Yes")
    [text_step] = await chat.text("Hẻm 12 <b>gần chợ</b>")
    assert "3/5" in text_step.text
    [photos] = await chat.text("Xe tải lúc 2 giờ sáng & <i>người lạ</i>")
    assert "Photos so far: 0." in photos.text
    added, prompt = await chat.photo(jpeg())
    assert added.text == "📷 Photo 1 cleaned and added."
    assert "Photos so far: 1." in prompt.text and "Done ➡️" in prompt.labels
    await chat.press("Done ➡️")
    [review] = await chat.press("This week")
    assert "Phường Sài Gòn" in review.text
    assert "Hẻm 12 &lt;b&gt;gần chợ&lt;/b&gt;" in review.text  # escaped
    assert "&lt;i&gt;người lạ&lt;/i&gt;" in review.text
    assert "<b>Photos:</b> 1" in review.text
    shown = await chat.press("📨 Send to the police")
    [receipt] = shown
    assert receipt.replaced and "Your tip was sent to the police" in receipt.text
    assert len(receipt_in(shown)) == 16
    assert await chat.runtime.sessions.get(chat.chat.key) == {}
    assert await flow.runtime.db.fetchall("SELECT * FROM tip_draft_photos") == []
    [tip] = await flow.runtime.db.fetchall("SELECT id FROM tips")
    assert await tips_repo.attachment_count(flow.runtime.db, int(tip["id"])) == 1


async def test_urgent_category_says_113_first(flow: Flow) -> None:
    chat = flow.chat(12, "en")
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    [urgent] = await chat.press("🚨 Someone in drug psychosis")
    assert "CALL 113 FIRST" in urgent.text and "115" in urgent.text
    [prov] = await chat.press("I have called")
    assert "<b>2/5 · Where?</b>" in prov.text


async def test_province_pages_and_choice(flow: Flow) -> None:
    chat = flow.chat(13, "en")
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    [page1] = await chat.press("❔ Other")
    assert "1/" in " ".join(page1.labels)
    [page2] = await chat.press("▶")
    assert "◀" in page2.labels and page2.labels != page1.labels
    [far] = await chat.press_data("tip:pp:9999")  # forged: the last page, not an error
    assert "◀" in far.labels and "▶" not in far.labels
    [wards] = await chat.press_data("tip:p:79")
    assert "Hồ Chí Minh" in wards.text
    [again] = await chat.press("⬅️ Other province")
    assert "<b>2/5 · Where?</b>" in again.text


async def test_location_pin_then_remove_it_at_review(flow: Flow) -> None:
    chat = flow.chat(14, "en")
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    await chat.press("❔ Other")
    [outside] = await chat.location(48.85, 2.35)
    assert outside.text == "This pin is not in Viet Nam. Choose the province instead."
    [near] = await chat.location(10.7725, 106.6980)
    assert near.text.startswith("📍 The pin is near")
    await chat.press(near.labels[0])
    await chat.press("✅ Yes")
    await chat.press("Skip ➡️")
    await chat.text("Pin tip")
    await chat.press("No photos ➡️")
    [review] = await chat.press("Earlier")
    assert "<b>Location pin:</b> attached" in review.text
    [review] = await chat.press("🗑 Remove the location pin")
    assert "Location pin" not in review.text


async def test_no_pin_offered_where_the_channel_cannot_send_one(flow: Flow) -> None:
    chat = StubChat(flow.runtime, 15, "en", capabilities=dataclasses.replace(STUB, location=False))
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    [prov] = await chat.press("❔ Other")
    assert "Location" not in prov.text and "type the commune/ward name directly." in prov.text
    await chat.text("Hồ Chí Minh")  # typed places always work
    [cands] = await chat.text("Sai Gon")
    assert any("Sài Gòn" in label for label in cands.labels)


async def test_edits_from_the_review_come_back_to_it(flow: Flow) -> None:
    chat = flow.chat(16, "en")
    await to_review(chat, "First words")
    [text_step] = await chat.press("✏️ Text")
    assert "3/5" in text_step.text
    [review] = await chat.text("Second words")
    assert "Second words" in review.text and "First words" not in review.text
    await chat.press("✏️ Category")
    [review] = await chat.press("⚗️ Production")
    assert "Production" in review.text
    await chat.press("✏️ When")
    [review] = await chat.press("Just now")
    assert "Just now" in review.text
    await chat.press("✏️ Place")
    await chat.text("Hồ Chí Minh")
    await chat.text("Bến Thành")
    [cands] = await chat.text("Bến Thành")
    await chat.press(cands.labels[0])
    await chat.press("✅ Yes")
    [place] = await chat.text("Số 5")
    assert "Bến Thành" in place.text and "Số 5" in place.text  # back at the review


async def test_unfinished_draft_offers_continue_or_start_again(flow: Flow) -> None:
    chat = flow.chat(17, "en")
    await to_text_step(chat)
    [offer] = await chat.command("tip")
    assert offer.text == "You have an unfinished tip. Continue it or start again?"
    [step] = await chat.press("▶️ Continue")
    assert "3/5" in step.text
    await chat.command("tip")
    [intro] = await chat.press("🔄 Start again")
    assert "Report drug activity anonymously" in intro.text
    [via_link] = await chat.command("start", "tip")
    assert "Report drug activity anonymously" in via_link.text


async def test_cancel_keeps_nothing(flow: Flow) -> None:
    chat = flow.chat(18, "en")
    await to_text_step(chat)
    await chat.text("Words")
    await chat.photo(jpeg())
    assert len(await flow.runtime.db.fetchall("SELECT * FROM tip_draft_photos")) == 1
    [done] = await chat.press("Done ➡️")
    [cancelled] = await chat.press_data("tip:x")
    assert cancelled.text == "Cancelled. Nothing was sent or kept." and cancelled.replaced
    assert await flow.runtime.db.fetchall("SELECT * FROM tip_draft_photos") == []
    assert await flow.runtime.db.fetchall("SELECT * FROM tips") == []
    [nothing] = await chat.press_data("tip:x")
    assert nothing.text == "There is nothing to cancel."
    await to_text_step(chat)
    [by_command] = await chat.command("cancel")
    assert by_command.text.startswith("Cancelled. Nothing was sent or kept.")
    assert await chat.runtime.sessions.get(chat.chat.key) == {}
    del done


async def test_group_gets_a_private_link_and_nothing_is_recorded(flow: Flow) -> None:
    chat = flow.chat(19, "en", private=False)
    [shown] = await chat.command("tip")
    assert "only in a private chat" in shown.text
    assert "Use the button below to open it." in shown.text
    assert shown.screen.buttons[0][0].url == "stub://bot/tip"
    [shown] = await chat.command("followup")
    assert shown.screen.buttons[0][0].url == "stub://bot/followup"
    assert await chat.press_data("tip:go") == []  # a forged press in a group: nothing
    assert (await flow.runtime.db.fetchall("SELECT COUNT(*) AS n FROM sessions"))[0]["n"] == 0


# -- bad input at each step ---------------------------------------------------------------------
async def test_wrong_kinds_of_input_at_each_step_change_nothing(flow: Flow) -> None:
    chat = flow.chat(20, "en")
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    session = await flow.runtime.sessions.get(chat.chat.key)
    [said] = await chat.text("hello")
    assert said.text == "Please choose one of the options above, or /cancel."
    [said] = await chat.photo(jpeg())
    assert said.text == "Photos can be added after you describe what happened."
    [said] = await chat.location(10.77, 106.70)
    assert said.text == "A location pin can be sent at the “Where?” step."
    [said] = await chat.send(Unsupported("voice"))
    assert said.text.startswith("🎙 Voice, audio and video messages are not accepted")
    [said] = await chat.send(Unsupported("contact"))
    assert said.text.startswith("Please do not send contacts")
    [said] = await chat.send(Unsupported("sticker"))
    assert said.text.startswith("This kind of message cannot be taken here.")
    assert await flow.runtime.sessions.get(chat.chat.key) == session
    assert flow.runtime.db and await flow.runtime.db.fetchall("SELECT * FROM tip_draft_photos") == []


async def test_text_step_refusals(flow: Flow) -> None:
    chat = flow.chat(21, "en")
    await to_text_step(chat)
    [said] = await chat.text("x" * 3001)
    assert "3001" in said.text and "3000" in said.text
    [said] = await chat.text("   ")
    assert said.text == "Please choose one of the options above, or /cancel."
    [said] = await chat.send(Unsupported("video"))
    assert "video" in said.text


async def test_photo_step_refusals(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = flow.chat(22, "en")
    await to_text_step(chat)
    await chat.text("What happened")

    async def pdf() -> bytes:
        raise AssertionError("a refused file is never downloaded")

    [said] = await chat.send(File(fetch=pdf, name="x.pdf", mime="application/pdf", size=10))
    assert "This kind of file is not accepted" in said.text
    [said] = await chat.send(File(fetch=pdf, name="big.jpg", mime="image/jpeg", size=21 * 2**20))
    assert said.text == "This image is too large. Please send a smaller one."
    [said] = await chat.photo(b"\xff\xd8 not an image")
    assert "could not read this as an image" in said.text

    async def png() -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, format="PNG")
        return buf.getvalue()

    added, _prompt = await chat.send(File(fetch=png, name="shot.png", mime="image/png"))
    assert added.text == "📷 Photo 1 cleaned and added."
    for _i in range(4):
        await chat.photo(jpeg())
    [said] = await chat.photo(jpeg())
    assert said.text == "You can attach at most 5 photos."
    monkeypatch.setattr(rules, "DECODES_PER_DAY", 6)
    await chat.press_data("tip:phd")
    await chat.press("Today")
    await chat.press("✏️ Photos")
    [said] = await chat.photo(jpeg())
    assert "the most the bot can clean in a day" in said.text


async def test_caption_becomes_the_text_when_a_photo_comes_first(flow: Flow) -> None:
    chat = flow.chat(23, "en")
    await to_text_step(chat)
    [ask] = await chat.photo(b"x")  # unreadable: nothing kept, still at the text step
    assert "could not read" in ask.text
    [said] = await chat.photo(jpeg())
    assert said.text == "📷 Photo 1 cleaned and added. Now please describe what happened."


async def test_forged_and_stale_presses(flow: Flow) -> None:
    chat = flow.chat(24, "en")
    await chat.press_data("tip:go")
    assert chat.notices[-1][0] == "This tip is no longer open. Send /tip to start again."
    assert await chat.press_data("tip:c") == []  # does not parse: dropped by the channel
    await chat.command("tip")
    await chat.press("✍️ Start a tip")
    [same] = await chat.press_data("tip:c:nosuch")
    assert "<b>1/5 · What is it about?</b>" in same.text
    await chat.press("❔ Other")
    [same] = await chat.press_data("tip:p:abc")
    assert "<b>2/5 · Where?</b>" in same.text
    [same] = await chat.press_data("tip:w:99999999")
    assert "<b>2/5 · Where?</b>" in same.text
    [same] = await chat.press_data("tip:wc:99999999")
    assert "<b>2/5 · Where?</b>" in same.text
    [same] = await chat.press_data("tip:t:never")
    assert "<b>2/5 · Where?</b>" in same.text
    [incomplete] = await chat.press_data("tip:send")  # not complete: the first thing missing
    assert "<b>2/5 · Where?</b>" in incomplete.text and not incomplete.replaced
    assert await flow.runtime.db.fetchall("SELECT * FROM tips") == []
    await chat.press_data("tip:wq:1:0000000000000000")
    assert chat.notices[-1][0] == "This button is no longer available."
    [done] = await chat.press_data("tip:fpg:3")  # no follow-up open
    assert done.text == "Done. Use /followup and your receipt to come back."


# -- submit, limits, receipt --------------------------------------------------------------------
async def test_burst_limit_is_per_requester_and_polite(flow: Flow) -> None:
    chat = flow.chat(25, "en")
    await file_tip(chat, "one")
    await file_tip(chat, "two")
    await to_review(chat, "three")
    [refused] = await chat.press("📨 Send to the police")
    assert "You sent several tips just now. Please wait 10 minutes." in refused.text
    assert len(await flow.runtime.db.fetchall("SELECT id FROM tips")) == 2
    # The same external id on another channel is another requester; so is another person.
    other_channel = flow.chat(26, "en")
    other_channel.person = dataclasses.replace(chat.person, channel="web")
    await file_tip(other_channel, "elsewhere")
    await file_tip(flow.chat(27, "en"), "someone else")
    assert len(await flow.runtime.db.fetchall("SELECT id FROM tips")) == 4


def test_requester_key_names_channel_and_id() -> None:
    assert rules.requester_key("zalo", "123") == "zalo:123"
    assert rules.requester_key("telegram", "123") != rules.requester_key("web", "123")


class FlakyConversation(StubConversation):
    """Raises the queued errors on the next calls of show()."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[Exception] = []
        self.calls: list[bool] = []

    async def show(self, screen: Screen, *, replace: bool = False) -> int:
        self.calls.append(replace)
        if self.failures:
            raise self.failures.pop(0)
        return await super().show(screen, replace=replace)


@pytest.mark.parametrize(
    ("failures", "calls", "shown"),
    [
        ([ShowRefused(replacing=True)], [True, False], True),
        ([ShowLater(0.0), ShowLater()], [True, False, False], True),
        ([ShowRefused(replacing=True), ShowRefused()], [True, False], False),
        ([Unreachable()], [True], False),
        ([ShowLater(), ShowLater(), ShowLater(), ShowLater()], [True, False, False, False], False),
    ],
    ids=["replace-refused", "transient-twice", "refused-twice", "blocked", "keeps-failing"],
)
async def test_receipt_retries_through_the_port(flow: Flow, monkeypatch: pytest.MonkeyPatch,
                                                 failures: list[Exception], calls: list[bool],
                                                 shown: bool) -> None:
    monkeypatch.setattr(handlers.tips, "RECEIPT_BACKOFF", 0.0)
    chat = flow.chat(28, "en")
    conv = FlakyConversation()
    chat.conv = conv
    await to_review(chat)
    conv.calls.clear()
    conv.failures = list(failures)
    after = await chat.press("📨 Send to the police")
    assert conv.calls == calls
    assert bool(after) == shown
    if shown:
        assert not after[0].replaced and "Your tip was sent to the police" in after[0].text
    assert len(await flow.runtime.db.fetchall("SELECT id FROM tips")) == 1  # never sent twice


# -- follow-up ----------------------------------------------------------------------------------
async def test_followup_answer_photo_and_done(flow: Flow) -> None:
    chat = flow.chat(30, "en")
    receipt = await file_tip(chat, "Follow me")
    [prompt] = await chat.command("followup")
    assert prompt.text == "🔎 Send your 16-digit receipt number."
    [again] = await chat.photo(jpeg())  # not a receipt: asked again, nothing counted
    assert again.text == prompt.text
    [wrong] = await chat.text("0000 0000 0000 0000")
    assert wrong.text.startswith("No tip matches this receipt number.")
    [view] = await chat.text(receipt[:4] + " " + receipt[4:])
    assert "<b>Your tip</b>" in view.text and "No questions from the police yet." in view.text
    [ask] = await chat.press("✍️ Answer / add details")
    assert "Write your answer" in ask.text
    [said] = await chat.photo(jpeg())
    assert said.text == "Please write your answer as text."
    [said] = await chat.send(Unsupported("voice"))
    assert said.text.startswith("🎙 Voice")
    sent, view = await chat.text("Thêm: xe màu <b>đỏ</b>")
    assert sent.text == "✅ Sent to the police."
    assert "🙋 You" in view.text and "xe màu &lt;b&gt;đỏ&lt;/b&gt;" in view.text
    [ask] = await chat.press("📷 Add a photo")
    [said] = await chat.text("a word")
    assert said.text.startswith("Send one photo")
    [said] = await chat.location(10.77, 106.70)
    assert said.text.startswith("Send one photo")
    sent, view = await chat.photo(jpeg())
    assert sent.text == "✅ Photo cleaned and sent to the police."
    assert "<b>Photos:</b> 1" in view.text
    [done] = await chat.press("✅ Done")
    assert done.text == "Done. Use /followup and your receipt to come back."
    assert await flow.runtime.sessions.get(chat.chat.key) == {}
    [stale] = await chat.press_data("tip:fa")
    assert stale.text == done.text


async def test_followup_wrong_receipts_are_limited_per_requester(flow: Flow) -> None:
    chat = flow.chat(31, "en")
    await chat.command("followup")
    for _i in range(rules.FOLLOWUP_FAILURES_PER_DAY):
        await chat.text("1234 5678 1234 5678")
    [limited] = await chat.text("1234 5678 1234 5678")
    assert limited.text == "Too many wrong receipt numbers today. Please try again tomorrow."
    other = flow.chat(32, "en")
    await other.command("followup")
    [wrong] = await other.text("1234 5678 1234 5678")
    assert wrong.text.startswith("No tip matches")


async def test_reply_ping_opt_in_is_sealed_with_channel_and_chat(flow: Flow) -> None:
    chat = flow.chat(33, "en")
    await to_review(chat)
    await chat.press("📨 Send to the police")
    [explain] = await chat.press("🔔 Tell me when police reply")
    assert "Reply notifications (optional)" in explain.text
    [on] = await chat.press("Turn on")
    assert on.text.startswith("🔔 On.")
    [tip] = await flow.runtime.db.fetchall("SELECT tip_id FROM tip_watchers")
    svc = flow.runtime.services.tips
    watcher = await svc.watcher(int(tip["tip_id"]))
    assert watcher == rules.Watcher("stub", "stub:33", "en")
    raw = await flow.runtime.db.fetchall("SELECT * FROM tip_watchers")
    assert all(b"stub:33" not in bytes(r["chat"]) for r in raw)
    # Only Telegram sends pings today: a ping for another channel's chat is skipped.
    police = flow.runtime.services.tip_police
    row = {"kind": "ping", "tip_id": int(tip["tip_id"]), "chat_id": None, "role": None}
    assert await police.render(row) is None
    assert await svc.erase_watches("stub:33", channel="web") == 0
    assert await svc.erase_watches("stub:33", channel="stub") == 1
    assert await svc.watcher(int(tip["tip_id"])) is None
    forged = await chat.press_data(f"tip:won:{int(tip['tip_id'])}:{'0' * 16}")
    assert forged == [] and chat.notices[-1][0] == "This button is no longer available."
