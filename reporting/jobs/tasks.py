"""The job functions. Each records a JobRun (status, timings, errors) and catches only at its boundary."""
from __future__ import annotations

import logging
import socket
import traceback
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from reporting import pipeline
from reporting.storage import db
from reporting.storage.models import Delivery, Edition, JobRun, ReportingPeriod, Submission, User, utcnow
from reporting.links import external_url

log = logging.getLogger(__name__)

# The schedules an installation starts with; admins change them on the Schedules page.
DEFAULT_SCHEDULES = [
    ("quarterly_cycle", "0 6 * * *",
     "Every day at 06:00 UTC: run the cycle (compute, publish, render, e-mail) for every period whose due date "
     "plus CYCLE_DELAY_DAYS has passed and that has no complete edition yet. Also runs when the scheduler starts."),
    ("nightly_recompute", "30 2 * * *",
     "Every night at 02:30 UTC: recompute published periods whose inputs changed (a resubmission) and send the "
     "revised edition."),
    ("fresh_results", "* * * * *",
     "Every minute: recompute the periods whose results are older than an accepted upload (its quarter, the "
     "later quarters and the years that include it), so that new data shows within minutes, not overnight."),
    ("delivery_worker", "* * * * *",
     "Every minute: send deliveries that are due (retries with backoff), finish approved editions, and mark "
     "deliveries stuck in 'sending' as uncertain."),
    ("failure_summary", "0 7 * * *",
     "Every day at 07:00 UTC: e-mail admins a summary of failed deliveries and jobs of the last day, if any."),
]


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


def cycle_periods(today: date) -> list[str]:
    """Quarters whose due date + CYCLE_DELAY_DAYS has passed, that have accepted packages and no
    complete edition; then calendar years whose fourth quarter is past that point."""
    cfg = current_app.config
    delay = timedelta(days=cfg["CYCLE_DELAY_DAYS"])
    first = cfg.get("CYCLE_FIRST_PERIOD")
    from measures import Period
    with db.transaction() as session:
        periods = session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.begin)).all()
        with_data = set(session.scalars(select(Submission.period_code).where(Submission.status == "accepted")))
        done = {e.period_code for e in session.scalars(select(Edition).where(Edition.status == "published",
                                                                          Edition.rendered_at.is_not(None)))}
        # awaiting a reviewer's approval: nothing to do; in preview: the cycle publishes once the window passed
        waiting = {e.period_code for e in session.scalars(select(Edition).where(Edition.status == "awaiting_approval"))}
    due = [p for p in periods if p.due_date + delay <= today and p.code in with_data
           and (not first or Period.parse(p.code).begin >= Period.parse(first).begin)]
    out = [p.code for p in due if p.code not in done and p.code not in waiting]
    years = sorted({p.begin.year for p in due if p.code.endswith("Q4")})
    out += [str(y) for y in years if str(y) not in done and str(y) not in waiting]
    return out


def quarterly_cycle(today: date | None = None) -> None:
    def work():
        periods = cycle_periods(today or date.today())
        results, timings = [], {}
        for code in periods:
            outcome = pipeline.run_cycle(code, trigger="scheduler")
            results.append(f"{code}: {outcome.status}, edition {outcome.edition_number}, {outcome.rendered} PDFs, "
                           f"{outcome.sent} sent, {outcome.failed} failed, {outcome.pending} pending")
            timings[code] = outcome.timings
        return ("; ".join(results) or "no period due"), timings
    _record("quarterly_cycle", work)


def nightly_recompute() -> None:
    def work():
        with db.transaction() as session:
            periods = sorted({e.period_code for e in session.scalars(select(Edition).where(Edition.status == "published"))})
        changed = []
        for code in periods:
            outcome = pipeline.run_cycle(code, trigger="recompute")
            if outcome.new_edition:
                changed.append(f"{code}: revised edition {outcome.edition_number}, {outcome.sent} sent")
        return ("; ".join(changed) or f"{len(periods)} published periods unchanged"), {}
    _record("nightly_recompute", work)


def fresh_results() -> None:
    """Recompute, promptly after an accepted upload, the periods whose results predate it (compute only:
    publishing stays with the cycle and the nightly recompute)."""
    from reporting.freshness import stale_periods
    with db.transaction() as session:
        stale = stale_periods(session)
    if not stale:                   # record a run only when there was something to do
        return

    def work():
        outcomes = pipeline.compute_many(stale, trigger="upload", force=False, warm=True)
        done = [o.period for o in outcomes if not o.unchanged]
        return f"recomputed {', '.join(done) or 'nothing (inputs unchanged)'}", {}
    _record("fresh_results", work)


def delivery_worker() -> None:
    from reporting.delivery import ledger, notices

    def work():
        with db.transaction() as session:
            stale = ledger.sweep_stale(session, current_app.config["DELIVERY_STALE_SECONDS"])
            unfinished = [e.period_code for e in session.scalars(
                select(Edition).where(Edition.status == "published", Edition.rendered_at.is_(None)))]
        for code in unfinished:
            pipeline.run_cycle(code, trigger="worker")
        counts = pipeline.deliver_due(None)
        sent_notices = notices.send_due()
        return (f"{counts['sent']} sent in all, {counts['pending']} pending; stale: {stale[0]} sent again, "
                f"{stale[1]} marked uncertain; finished {unfinished or 'no edition'}; "
                f"{sent_notices['sent']} notices sent"), {}
    with db.transaction() as session:
        busy = session.scalar(select(Delivery.id).where(Delivery.status.in_(["pending", "sending"])))
        unfinished = session.scalar(select(Edition.id).where(Edition.status == "published", Edition.rendered_at.is_(None)))
    if busy or unfinished:          # record a run only when there was something to do
        _record("delivery_worker", work)


def failure_summary() -> None:
    from email.message import EmailMessage

    from reporting.delivery.providers import provider_from_config

    def work():
        since = utcnow() - timedelta(days=1)
        with db.transaction() as session:
            failed = session.scalars(select(Delivery).where(Delivery.status.in_(["failed", "uncertain"]))).all()
            jobs = session.scalars(select(JobRun).where(JobRun.status == "failed", JobRun.started_at >= since)).all()
            admins = [u.email for u in session.scalars(select(User).where(User.role == "admin", User.active))]
            lines = [f"- delivery {d.id} to {d.recipient}: {d.status}: {d.last_error[:200]}" for d in failed]
            lines += [f"- job {j.job} at {j.started_at:%Y-%m-%d %H:%M}: {j.error.splitlines()[0] if j.error else ''}" for j in jobs]
        if not lines or not admins:
            return "nothing to report", {}
        cfg = current_app.config
        for n, admin in enumerate(admins):
            message = EmailMessage()
            message["From"], message["To"] = cfg["MAIL_FROM"], admin
            message["Subject"] = f"One Care reporting: {len(failed)} failed deliveries, {len(jobs)} failed jobs"
            message.set_content("These need a look (Administration → Deliveries, Schedules and runs):\n\n"
                                + "\n".join(lines) + f"\n\n{external_url('admin.deliveries')}\n")
            provider_from_config(cfg).send(message, f"summary-{utcnow():%Y%m%d%H%M}-{n}")
        return f"summary of {len(lines)} problems sent to {len(admins)} admins", {}
    _record("failure_summary", work)


JOBS = {"quarterly_cycle": quarterly_cycle, "nightly_recompute": nightly_recompute,
        "fresh_results": fresh_results, "delivery_worker": delivery_worker, "failure_summary": failure_summary}
