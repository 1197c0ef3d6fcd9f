"""The /broadcast wizard through the stub: each step with bad inputs, permission refusals (a
citizen, a province admin of another province), forged and stale presses, preview, confirm and
discard. (Delivery itself: tests/unit/test_broadcast_engine.py, tests/unit/test_delivery.py and
the Telegram transcripts in tests/e2e/test_broadcast*.py.)"""

from __future__ import annotations

import dataclasses

from bot.broadcast import BroadcastService
from bot.engine.inputs import Photo, Unsupported
from storage import broadcasts as repo
from tests.flows.conftest import Flow
from tests.flows.stub import Shown, StubChat

HCMC, HANOI = "79", "01"


class ProvinceAdmins:
    """The units service's one answer the broadcast service asks: who administers what."""

    def __init__(self, admins: dict[int, set[str]]) -> None:
        self.admins = admins

    async def province_admin_of(self, user_id: int) -> set[str]:
        return self.admins.get(user_id, set())


async def national_admin(flow: Flow, user: int) -> StubChat:
    chat = flow.chat(user, "en")
    user_id = await flow.runtime.accounts.user_id("stub", str(user))
    assert user_id is not None
    svc: BroadcastService = flow.runtime.services.broadcast
    svc.settings = dataclasses.replace(svc.settings, admin_ids=frozenset({user_id}))
    return chat


async def province_admin(flow: Flow, user: int, province: str) -> tuple[StubChat, int]:
    chat = flow.chat(user, "en")
    user_id = await flow.runtime.accounts.user_id("stub", str(user))
    assert user_id is not None
    svc: BroadcastService = flow.runtime.services.broadcast
    svc.units = ProvinceAdmins({user_id: {province}})
    return chat, user_id


async def start(chat: StubChat) -> None:
    [home] = await chat.command("broadcast")
    assert "Broadcasts" in home.text
    [prompt] = await chat.press("➕ New campaign")
    assert "step 1 of 7" in prompt.text


async def to_language_step(chat: StubChat) -> list[Shown]:
    """From the translation step, every optional step skipped, to all of Vietnam and topics."""
    await chat.press("⏭ One text for everyone")
    await chat.press("⏭ No buttons")
    await chat.press("🇻🇳 All of Vietnam")
    return await chat.press("Everyone subscribed")


async def campaigns(flow: Flow) -> int:
    return len(await repo.recent(flow.runtime.db, 100))


async def test_citizen_is_refused_everywhere(flow: Flow) -> None:
    chat = flow.chat(21, "en")
    [shown] = await chat.command("broadcast")
    assert shown.text == "Only administrators can send broadcasts."
    for data in ("bc:new", "bc:v:1", "bc:a", "bc:ok", "bc:tr:-"):
        assert await chat.press_data(data) == []
        assert chat.notices[-1] == ("Only administrators can send broadcasts.", True), data
    # Even with a wizard state (left from when they were an admin), free input is refused.
    await flow.runtime.sessions.set(chat.chat.key, {"flow": "bc_new", "step": "text"})
    [refused] = await chat.text("Hello everyone")
    assert refused.text == "Only administrators can send broadcasts."
    assert await flow.runtime.sessions.get(chat.chat.key) == {}
    assert await campaigns(flow) == 0


async def test_message_step_refuses_bad_input(flow: Flow) -> None:
    chat = await national_admin(flow, 22)
    await start(chat)
    [sticker] = await chat.send(Unsupported("sticker"))
    assert sticker.text == "Please send text, or a photo with a caption, or /cancel."
    [long] = await chat.text("x" * 4097)
    assert "too long (4097 characters; the limit is 4096)" in long.text
    [empty] = await chat.text("   ")
    assert empty.text == "The message is empty."

    async def big() -> bytes:
        raise AssertionError("a photo known to be too large is never downloaded")

    [too_big] = await chat.send(Photo(fetch=big, size=11 * 1024 * 1024))
    assert "too large" in too_big.text
    # Typed HTML is the person's text, not markup: it reaches recipients escaped.
    [next_step] = await chat.text("<b>Walk</b> & talk")
    assert "Step 2 of 7" in next_step.text
    draft = await flow.runtime.sessions.get(chat.chat.key)
    assert draft["text"] == "&lt;b&gt;Walk&lt;/b&gt; &amp; talk"


async def test_photo_is_stored_by_value_and_previewed(flow: Flow) -> None:
    chat = await national_admin(flow, 23)
    await start(chat)
    picture = b"\x89PNG fake picture bytes"

    async def fetch() -> bytes:
        return picture

    [shown] = await chat.send(Photo(fetch=fetch, size=len(picture), caption="Ngày 26/6"))
    assert "Step 2 of 7" in shown.text
    draft = await flow.runtime.sessions.get(chat.chat.key)
    media = await flow.runtime.services.broadcast.media.get(draft["photo"])
    assert media is not None and media.data == picture  # bytes, never a channel's file id
    await to_language_step(chat)
    await chat.press("All languages")
    preview = await chat.press("▶️ Send now")
    assert preview[0].screen.photo == picture and preview[0].text == "Ngày 26/6"
    assert "Ready to send?" in preview[-1].text


async def test_photo_with_a_too_long_caption_stores_nothing(flow: Flow) -> None:
    chat = await national_admin(flow, 31)
    await start(chat)

    async def fetch() -> bytes:
        raise AssertionError("a refused message is not downloaded")

    [refused] = await chat.send(Photo(fetch=fetch, size=100, caption="c" * 1025))
    assert refused.text == "The message is too long (1025 characters; the limit is 1024)."
    assert await flow.runtime.db.fetchone("SELECT 1 FROM media") is None
    assert (await flow.runtime.sessions.get(chat.chat.key))["step"] == "text"


