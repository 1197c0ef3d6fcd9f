"""Events through the stub: the officers' wizard step by step with bad input at each step,
area permissions (a citizen, an officer of another province), forged and stale presses, the
list, .ics files, photos by value, edit and cancel."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.engine.inputs import Photo, Unsupported
from bot.events import EventService
from tests.flows.conftest import Flow
from tests.flows.stub import StubChat

SAI_GON = "26740"  # a ward of Hồ Chí Minh (79)
HANOI_WARD = "00004"  # Phường Ba Đình, Hà Nội
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


class Units:
    """The two answers the event service asks the units service: officers and province admins."""

    def __init__(self) -> None:
        self.wards: dict[int, list[str]] = {}

    async def officer_units(self, user_id: int) -> list[object]:
        return [SimpleNamespace(kind="ward", code=code) for code in self.wards.get(user_id, [])]

    async def province_admin_of(self, user_id: int) -> set[str]:
        return set()


def setup_units(flow: Flow) -> Units:
    flow.runtime.clock._now = NOW  # type: ignore[attr-defined]
    svc: EventService = flow.runtime.services.events
    if not isinstance(svc.units, Units):
        svc.units = Units()
    assert isinstance(svc.units, Units)
    return svc.units


async def officer(flow: Flow, user: int, ward: str = SAI_GON) -> StubChat:
    units = setup_units(flow)
    user_id = await flow.runtime.accounts.user_id("stub", str(user))
    assert user_id is not None
    units.wards[user_id] = [ward]
    return flow.chat(user, "en")


async def through_description(chat: StubChat) -> None:
    await chat.command("newevent")
    await chat.text("Talk: saying no")
    await chat.text("26/6/2026 08:00")
    await chat.text("3")
    await chat.text("Nhà văn hóa")
    [scope] = await chat.text("-")
    assert "6/7: Who is it for?" in scope.text


async def test_citizen_cannot_create_or_change(flow: Flow) -> None:
    setup_units(flow)
    chat = flow.chat(31, "en")
    [shown] = await chat.command("newevent")
    assert shown.text == "Only police officers and administrators can create events."
    for data in ("ev:save", "ev:np", "ev:sc:n", f"ev:sw:{SAI_GON}"):
        assert await chat.press_data(data) == []
        assert chat.notices[-1][0] == "This button is no longer available.", data
    for data in ("ev:ed:1", "ev:x:1", "ev:ef:1:title"):
        assert await chat.press_data(data) == []
        assert chat.notices[-1] == ("You cannot change this event.", True), data
    assert await chat.press_data("ev:xy:1") == []
    assert chat.notices[-1][1] is True


async def test_each_wizard_step_refuses_bad_input(flow: Flow) -> None:
    chat = await officer(flow, 32)
    [title] = await chat.command("newevent")
    assert "(1/7)" in title.text
    [photo_now] = await chat.photo(b"\xff\xd8 a picture")
    assert "(1/7)" in photo_now.text  # the same step again
    [empty] = await chat.text("   ")
    assert empty.text == "Please type a title."
    [long] = await chat.text("x" * 121)
    assert long.text == "The title is too long (at most 120 characters)."
    [start] = await chat.text("<b>Talk</b>")
    assert start.text.startswith("2/7")
    [unreadable] = await chat.text("soon")
    assert unreadable.text.startswith("I could not read that date")
    [past] = await chat.text("1/5/2026 08:00")
    assert past.text == "That time is in the past."
    await chat.text("26/6/2026 08:00")
    [before] = await chat.text("25/6/2026 08:00")
    assert before.text == "The end must be after the start."
    [sticker] = await chat.send(Unsupported("sticker"))
    assert sticker.text.startswith("3/7")
    await chat.text("3")
    [place] = await chat.text("p" * 201)
    assert place.text == "The place is too long (at most 200 characters)."
    await chat.text("Nhà văn hóa")
    [description] = await chat.text("d" * 1501)
    assert description.text == "The description is too long (at most 1500 characters)."
    [scope] = await chat.text("-")
    assert "6/7" in scope.text and len(scope.labels) == 1  # only the officer's own ward
    [typed] = await chat.text("somewhere")
    assert typed.text == "Please choose one of the options above, or /cancel."
    draft = await flow.runtime.sessions.get(chat.chat.key)
    assert draft["title"] == "<b>Talk</b>" and draft["description"] == ""


async def test_officer_of_another_province_is_refused_the_area(flow: Flow) -> None:
    chat = await officer(flow, 33)
    await through_description(chat)
    for data in (f"ev:sc:w{HANOI_WARD}", "ev:sc:n", f"ev:sw:{HANOI_WARD}", "ev:sp:01", "ev:spv:01"):
        assert await chat.press_data(data) == []
        assert chat.notices[-1] == ("You cannot create events for this area.", True), data
    assert await chat.press_data("ev:spick") == []  # national admins only
    assert chat.notices[-1][0] == "This button is no longer available."
    draft = await flow.runtime.sessions.get(chat.chat.key)
    assert draft["step"] == "scope" and "code" not in draft


async def test_photo_stored_by_value_then_saved(flow: Flow) -> None:
    chat = await officer(flow, 34)
    await through_description(chat)
    [photo_step] = await chat.press("📍")
    assert photo_step.text.startswith("7/7") and photo_step.replaced
    [again] = await chat.text("here is the poster")
    assert again.text.startswith("7/7")
    picture = b"\x89PNG poster"
    [check] = await chat.photo(picture)
    assert "Check the event" in check.text and "With a photo" in check.text
    [saved] = await chat.press("✅ Save")
    assert chat.notices[-1] == ("Event saved.", False) and "Talk: saying no" in saved.text
    assert await chat.press_data("ev:save") == []  # pressed twice: only one event
    svc: EventService = flow.runtime.services.events
    event = await svc.get(1)
    assert event is not None and await svc.get(2) is None
    media = await svc.media.get(event.photo or "")
    assert media is not None and media.data == picture
    [shown] = await chat.press_data("ev:v:1")
    assert shown.screen.photo == picture and "Talk: saying no" in shown.text


async def test_too_large_photo_is_refused_without_download(flow: Flow) -> None:
    chat = await officer(flow, 35)
    await through_description(chat)
    await chat.press("📍")

    async def never() -> bytes:
        raise AssertionError("not downloaded")

    [refused] = await chat.send(Photo(fetch=never, size=20 * 1024 * 1024))
    assert refused.text == "This photo is too large (at most 10 MB)."
    [confirm] = await chat.press_data("ev:np")
    assert "Check the event" in confirm.text


async def test_list_ics_edit_and_cancel(flow: Flow) -> None:
    chat = await officer(flow, 36)
    await through_description(chat)
    await chat.press("📍")
    await chat.press("Skip")
    await chat.press("✅ Save")
    [listed] = await chat.command("events")
    assert "Talk: saying no" in listed.text
    [ics] = await chat.press_data("ev:ics:e:1")
    assert ics.screen.document is not None and ics.screen.document[0] == "event-1.ics"
    assert b"BEGIN:VEVENT" in ics.screen.document[1]
    assert await chat.press_data("ev:ics:e:999") == []
    assert chat.notices[-1] == ("This event does not exist (any more).", True)
    assert await chat.press_data("ev:ef:1:owner") == []  # not an editable field
    assert chat.notices[-1][0] == "This button is no longer available."
    await chat.press_data("ev:ed:1")
    [prompt] = await chat.press("Title")
    assert prompt.text == "Type the new title:"
    [photo] = await chat.photo(b"not now")
    assert photo.text == "Type the new title:"
    [edited] = await chat.text("Walk for health")
    assert "Walk for health" in edited.text
    other = await officer(flow, 37, HANOI_WARD)
    for data in ("ev:ed:1", "ev:x:1", "ev:xy:1"):
        assert await other.press_data(data) == []
        assert other.notices[-1][1] is True, data
    await chat.press_data("ev:x:1")
    [cancelled] = await chat.press("Yes, cancel the event")
    assert "This event was cancelled." in cancelled.text
    assert chat.notices[-1] == ("Event cancelled.", False)


async def test_newevent_only_in_a_private_chat(flow: Flow) -> None:
    await officer(flow, 38)
    chat = flow.chat(38, "en", private=False)
    [shown] = await chat.command("newevent")
    assert shown.text == "Please create events in a private chat with me."


async def test_national_admin_picks_any_ward(flow: Flow) -> None:
    setup_units(flow)
    user_id = await flow.runtime.accounts.user_id("stub", "39")
    svc: EventService = flow.runtime.services.events
    svc.settings = dataclasses.replace(svc.settings, admin_ids=frozenset({user_id}))
    chat = flow.chat(39, "en")
    await through_description(chat)
    [provinces] = await chat.press("🗺")
    [wards] = await chat.press(provinces.labels[0])
    assert "(page 1 of" in wards.text
    [photo_step] = await chat.press("📍 The whole province")
    assert photo_step.text.startswith("7/7")
