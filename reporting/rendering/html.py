"""Reports as HTML through the app's Jinja environment: the same templates, macros and filters as
the dashboards, with print CSS. Charts are drawn here, from the trend data in the context."""

from __future__ import annotations

from flask import render_template

from reporting.rendering.charts import chart_legend, trend_chart_for


def report_html(template: str, context: dict) -> str:
    charts = {}
    codes = context.get("codes") or ([context["org"].code] if context.get("org") else [])
    for t in context.get("trends", []):
        charts[t.measure.id] = trend_chart_for(t, codes, context.get("names", {}), width=3.6, height=1.45, legend=False)
    # a chart with no value in any quarter (a programme's first quarters: every measure NA) is left out of the
    # report and named instead; a report with none to draw says so in a sentence rather than a page of empty axes
    trends = context.get("trends", [])
    context = dict(
        context,
        trends_drawn=[t for t in trends if not charts[t.measure.id].empty],
        trends_empty=[t for t in trends if charts[t.measure.id].empty],
    )
    if context.get("trends"):
        context = dict(
            context,
            legend=chart_legend(
                codes, context.get("names", {}), any(t.measure.has_interval for t in context["trends"])
            ),
        )
    return render_template(template, charts=charts, **context)
