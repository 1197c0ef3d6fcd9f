"""Report files: XLSX (openpyxl), CSV and a one-page printable PDF, all from one `Figures`.

Only suppressed figures get here (bot.stats), so a file never holds a hidden count. Text that
came from users (contest titles) is written as text: in the XLSX every string cell is typed as
a string (never a formula), and the CSV goes through `bot.csv_cells` (a cell a spreadsheet
would read as a formula gets a leading apostrophe).
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from bot.csv_cells import SafeWriter
from bot.i18n import Translator
from bot.stats import NA, Figures, Table, Value, cell, period_text, scope_name

_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def filename(fig: Figures, ext: str) -> str:
    return f"bao-cao-{fig.scope.token}-{fig.period.token}.{ext}"


def _value(fig: Figures, v: Value) -> Any:
    if v is None:
        return fig.hidden_word
    return v


# -- XLSX -------------------------------------------------------------------------------------------
def xlsx(fig: Figures, t: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    _ = t.gettext
    wb = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F1")

    def text_cell(ws: Any, row: int, col: int, value: str, **style: Any) -> Any:
        c = ws.cell(row=row, column=col)
        c.value = value
        c.data_type = "s"  # never a formula, whatever the text starts with
        for k, v in style.items():
            setattr(c, k, v)
        return c

    info = wb.active
    assert info is not None
    info.title = _("Report")[:31].translate(_SHEET_BAD)
    rows: list[tuple[str, Any]] = [
        (_("Unit / area"), scope_name(t, fig.scope)),
        (_("From"), fig.period.start),
        (_("To"), fig.period.end),
        (_("Generated"), fig.generated.astimezone(t.tz).replace(tzinfo=None)),
        (_("Small counts"), _("Counts below {n} and cells that would give them away are shown "
                              "as “{w}”.").format(n=fig.min_count, w=fig.hidden_word)),
        (_("Summary"), fig.summary),
    ]
    for i, (label, value) in enumerate(rows, start=1):
        text_cell(info, i, 1, label, font=bold)
        if isinstance(value, str):
            text_cell(info, i, 2, value, alignment=Alignment(wrap_text=True, vertical="top"))
        else:
            c = info.cell(row=i, column=2, value=value)
            c.number_format = "DD/MM/YYYY HH:MM" if hasattr(value, "hour") else "DD/MM/YYYY"
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 90
    used: set[str] = {info.title}
    for table in fig.tables:
        title = table.title[:31].translate(_SHEET_BAD).strip() or table.key
        base, n = title, 2
        while title in used:
            suffix = f" ({n})"
            title, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(title)
        ws = wb.create_sheet(title)
        _sheet(ws, fig, table, text_cell, bold, head_fill)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet(ws: Any, fig: Figures, table: Table, text_cell: Any, bold: Any, fill: Any) -> None:
    for col, header in enumerate(table.header, start=1):
        text_cell(ws, 1, col, header, font=bold, fill=fill)
        ws.column_dimensions[chr(64 + col)].width = 44 if col == 1 else 16
    r = 2
    for row in (*table.rows, *((table.total,) if table.total else ())):
        is_total = row is table.total
        if row.when is not None:
            c = ws.cell(row=r, column=1, value=row.when)
            c.number_format = "MM/YYYY"
        else:
            text_cell(ws, r, 1, row.label, **({"font": bold} if is_total else {}))
        for col, v in enumerate(row.values, start=2):
            value = _value(fig, v)
            if isinstance(value, str):
                text_cell(ws, r, col, value)
            else:
                c = ws.cell(row=r, column=col, value=value)
                if is_total:
                    c.font = bold
        r += 1
    if table.note:
        text_cell(ws, r + 1, 1, table.note)
    ws.freeze_panes = "A2"


# -- CSV ----------------------------------------------------------------------------------------------
def csv_bytes(fig: Figures, t: Translator) -> bytes:
    """One CSV with every table (columns: table, label, value…), UTF-8 with a BOM so that
    spreadsheet programs read the Vietnamese letters."""
    _ = t.gettext
    buf = io.StringIO()
    w = SafeWriter(buf)
    w.writerow([_("Unit / area"), scope_name(t, fig.scope)])
    w.writerow([_("From"), fig.period.start.isoformat()])
    w.writerow([_("To"), fig.period.end.isoformat()])
    w.writerow([])
    for table in fig.tables:
        w.writerow([table.title, *table.header])
        for row in (*table.rows, *((table.total,) if table.total else ())):
            label = row.when.strftime("%m/%Y") if row.when is not None else row.label
            w.writerow([table.title, label, *(_value(fig, v) for v in row.values)])
        w.writerow([])
    return buf.getvalue().encode("utf-8-sig")


# -- PDF (one printable page) ------------------------------------------------------------------------
def pdf(fig: Figures, t: Translator) -> bytes:
    """One A4 page laid out like a plan's report annex: the unit and period on top, the title,
    a short summary, the numbered table of key figures, the month trend, and the place for
    the signature."""
    from matplotlib.backends.backend_pdf import PdfPages

    from bot.stats_charts import NAVY, _bars, _pyplot

    plt = _pyplot()
    _ = t.gettext
    page = plt.figure(figsize=(8.27, 11.69))  # A4 portrait, inches
    page.text(0.08, 0.955, scope_name(t, fig.scope).upper(), fontsize=10, fontweight="semibold",
              color=NAVY)
    page.text(0.92, 0.955, _("Generated {date}").format(date=t.date(fig.generated, "dd/MM/yyyy")),
              fontsize=8, ha="right", color="#555")
    page.text(0.5, 0.915, _("REPORT ON DRUG-PREVENTION WORK THROUGH THE KHÔNG MA TÚY BOT"),
              fontsize=12.5, fontweight="semibold", ha="center", color=NAVY)
    page.text(0.5, 0.893, _("Period: {period}").format(period=period_text(t, fig.period)),
              fontsize=10, ha="center")
    summary = "\n".join(textwrap.wrap(fig.summary, 105))
    page.text(0.08, 0.872, summary, fontsize=8.5, va="top", linespacing=1.4)

    rows = fig.table("summary").rows
    ax = page.add_axes((0.08, 0.39, 0.84, 0.40))
    ax.axis("off")
    cells = [[str(i), r.label, cell(t, r.values[0], fig.hidden_word)]
             for i, r in enumerate(rows, start=1)]
    tbl = ax.table(cellText=cells, colLabels=[_("No."), _("Figure"), _("Value")],
                   colWidths=[0.07, 0.71, 0.22], loc="upper center", cellLoc="left")
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(8.5)
    tbl.scale(1, 1.35)
    for (r, c), tc in tbl.get_celld().items():
        tc.set_edgecolor("#999")
        if r == 0:
            tc.set_text_props(fontweight="semibold")
            tc.set_facecolor("#dce6f1")
        if c in (0, 2):
            tc.set_text_props(ha="center" if c == 0 else "right")

    labels, values = fig.charts["trend"]
    if len(labels) <= 24:
        cax = page.add_axes((0.1, 0.13, 0.82, 0.2))
        cax.set_title(_("Tips by month"), fontsize=9, loc="left", color=NAVY)
        _bars(cax, labels, values, fig.hidden_word, NAVY)
        cax.spines["top"].set_visible(False)
        cax.spines["right"].set_visible(False)
    note = _("Cells marked “{w}” hide counts below {n} (and cells that would give them away), "
             "so that no figure can point at a person who sent a tip.").format(
        w=fig.hidden_word, n=fig.min_count)
    page.text(0.08, 0.07, "\n".join(textwrap.wrap(note, 120)), fontsize=7, color="#555", va="top")
    page.text(0.92, 0.045, _("Prepared by (signature, full name)"), fontsize=8.5, ha="right",
              style="italic")
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": _("Report"), "Creator": "Khong Ma Tuy"}) as out:
        out.savefig(page)
    plt.close(page)
    return buf.getvalue()


__all__ = ["NA", "csv_bytes", "filename", "pdf", "xlsx"]
