"""The trend charts (plain SVG, shared by pages and PDFs): every value inside the axis, the unit on the
axis, a label for every quarter, an axis that fits the values (not 0-80 for values near 15 %), and
few elements (the PDFs draw fifteen charts a page)."""

import re
import xml.etree.ElementTree as ET

from reporting.rendering import charts
from reporting.rendering.charts import Series

NS = {"s": "http://www.w3.org/2000/svg"}
QUARTERS = ("2014Q1", "2014Q2", "2014Q3", "2014Q4", "2015Q1", "2015Q2", "2015Q3", "2015Q4")


def draw(series, benchmark, unit="percent", small=True, legend=False, periods=QUARTERS):
    width, height = (3.6, 1.7) if small else (6.6, 2.5)
    return ET.fromstring(
        charts._draw(periods, tuple(series), tuple(benchmark), unit, "A measure", width, height, legend)
    )


def texts(svg):
    return [t.text for t in svg.iterfind(".//s:text", NS)]


def tick_labels(svg):
    return [t.text for t in svg.iterfind(".//s:text", NS) if t.get("text-anchor") == "end"]


def tick_values(svg):
    return [float(t.rstrip("%")) for t in tick_labels(svg)]


def plotted_y(svg):
    ys = []
    for line in svg.iterfind(".//s:polyline", NS):
        ys += [float(p.split(",")[1]) for p in line.get("points").split()]
    ys += [float(c.get("cy")) for c in svg.iterfind(".//s:circle", NS)]
    return ys


def grid_y(svg):
    return [
        float(re.match(r"M[\d.]+ ([\d.]+)", p.get("d")).group(1))
        for p in svg.iterfind(".//s:path", NS)
        if p.get("stroke") == "#dddddd"
    ]


def test_a_value_at_100_percent_stays_inside_the_axis():
    svg = draw(
        [
            Series("CCA", (70.0, 72.0, 74.0, 71.0, 74.0, 76.0, 77.0, 78.0)),
            Series("Statewide", (68.0, 100.0, 70.0, 70.0, 71.0, 72.0, 72.0, 73.0), statewide=True),
        ],
        (75.0,) * 8,
    )
    top, bottom = min(grid_y(svg)), max(grid_y(svg))
    assert all(top - 0.01 <= y <= bottom + 0.01 for y in plotted_y(svg))
    assert max(tick_values(svg)) == 100


def test_readmissions_near_15_percent_get_an_axis_around_them_with_the_unit():
    svg = draw(
        [
            Series("CCA", (15.1, 14.2, 16.0, 15.0, 14.5, 15.2, 15.1, 14.9), (13.0,) * 8, (17.5,) * 8),
            Series("Statewide", (16.0,) * 8, statewide=True),
        ],
        (17.0,) * 8,
    )
    ticks = tick_values(svg)
    assert 8 <= min(ticks) and max(ticks) <= 22 and 3 <= len(ticks) <= 6
    assert "Percent" in texts(svg)
    assert all(t.endswith("%") for t in tick_labels(svg))


def test_every_quarter_is_labelled_with_its_year_once():
    svg = draw([Series("CCA", (2.1,) * 8)], (2.8,) * 8, unit="per_1000")
    labels = texts(svg)
    assert [t for t in labels if re.fullmatch(r"Q\d", t)] == ["Q1", "Q2", "Q3", "Q4"] * 2
    assert labels.count("2014") == 1 and labels.count("2015") == 1
    assert "Per 1,000 member-months" in labels


def test_a_missing_quarter_breaks_the_line_and_a_lone_value_is_a_dot():
    svg = draw([Series("CCA", (70.0, 71.0, None, 72.0, None, None, None, None))], (None,) * 8)
    assert len(list(svg.iterfind(".//s:polyline", NS))) == 1
    assert len(list(svg.iterfind(".//s:circle", NS))) == 1


def test_the_legend_keys_do_not_overlap():
    svg = draw(
        [
            Series("Commonwealth Care Alliance", (70.0,) * 8),
            Series("Fallon Total Care", (60.0,) * 8),
            Series("Network Health", (65.0,) * 8),
            Series("Statewide", (66.0,) * 8, statewide=True),
        ],
        (75.0,) * 8,
        small=False,
        legend=True,
    )
    keys = [
        t
        for t in svg.iterfind(".//s:text", NS)
        if t.text in ("Commonwealth Care Alliance", "Fallon Total Care", "Network Health", "Statewide", "Benchmark")
    ]
    assert len(keys) == 5
    spans = sorted((float(t.get("y")), float(t.get("x")), len(t.text) * 8 * 0.62) for t in keys)
    for (y1, x1, w1), (y2, x2, _) in zip(spans, spans[1:]):
        assert y1 != y2 or x1 + w1 < x2


