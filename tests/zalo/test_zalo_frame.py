"""Contract transcripts on Zalo: the frame and learn through the fake Bot Platform."""

from __future__ import annotations

from fakezalo import FakeZalo
from tests.zalo.conftest import ZaloHarness


async def test_start_shows_numbered_menu_and_number_chooses(zbot: ZaloHarness, zl: FakeZalo) -> None:
    lan = zl.user("u1001", "Lan")
    reply = await lan.send("/start")
    assert "Không Ma Túy" in reply.text
    assert "1. 📚 Tìm hiểu" in reply.text
    assert "Trả lời 1–" in reply.text and "0: menu chính" in reply.text
    reply = await lan.send("1")
    assert "Tìm hiểu" in reply.text
    print(reply.text)
