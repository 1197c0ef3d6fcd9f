"""Subscriptions through the stub: opt-in step by step, topic toggles, unsubscribe, and what a
forged, stale or misplaced input gets."""

from __future__ import annotations

from bot import directory
from tests.flows.conftest import Flow

HCMC = "79"


async def _to_confirm(chat: object) -> None:
    from tests.flows.stub import StubChat

    assert isinstance(chat, StubChat)
    [intro] = await chat.command("subscriptions")
    assert "Get updates" in intro.text
    [wards] = await chat.press(directory.get_province(HCMC).short_name)  # type: ignore[union-attr]
    assert wards.replaced and "(page 1 of" in wards.text
    [found] = await chat.text("An Đông")
    assert "Which one do you mean?" in found.text
    [confirm] = await chat.press("Phường An Đông")
    assert "Area: Phường An Đông" in confirm.text


async def test_opt_in_toggle_and_unsubscribe(flow: Flow) -> None:
    chat = flow.chat(11, "en")
    await _to_confirm(chat)
    [toggled] = await chat.press("✅ Quiz contests")
    assert "⬜ Quiz contests" in toggled.labels
    [english] = await chat.press("● 🇬🇧 English")
    assert english.replaced
    [status] = await chat.press("🔔 Subscribe")
    assert "You are subscribed" in status.text and "Quiz" not in status.text.split("Topics:")[1]
    assert chat.notices[-1] == ("Subscribed.", False)
    user_id = await flow.runtime.accounts.user_id("stub", "11", create=False)
    sub = await flow.runtime.services.subscriptions.get(user_id)
    assert sub is not None and sub.ward_code == "27316" and sub.province_code == HCMC
    [again] = await chat.command("subscriptions")
    assert "You are subscribed" in again.text
    [off] = await chat.press("🔕 Unsubscribe")
    assert "You are unsubscribed" in off.text
    assert await flow.runtime.services.subscriptions.get(user_id) is None


async def test_forged_choices_are_refused_and_change_nothing(flow: Flow) -> None:
    chat = flow.chat(12, "en")
    await chat.command("subscriptions")
    other_ward = f"{directory.wards_of('01')[0].code:05d}"
    for data in (
        "sub:c:00:-:7:vi",  # no such province
        f"sub:ok:{HCMC}:{other_ward}:7:vi",  # a ward of another province
        f"sub:ok:{HCMC}:-:99:vi",  # topics beyond the known bits
        f"sub:ok:{HCMC}:-:7:fr",  # an unsupported language
        "sub:w:-00",
        "sub:wpg:00:1",
    ):
        assert await chat.press_data(data) == []
        assert chat.notices[-1][0] == "This button is no longer available.", data
    assert await chat.press_data("sub:ok:79:-:x:vi") == []  # does not even parse
    assert await chat.press_data("sub:t:3") == []
    assert chat.notices[-1][0] == "You are not subscribed."
    user_id = await flow.runtime.accounts.user_id("stub", "12", create=False)
    assert user_id is None or await flow.runtime.services.subscriptions.get(user_id) is None


async def test_ward_search_takes_only_text(flow: Flow) -> None:
    chat = flow.chat(13, "en")
    await chat.command("subscriptions")
    await chat.press(directory.get_province(HCMC).short_name)  # type: ignore[union-attr]
    [refused] = await chat.photo(b"\xff\xd8not a ward")
    assert refused.text == "Please type the name of your commune or ward."
    [nothing] = await chat.text("<b>zzqx</b>")
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in nothing.text and "📍 The whole province" in nothing.labels


async def test_subscriptions_only_in_a_private_chat(flow: Flow) -> None:
    chat = flow.chat(14, "en", private=False)
    [shown] = await chat.command("subscriptions")
    assert shown.text == "Subscriptions work in a private chat with me."
    assert await chat.press_data(f"sub:ok:{HCMC}:-:7:en") == []
    user_id = await flow.runtime.accounts.user_id("stub", "14", create=False)
    assert user_id is None or await flow.runtime.services.subscriptions.get(user_id) is None


async def test_unsubscribe_button_under_a_campaign_keeps_the_message(flow: Flow) -> None:
    chat = flow.chat(15, "en")
    await _to_confirm(chat)
    await chat.press("🔔 Subscribe")
    [shown] = await chat.press_data("sub:off")  # the button under a broadcast message
    assert not shown.replaced and "You are unsubscribed" in shown.text
    assert chat.notices[-1] == ("Unsubscribed.", False)
