"""The police side of tips through the stub: cards delivered by the outbox through a stub
chat port into a police group, every card action by the holder, refusals of strangers and
of the old unit after a transfer, forged presses (and their rate-limited refusals), the
transfer picker, ask → answer, close with each outcome, /ask, /transfer, /tipaudit.

People here are Telegram accounts (police groups are Telegram groups today): their account id
is their Telegram id, as the units store it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot import directory
from bot.engine.chat_port import chat_ports
from bot.i18n import translator
from bot.tip_police import NO_TIP, NOT_HOLDER, REFUSALS_ANSWERED, TOO_MANY
from bot.tips import OUTCOMES
from bot.units import GROUP, WARD
from tests.flows.conftest import Flow
from tests.flows.stub import Shown, StubChat, StubChatPort

VI = translator("vi").gettext
SAI_GON, BEN_THANH = 26740, 26743
SG_GROUP, BT_GROUP = -1001234500001, -1001234500002
OFFICER, BT_OFFICER, STRANGER = 500001, 500002, 777001
ADMIN = 900001  # the flow runtime's national admin
TIPSTER = 123456789


@dataclass
class Police:
    flow: Flow
    port: StubChatPort
    code: str
    tip_id: int

    def group(self, key: int, user: int) -> StubChat:
        return StubChat(self.flow.runtime, user, "vi", private=False, channel="telegram",
                        key=key, conv=self.port.conv(key))

    def private(self, user: int) -> StubChat:
        return StubChat(self.flow.runtime, user, "vi", channel="telegram", key=user)

    def card(self, key: int = SG_GROUP) -> Shown:
        """The card as it shows now in that group (its latest rendering)."""
        shown = self.port.conv(key).shown
        first = next(s for s in shown if f"#{self.code}" in s.text and s.screen.buttons)
        return [s for s in shown if s.ref == first.ref][-1]

    async def deliver(self) -> None:
        worker = self.flow.runtime.services.tip_outbox
        worker.ports = {"telegram": self.port}
        await worker.drain()
        await worker.wait_idle(timeout=10)


async def _bind(flow: Flow, ward: int, group: int, officer: int) -> None:
    units = flow.runtime.services.units
    invite = await units.issue_invite(ADMIN, WARD, ward, GROUP)
    assert (await units.redeem(officer, invite.code, group)).status == "bound"


async def submit(flow: Flow, text: str = "Điểm bán ở hẻm 5") -> tuple[str, int]:
    tips = flow.runtime.services.tips
    sub = await tips.submit(TIPSTER, {"category": "spot", "ward": SAI_GON, "text": text,
                                      "when": "today", "photos": []})
    tip = await flow.runtime.services.tip_police.tip_by_code(sub.code)
    return sub.code, int(tip["id"])


@pytest.fixture
async def police(flow: Flow) -> Police:
    port = StubChatPort("telegram")
    chat_ports(flow.runtime)["telegram"] = port
    await _bind(flow, SAI_GON, SG_GROUP, OFFICER)
    await _bind(flow, BEN_THANH, BT_GROUP, BT_OFFICER)
    code, tip_id = await submit(flow)
    p = Police(flow, port, code, tip_id)
    await p.deliver()
    return p


def _notice(chat: StubChat) -> tuple[str | None, bool]:
    return chat.notices[-1]


async def test_the_card_reaches_the_wards_group_and_the_holder_acknowledges(police: Police) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    assert card.text.startswith(VI("🛡 <b>New tip #{code}</b>").format(code=police.code))
    assert "Điểm bán ở hẻm 5" in card.text
    assert police.port.conv(BT_GROUP).shown == []  # the other ward's unit gets nothing
    [shown] = await officer.press(VI("✅ Acknowledge"), on=card)
    assert _notice(officer) == (VI("Acknowledged. Reminders for this tip stop."), False)
    assert shown.replaced and shown.ref == card.ref and VI("✅ Acknowledged") in shown.text
    assert VI("✅ Acknowledge") not in shown.labels
    # Pressing the stale button again: refused, nothing changes.
    assert await officer.press_data(f"tpol:ack:{police.code}", on=card) == []
    assert _notice(officer) == (VI("This tip was already acknowledged or closed."), True)


async def test_strangers_are_refused_then_rate_limited_to_silence(police: Police) -> None:
    stranger = police.group(SG_GROUP, STRANGER)
    card = police.card()
    for _ in range(REFUSALS_ANSWERED):
        assert await stranger.press(VI("❓ Ask the tipster"), on=card) == []
        assert _notice(stranger) == (VI(NOT_HOLDER), True)
    assert await stranger.press(VI("🔒 Close"), on=card) == []
    assert _notice(stranger) == (VI(TOO_MANY), True)
    assert await stranger.press(VI("↪️ Transfer"), on=card) == []
    assert _notice(stranger) == (None, False)  # silence: the press is only acknowledged
    assert police.card().text == card.text  # nothing changed


async def test_forged_presses_are_refused(police: Police) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    assert await officer.press_data("tpol:ack:ZZZZZZ", on=card) == []
    assert _notice(officer) == (VI(NO_TIP), True)
    assert await officer.press_data(f"tpol:co:{police.code}:bogus", on=card) == []
    assert _notice(officer) == (VI("Unknown outcome."), True)
    assert await officer.press_data("tpol:ack:bad code", on=card) == []  # parses; no such tip
    assert _notice(officer) == (VI(NO_TIP), True)
    count = len(officer.notices)
    # Malformed data never reaches a handler (the codec drops it).
    assert await officer.press_data(f"tpol:co:{police.code}") == []
    assert await officer.press_data("tpol:ack") == []
    assert await officer.press_data(f"tpol:th:{police.code}:x") == []
    assert len(officer.notices) == count


@pytest.mark.parametrize("outcome", [key for key, _label in OUTCOMES])
async def test_close_with_each_outcome(police: Police, outcome: str) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    [menu] = await officer.press(VI("🔒 Close"), on=card)
    assert menu.ref == card.ref and menu.text == card.text  # the card's text, outcome buttons
    labels = dict(OUTCOMES)
    assert menu.labels == [VI(labels[k]) for k, _l in OUTCOMES] + [VI("⬅️ Back")]
    [back] = await officer.press(VI("⬅️ Back"), on=menu)
    assert back.text == card.text and back.labels == card.labels
    await officer.press(VI("🔒 Close"), on=back)
    [closed] = await officer.press(VI(labels[outcome]), on=officer.last)
    assert _notice(officer) == (VI("Closed."), False)
    assert VI("🔒 Closed: {outcome}").format(outcome=VI(labels[outcome])) in closed.text
    assert closed.labels == []
    assert await officer.press_data(f"tpol:co:{police.code}:{outcome}", on=closed) == []
    assert _notice(officer) == (VI("This tip is already closed."), True)
    tip = await police.flow.runtime.services.tip_police.tip_by_code(police.code)
    assert (tip["status"], tip["outcome"]) == ("closed", outcome)


async def test_ask_in_the_group_by_replying_to_the_prompt_and_the_answer_arrives(police: Police) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    [prompt] = await officer.press(VI("❓ Ask the tipster"), on=card)
    assert prompt.text.startswith(f"❓ #{police.code} —") and prompt.screen.reply_from_person
    assert not prompt.replaced
    # Group chatter, and replies to other messages, are not taken.
    assert await officer.text("Hôm nay trời đẹp") == []
    assert await officer.text("Mấy giờ?", reply_to=card.ref) == []
    [sent] = await officer.text("Mấy giờ?", reply_to=prompt.ref)
    assert sent.text.startswith("✅") and f"#{police.code}" in sent.text
    tips = police.flow.runtime.services.tips
    view = await tips.view(police.tip_id)
    assert view is not None and view.thread[-1].text == "Mấy giờ?"
    await tips.add_answer(police.tip_id, "Khoảng 9 giờ tối")
    await police.deliver()
    answer = police.port.conv(SG_GROUP).shown[-1]
    assert "Khoảng 9 giờ tối" in answer.text and answer.reply_to == card.ref
    # The thread shows both, as a new message.
    [thread] = await officer.press(VI("💬 Thread"), on=police.card())
    assert not thread.replaced and "Mấy giờ?" in thread.text and "Khoảng 9 giờ tối" in thread.text
    # A stranger replying to the prompt is refused (in words: a reply is a message).
    stranger = officer.member(STRANGER)
    [refused] = await stranger.text("Câu hỏi giả", reply_to=prompt.ref)
    assert refused.text == VI(NOT_HOLDER)


async def test_ask_in_private_takes_text_only_and_ask_command(police: Police) -> None:
    private = police.private(OFFICER)
    [prompt] = await private.press_data(f"tpol:ask:{police.code}")
    assert prompt.text.startswith(f"❓ #{police.code} —")
    [again] = await private.photo(b"\xff\xd8photo")
    assert again.text == VI("Please type it as a text message, or /cancel.")
    [sent] = await private.text("Có ai khác không?")
    assert sent.text.startswith("✅")
    [usage] = await private.command("ask", police.code)
    assert usage.text == VI("Usage: /ask TIPCODE your question")
    [missing] = await private.command("ask", "ZZZZZZ câu hỏi")
    assert missing.text == VI("This tip does not exist (any more).")
    [sent] = await private.command("ask", f"{police.code} Xe màu gì?")
    assert sent.text.startswith("✅")
    [refused] = await police.private(STRANGER).command("ask", f"{police.code} Xe màu gì?")
    assert refused.text == VI(NOT_HOLDER)


async def test_transfer_picker_pages_provinces_and_cancel(police: Police) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    [picker] = await officer.press(VI("↪️ Transfer"), on=card)
    assert picker.ref == card.ref and picker.text == card.text  # only the buttons change
    assert VI("🔎 Type a name") in picker.labels and VI("✖️ Cancel") in picker.labels
    [page2] = await officer.press(VI("Next ▶️"), on=picker)
    assert VI("◀️ Previous") in page2.labels and page2.labels != picker.labels
    [provinces] = await officer.press(VI("🗺 Another province…"), on=page2)
    assert len(provinces.labels) > 30 and provinces.text == card.text
    [hanoi] = await officer.press("Hà Nội", on=provinces)
    assert hanoi.labels[0] == directory.wards_of(1)[0].name[:40]  # Hà Nội's first page
    # A forged province code falls back to the tip's own province.
    [own] = await officer.press_data(f"tpol:tp:{police.code}:999:0", on=hanoi)
    assert own.labels[:2] == picker.labels[:2]
    [cancelled] = await officer.press(VI("✖️ Cancel"), on=own)
    assert cancelled.text == card.text and cancelled.labels == card.labels


async def test_transfer_by_name_hands_the_tip_over_and_the_old_unit_loses_it(police: Police) -> None:
    officer = police.group(SG_GROUP, OFFICER)
    card = police.card()
    await officer.press(VI("↪️ Transfer"), on=card)
    [prompt] = await officer.press(VI("🔎 Type a name"), on=officer.last)
    assert prompt.text.startswith(f"↪️ #{police.code} —") and prompt.screen.reply_from_person
    [none] = await officer.text("zzzqqq", reply_to=prompt.ref)
    assert none.text == VI("No commune or ward matches. Try again.")
    [choices] = await officer.text("Bến Thành", reply_to=prompt.ref)
    assert choices.text == VI("Transfer tip #{code} to which commune/ward?").format(code=police.code)
    label = next(lb for lb in choices.labels if "Bến Thành" in lb)
    [done] = await officer.press(label, on=choices)
    assert _notice(officer) == (VI("Transferred."), False)
    assert done.replaced and "Bến Thành" in done.text and done.labels == []
    await police.deliver()
    # The old card lost its buttons and a notice under it names the new unit.
    old = [s for s in police.port.conv(SG_GROUP).shown if s.ref == card.ref][-1]
    assert old.labels == [] and old.text == card.text
    notice = police.port.conv(SG_GROUP).shown[-1]
    assert notice.reply_to == card.ref and f"#{police.code}" in notice.text
    # The new unit got the card; the old unit's officer is refused from now on.
    new_card = police.card(BT_GROUP)
    assert "Bến Thành" in new_card.text
    assert await officer.press_data(f"tpol:ack:{police.code}", on=card) == []
    assert _notice(officer) == (VI(NOT_HOLDER), True)
    [refused] = await police.private(OFFICER).command("tipaudit", police.code)
    assert refused.text == VI(NOT_HOLDER)
    new_officer = police.group(BT_GROUP, BT_OFFICER)
    [acked] = await new_officer.press(VI("✅ Acknowledge"), on=new_card)
    assert VI("✅ Acknowledged") in acked.text


async def test_transfer_command_and_cancel_of_the_choices(police: Police) -> None:
    private = police.private(OFFICER)
    [usage] = await private.command("transfer", police.code)
    assert usage.text == VI("Usage: /transfer TIPCODE ward name")
    [choices] = await private.command("transfer", f"{police.code} Bến Thành")
    [cancelled] = await private.press(VI("✖️ Cancel"), on=choices)
    assert cancelled.replaced and cancelled.text == VI("Transfer cancelled. Nothing changed.")
    tip = await police.flow.runtime.services.tip_police.tip_by_code(police.code)
    assert tip["ward_code"] == f"{SAI_GON:05d}"


async def test_tipaudit_for_the_holder_and_the_admin_not_for_strangers(police: Police) -> None:
    [usage] = await police.private(OFFICER).command("tipaudit")
    assert usage.text == VI("Usage: /tipaudit TIPCODE")
    [trail] = await police.private(OFFICER).command("tipaudit", police.code)
    assert f"#{police.code}" in trail.text and VI("routed") in trail.text
    [admin] = await police.private(ADMIN).command("tipaudit", police.code)
    assert f"#{police.code}" in admin.text
    [refused] = await police.private(STRANGER).command("tipaudit", police.code)
    assert refused.text == VI(NOT_HOLDER)


async def test_details_in_private_when_cards_carry_none(flow: Flow, monkeypatch: Any) -> None:
    port = StubChatPort("telegram")
    chat_ports(flow.runtime)["telegram"] = port
    police_svc = flow.runtime.services.tip_police
    monkeypatch.setattr(type(police_svc), "details_in_card", property(lambda self: False))
    await _bind(flow, SAI_GON, SG_GROUP, OFFICER)
    code, tip_id = await submit(flow, "Bí mật ở hẻm 7")
    p = Police(flow, port, code, tip_id)
    await p.deliver()
    card = p.card()
    assert "Bí mật ở hẻm 7" not in card.text
    officer = p.group(SG_GROUP, OFFICER)
    assert await officer.press(VI("📄 Open details"), on=card) == []
    assert _notice(officer) == (VI("Sent to your private chat with me."), False)
    [details] = port.conv(OFFICER).shown
    assert "Bí mật ở hẻm 7" in details.text
    # The thread, too, goes to the private chat, not the group.
    await officer.press(VI("💬 Thread"), on=card)
    assert port.conv(OFFICER).shown[-1].text.startswith("💬")
    # An officer who never opened a private chat is told how.
    from bot.engine.chat_port import Undeliverable

    port.fail[OFFICER] = Undeliverable()
    await officer.press(VI("📄 Open details"), on=card)
    assert _notice(officer)[1] and "Start" in str(_notice(officer)[0])
    stranger = officer.member(STRANGER)
    await stranger.press(VI("📄 Open details"), on=card)
    assert _notice(stranger) == (VI(NOT_HOLDER), True)
