"""The job functions the scheduler runs. Each records a JobRun (status, timings, errors) and catches only at
its boundary; what is due (``publication.calendar``), which schedules exist (``jobs.schedules``) and what a
cycle does (``pipeline``) live elsewhere."""

from __future__ import annotations

import logging
import socket
import traceback
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from reporting import clock, pipeline, programmes
from reporting.access import admins
from reporting.delivery import ledger, notices
from reporting.links import external_url
from reporting.publication import calendar, editions
from reporting.storage import db
from reporting.storage.models import Delivery, JobRun, utcnow

log = logging.getLogger(__name__)


def _record(job: str, fn, period: str = ""):
    run_id = None
    with db.transaction() as session:
        row = JobRun(job=job, period_code=period, host=socket.gethostname())
        session.add(row)
        session.flush()
        run_id = row.id
    try:
        summary, timings = fn()
        status, error = "done", ""
    except Exception as e:  # the job boundary: record, log with traceback, carry on
        log.exception("job %s failed", job)
        summary, timings, status, error = "", {}, "failed", f"{type(e).__name__}: {e}\n{traceback.format_exc()[-3000:]}"
    with db.transaction() as session:
        row = session.get(JobRun, run_id)
        row.finished_at, row.status, row.summary, row.timings, row.error = utcnow(), status, summary, timings, error
    return status


def _label(programme, code: str) -> str:
    """A period in a job's summary: as before for the default programme, with the programme's id for another."""
    return code if programme == programmes.default() else f"{programme.id} {code}"


def quarterly_cycle(today: date | None = None) -> None:
    """Each programme's periods due for their cycle, by its own due rule (never one programme's for another)."""

    def work():
        results, timings = [], {}
        for programme in programmes.all():
            for code in calendar.due_for_cycle(today or clock.today(), programme):
                outcome = pipeline.run_cycle(code, trigger="scheduler", programme=programme)
                results.append(
                    f"{_label(programme, code)}: {outcome.status}, edition {outcome.edition_number}, "
                    f"{outcome.rendered} PDFs, {outcome.sent} sent, {outcome.failed} failed, {outcome.pending} pending"
                )
                timings[_label(programme, code)] = outcome.timings
        return ("; ".join(results) or "no period due"), timings

    _record("quarterly_cycle", work)


def nightly_recompute() -> None:
    def work():
        with db.transaction() as session:
            periods = [(p, code) for p in programmes.all() for code in editions.published_periods(session, p.id)]
        changed = []
        for programme, code in periods:
            outcome = pipeline.run_cycle(code, trigger="recompute", programme=programme)
            if outcome.new_edition:
                changed.append(
                    f"{_label(programme, code)}: revised edition {outcome.edition_number}, {outcome.sent} sent"
                )
        return ("; ".join(changed) or f"{len(periods)} published periods unchanged"), {}

    _record("nightly_recompute", work)


def fresh_results() -> None:
    """Recompute, promptly after an accepted upload, the periods whose results predate it (compute only:
    publishing stays with the cycle and the nightly recompute)."""
    from reporting.freshness import stale_periods

    with db.transaction() as session:
        stale = {p: codes for p in programmes.all() if (codes := stale_periods(session, p.id))}
    if not stale:  # record a run only when there was something to do
        return

    def work():
        done = []
        for programme, codes in stale.items():
            outcomes = pipeline.compute_many(codes, trigger="upload", force=False, warm=True, programme=programme)
            done += [_label(programme, o.period) for o in outcomes if not o.unchanged]
        return f"recomputed {', '.join(done) or 'nothing (inputs unchanged)'}", {}

    _record("fresh_results", work)


def delivery_worker() -> None:
    """Every minute: the one outbox (reports and notices) swept of sends cut off mid-way, then every due message
    sent; editions published but not rendered yet are finished first."""

    def work():
        with db.transaction() as session:
            stale = ledger.sweep_stale(session, current_app.config["DELIVERY_STALE_SECONDS"])
            unfinished = editions.unfinished(session, None)
        finished = []
        for programme_id, code in unfinished:
            pipeline.run_cycle(code, trigger="worker", programme=programme_id)
            finished.append(_label(programmes.get(programme_id), code))
        counts = pipeline.deliver_due(None)
        return (
            f"{counts['sent']} sent in all, {counts['pending']} pending; stale: {stale[0]} sent again, "
            f"{stale[1]} marked uncertain; finished {finished or 'no edition'}"
        ), {}

    with db.transaction() as session:
        busy = session.scalar(select(Delivery.id).where(Delivery.status.in_(["pending", "sending"])))
        unfinished = editions.unfinished(session, None)
    if busy or unfinished:  # record a run only when there was something to do
        _record("delivery_worker", work)


def failure_summary() -> None:
    """A daily notice to every admin listing failed deliveries and jobs (at most one a day: ``notices`` keys it),
    sent at once through the outbox."""

    def work():
        since = utcnow() - timedelta(days=1)
        with db.transaction() as session:
            failed = session.scalars(select(Delivery).where(Delivery.status.in_(["failed", "uncertain"]))).all()
            jobs = session.scalars(select(JobRun).where(JobRun.status == "failed", JobRun.started_at >= since)).all()
            to = [u.email for u in admins(session)]
            lines = [f"- delivery {d.id} to {d.recipient}: {d.status}: {d.last_error[:200]}" for d in failed]
            lines += [
                f"- job {j.job} at {j.started_at:%Y-%m-%d %H:%M}: {j.error.splitlines()[0] if j.error else ''}"
                for j in jobs
            ]
            if not lines or not to:
                return "nothing to report", {}
            queued = notices.queue(
                session,
                f"failure-summary:{utcnow():%Y-%m-%d}",
                to,
                f"Quality reporting: {len(failed)} failed deliveries, {len(jobs)} failed jobs",
                "These need a look (Administration → Deliveries, Schedules and runs):\n\n"
                + "\n".join(lines)
                + f"\n\n{external_url('admin.deliveries')}\n",
            )
        sent = pipeline.deliver_due(None)
        return (
            f"summary of {len(lines)} problems queued for {queued} admins ({sent['pending']} messages still pending)"
            if queued
            else "summary already sent today"
        ), {}

    _record("failure_summary", work)


JOBS = {
    "quarterly_cycle": quarterly_cycle,
    "nightly_recompute": nightly_recompute,
    "fresh_results": fresh_results,
    "delivery_worker": delivery_worker,
    "failure_summary": failure_summary,
}
