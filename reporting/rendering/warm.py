"""Charts drawn ahead of viewers: after a computation, every ICO's and the reviewers' trend charts go into the
shared chart cache, so that no page waits for a drawing."""

from __future__ import annotations

from sqlalchemy import select

from measures import REGISTRY
from reporting.publication import figures, settings
from reporting.rendering.charts import trend_chart_for
from reporting.storage import db
from reporting.storage.models import Organization


def warm_charts() -> int:
    """Draw the dashboards' charts (reviewer views) into the shared cache, so that no viewer waits for them."""
    drawn = 0
    with db.transaction() as session:
        orgs = {o.code: o.name for o in session.scalars(select(Organization))}
        codes = sorted(orgs)
        for code in codes:
            for t in figures.trends(session, settings(), [code], list(REGISTRY)):
                trend_chart_for(t, [code], {code: orgs[code]})
                drawn += 1
        for t in figures.trends(session, settings(), codes, list(REGISTRY)):
            present = [c for c in codes if any(v is not None for v in t.series.get(c, []))]
            trend_chart_for(t, present, orgs)
            drawn += 1
    return drawn
