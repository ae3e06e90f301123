"""What has been published: a programme's period's newest published edition and the results of its run. Preview,
approval-waiting and never-published periods answer a clear "not published". Each programme publishes apart: one
programme's editions never answer for another's."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from measures import Period
from reporting import programmes
from reporting.errors import NotFound
from reporting.periods import chronological, parse
from reporting.programmes import Programme
from reporting.publication.editions import EditionStatus
from reporting.publication.released import public_hidden
from reporting.storage.models import Edition, Organization, Result, ResultRun


@dataclass(frozen=True)
class Published:
    programme: Programme
    period: Period
    edition: Edition
    run: ResultRun
    results: dict  # (measure_id, ico) -> Result
    icos: list[Organization]
    hidden: set = frozenset()  # the counts its public outputs suppress (publication.released)


def published(session, period: Period | str, programme: Programme | str | None = None) -> Published:
    """The newest published edition of ``programme``'s ``period`` (None: the installation's default programme)."""
    period = parse(period)  # a Period from the edge passes through
    programme = programmes.get(programme)
    edition = session.scalar(
        select(Edition)
        .where(
            Edition.period_code == period.code,
            Edition.status == EditionStatus.PUBLISHED,
            Edition.programme_id == programme.id,
        )
        .order_by(Edition.number.desc())
    )
    if edition is None:
        raise NotFound(
            f"{period.code} of {programme.name} has not been published. Only published editions appear here; a "
            f"period in preview or waiting for approval does not."
        )
    run = session.get(ResultRun, edition.run_id)
    results = {(r.measure_id, r.ico): r for r in session.scalars(select(Result).where(Result.run_id == run.id))}
    codes = list((run.inputs or {}).keys())
    icos = list(session.scalars(select(Organization).where(Organization.code.in_(codes)).order_by(Organization.code)))
    return Published(
        programme, period, edition, run, results, icos, public_hidden(session, period.code, run.id, edition.id)
    )


def published_periods(session, programme: Programme | str | None = None) -> list[Edition]:
    """The newest published edition of every period of ``programme`` (None: the default), newest period first."""
    programme = programmes.get(programme)
    rows = session.scalars(
        select(Edition).where(Edition.status == EditionStatus.PUBLISHED, Edition.programme_id == programme.id)
    ).all()
    latest: dict[str, Edition] = {}
    for e in rows:
        if e.period_code not in latest or e.number > latest[e.period_code].number:
            latest[e.period_code] = e
    return sorted(latest.values(), key=lambda e: chronological(e.period_code), reverse=True)
