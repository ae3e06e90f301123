"""Every chart of the service, drawn once on the server as SVG (matplotlib) and embedded as a
base64 ``data:`` image, so that the dashboards and the PDF reports show exactly the same chart.
Each chart comes with the numbers it shows, for a data table beside it (screen readers)."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]   # Okabe-Ito, colour-blind safe
STATEWIDE_COLOUR = "#3b3b3b"
UNIT_AXIS = {"percent": "Percent", "per_1000": "Per 1,000 member-months", "score": "Score (0-100)"}


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple            # float | None per period
    low: tuple = ()          # interval, for percent measures
    high: tuple = ()
    statewide: bool = False


@dataclass(frozen=True)
class Chart:
    src: str                 # data:image/svg+xml;base64,...
    alt: str


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "oc"})
    return plt


def trend_chart(periods: tuple, series: tuple[Series, ...], benchmark: tuple, unit: str, title: str,
                width: float = 6.6, height: float = 2.5) -> Chart:
    return _trend_chart(tuple(periods), tuple(series), tuple(benchmark), unit, title, width, height)


@lru_cache(maxsize=512)
def _trend_chart(periods, series, benchmark, unit, title, width, height) -> Chart:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    x = list(range(len(periods)))
    colours = iter(PALETTE)
    for s in series:
        colour = STATEWIDE_COLOUR if s.statewide else next(colours)
        points = [(i, v) for i, v in zip(x, s.values) if v is not None]
        if s.low and any(v is not None for v in s.low):
            band = [(i, lo, hi) for i, lo, hi in zip(x, s.low, s.high) if lo is not None and hi is not None]
            if band:
                ax.fill_between([b[0] for b in band], [b[1] for b in band], [b[2] for b in band], color=colour,
                                alpha=0.15, linewidth=0, label="95 % interval")
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], linewidth=1.8,
                    marker="o" if len(points) < 3 else None, markersize=3,
                    color=colour, linestyle="--" if s.statewide else "-", label=s.label)
    if any(b is not None for b in benchmark):
        ax.step([i for i, b in zip(x, benchmark) if b is not None], [b for b in benchmark if b is not None],
                where="mid", color="#000000", linewidth=1.0, linestyle=":", label="Benchmark")
    ax.set_xticks(x)
    ax.set_xticklabels(periods, rotation=0, fontsize=8 if width > 5 else 6.5)
    ax.set_ylabel(UNIT_AXIS.get(unit, unit), fontsize=8)
    if unit in ("percent", "score"):
        low = min([v for s in series for v in (s.low or s.values) if v is not None] + [100])
        ax.set_ylim(max(0, (low // 10) * 10 - 5), 100)
    else:
        ax.set_ylim(bottom=0)
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.tick_params(length=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines["left"].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4 if width > 5 else 2, frameon=False,
              fontsize=8 if width > 5 else 6.5)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    svg = buffer.getvalue().encode()
    return Chart("data:image/svg+xml;base64," + base64.b64encode(svg).decode(), _alt(title, periods, series, benchmark))


def _alt(title, periods, series, benchmark) -> str:
    parts = [f"{title}: trend by quarter from {periods[0]} to {periods[-1]}." if periods else f"{title}: no data."]
    for s in series:
        last = next(((p, v) for p, v in zip(reversed(periods), reversed(s.values)) if v is not None), None)
        if last:
            parts.append(f"{s.label} latest {last[1]:.1f} in {last[0]}.")
    parts.append("The table beside the chart has every value.")
    return " ".join(parts)
