"""A period's results as a user may see them, preview included, each with the edition it belongs to and that
edition's status: what the API's ``/results`` answers. It reads what the pages read (``figures.seen_by``), so a
page and the API give one user the same figures of a period, or the same refusal."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from measures import Period
from reporting.access import can_see_ico, can_see_statewide
from reporting.artifacts import run_states
from reporting.engine import STATEWIDE
from reporting.errors import NotFound
from reporting.publication.figures import UNPUBLISHED, seen_by, withheld_from
from reporting.storage.models import DEFAULT_PROGRAMME, Organization, Result


def visible_results(session, user, period: Period, programme_id: str = DEFAULT_PROGRAMME) -> list[dict]:
    """One programme's results of ``period`` as ``user`` may see them."""
    basis = seen_by(session, user, current_app.config["PUBLISH_MODE"], programme_id)
    run = basis.run(period.code)
    if run is None:
        raise NotFound(
            f"{period.code} has no results you may see yet: no edition in preview or published, "
            f"and no computation open to you."
        )
    edition = basis.edition(period.code)
    orgs = {o.code: o for o in session.scalars(select(Organization))}
    rows = session.scalars(select(Result).where(Result.run_id == run.id)).all()
    icos = {r.ico for r in rows if r.ico != STATEWIDE}
    statewide = can_see_statewide(user, run_states(session, run.id), len(icos))
    withheld = withheld_from(session, user, basis)  # statewide figures that would give another ICO's
    shown = {
        r.measure_id for r in rows if r.ico == STATEWIDE and statewide and (r.measure_id, r.period_code) not in withheld
    }
    out = []
    for r in rows:
        if (
            r.ico == STATEWIDE
            and r.measure_id not in shown
            or r.ico != STATEWIDE
            and not (r.ico in orgs and can_see_ico(user, orgs[r.ico]))
        ):
            continue
        out.append(
            {
                "programme": programme_id,
                "measure_id": r.measure_id,
                "ico": r.ico,
                "period": r.period_code,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "value": r.value,
                "status": r.status,
                "adjusted_value": r.adjusted_value,
                "vs_statewide": r.vs_statewide if r.measure_id in shown else None,  # only beside statewide
                "edition": edition.number if edition else None,
                "edition_status": edition.status if edition else UNPUBLISHED,
            }
        )
    return out


def visible_strata(session, user, period: Period, programme_id: str = DEFAULT_PROGRAMME) -> list[dict]:
    """The period's results by group as ``user`` may see them (``publication.strata.seen_by`` on the same basis
    as ``visible_results``): one record per (ico, measure, stratifier, stratum), the columns of the
    ``results_strata`` export, with the edition they belong to."""
    from reporting.publication import strata

    basis = seen_by(session, user, current_app.config["PUBLISH_MODE"], programme_id)
    if basis.run(period.code) is None:
        raise NotFound(
            f"{period.code} has no results you may see yet: no edition in preview or published, "
            f"and no computation open to you."
        )
    edition = basis.edition(period.code)
    frame = strata.seen_by(session, user, basis, period.code)
    return [
        {
            **dict(zip(strata.EXPORT_COLUMNS, row)),
            "status": status,
            "edition": edition.number if edition else None,
            "edition_status": edition.status if edition else UNPUBLISHED,
        }
        for row, status in zip(strata.export_rows(frame), frame["status"])
    ]
