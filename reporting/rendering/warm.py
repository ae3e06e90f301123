"""Charts drawn ahead of viewers: after a programme's computation, each of its ICOs' and its reviewers' trend
charts go into the shared chart cache, so that no page waits for a drawing. Only the programme computed: its
ICOs, its measures and its rules (another programme's charts did not change)."""

from __future__ import annotations

from sqlalchemy import select

from measures import REGISTRY
from reporting.publication import figures, settings
from reporting.rendering.charts import trend_chart_for
from reporting.storage import db
from reporting.storage.models import Organization


def warm_charts(programme) -> int:
    """Draw the programme's dashboards' charts (reviewer views) into the shared cache; returns how many."""
    drawn, pub = 0, settings(programme.id)
    measure_ids = [m for m in REGISTRY if m in programme.measures]
    with db.transaction() as session:
        orgs = {
            o.code: o.name
            for o in session.scalars(select(Organization).where(Organization.programme_id == programme.id))
        }
        codes = sorted(orgs)
        for code in codes:
            for t in figures.trends(session, pub, [code], measure_ids):
                trend_chart_for(t, [code], {code: orgs[code]})
                drawn += 1
        for t in figures.trends(session, pub, codes, measure_ids):
            present = [c for c in codes if any(v is not None for v in t.series.get(c, []))]
            trend_chart_for(t, present, orgs)
            drawn += 1
    return drawn
