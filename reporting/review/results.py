"""A period's results as a user may see them, preview included, each with the edition it belongs to and that
edition's status: what the API's ``/results`` answers."""
from __future__ import annotations

from sqlalchemy import select

from measures import Period
from reporting.artifacts import run_states
from reporting.engine import STATEWIDE
from reporting.errors import NotFound
from reporting.access import can_see_ico, can_see_statewide, may_see_edition
from reporting.storage.models import Edition, Organization, Result


def visible_results(session, user, period: Period) -> list[dict]:
    edition = session.scalar(select(Edition).where(Edition.period_code == period.code,
                                                   Edition.status.in_(["preview", "published", "awaiting_approval"]))
                             .order_by(Edition.number.desc()))
    if edition is None or not may_see_edition(user, edition.status):
        raise NotFound(f"{period.code} has no edition in preview or published yet.")
    orgs = {o.code: o for o in session.scalars(select(Organization))}
    rows = session.scalars(select(Result).where(Result.run_id == edition.run_id)).all()
    icos = {r.ico for r in rows if r.ico != STATEWIDE}
    statewide = can_see_statewide(user, run_states(session, edition.run_id), len(icos))
    out = []
    for r in rows:
        if r.ico == STATEWIDE and not statewide or r.ico != STATEWIDE and not (r.ico in orgs and can_see_ico(user, orgs[r.ico])):
            continue
        out.append({"measure_id": r.measure_id, "ico": r.ico, "period": r.period_code, "numerator": r.numerator,
                    "denominator": r.denominator, "value": r.value, "status": r.status,
                    "adjusted_value": r.adjusted_value, "vs_statewide": r.vs_statewide, "edition": edition.number,
                    "edition_status": edition.status})
    return out