def test_a_chart_is_light():
    svg = draw(
        [
            Series("CCA", tuple(float(v) for v in range(60, 68)), (55.0,) * 8, (70.0,) * 8),
            Series("Statewide", (66.0,) * 8, statewide=True),
        ],
        (65.0,) * 8,
        small=False,
        legend=True,
    )
    assert sum(1 for _ in svg.iter()) < 60


def test_forty_icos_are_thin_grey_lines_under_one_key():
    svg = draw(
        [Series(f"ICO {i}", (60.0 + i % 7,) * 8) for i in range(40)]
        + [Series("Statewide", (63.0,) * 8, statewide=True)],
        (65.0,) * 8,
        small=False,
        legend=True,
    )
    labels = texts(svg)
    assert labels.count("Each ICO") == 1 and "ICO 3" not in labels and "Statewide" in labels
    assert len(list(svg.iterfind(".//s:polyline", NS))) == 41


def test_an_empty_chart_says_no_data_instead_of_an_axis_around_the_benchmark():
    """Issue 27 item 11: every quarter NA with a benchmark of 60 drew a 59.5-60.5 % axis around the benchmark
    alone. It now says "No data", draws no axis, and its text alternative says so too."""
    empty = (Series("HA", (None,) * 8), Series("Statewide", (None,) * 8, statewide=True))
    svg = draw(empty, [60.0] * 8, small=False, legend=True)
    assert any("No data" in (t or "") for t in texts(svg))
    assert tick_labels(svg) == [] and grid_y(svg) == [] and plotted_y(svg) == []
    assert "Benchmark" not in texts(svg)
    chart = charts.trend_chart(QUARTERS, empty, (60.0,) * 8, "percent", "A measure")
    assert chart.alt == "A measure: no data, no reported value from 2014Q1 to 2015Q4."
    one = draw((Series("HA", (None,) * 7 + (61.0,)),), [60.0] * 8)
    assert tick_labels(one) and not any("No data" in (t or "") for t in texts(one))


def test_a_text_alternative_rounds_as_the_pages_do_with_the_unit():
    """Issue 24: 12.25 % reads 12.3% (half-up), a per-1,000 rate keeps its two decimals and says its unit."""
    pct = charts.trend_chart(("2015Q3",), (Series("HA", (12.25,)),), (None,), "percent", "P")
    rate = charts.trend_chart(("2015Q3",), (Series("HA", (14.225,)),), (None,), "per_1000", "R")
    assert "HA latest 12.3% in 2015Q3" in pct.alt and "HA latest 14.23 per 1,000 in 2015Q3" in rate.alt


def test_a_survey_chart_plots_the_adjusted_score_and_says_so():
    """Issue 25: an ICO's survey score is drawn as its headline gives it, case-mix adjusted (raw where there is no
    adjusted value), statewide unadjusted; the text alternative says which, and the raw interval band is not drawn
    around adjusted values. Other measures are drawn as before."""
    import base64
    from types import SimpleNamespace

    from measures import REGISTRY
    from reporting.publication.figures import Trend
    from reporting.rendering.filters import format_value

    def result(value, adjusted=None, low=None, high=None, ico="HA"):
        return SimpleNamespace(
            value=value, adjusted_value=adjusted, status="reported", ci_low=low, ci_high=high, ico=ico
        )

    flu = REGISTRY["flu_vaccine"]
    periods = ["2015Q1", "2015Q2", "2015Q3"]
    series = {
        "HA": [result(70.0, 66.0, 60.0, 79.0), result(72.0, 68.5, 62.0, 80.0), result(71.0, 73.25, 61.0, 80.0)],
        "STATEWIDE": [result(v, v, ico="STATEWIDE") for v in (69.0, 70.0, 71.0)],
    }
    trend = Trend(flu, periods, series, [66.0] * 3, {})
    chart = charts.trend_chart_for(trend, ["HA"], {"HA": "Health Alliance"})
    assert chart.adjusted and chart.note == charts.ADJUSTED_NOTE
    assert "ICOs case-mix adjusted, statewide unadjusted" in chart.alt
    assert f"Health Alliance latest {format_value('percent', 73.25)}%" in chart.alt  # the adjusted, not 71.0
    assert "Statewide latest 71.0%" in chart.alt
    svg = ET.fromstring(base64.b64decode(chart.src.split(",", 1)[1]))
    assert not list(svg.iterfind(".//s:polygon", NS))  # no interval band: it is the raw value's
    # without adjusted values (a version 1 package before adjustment, or another measure): raw, with its band
    series["HA"] = [result(70.0, None, 60.0, 79.0), result(72.0, None, 62.0, 80.0), result(71.0, None, 61.0, 80.0)]
    plain = charts.trend_chart_for(Trend(flu, periods, series, [66.0] * 3, {}), ["HA"], {"HA": "Health Alliance"})
    assert not plain.adjusted and plain.note == "" and "adjusted" not in plain.alt
    assert "Health Alliance latest 71.0%" in plain.alt
    svg = ET.fromstring(base64.b64decode(plain.src.split(",", 1)[1]))
    assert list(svg.iterfind(".//s:polygon", NS))
