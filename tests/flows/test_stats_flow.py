"""/report and /tipstats through the stub: period choices, the custom period flow and its bad
inputs, files as screens and the chart album through the chat port, and the refusals (an
officer never sees another unit's figures, a province admin never another province's, a
stranger none). People are Telegram accounts (ids as the units store them)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot import stats_reports as reports
from bot.engine.chat_port import chat_ports
from bot.engine.messenger import SendOutcome
from bot.i18n import translator
from bot.screens import Screen
from handlers.stats import send_due_reports
from tests.flows.conftest import Flow
from tests.flows.stub import StubChat, StubChatPort
from tests.stats_seed import (
    BEN_THANH,
    HOAN_KIEM,
    OFFICER_SG,
    PROVINCE_ADMIN_HCM,
    SAI_GON,
    Seed,
    seed,
)

VI = translator("vi").gettext
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
STRANGER = 777003
ONLY_OWN = "You may only see the figures of your own unit or province."


@pytest.fixture
async def data(flow: Flow) -> Seed:
    flow.runtime.clock._now = NOW  # type: ignore[attr-defined]
    return await seed(flow.runtime.db)


@pytest.fixture
def fast_render(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four stand-in charts and two stand-in files: the tests that only check the flow skip
    matplotlib and the exports (the first test renders the real thing)."""
    monkeypatch.setattr(reports, "_render", lambda fig, t, with_files: (
        [SimpleNamespace(png=b"\x89PNG%d" % i) for i in range(4)],
        [("r.xlsx", b"x"), ("r.pdf", b"y")] if with_files else []))


def private(flow: Flow, user: int) -> StubChat:
    return StubChat(flow.runtime, user, "vi", channel="telegram", key=user)


async def test_officer_picks_a_period_and_gets_text_charts_and_files(flow: Flow, data: Seed) -> None:
    port = StubChatPort("telegram")
    chat_ports(flow.runtime)["telegram"] = port
    officer = private(flow, OFFICER_SG)
    [periods] = await officer.command("report")
    assert "Công an phường Sài Gòn" in periods.text
    assert periods.labels == [VI("This half-year"), VI("This year"),
                              VI("Last action month (June)"), VI("Custom period…")]
    shown = await officer.press(VI("This year"))
    assert officer.notices[-1] == (VI("Preparing the report…"), False)
    text, *files = shown
    assert "01/01/2026 – 01/12/2026" in text.text and text.labels == [VI("⬇️ CSV")]
    assert [f.screen.document[0].rsplit(".", 1)[1] for f in files if f.screen.document] == ["xlsx", "pdf"]
    album = port.conv(OFFICER_SG).shown
    assert len(album) == 4 and all(s.screen.photo for s in album)  # one album, through the port
    [csv] = await officer.press(VI("⬇️ CSV"), on=text)
    assert csv.screen.document is not None and csv.screen.document[0].endswith(".csv")


@pytest.mark.usefixtures("fast_render")
async def test_charts_as_single_photos_where_no_port_runs(flow: Flow, data: Seed) -> None:
    officer = private(flow, OFFICER_SG)
    await officer.command("report")
    shown = await officer.press(VI("This half-year"))
    assert len([s for s in shown if s.screen.photo]) == 4


@pytest.mark.usefixtures("fast_render")
async def test_custom_period_flow_and_bad_inputs(flow: Flow, data: Seed) -> None:
    admin = private(flow, PROVINCE_ADMIN_HCM)
    [periods] = await admin.command("report")
    assert "Thành phố Hồ Chí Minh" in periods.text
    [ask] = await admin.press(VI("Custom period…"))
    assert "dd/mm/yyyy" in ask.text
    [photo] = await admin.photo(b"\xff\xd8not a period")
    assert photo.text.startswith(VI("Please send the period as text."))
    [bad] = await admin.text("31/02/2026 - 01/03/2026")
    assert "không tồn tại" in bad.text and VI("Try again, or /cancel.") in bad.text
    shown = await admin.text("01/01/2026 - 30/06/2026")
    assert "01/01/2026 – 30/06/2026" in shown[0].text
    # The flow ended: the next text goes to the frame.
    [frame] = await admin.text("01/01/2026 - 30/06/2026")
    assert "01/01/2026 – 30/06/2026" not in frame.text