async def test_link_buttons_step(flow: Flow) -> None:
    chat = await national_admin(flow, 24)
    await start(chat)
    await chat.text("Join the walk")
    [buttons] = await chat.press("⏭ One text for everyone")
    assert "Step 3 of 7" in buttons.text
    [bad] = await chat.text("no separator here")
    assert bad.text.startswith("Line 1: write the button text") and "Step 3 of 7" in bad.text
    [scheme] = await chat.text("Go | ftp://example.org")
    assert "is not a link Telegram accepts" in scheme.text
    [many] = await chat.text("\n".join(f"B{i} | https://example.org/{i}" for i in range(4)))
    assert many.text.startswith("At most 3 buttons")
    [label] = await chat.text("x" * 41 + " | https://example.org")
    assert "too long" in label.text
    [area] = await chat.text("Register | https://example.org/walk")
    assert "Step 4 of 7" in area.text
    draft = await flow.runtime.sessions.get(chat.chat.key)
    assert draft["buttons"] == [["Register", "https://example.org/walk"]]


async def test_stale_and_forged_presses_change_nothing(flow: Flow) -> None:
    chat = await national_admin(flow, 25)
    assert await chat.press_data("bc:ok") == []  # no wizard at all
    assert chat.notices[-1][0] == "This button is no longer available."
    await start(chat)
    await chat.text("Hello")
    before = await flow.runtime.sessions.get(chat.chat.key)
    for data in ("bc:tr:fr", "bc:b:-", "bc:t:0", "bc:l:vi", "bc:n", "bc:ok", "bc:w:-"):
        assert await chat.press_data(data) == []
        assert chat.notices[-1][0] == "This button is no longer available.", data
    assert await chat.press_data("bc:b:x") == []  # does not parse
    assert await flow.runtime.sessions.get(chat.chat.key) == before
    await chat.press("⏭ One text for everyone")
    await chat.press("⏭ No buttons")
    await chat.press("🇻🇳 All of Vietnam")
    assert await chat.press_data("bc:t:3") == []  # not a topic
    assert chat.notices[-1][0] == "This button is no longer available."
    assert await campaigns(flow) == 0


async def test_when_step_and_discard(flow: Flow) -> None:
    chat = await national_admin(flow, 26)
    await start(chat)
    await chat.text("Hello")
    await to_language_step(chat)
    [when] = await chat.press("All languages")
    assert "Step 7 of 7" in when.text
    [bad] = await chat.text("some day")
    assert bad.text.startswith("I could not read that time")
    [past] = await chat.text("1/1/2020 08:00")
    assert past.text.startswith("I could not read that time")
    [message, summary] = await chat.text("26/12/2030 08:00")
    assert message.text == "Hello" and "When: " in summary.text and "Recipients now: 0" in summary.text
    [gone] = await chat.press("🗑 Discard")
    assert gone.text == "Discarded. Nothing was sent." and gone.replaced
    assert await campaigns(flow) == 0


async def test_confirm_saves_one_campaign(flow: Flow) -> None:
    chat = await national_admin(flow, 27)
    await start(chat)
    await chat.text("Hello")
    await to_language_step(chat)
    await chat.press("All languages")
    await chat.text("26/12/2030 08:00")
    [progress] = await chat.press("✅ Send")
    assert "Campaign #1" in progress.text and "Scheduled for" in progress.text
    assert chat.notices[-1] == ("Campaign saved.", False)
    assert await chat.press_data("bc:ok") == []  # pressed again: the wizard is over
    assert chat.notices[-1][0] == "This button is no longer available."
    assert await campaigns(flow) == 1
    [cancelled] = await chat.press("⏹ Cancel campaign")
    assert "Cancelled" in cancelled.text


async def test_province_admin_stays_in_their_province(flow: Flow) -> None:
    chat, _uid = await province_admin(flow, 28, HCMC)
    await start(chat)
    await chat.text("Hello")
    await chat.press("⏭ One text for everyone")
    [area] = await chat.press("⏭ No buttons")
    assert "🇻🇳 All of Vietnam" not in area.labels and len(area.labels) == 1
    assert await chat.press_data("bc:a") == []
    assert chat.notices[-1] == ("You can only send broadcasts to your own province.", True)
    assert await chat.press_data(f"bc:p:{HANOI}") == []
    assert chat.notices[-1] == ("You can only send broadcasts to your own province.", True)
    [wards] = await chat.press(area.labels[0])
    assert "(page 1 of" in wards.text
    assert await chat.press_data("bc:w:09877") == []  # a Hà Nội ward: not in this province
    assert chat.notices[-1][0] == "This button is no longer available."
    [topic] = await chat.press("📍 The whole province")
    assert "Step 5 of 7" in topic.text


async def test_other_province_admin_cannot_see_or_cancel_a_campaign(flow: Flow) -> None:
    svc: BroadcastService = flow.runtime.services.broadcast
    await province_admin(flow, 29, HCMC)
    from bot.broadcast import Content, Target

    cid = await svc.create(Content({"vi": "x"}), Target(HCMC), check_permission=False)
    other, other_id = await province_admin(flow, 30, HANOI)
    svc.units = ProvinceAdmins({other_id: {HANOI}})
    assert await other.press_data(f"bc:v:{cid}") == []
    assert other.notices[-1] == ("You can only send broadcasts to your own province.", True)
    assert await other.press_data(f"bc:x:{cid}") == []
    assert other.notices[-1] == ("You can only send broadcasts to your own province.", True)
    campaign = await svc.get(cid or 0)
    assert campaign is not None and campaign.status == "scheduled"
