"""Turning dashboard data into charts and rows: shared by the screen pages and the PDF reports."""
from __future__ import annotations

from reporting.engine import STATEWIDE
from reporting.rendering.charts import Series, trend_chart


def trend_chart_for(trend, codes: list[str], names: dict, width: float = 6.6, height: float = 2.5,
                    legend: bool = True):
    """One chart: each ICO in ``codes`` (with its interval band when there is only one), statewide, benchmark."""
    series = []
    with_band = trend.measure.has_interval
    for code in codes:
        values = trend.series.get(code, [])
        series.append(Series(
            names.get(code, code),
            tuple(_reported(r) for r in values),
            tuple(r.ci_low if (with_band and r is not None and r.status == "reported") else None for r in values)
            if with_band else (),
            tuple(r.ci_high if (with_band and r is not None and r.status == "reported") else None for r in values)
            if with_band else ()))
    series.append(Series("Statewide", tuple(_reported(r) for r in trend.series.get(STATEWIDE, [])), statewide=True))
    return trend_chart(tuple(trend.periods), tuple(series), tuple(trend.benchmarks), trend.measure.unit,
                       trend.measure.title, width, height, legend, owners=tuple(codes))


def _reported(r):
    return r.value if (r is not None and r.status == "reported") else None


def chart_legend(codes: list[str], names: dict, interval: bool) -> list[dict]:
    """The one legend shared by a page of small charts: colour, line style and label."""
    from reporting.rendering.charts import EACH_ICO_COLOUR, PALETTE, STATEWIDE_COLOUR
    if len(codes) > len(PALETTE):
        items = [{"colour": EACH_ICO_COLOUR, "style": "solid", "label": "Each ICO"}]
    else:
        items = [{"colour": PALETTE[i], "style": "solid", "label": names.get(c, c)} for i, c in enumerate(codes)]
    items.append({"colour": STATEWIDE_COLOUR, "style": "dashed", "label": "Statewide"})
    items.append({"colour": "#000000", "style": "dotted", "label": "Benchmark"})
    if interval:
        items.append({"colour": PALETTE[0], "style": "band", "label": "95 % interval (percent measures)"})
    return items
