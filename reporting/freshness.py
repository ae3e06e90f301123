"""Whether a period's results are older than the data they should use: an accepted package (of any ICO)
received after the period's current run, for a quarter the period's data in view includes (ending on or
before the period's end). The scheduler's ``fresh_results`` job recomputes those periods within a minute
of an accepted upload; until then pages and exports say "new data accepted, results updating"."""

from __future__ import annotations

from sqlalchemy import select

from reporting.periods import chronological, stored
from reporting.storage.models import DEFAULT_PROGRAMME, Organization, ResultRun, Submission

UPDATING_NOTE = "New data accepted since these results were computed: results updating (within a few minutes)."


def _accepted(session, programme_id: str) -> list[tuple[str, object]]:
    """The accepted packages of the programme's ICOs: (period, received)."""
    return list(
        session.execute(
            select(Submission.period_code, Submission.received_at)
            .join(Organization, Organization.id == Submission.organization_id)
            .where(Submission.status == "accepted", Organization.programme_id == programme_id)
        )
    )


def newer_data(session, period_code: str, run: ResultRun | None, accepted=None) -> bool:
    if run is None or run.finished_at is None:
        return False
    end = stored(period_code).end
    return any(
        received > run.finished_at and stored(code).end <= end
        for code, received in (accepted if accepted is not None else _accepted(session, run.programme_id))
    )


def stale_periods(session, programme_id: str = DEFAULT_PROGRAMME) -> list[str]:
    """The programme's periods to recompute: those with a current run older than some data they include, and
    quarters with accepted data and no run yet; oldest first."""
    accepted = _accepted(session, programme_id)
    runs = {
        r.period_code: r
        for r in session.scalars(select(ResultRun).where(ResultRun.programme_id == programme_id, ResultRun.is_current))
    }
    stale = {code for code, run in runs.items() if newer_data(session, code, run, accepted)}
    stale |= {code for code, _ in accepted if code not in runs}
    return sorted(stale, key=chronological)
