"""The publication calendar: which periods are due for their quarterly cycle today (the scheduler's
``quarterly_cycle`` job runs them)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from measures import Period
from reporting import programmes
from reporting.periods import stored
from reporting.publication.editions import EditionStatus
from reporting.storage import db
from reporting.storage.models import Edition, Organization, ReportingPeriod, Submission


def due_for_cycle(today: date, programme=None) -> list[str]:
    """The programme's quarters (``programme``: an id or ``Programme``; None: DEFAULT_PROGRAMME) whose due date
    (its due rule) + CYCLE_DELAY_DAYS has passed, that have accepted packages of its ICOs and no complete
    edition; then calendar years whose fourth quarter is past that point."""
    cfg, programme = current_app.config, programmes.get(programme)
    delay = timedelta(days=cfg["CYCLE_DELAY_DAYS"])
    first = Period.parse(cfg["CYCLE_FIRST_PERIOD"]) if cfg.get("CYCLE_FIRST_PERIOD") else None
    mine = Edition.programme_id == programme.id
    with db.transaction() as session:
        periods = session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.begin)).all()
        with_data = set(
            session.scalars(
                select(Submission.period_code)
                .join(Organization, Organization.id == Submission.organization_id)
                .where(Submission.status == "accepted", Organization.programme_id == programme.id)
            )
        )
        done = {
            e.period_code
            for e in session.scalars(
                select(Edition).where(mine, Edition.status == EditionStatus.PUBLISHED, Edition.rendered_at.is_not(None))
            )
        }
        # awaiting a reviewer's approval: nothing to do; in preview: the cycle publishes once the window passed
        waiting = {
            e.period_code
            for e in session.scalars(select(Edition).where(mine, Edition.status == EditionStatus.AWAITING_APPROVAL))
        }
    due = [
        p
        for p in periods
        if programme.due_date(stored(p.code)) + delay <= today
        and p.code in with_data
        and programme.covers(stored(p.code))
        and (first is None or p.begin >= first.begin)
    ]
    out = [p.code for p in due if p.code not in done and p.code not in waiting]
    years = sorted({p.begin.year for p in due if Period.parse(p.code).quarter == 4})
    out += [str(y) for y in years if str(y) not in done and str(y) not in waiting]
    return out
