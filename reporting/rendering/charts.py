"""Every chart of the service, drawn once on the server as plain SVG and embedded as a
base64 ``data:`` image, so that the dashboards and the PDF reports show exactly the same chart.
Each chart comes with the numbers it shows, for a data table beside it (screen readers)."""

from __future__ import annotations

import base64
import hashlib
import math
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from pathlib import Path

from measures import Period
from reporting.engine import STATEWIDE
from reporting.publication.figures import adjusted_headline, headline
from reporting.rendering.filters import UNIT_LABELS, format_value

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]  # Okabe-Ito, colour-blind safe
STATEWIDE_COLOUR = "#3b3b3b"
EACH_ICO_COLOUR = "#b8bec6"  # more ICOs than colours (national scale): each ICO a thin grey line
UNIT_AXIS = {"percent": "Percent", "per_1000": "Per 1,000 member-months", "score": "Score (0-100)"}


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple  # float | None per period
    low: tuple = ()  # interval, for percent measures
    high: tuple = ()
    statewide: bool = False


@dataclass(frozen=True)
class Chart:
    src: str  # data:image/svg+xml;base64,... (print)
    alt: str
    key: str = ""  # the cache key: the screen pages load /charts/<key>.svg (cacheable)
    adjusted: bool = False  # a survey measure: the ICOs' case-mix adjusted scores are plotted (``ADJUSTED_NOTE``)
    empty: bool = False  # no value to draw in any of its quarters: the chart only says "No data"

    @property
    def note(self) -> str:
        """What a caption says of the values plotted: "" unless they are case-mix adjusted."""
        return ADJUSTED_NOTE if self.adjusted else ""


CACHE_VERSION = "8"  # bump when the drawing changes
_cache_dir: Path | None = None


def configure_cache(folder: str | None) -> None:
    """A folder shared by every process (web workers, scheduler): a chart is drawn once per content."""
    global _cache_dir
    _cache_dir = Path(folder) if folder else None
    if _cache_dir:
        _cache_dir.mkdir(parents=True, exist_ok=True)


def trend_chart(
    periods: tuple,
    series: tuple[Series, ...],
    benchmark: tuple,
    unit: str,
    title: str,
    width: float = 6.6,
    height: float = 2.5,
    legend: bool = True,
    owners: tuple = (),
) -> Chart:
    """``legend=False`` for small multiples that share one legend (the print reports). ``owners``: the
    ICO codes whose figures the chart shows; only viewers allowed to see all of them may load it by URL."""
    return _cached(tuple(periods), tuple(series), tuple(benchmark), unit, title, width, height, legend, tuple(owners))


