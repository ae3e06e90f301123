"""Every chart of the service, drawn once on the server as SVG (matplotlib) and embedded as a
base64 ``data:`` image, so that the dashboards and the PDF reports show exactly the same chart.
Each chart comes with the numbers it shows, for a data table beside it (screen readers)."""
from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    src: str                 # data:image/svg+xml;base64,... (print)
    alt: str
    key: str = ""            # the cache key: the screen pages load /charts/<key>.svg (cacheable)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "oc"})
    return plt


CACHE_VERSION = "5"          # bump when the drawing changes
_cache_dir: Path | None = None


def configure_cache(folder: str | None) -> None:
    """A folder shared by every process (web workers, scheduler): a chart is drawn once per content."""
    global _cache_dir
    _cache_dir = Path(folder) if folder else None
    if _cache_dir:
        _cache_dir.mkdir(parents=True, exist_ok=True)


def trend_chart(periods: tuple, series: tuple[Series, ...], benchmark: tuple, unit: str, title: str,
                width: float = 6.6, height: float = 2.5, legend: bool = True, owners: tuple = ()) -> Chart:
    """``legend=False`` for small multiples that share one legend (the print reports). ``owners``: the
    ICO codes whose figures the chart shows; only viewers allowed to see all of them may load it by URL."""
    return _cached(tuple(periods), tuple(series), tuple(benchmark), unit, title, width, height, legend,
                   tuple(owners))


def _cached(*args) -> Chart:
    chart, svg = _memo(*args)
    if _cache_dir is not None:                       # every process shares the folder; keep it filled
        path = _cache_dir / f"{chart.key}.svg"
        if not path.exists():
            _write(path.with_suffix(".owners"), " ".join(args[-1]).encode())
            _write(path, svg)
    return chart


@lru_cache(maxsize=1024)
def _memo(*args) -> tuple[Chart, bytes]:
    key = hashlib.sha256((CACHE_VERSION + repr(args)).encode()).hexdigest()[:32]
    path = _cache_dir / f"{key}.svg" if _cache_dir else None
    svg = path.read_bytes() if path is not None and path.exists() else _draw(*args[:-1])
    periods, series, benchmark, unit, title = args[:5]
    return Chart("data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
                 _alt(title, periods, series, benchmark), key), svg


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cached_svg(key: str) -> tuple[bytes, list[str]] | None:
    """A drawn chart and the ICO codes it shows, by key; None when it is not in the cache."""
    if not _cache_dir or not key.isalnum() or len(key) != 32:
        return None
    path = _cache_dir / f"{key}.svg"
    owners = path.with_suffix(".owners")
    if not path.exists() or not owners.exists():
        return None
    return path.read_bytes(), owners.read_text().split()


def _draw(periods, series, benchmark, unit, title, width, height, legend) -> bytes:
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
                                alpha=0.15 if len(series) <= 2 else 0.1, linewidth=0,
                                label="95 % interval" if len(series) <= 2 else "_interval")
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], linewidth=1.8,
                    marker="o" if len(points) < 3 else None, markersize=3,
                    color=colour, linestyle="--" if s.statewide else "-", label=s.label)
    if any(b is not None for b in benchmark):
        ax.step([i for i, b in zip(x, benchmark) if b is not None], [b for b in benchmark if b is not None],
                where="mid", color="#000000", linewidth=1.0, linestyle=":", label="Benchmark")
    small = width < 5            # print small multiples: fewer labels (each text costs time in the PDF)
    ticks = [i for i in x if not small or i in (0, len(x) - 1) or i == len(x) // 2]
    ax.set_xticks(ticks)
    ax.set_xticklabels([periods[i] for i in ticks], rotation=0, fontsize=6.5 if small else 8)
    if not small:
        ax.set_ylabel(UNIT_AXIS.get(unit, unit), fontsize=8)
    if unit in ("percent", "score"):
        low = min([v for s in series for v in (s.low or s.values) if v is not None] + [100])
        ax.set_ylim(max(0, (low // 10) * 10 - 5), 100)
    else:
        ax.set_ylim(bottom=0)
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(3 if width < 5 else 4))
    ax.tick_params(length=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines["left"].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4 if width > 5 else 2, frameon=False,
                  fontsize=8 if width > 5 else 6.5)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return buffer.getvalue().encode()


def _alt(title, periods, series, benchmark) -> str:
    parts = [f"{title}: trend by quarter from {periods[0]} to {periods[-1]}." if periods else f"{title}: no data."]
    for s in series:
        last = next(((p, v) for p, v in zip(reversed(periods), reversed(s.values)) if v is not None), None)
        if last:
            parts.append(f"{s.label} latest {last[1]:.1f} in {last[0]}.")
    parts.append("The table beside the chart has every value.")
    return " ".join(parts)
