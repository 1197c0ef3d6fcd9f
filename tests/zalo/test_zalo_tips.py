"""The anonymous tip on Zalo, through the fake Bot Platform: every step by number or typed
text, a photo downloaded from Zalo's URL and cleaned, the receipt and the follow-up by
receipt; no account created, the display name nowhere."""

from __future__ import annotations

import io
import re

from PIL import Image

from fakezalo import FakeZalo
from fakezalo import option_number as number_of
from tests.zalo.conftest import ZaloHarness

RECEIPT = re.compile(r"(\d{4} \d{4} \d{4} \d{4})")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


async def file_tip(zl: FakeZalo, user_id: str, name: str = "Nguyễn Văn Tố Giác") -> str:
    tipster = zl.user(user_id, name)
    r = await tipster.send("/tip")
    r = await tipster.send(number_of(r.text, "Bắt đầu"))
    r = await tipster.send(number_of(r.text, "Điểm, tụ điểm"))
    assert "2/5" in r.text
    r = await tipster.send("Hồ Chí Minh")
    r = await tipster.send("Sài Gòn")
    r = await tipster.send(number_of(r.text, "Sài Gòn"))
    r = await tipster.send(number_of(r.text, "Đúng"))
    r = await tipster.send(number_of(r.text, "Bỏ qua"))
    assert "3/5" in r.text
    r = await tipster.send("Bán ma túy ở hẻm 12, 1234 5678 1234 5678")
    r = await tipster.send_image(jpeg())
    r = await tipster.send(number_of(r.texts[-1], "Xong"))
    r = await tipster.send(number_of(r.text, "Hôm nay"))
    r = await tipster.send(number_of(r.text, "Gửi"))
    found = RECEIPT.search(r.text)
    assert found
    return found.group(1)


async def test_whole_tip_on_zalo_then_followup(zbot: ZaloHarness, zl: FakeZalo) -> None:
    receipt = await file_tip(zl, "tipster7e4c1a9b")
    db = zbot.ch.runtime.db
    [tip] = await db.fetchall("SELECT id FROM tips")
    from storage import tips as tips_repo

    assert await tips_repo.attachment_count(db, int(tip["id"])) == 1  # the photo, cleaned
    # The tip flow creates no account, and the display name is nowhere.
    assert await db.fetchall("SELECT * FROM accounts WHERE channel = 'zalo'") == []
    await zbot.stop()
    data = b"".join(p.read_bytes() for p in zbot.settings.data_dir.glob("bot.sqlite3*"))
    assert "Tố Giác".encode() not in data and b"tipster7e4c1a9b" not in data
    await zbot.start()
    # Follow-up by receipt, typed without spaces: the whole 16 digits, never a menu choice.
    tipster = zl.user("tipster7e4c1a9b", "Nguyễn Văn Tố Giác")
    r = await tipster.send("/followup")
    assert "16 chữ số" in r.text
    r = await tipster.send(receipt.replace(" ", ""))
    assert "Số " not in r.text.split("\n")[0]  # not "Number … is not on the last list"
