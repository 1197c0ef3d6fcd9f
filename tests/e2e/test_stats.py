"""/report and the automatic reports, end to end against the fake Bot API."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from handlers.stats import send_due_reports
from storage import stats as repo
from tests.conftest import NATIONAL_ADMIN_ID
from tests.e2e.tip_helpers import GROUP_CHAT, bind_unit, wait_for
from tests.stats_seed import HCM, OFFICER_SG, PROVINCE_ADMIN_HCM, PROVINCE_ADMIN_HN, SAI_GON, seed

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def has_file(m: Any, ext: str) -> bool:
    return m.document is not None and str(m.filename).endswith(ext)


def documents(user: Any) -> list[Any]:
    return [m for m in user.messages if m.document is not None]


async def test_officer_gets_the_units_report_in_the_group(bot: Any, tg: Any) -> None:
    bot.clock._now = NOW
    data = await seed(bot.rt.db)
    await bind_unit(bot, tg, int(SAI_GON), GROUP_CHAT, OFFICER_SG)
    officer = tg.user(id=OFFICER_SG)
    group = tg.group(id=GROUP_CHAT)
    r = await officer.send("/report", chat=group)
    assert "Báo cáo — Công an phường Sài Gòn" in r.text and "Năm nay" in r.button_texts
    assert "Chọn kỳ khác…" not in r.button_texts  # typed dates do not reach a bot in a group
    r = await officer.press("Năm nay", message=r, chat=group)
    await wait_for(lambda: any(has_file(m, ".pdf") for m in group.messages), 30)
    msgs = group.messages
    text = next(m for m in msgs if "Kỳ báo cáo: 01/01/2026 – 01/12/2026" in m.text)
    assert "Tổng số tin báo nhận được: 9" in text.text  # Sai Gon's tips, not Ben Thanh's
    assert len([m for m in msgs if m.photo is not None]) == 4
    xlsx = next(m for m in msgs if m.document is not None and m.filename.endswith(".xlsx"))
    assert xlsx.filename == f"bao-cao-u{data.units[SAI_GON]}-20260101-20261201.xlsx"
    wb = load_workbook(io.BytesIO(xlsx.document))
    summary = {row[0]: row[1] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert summary["Tổng số tin báo nhận được"] == 9
    # The CSV button brings the same figures as a CSV file.
    r = await officer.press("⬇️ CSV", message=text, chat=group)
    await wait_for(lambda: any(has_file(m, ".csv") for m in group.messages), 30)
    csv_doc = next(m for m in group.messages if m.document is not None and m.filename.endswith(".csv"))
    assert "Tổng số tin báo nhận được,9" in csv_doc.document.decode("utf-8-sig")


async def test_province_admin_custom_period_and_refusals(bot: Any, tg: Any) -> None:
    bot.clock._now = NOW
    data = await seed(bot.rt.db)
    admin = tg.user(id=PROVINCE_ADMIN_HCM, first_name="Admin", language_code="vi", started=True)
    r = await admin.send("/report")
    assert "Thành phố Hồ Chí Minh" in r.text
    r = await admin.press("Chọn kỳ khác…", message=r)
    assert "dd/mm/yyyy" in r.text
    r = await admin.send("31/02/2026 - 01/03/2026")
    assert "không tồn tại" in r.text
    await admin.send("01/01/2026 - 30/06/2026")
    await wait_for(lambda: any(has_file(m, ".pdf") for m in admin.messages), 30)
    text = next(m for m in admin.messages if "Kỳ báo cáo: 01/01/2026 – 30/06/2026" in m.text)
    assert "Tổng số tin báo nhận được: 12" in text.text
    # A forged button for another province, or for a unit of it, is refused.
    before = len(admin.messages)
    for forged in ("rep:r:p01:20260101-20260630", f"rep:r:u{data.units['00070']}:20260101-20260630",
                   "rep:r:a:20260101-20260630", "rep:r:p79:2026-bad", "rep:s:u999999"):
        r = await admin.press_forged(forged, message=text)
        assert r.callback_answer is not None and r.callback_answer.show_alert, forged
    assert len(admin.messages) == before
    # A province by its code: their own, yes; another, no.
    r = await admin.send("/report 79")
    assert "Thành phố Hồ Chí Minh" in r.text and "Năm nay" in r.button_texts
    r = await admin.send("/report 01")
    assert "chỉ được xem số liệu" in r.text and not r.buttons
    r = await tg.user(id=NATIONAL_ADMIN_ID, first_name="A", started=True).send("/report P01")
    assert "Thành phố Hà Nội" in r.text
    # Someone who is not police gets a polite refusal, and no figures.
    r = await tg.user(id=777003, first_name="X", language_code="vi", started=True).send("/report")
    assert "chỉ dành cho cán bộ công an" in r.text


async def test_tipstats_hides_small_cells_so_that_no_subtraction_recovers_them(bot: Any, tg: Any) -> None:
    """Issue 11, item 14: /tipstats showed "Closed: 7", "Actioned: 4" and three "<3" cells,
    so 7 - 4 = 3 = 1 + 1 + 1 gave every cell away. Now those cells hide the 4 as well."""
    bot.clock._now = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
    await seed(bot.rt.db)
    await bind_unit(bot, tg, int(SAI_GON), GROUP_CHAT, OFFICER_SG)
    r = await tg.user(id=OFFICER_SG).send("/tipstats", chat=tg.group(id=GROUP_CHAT))
    assert "Báo cáo — Công an phường Sài Gòn" in r.text and "Kỳ báo cáo: 01/01/2026" in r.text
    assert "Số tin báo đã xử lý xong: 7" in r.text
    outcome = r.text.split("Tin báo đã xử lý xong theo kết quả")[1].split("Tin báo theo loại")[0]
    for name in ("Đã xử lý", "Không có căn cứ", "Trùng lặp", "Báo tin giả / quấy rối"):
        assert f"{name}: ẩn" in outcome
    assert "<3" not in r.text and ": 1\n" not in r.text
    r = await tg.user(id=NATIONAL_ADMIN_ID, first_name="A", started=True).send("/tipstats")
    assert "toàn quốc" in r.text and "Tổng số tin báo nhận được: 14" in r.text


async def test_automatic_reports_go_out_once_and_resume_after_a_restart(bot: Any, tg: Any) -> None:
    bot.clock._now = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 09:00 on 10 June in Vietnam
    await seed(bot.rt.db)
    hcm = tg.user(id=PROVINCE_ADMIN_HCM, first_name="HCM", language_code="vi", started=True)
    hn = tg.user(id=PROVINCE_ADMIN_HN, first_name="HN", language_code="vi", started=True)
    assert await send_due_reports(bot.app.bot, bot.rt) == 2
    assert await send_due_reports(bot.app.bot, bot.rt) == 0  # once
    for admin in (hcm, hn):
        await wait_for(lambda admin=admin: any(has_file(m, ".pdf") for m in admin.messages), 30)
        texts = [m for m in admin.messages if "Báo cáo tự động: 6 tháng" in m.text]
        assert len(texts) == 1 and "01/01/2026 – 09/06/2026" in texts[0].text
        assert len(documents(admin)) == 2
    assert "Thành phố Hồ Chí Minh" in next(m for m in hcm.messages if m.text).text
    # 1 July: the action-month report. Simulate a crash after the text and the charts went out:
    bot.clock._now = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    from bot.stats_reports import create_due

    await create_due(bot.service("stats"), NOW.date().replace(month=7, day=1), 0)
    rows = [r for r in await repo.reports(bot.rt.db) if r["kind"] == "action"]
    assert len(rows) == 2
    for row in rows:
        await repo.report_step(bot.rt.db, int(row["id"]), 2)
    await bot.restart()
    before = len(documents(hcm))
    assert await send_due_reports(bot.app.bot, bot.rt) == 2
    await wait_for(lambda: any(has_file(m, "20260601-20260630.pdf") for m in hcm.messages), 30)
    assert len(documents(hcm)) == before + 2
    assert not any("Tháng hành động" in m.text for m in hcm.messages)  # the text was sent before
    assert all(r["state"] == "sent" for r in await repo.reports(bot.rt.db))
    assert f"p{HCM}" in {r["scope"] for r in rows}
