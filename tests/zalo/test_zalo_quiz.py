"""A practice quiz on Zalo: every answer by number, the explanation, the next question."""

from __future__ import annotations

import re

from fakezalo import FakeZalo
from fakezalo import option_number as number_of
from tests.zalo.conftest import ZaloHarness


async def test_practice_quiz_by_numbers(zbot: ZaloHarness, zl: FakeZalo) -> None:
    student = zl.user("q1", "Học sinh")
    reply = await student.send("/quiz")
    reply = await student.send(number_of(reply.text, "Luyện tập: trộn chủ đề"))
    assert "Luyện tập · câu 1/10" in reply.text
    assert "1. A\n2. B\n3. C\n4. D" in reply.text
    reply = await student.send("1")
    assert "Bạn chọn: " in reply.text and re.search(r"Điểm: [01]/1", reply.text)
    reply = await student.send(number_of(reply.text, "Câu tiếp theo"))
    assert "câu 2/10" in reply.text


async def test_contest_code_typed_bare_is_not_a_choice(zbot: ZaloHarness, zl: FakeZalo) -> None:
    student = zl.user("q2", "Học sinh")
    await student.send("/quiz")
    reply = await student.send("ABC123")  # no such contest: a polite answer, never silence
    assert reply.texts