def _cached(*args) -> Chart:
    chart, svg = _memo(*args)
    if _cache_dir is not None:  # every process shares the folder; keep it filled
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
    return Chart(
        "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        _alt(title, periods, series, benchmark, unit),
        key,
        empty=not any(v is not None for s in series for v in s.values),
    ), svg


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
    """A line chart as a small, plain SVG (a few dozen elements: the PDF draws fifteen per page, the
    national cycle some six hundred): every value inside the axis, the unit on the axis, a label for
    every quarter that fits."""
    small = width < 5
    font = 6.5 if small else 8.0
    W, H = width * 72, height * 72
    top = font + 8  # the unit above the axis
    bottom = 2 * font + 6  # quarter, and the year under each Q1
    keys = _legend_layout(
        _legend_items(series, benchmark) if legend and any(v is not None for s in series for v in s.values) else [],
        W,
        font,
    )
    bottom += (keys[-1][1] + 1) * (font + 6) + 4 if keys else 0
    empty = not any(v is not None for s in series for v in s.values)
    low, high, ticks = _scale(series, benchmark, unit)
    if empty:  # nothing to draw: say so, rather than an axis around the benchmark alone
        ticks, benchmark = [], ()
    label = [_tick(t, unit) for t in ticks]
    left = max((len(x) for x in label), default=0) * font * 0.72 + 6
    right = 6
    pw, ph = W - left - right, H - top - bottom
    n = max(len(periods), 1)
    slot = pw / n

    def X(i):
        return left + slot * (i + 0.5)

    def Y(v):
        return top + ph * (1 - (v - low) / (high - low))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W:.1f}pt" height="{H:.1f}pt" viewBox="0 0 {W:.1f} {H:.1f}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="{font}">',
        f'<title>{escape(title)}</title><rect width="{W:.1f}" height="{H:.1f}" fill="#ffffff"/>',
        f'<text x="2" y="{font + 1:.1f}" fill="#4a5360">{escape(UNIT_AXIS.get(unit, unit))}</text>',
    ]
    for t, text in zip(ticks, label):
        y = Y(t)
        out.append(
            f'<path d="M{left:.1f} {y:.1f}H{left + pw:.1f}" stroke="#dddddd" stroke-width="0.6"/>'
            f'<text x="{left - 4:.1f}" y="{y + font * 0.35:.1f}" text-anchor="end" fill="#4a5360">{text}</text>'
        )
    if empty:
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" fill="#4a5360" '
            f'font-size="{font * 1.2:.1f}">No data: no reported value in these quarters</text>'
        )
    every = 1 if slot >= font * 2.2 else 2  # "Q3" needs about two em
    for i, code in enumerate(periods):
        p = Period.parse(code)
        year, q = str(p.year), (f"Q{p.quarter}" if p.is_quarter else "")
        if i % every and i != n - 1:
            continue
        out.append(
            f'<text x="{X(i):.1f}" y="{top + ph + font + 3:.1f}" text-anchor="middle" fill="#4a5360">{q or year}</text>'
        )
        if q and (i == 0 or q == "Q1"):
            out.append(
                f'<text x="{X(i):.1f}" y="{top + ph + 2 * font + 5:.1f}" text-anchor="middle" fill="#4a5360">{year}</text>'
            )
    drawn = list(zip(series, _colours(series)))
    for s, colour in drawn:
        if s.low and len(series) <= 2:
            band = [(i, lo, hi) for i, (lo, hi) in enumerate(zip(s.low, s.high)) if lo is not None and hi is not None]
            for run in _runs(band):
                if len(run) > 1:
                    edge = [f"{X(i):.1f},{Y(hi):.1f}" for i, _, hi in run] + [
                        f"{X(i):.1f},{Y(lo):.1f}" for i, lo, _ in reversed(run)
                    ]
                    out.append(f'<polygon points="{" ".join(edge)}" fill="{colour}" fill-opacity="0.15"/>')
    steps = [(i, b) for i, b in enumerate(benchmark) if b is not None]
    for run in _runs(steps):
        (i0, b0), rest = run[0], run[1:]
        d = f"M{X(i0) - slot / 2:.1f} {Y(b0):.1f}H{X(i0) + slot / 2:.1f}" + "".join(
            f"V{Y(b):.1f}H{X(i) + slot / 2:.1f}" for i, b in rest
        )
        out.append(f'<path d="{d}" fill="none" stroke="#000000" stroke-width="1" stroke-dasharray="1.5 2"/>')
    for s, colour in drawn:
        points = [(i, v) for i, v in enumerate(s.values) if v is not None]
        dash = ' stroke-dasharray="5 3"' if s.statewide else ""
        for run in _runs(points):
            if len(run) == 1:
                i, v = run[0]
                out.append(f'<circle cx="{X(i):.1f}" cy="{Y(v):.1f}" r="2.2" fill="{colour}"/>')
            else:
                pts = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in run)
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                    f'stroke-width="{0.8 if colour == EACH_ICO_COLOUR else 1.8}" '
                    f'stroke-linejoin="round"{dash}/>'
                )
    y0 = top + ph + 2 * font + 14
    for x, row, (text, colour, style) in keys:
        y = y0 + row * (font + 6)
        if style == "band":
            out.append(
                f'<rect x="{x:.1f}" y="{y - font * 0.6:.1f}" width="16" height="{font * 0.8:.1f}" fill="{colour}" fill-opacity="0.25"/>'
            )
        else:
            dash = {"dashed": ' stroke-dasharray="5 3"', "dotted": ' stroke-dasharray="1.5 2"'}.get(style, "")
            out.append(f'<path d="M{x:.1f} {y - font * 0.3:.1f}h16" stroke="{colour}" stroke-width="1.8"{dash}/>')
        out.append(f'<text x="{x + 20:.1f}" y="{y:.1f}">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out).encode()


def _runs(points: list) -> list[list]:
    """Consecutive quarters together: a missing (NA) quarter breaks the line."""
    runs, last = [], None
    for p in points:
        if last is None or p[0] != last + 1:
            runs.append([])
        runs[-1].append(p)
        last = p[0]
    return runs


def _colours(series) -> list[str]:
    many = sum(not s.statewide for s in series) > len(PALETTE)
    colours = iter(PALETTE)
    return [STATEWIDE_COLOUR if s.statewide else EACH_ICO_COLOUR if many else next(colours) for s in series]


def _legend_items(series, benchmark) -> list[tuple[str, str, str]]:
    items = []
    for s, colour in zip(series, _colours(series)):
        if colour == EACH_ICO_COLOUR:
            if not any(i[1] == EACH_ICO_COLOUR for i in items):
                items.append(("Each ICO", colour, "solid"))
            continue
        items.append((s.label, colour, "dashed" if s.statewide else "solid"))
    if any(b is not None for b in benchmark):
        items.append(("Benchmark", "#000000", "dotted"))
    if len(series) <= 2 and any(s.low for s in series):
        items.append(("95 % interval", PALETTE[0], "band"))
    return items


def _legend_layout(items: list, width: float, font: float) -> list[tuple[float, int, tuple]]:
    """Each key's x and row: keys flow left to right and wrap, each as wide as its text."""
    placed, x, row = [], 4.0, 0
    for item in items:
        size = 20 + len(item[0]) * font * 0.62 + 12
        if x > 4 and x + size > width:
            x, row = 4.0, row + 1
        placed.append((x, row, item))
        x += size
    return placed


def _scale(series, benchmark, unit) -> tuple[float, float, list[float]]:
    """An axis that holds every value drawn (intervals and benchmark included), with three to five
    round ticks; percents and scores stay within 0-100."""
    values = [
        v
        for s in series
        for seq in (s.values, s.low if len(series) <= 2 else (), s.high if len(series) <= 2 else ())
        for v in seq
        if v is not None
    ] + [b for b in benchmark if b is not None]
    if not values:
        values = [0.0, 100.0] if unit in ("percent", "score") else [0.0, 1.0]
    lo, hi = min(values), max(values)
    span = max(hi - lo, 1e-9)
    pad = max(span * 0.08, 0.5 if unit != "per_1000" else 0.05)
    lo, hi = lo - pad, hi + pad
    step = _nice((hi - lo) / 4)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if unit in ("percent", "score"):
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    lo = max(lo, 0.0)
    ticks = [round(lo + k * step, 10) for k in range(int(round((hi - lo) / step)) + 1)]
    return lo, hi, ticks


def _nice(raw: float) -> float:
    exp = 10 ** math.floor(math.log10(raw))
    return next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp >= raw)


