"""Ward police on Zalo: an officer who bound their Zalo chat receives a citizen's tip card there
with numbered actions; their "N" acknowledges the tip through the police conversation; an
officer of another unit sending the same number is refused by the service."""

from __future__ import annotations

import re
from pathlib import Path

from bot.channels.zalo.conversation import chat_key, save_menu
from bot.clock import FrozenClock
from bot.tip_police import Acknowledge
from fakezalo import FakeZalo
from fakezalo import option_number as number_of
from storage import tips as tips_repo
from tests.zalo.conftest import ZaloHarness, zalo_settings
from tests.zalo.test_zalo_tips import file_tip

CODE = re.compile(r"/bind ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")


async def _bind(zl: FakeZalo, ward: str, officer_id: str) -> None:
    reply = await zl.user("adm1", "Quản trị").send(f"/invite {ward} o")
    code = CODE.search(reply.text)
    assert code, reply.text
    reply = await zl.user(officer_id, "Cán bộ").send(f"/bind {code.group(1)}")
    assert "Bạn đã là cán bộ" in reply.text


async def test_zalo_officer_gets_the_card_and_acknowledges_by_number(
        zl: FakeZalo, tmp_path: Path) -> None:
    harness = ZaloHarness(zalo_settings(zl, tmp_path, admin_ids=frozenset({"adm1"})),
                          FrozenClock(), zl)
    async with harness.running():
        await _bind(zl, "26740", "off1")   # Phường Sài Gòn: where the tip is filed
        await _bind(zl, "26743", "off9")   # Phường Bến Thành: another unit
        before = len([s for s in zl.sent if s.chat_id == "off1"])
        await file_tip(zl, "tipster55aa")

        # The card arrives in the officer's Zalo chat, its actions numbered; the photo as a
        # signed URL on the bot's public address.
        sent = (await zl.sent_to("off1", before + 2))[before:]
        card = next(s.text for s in sent if s.method == "sendMessage" and "#" in s.text)
        tip_code = re.search(r"#([A-Z0-9]{6})", card)
        assert tip_code, card
        assert "Bán ma túy ở hẻm 12" in card
        for label in ("Tiếp nhận", "Hỏi người báo", "Chuyển đơn vị", "Kết thúc"):
            number_of(card, label)
        assert any(s.method == "sendPhoto" and s.photo.startswith("https://bot.example.vn/zalo/media/")
                   for s in sent)
        assert not [s for s in zl.sent if s.chat_id == "off9"
                    and tip_code.group(1) in (s.text + s.caption)]  # not another unit's card

        db = harness.ch.runtime.db
        await harness.ch.runtime.services.tip_outbox.wait_idle(timeout=5)  # marked after sending
        [row] = await db.fetchall("SELECT channel, state FROM tip_outbox WHERE kind = 'card'")
        assert (row["channel"], row["state"]) == ("zalo", "sent")

        # An officer of another unit whose list offers "acknowledge" for this tip (as if the
        # card had reached them, or a list were forged): the service re-checks and refuses.
        ack = number_of(card, "Tiếp nhận")
        runtime = harness.ch.runtime
        await save_menu(runtime.sessions, chat_key("off9"),
                        {int(ack): Acknowledge(tip_code.group(1)).pack()})
        reply = await zl.user("off9", "Cán bộ").send(ack)
        assert "Đã tiếp nhận" not in reply.text
        assert reply.text == "Chỉ cán bộ của đơn vị đang giữ tin báo này mới được thực hiện."
        tip = await tips_repo.get_by_code(db, tip_code.group(1))
        assert tip["status"] == "new"

        # The officer's "1" acknowledges it through the police conversation.
        reply = await zl.user("off1", "Cán bộ").send(ack)
        assert reply.texts[0] == "Đã tiếp nhận. Ngừng nhắc việc cho tin này."
        tip = await tips_repo.get_by_code(db, tip_code.group(1))
        assert tip["status"] == "acknowledged"
        refreshed = reply.texts[-1]  # the card shown anew, without the acknowledge action
        assert f"#{tip_code.group(1)}" in refreshed and "1. ❓ Hỏi người báo tin" in refreshed
        assert ". ✅ Tiếp nhận" not in refreshed