async def test_a_province_admin_never_sees_another_province(flow: Flow, data: Seed) -> None:
    admin = private(flow, PROVINCE_ADMIN_HCM)
    await admin.command("report")
    for forged in ("rep:r:p01:20260101-20260630", f"rep:r:u{data.units[HOAN_KIEM]}:20260101-20260630",
                   "rep:r:a:20260101-20260630", "rep:r:p79:2026-bad", "rep:s:u999999",
                   "rep:c:p01:20260101-20260630", "rep:x:p01"):
        assert await admin.press_data(forged) == [], forged
        assert admin.notices[-1][1], forged  # an alert, and nothing shown
    [own] = await admin.command("report", "79")
    assert "Thành phố Hồ Chí Minh" in own.text
    [other] = await admin.command("report", "01")
    assert other.labels == [] and "chỉ được xem số liệu" in other.text


async def test_an_officer_never_sees_another_units_figures(flow: Flow, data: Seed) -> None:
    officer = private(flow, OFFICER_SG)
    for forged in (f"rep:r:u{data.units[BEN_THANH]}:20260101-20260630", "rep:r:p79:20260101-20260630",
                   "rep:s:a"):
        assert await officer.press_data(forged) == [], forged
        assert officer.notices[-1][1]
    [refused] = await officer.command("report", "79")
    assert refused.labels == []
    [own] = await officer.command("tipstats")
    assert "Công an phường Sài Gòn" in own.text and "Bến Thành" not in own.text


async def test_strangers_get_a_refusal_in_private_and_nothing_in_a_group(flow: Flow, data: Seed) -> None:
    stranger = private(flow, STRANGER)
    [refused] = await stranger.command("report")
    assert refused.text == VI("Statistics are only for police officers.")
    [refused] = await stranger.command("tipstats")
    assert refused.text == VI("Statistics are only for police officers.")
    group = StubChat(flow.runtime, STRANGER, "vi", private=False, channel="telegram", key=-100777)
    assert await group.command("report") == []
    assert await group.command("tipstats") == []
    # An officer in a group that is not their unit's: no answer either.
    assert await group.member(OFFICER_SG).command("report") == []


async def test_in_the_units_group_only_that_unit_and_no_typed_period(flow: Flow, data: Seed) -> None:
    units = flow.runtime.services.units
    from bot.units import GROUP, WARD

    invite = await units.issue_invite(900001, WARD, int(SAI_GON), GROUP)
    assert (await units.redeem(OFFICER_SG, invite.code, -100555)).status == "bound"
    group = StubChat(flow.runtime, OFFICER_SG, "vi", private=False, channel="telegram", key=-100555)
    [periods] = await group.command("report")
    assert VI("Custom period…") not in periods.labels
    assert await group.press_data(f"rep:x:u{data.units[SAI_GON]}") == []  # no typed dates here
    assert await group.press_data("rep:r:p79:20260101-20260630") == []
    assert group.notices[-1] == (VI(ONLY_OWN), True)


class _Messenger:
    """A Messenger (bot/engine/messenger.py) for Telegram accounts that records or refuses."""

    channel = "telegram"

    def __init__(self, outcome: SendOutcome = SendOutcome.SENT) -> None:
        self.outcome = outcome
        self.shown: dict[int | str, list[Screen]] = {}

    def private_chat(self, external_id: str) -> int:
        return int(external_id)

    async def send(self, chat_key: int | str, screen: Screen) -> SendOutcome:
        if self.outcome is SendOutcome.SENT:
            self.shown.setdefault(chat_key, []).append(screen)
        return self.outcome


@pytest.mark.usefixtures("fast_render")
async def test_automatic_reports_go_to_each_admin_once_through_the_messenger(flow: Flow) -> None:
    flow.runtime.clock._now = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    await seed(flow.runtime.db)
    down = _Messenger(SendOutcome.FAILED)
    flow.runtime.messengers["telegram"] = down
    assert await send_due_reports(None, flow.runtime) == 0  # tried, kept for later
    messenger = _Messenger()
    flow.runtime.messengers["telegram"] = messenger
    assert await send_due_reports(None, flow.runtime) == 2
    assert await send_due_reports(None, flow.runtime) == 0  # once
    hcm = messenger.shown[PROVINCE_ADMIN_HCM]
    assert "Thành phố Hồ Chí Minh" in hcm[0].text
    assert len([s for s in hcm if s.photo]) == 4 and [s.document is not None for s in hcm[-2:]] == [True, True]