def _tick(value: float, unit: str) -> str:
    text = f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")
    return text + ("%" if unit == "percent" else "")


def _alt(title, periods, series, benchmark, unit: str) -> str:
    if not any(v is not None for s in series for v in s.values):
        return (
            f"{title}: no data, no reported value from {periods[0]} to {periods[-1]}."
            if periods
            else f"{title}: no data."
        )
    parts = [f"{title}: trend by quarter from {periods[0]} to {periods[-1]}."]
    for s in series:
        last = next(((p, v) for p, v in zip(reversed(periods), reversed(s.values)) if v is not None), None)
        if last:
            parts.append(f"{s.label} latest {format_value(unit, last[1])}{UNIT_LABELS.get(unit, '')} in {last[0]}.")
    parts.append("The table beside the chart has every value.")
    return " ".join(parts)


# --- a read-model trend as a chart: shared by the screen pages and the PDF reports ----------------
def trend_chart_for(trend, codes: list[str], names: dict, width: float = 6.6, height: float = 2.5, legend: bool = True):
    """One chart: each ICO in ``codes`` (with its interval band when there is only one), statewide, benchmark."""
    series = []
    adjusted = any(adjusted_headline(r) is not None for code in codes for r in trend.series.get(code, []))
    with_band = trend.measure.has_interval and not adjusted  # the interval is the raw value's
    for code in codes:
        values = trend.series.get(code, [])
        series.append(
            Series(
                names.get(code, code),
                tuple(headline(r) for r in values),  # as the headline beside it gives it
                tuple(r.ci_low if (with_band and r is not None and r.status == "reported") else None for r in values)
                if with_band
                else (),
                tuple(r.ci_high if (with_band and r is not None and r.status == "reported") else None for r in values)
                if with_band
                else (),
            )
        )
    series.append(Series("Statewide", tuple(_reported(r) for r in trend.series.get(STATEWIDE, [])), statewide=True))
    chart = trend_chart(
        tuple(trend.periods),
        tuple(series),
        tuple(trend.benchmarks),
        trend.measure.unit,
        f"{trend.measure.title} ({ADJUSTED_NOTE})" if adjusted else trend.measure.title,
        width,
        height,
        legend,
        owners=tuple(codes),
    )
    return replace(chart, adjusted=True) if adjusted else chart


def _reported(r):
    return r.value if (r is not None and r.status == "reported") else None


# What a survey measure's chart plots (measures.md, "Case-mix adjustment"): each ICO's adjusted score, as the headline
# beside it shows, and the statewide value, which adjustment leaves unchanged.
ADJUSTED_NOTE = "ICOs case-mix adjusted, statewide unadjusted"


def chart_legend(codes: list[str], names: dict, interval: bool) -> list[dict]:
    """The one legend shared by a page of small charts: colour, line style and label."""
    if len(codes) > len(PALETTE):
        items = [{"colour": EACH_ICO_COLOUR, "style": "solid", "label": "Each ICO"}]
    else:
        items = [{"colour": PALETTE[i], "style": "solid", "label": names.get(c, c)} for i, c in enumerate(codes)]
    items.append({"colour": STATEWIDE_COLOUR, "style": "dashed", "label": "Statewide"})
    items.append({"colour": "#000000", "style": "dotted", "label": "Benchmark"})
    if interval:
        items.append({"colour": PALETTE[0], "style": "band", "label": "95 % interval (percent measures)"})
    return items
