"""A Hypothesis state machine walking the tip draft (and where it leads: the follow-up, the
main menu and help) with random inputs: presses of the buttons shown, forged action data, random text
with HTML, photos and files of random bytes, location pins, unsupported kinds and commands.

After every input the person got a screen or a notice and nothing raised; after the run, with
the runtime closed, no byte of the data directory (database, WAL, keys) holds the person's
external id or chat key in clear, whatever was filed, drafted, limited or left in a session."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule
from PIL import Image

import bot.tip_actions  # noqa: F401  (registers the tip actions before TIP_PREFIXES is read)
from bot import tips as rules
from bot.engine.actions import parse, registered
from bot.engine.inputs import File, Unsupported
from tests.flows.conftest import open_runtime
from tests.flows.stub import StubChat

RECEIPT = re.compile(r"(\d{4} \d{4} \d{4} \d{4})")
USER = 7_700_424_243  # distinctive: its digits must appear nowhere in the data directory
TIP_PREFIXES = sorted(p for p in registered() if p.startswith("tip:"))
# The walk stays in the tip flows and the menu between them: other features' buttons (a
# language choice, a subscription) create an account, which names the person by design.
WALKED = ("tip:", "m:home", "m:tip", "m:help")


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 200, 30)).save(buf, format="JPEG")
    return buf.getvalue()


JPEG = _jpeg()
texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from([
        "Hồ Chí Minh", "Sài Gòn", "Bến Thành", "hcm", "Hà Nội", "<b>bold</b> & <a href='x'>",
        "1234 5678 1234 5678", "x" * 3001, "   ", str(USER), "</i><script>",
    ]),
)
fields = st.one_of(
    st.integers(-5, 10**7).map(str),
    st.text(max_size=12),
    st.sampled_from(["79", "26740", "26743", "spot", "psychosis", "today", "photos", "nopin",
                     "0" * 16, "99999999"]),
)


async def _cancel_background() -> None:
    """Stop what the services left running (e.g. a debounced WAL checkpoint)."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class TipDraftMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="tips-machine-"))
        self.runtime = self.loop.run_until_complete(open_runtime(self.dir / "data"))
        self.chat = StubChat(self.runtime, USER, "vi")
        self.receipts: list[str] = []
        self.answered(self.chat.command("tip"))

    # -- helpers ---------------------------------------------------------------------------
    def answered(self, coro: Awaitable[Any]) -> None:
        """Run one input; the person must get a screen or a notice for it."""
        conv = self.chat.conv
        before = (len(conv.shown), len(conv.notices))
        self.loop.run_until_complete(coro)
        assert (len(conv.shown), len(conv.notices)) != before, "an input got no answer"
        for shown in conv.shown[before[0]:]:
            self.receipts += [m.replace(" ", "") for m in RECEIPT.findall(shown.text)]

    def natural_next(self, photo: bool) -> Awaitable[Any]:
        """The input that moves this chat's flow on, as a person filing a tip would send it
        (random walks alone rarely reach the review, the receipt and the follow-up)."""
        chat = self.chat
        session = self.loop.run_until_complete(self.runtime.sessions.get(chat.chat.key))
        flow, step = session.get("flow"), session.get("step")
        if flow == rules.FOLLOWUP_FLOW:
            if step == "receipt" and self.receipts:
                return chat.text(self.receipts[-1])
            if step == "menu":
                return chat.press_data("tip:fa" if photo else "tip:fph")
            if step == "answer":
                return chat.text("Thêm chi tiết <b>mới</b>")
            if step == "photo":
                return chat.photo(JPEG)
            return chat.press_data("tip:fx")
        if flow != rules.FLOW:
            return chat.command("followup" if self.receipts and photo else "tip")
        natural = {
            "intro": lambda: chat.press_data("tip:go"),
            "category": lambda: chat.press_data("tip:c:psychosis" if photo else "tip:c:spot"),
            "urgent": lambda: chat.press_data("tip:urgent_ok"),
            "province": lambda: chat.text("Hồ Chí Minh"),
            "ward": lambda: chat.press_data("tip:wc:26740"),
            "place": lambda: chat.text("Hẻm 5 <i>gần chợ</i>") if photo else chat.press_data("tip:ps"),
            "text": lambda: chat.text("Xe lạ & người lạ <b>mỗi tối</b>"),
            "photos": lambda: chat.photo(JPEG) if photo else chat.press_data("tip:phd"),
            "when": lambda: chat.press_data("tip:t:today"),
            "review": lambda: chat.press_data("tip:send"),
        }
        return natural.get(str(step), natural["intro"])()

    # -- inputs ------------------------------------------------------------------------------
    @rule(photos=st.lists(st.booleans(), min_size=4, max_size=14))
    def carry_on(self, photos: list[bool]) -> None:
        for photo in photos:
            self.answered(self.natural_next(photo))

    @rule(data=st.data())
    def press_a_shown_button(self, data: st.DataObject) -> None:
        shown = self.chat.conv.shown
        buttons = [b for row in (shown[-1].screen.buttons if shown else []) for b in row
                   if b.data and b.data.startswith(WALKED)]
        if not buttons:
            self.answered(self.chat.command("tip"))
            return
        button = data.draw(st.sampled_from(buttons))
        self.answered(self.chat.press(button.text))

    @rule(prefix=st.sampled_from(TIP_PREFIXES), args=st.lists(fields, max_size=3))
    def press_forged_data(self, prefix: str, args: list[str]) -> None:
        raw = ":".join([prefix, *args])
        if parse(raw) is None:  # the channel drops it: nothing may reach a handler
            assert self.loop.run_until_complete(self.chat.press_data(raw)) == []
            return
        self.answered(self.chat.press_data(raw))

    @rule(text=texts)
    def send_text(self, text: str) -> None:
        self.answered(self.chat.text(text))

    @rule(data=st.one_of(st.binary(max_size=64), st.just(JPEG)))
    def send_photo(self, data: bytes) -> None:
        self.answered(self.chat.photo(data))

    @rule(data=st.one_of(st.binary(max_size=64), st.just(JPEG)),
          name=st.sampled_from(["a.jpg", "b.pdf", "c.png", "", "d.zip"]),
          mime=st.sampled_from(["image/jpeg", "application/pdf", "", "image/png"]))
    def send_file(self, data: bytes, name: str, mime: str) -> None:
        async def fetch() -> bytes:
            return data

        self.answered(self.chat.send(File(fetch=fetch, name=name, mime=mime, size=len(data))))

    @rule(lat=st.floats(-90, 90, allow_nan=False), lon=st.floats(-180, 180, allow_nan=False),
          near=st.booleans())
    def send_location(self, lat: float, lon: float, near: bool) -> None:
        if near:  # inside Viet Nam (around Ho Chi Minh City)
            lat, lon = 10.7 + lat / 900, 106.6 + lon / 1800
        self.answered(self.chat.location(lat, lon))

    @rule(kind=st.sampled_from(["voice", "video", "sticker", "contact", "dice", "zalo_protected"]))
    def send_unsupported(self, kind: str) -> None:
        self.answered(self.chat.send(Unsupported(kind)))

    @rule(name=st.sampled_from(["cancel", "tip", "followup", "start", "help"]),
          arg=st.sampled_from(["", "tip", "followup", "zz"]))
    def send_command(self, name: str, arg: str) -> None:
        self.answered(self.chat.command(name, arg if name == "start" else ""))

    # -- after the run ---------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            self.loop.run_until_complete(_cancel_background())
            self.loop.run_until_complete(self.runtime.close())
            needles = [str(USER).encode(), f"stub:{USER}".encode()]
            for size in (8,):
                needles += [USER.to_bytes(size, "little"), USER.to_bytes(size, "big")]
            files = [p for p in self.dir.rglob("*") if p.is_file()]
            assert any(p.name == "bot.sqlite3" for p in files)
            for path in files:
                blob = path.read_bytes()
                for needle in needles:
                    assert needle not in blob, (path.name, needle)
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)


TipDraftMachine.TestCase.settings = settings(
    max_examples=8, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_tip_draft_machine = TipDraftMachine.TestCase
