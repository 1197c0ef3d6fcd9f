"""Report charts as PNG bytes (for chat, and for the web console when it exists), drawn with
matplotlib (Agg) in the project's font, Be Vietnam Pro.

Each chart draws one series of a `bot.stats.Figures` exactly as the figures show it: a hidden
cell is drawn as an empty, hatched slot labelled with the hidden word, never as its value. The
series is also written into the PNG (text chunk "Series", JSON) so anyone can check a picture
against the table it came from. matplotlib is imported on first use only.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fontpkg_be_vietnam_pro

from bot.i18n import Translator
from bot.stats import Figures, Value, scope_name

_FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
NAVY = "#18365c"
GOLD = "#b08634"
MUTED = "#9aa0a8"
PALETTE = ("#18365c", "#b08634", "#5b8db8", "#c0504d", "#8064a2", "#4bacc6")
CHART_KEYS = ("trend", "outcomes", "ack_time", "quiz_scores")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    labels: tuple[str, ...]
    values: tuple[Value, ...]
    png: bytes


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for weight in ("Regular", "SemiBold"):
        font_manager.fontManager.addfont(str(_FONT_DIR / f"BeVietnamPro-{weight}.ttf"))
    matplotlib.rcParams.update({
        "font.family": "Be Vietnam Pro",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "semibold",
        "pdf.fonttype": 42,  # embed TrueType, so Vietnamese text stays text in the PDF
        "svg.fonttype": "none",
    })
    return plt


def font_path(weight: str = "Regular") -> Path:
    return _FONT_DIR / f"BeVietnamPro-{weight}.ttf"


def _png(fig: Any, series: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight",
                metadata={"Series": json.dumps(series, ensure_ascii=False),
                          "Software": "Khong Ma Tuy"})
    _pyplot().close(fig)
    return buf.getvalue()


def _bars(ax: Any, labels: tuple[str, ...], values: tuple[Value, ...], hidden_word: str,
          color: str) -> None:
    numbers = [v if isinstance(v, int | float) else 0 for v in values]
    top = max([1.0, *numbers])
    bars = ax.bar(range(len(labels)), numbers, color=color, width=0.65)
    for i, (bar, v) in enumerate(zip(bars, values, strict=True)):
        if v is None:
            ax.bar(i, top * 0.08, color="none", edgecolor=MUTED, hatch="///", width=0.65)
            ax.annotate(hidden_word, (i, top * 0.1), ha="center", va="bottom", fontsize=8,
                        color=MUTED)
        else:
            ax.annotate(f"{v:g}" if isinstance(v, int | float) else str(v),
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8, color="#333")
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 6 else 0,
                  ha="right" if len(labels) > 6 else "center", fontsize=8)
    ax.set_ylim(0, top * 1.18)
    ax.yaxis.get_major_locator().set_params(integer=True)


def _figure(title: str, subtitle: str) -> tuple[Any, Any]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    fig.suptitle(title, fontsize=12, fontweight="semibold", color=NAVY, x=0.02, y=1.04, ha="left")
    ax.set_title(subtitle, fontsize=8, color="#555", loc="left")
    return fig, ax


def bar_chart(key: str, title: str, subtitle: str, labels: tuple[str, ...],
              values: tuple[Value, ...], hidden_word: str, color: str = NAVY) -> Chart:
    fig, ax = _figure(title, subtitle)
    _bars(ax, labels, values, hidden_word, color)
    return Chart(key, title, labels, values,
                 _png(fig, {"key": key, "labels": list(labels), "values": list(values)}))


def share_chart(key: str, title: str, subtitle: str, labels: tuple[str, ...],
                values: tuple[Value, ...], hidden_word: str) -> Chart:
    """Outcome shares as one horizontal stacked bar; hidden cells form one hatched part of a
    fixed width, never drawn from their values."""
    fig, ax = _figure(title, subtitle)
    shown = [(label, v) for label, v in zip(labels, values, strict=True) if isinstance(v, int | float) and v]
    left = 0.0
    for i, (label, v) in enumerate(shown):
        ax.barh(0, v, left=left, height=0.5, color=PALETTE[i % len(PALETTE)], label=f"{label}: {v:g}")
        left += float(v)
    if any(v is None for v in values):
        ax.barh(0, max(left * 0.1, 1), left=left, height=0.5, color="none", edgecolor=MUTED, hatch="///",
                label=hidden_word)
    ax.set_yticks([])
    if ax.get_legend_handles_labels()[0]:  # no tips closed: an empty bar, no legend
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8,
                  frameon=False)
    return Chart(key, title, labels, values,
                 _png(fig, {"key": key, "labels": list(labels), "values": list(values)}))


def report_charts(fig: Figures, t: Translator) -> list[Chart]:
    """The four report charts, titled in the reader's language."""
    _ = t.gettext
    sub = f"{scope_name(t, fig.scope)} · {t.date(fig.period.start, 'dd/MM/yyyy')}–{t.date(fig.period.end, 'dd/MM/yyyy')}"
    w = fig.hidden_word
    charts = [
        bar_chart("trend", _("Tips by month"), sub, *fig.charts["trend"], w),
        share_chart("outcomes", _("Closed tips by outcome"), sub, *fig.charts["outcomes"], w),
        bar_chart("ack_time", _("Time to acknowledge"), sub, *fig.charts["ack_time"], w, GOLD),
        bar_chart("quiz_scores", _("Quiz scores (share of correct answers)"), sub,
                  *fig.charts["quiz_scores"], w, "#5b8db8"),
    ]
    return charts


def series_of(png: bytes) -> dict[str, Any]:
    """The series a chart PNG was drawn from (its "Series" text chunk)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return dict(json.loads(im.info["Series"]))
