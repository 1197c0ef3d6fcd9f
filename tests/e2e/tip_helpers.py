"""Shared helpers of the anonymous-tip e2e tests (tests/e2e/test_tips*.py): units bound to fake
groups, a JPEG carrying EXIF/GPS, the whole citizen flow, the receipt, polling for conditions."""

from __future__ import annotations

import asyncio
import inspect
import io
import re
from typing import Any

from PIL import Image

from bot.units import GROUP, WARD
from storage import tips as tips_repo
from tests.conftest import NATIONAL_ADMIN_ID

SAI_GON = 26740
BEN_THANH = 26743
GROUP_CHAT = -1001234500001
OTHER_GROUP = -1001234500002
OFFICER = 500001
OTHER_OFFICER = 500002


async def bind_unit(bot: Any, tg: Any, ward: int, group_chat: int, officer: int) -> Any:
    """A ward unit with a bound Telegram group the bot is a member of."""
    if group_chat not in tg.chats:
        tg.group(id=group_chat, title=f"CA {ward}", members=[tg.user(id=officer, first_name="Officer", started=True)],
                 bot_status="member")
    units = bot.service("units")
    invite = await units.issue_invite(NATIONAL_ADMIN_ID, WARD, ward, GROUP)
    result = await units.redeem(officer, invite.code, group_chat)
    assert result.status == "bound"
    return result.unit


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0110] = "Model-XYZ-SERIAL123"
    gps = {1: "N", 2: (10.0, 46.0, 30.0), 3: "E", 4: (106.0, 42.0, 10.0)}
    exif[0x8825] = gps
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


async def tip_row(bot: Any, tip_id: int) -> Any:
    row = await tips_repo.get(bot.rt.db, tip_id)
    assert row is not None
    return row


async def wait_for(pred: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        result = pred()
        if inspect.isawaitable(result):  # an async predicate, or a lambda returning a coroutine
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def group_msgs(tg: Any, chat_id: int) -> list[Any]:
    """Bot messages in a chat, oldest first (edits applied)."""
    return list(tg.sent_to(chat_id))


async def walk_to_text(u: Any, category: str = "spot", *, province: str = "Hồ Chí Minh",
                       ward_query: str = "Sài Gòn") -> None:
    """/tip → category → province typed → ward Sài Gòn → no place details: the text step."""
    await u.send("/tip")
    await u.press(callback_data="tip:go")
    await u.press(callback_data=f"tip:c:{category}")
    await u.send(province)
    await u.send(ward_query)
    await u.press(callback_data=f"tip:w:{SAI_GON}")
    await u.press(callback_data=f"tip:wc:{SAI_GON}")
    await u.press(callback_data="tip:ps")


async def file_tip(u: Any, text: str = "Bán ma túy ở hẻm 12, tối nào cũng có", *, photo: bytes | None = None,
                   ward_query: str = "Sài Gòn", province: str = "Hồ Chí Minh") -> str:
    """Walk the whole citizen flow; returns the receipt digits."""
    await walk_to_text(u, province=province, ward_query=ward_query)
    await u.send(text)
    if photo is not None:
        await u.send_photo(photo)
    await u.press(callback_data="tip:phd")
    await u.press(callback_data="tip:t:today")
    await u.press(callback_data="tip:send")
    return await receipt_of(u)


async def answer_and_photo(u: Any, receipt: str, answer: str) -> None:
    """With the receipt, the tipster adds an answer, then (again from /followup) a photo."""
    for action in ("tip:fa", "tip:fph"):
        await u.send("/followup")
        await u.send(receipt)
        await u.press(callback_data=action)
        if action == "tip:fa":
            await u.send(answer)
        else:
            await u.send_photo(jpeg_with_gps())


async def receipt_of(u: Any) -> str:
    """The receipt shown to u (the submit may answer the button before the receipt arrives)."""
    found: list[str] = []

    def seen() -> bool:
        for m in u.messages:
            match = re.search(r"(\d{4} \d{4} \d{4} \d{4})", m.text)
            if match:
                found.append(match.group(1).replace(" ", ""))
                return True
        return False

    await wait_for(seen, timeout=10)
    return found[0]
