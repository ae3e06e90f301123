"""A report prints no empty section (walk of 2026-12-04): MI Health Link's first quarter, 2015Q1, has every
measure NA (its members enrolled from March), and its scorecards spent a page and a half on nine charts that each
said "No data" and a passive-against-voluntary table of dashes only. A chart with nothing to draw is named in a
sentence instead; with none to draw the Trends section is one sentence; an all-empty passive table is a sentence."""

import base64
import re
from dataclasses import replace

import pytest
from flask import render_template_string

from reporting.publication import figures, reports
from reporting.publication import settings as pub_settings
from reporting.rendering.charts import trend_chart_for
from reporting.rendering.html import report_html
from reporting.storage import db

pytestmark = pytest.mark.one_backend  # its subject is the report's HTML, not the storage


def _no_values(trend):
    return replace(trend, series={code: [None] * len(values) for code, values in trend.series.items()})


def _drawn_svgs(html: str) -> list[str]:
    return [
        base64.b64decode(src).decode()
        for src in re.findall(r'<figure>.*?<img src="data:image/svg\+xml;base64,([^"]+)"', html, re.S)
    ]


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_a_scorecard_draws_only_charts_with_values_and_names_the_others(example):
    with example.app_context():
        ctx = reports.scorecard(db.session, pub_settings(), "HA", "2015Q3", figures.live(db.session))
        trends = [_no_values(t) for t in ctx["trends"][:2]] + ctx["trends"][2:]
        empty = [t for t in trends if trend_chart_for(t, ["HA"], {}, width=3.6, height=1.45, legend=False).empty]
        some = report_html("reports/scorecard.html", ctx | {"trends": trends})
        none = report_html("reports/scorecard.html", ctx | {"trends": [_no_values(t) for t in trends]})
    assert len(empty) >= 2 and len(trends) - len(empty) >= 2
    assert 'break-before: page">Trends</h2>' in some
    drawn = _drawn_svgs(some)
    assert len(drawn) == len(trends) - len(empty) and not any("No data" in svg for svg in drawn)
    named = some[some.index('class="meta trends-empty"') :].split("</p>", 1)[0]
    assert all(t.measure.title in named for t in empty), named
    # nothing to draw at all: one sentence under the heading, no page of empty axes
    assert "<figure>" not in none and 'break-before: page">Trends' not in none
    assert "No trend to draw yet: no measure has a reported value for HA or statewide up to 2015Q3." in none


def test_a_passive_table_of_dashes_only_is_a_sentence(app):
    template = (
        '{% from "macros/equity.html" import passive_table with context %}'
        "{{ passive_table(summary, '2015Q1', id='equity-passive') }}"
    )
    row = {"measure_id": "assessment_90d", "passive": None, "voluntary": None, "gap": None, "passive_flag": None}
    with app.test_request_context():
        empty = render_template_string(template, summary={"passive_gap": [row, row | {"measure_id": "fuh_7d"}]})
        half = render_template_string(template, summary={"passive_gap": [row | {"passive": 61.2}]})
    assert "<table" not in empty and 'id="equity-passive"' in empty
    assert "Passive against voluntary enrollment, 2015Q1: no measure has a reported value" in empty
    assert "<table" in half and "61.2" in half and "—" in half  # one group's value: the table, as before
