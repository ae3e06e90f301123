"""Schedules are data: the ``schedules`` table, seeded with the defaults below (``ensure_schedules``, at
``init-db`` and when the scheduler starts), shown and edited on the admin page; the scheduler process syncs its
jobs from it."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reporting import audit
from reporting.errors import NotFound, ReportingError
from reporting.publication import editions
from reporting.storage import db
from reporting.storage.models import Edition, JobRun, Schedule, utcnow

log = logging.getLogger(__name__)

# The schedules an installation starts with; admins change them on the Schedules page.
DEFAULT_SCHEDULES = [
    (
        "quarterly_cycle",
        "0 6 * * *",
        "Every day at 06:00 UTC: run the cycle (compute, publish, render, e-mail) for every period whose due date "
        "plus CYCLE_DELAY_DAYS has passed and that has no complete edition yet. Also runs when the scheduler starts.",
    ),
    (
        "nightly_recompute",
        "30 2 * * *",
        "Every night at 02:30 UTC: recompute published periods whose inputs changed (a resubmission) and send the "
        "revised edition.",
    ),
    (
        "fresh_results",
        "* * * * *",
        "Every minute: recompute the periods whose results are older than an accepted upload (its quarter, the "
        "later quarters and the years that include it), so that new data shows within minutes, not overnight.",
    ),
    (
        "delivery_worker",
        "* * * * *",
        "Every minute: send the messages that are due, reports and notices alike (retries with backoff), finish "
        "published editions not yet rendered, and sweep messages stuck in 'sending' (sent again, or uncertain).",
    ),
    (
        "failure_summary",
        "0 7 * * *",
        "Every day at 07:00 UTC: e-mail admins a summary of failed deliveries and jobs of the last day, if any.",
    ),
]


def ensure_schedules() -> None:
    """Add the default schedules that are missing. Safe when several processes do it at once (two
    schedulers starting, ``init-db``): a row another process added first is left as it is."""
    for job_id, cron, description in DEFAULT_SCHEDULES:
        try:
            with db.transaction() as session:
                if session.get(Schedule, job_id) is None:
                    session.add(Schedule(id=job_id, cron=cron, description=description))
        except IntegrityError:
            log.info("schedule %s was added by another process at the same moment", job_id)


def update(session, schedule_id: str, cron: str, enabled: bool, actor) -> Schedule:
    """Change a schedule's cron expression and whether it runs; the scheduler picks it up within a minute."""
    from apscheduler.triggers.cron import CronTrigger

    row = session.get(Schedule, schedule_id or "")
    if row is None:
        raise NotFound("There is no such schedule.")
    cron = (cron or "").strip()
    try:
        CronTrigger.from_crontab(cron)
    except ValueError as e:
        raise ReportingError(
            f"'{cron}' is not a cron expression ({e}). Write five fields: minute hour day month "
            f"day-of-week, e.g. 0 6 * * *."
        ) from None
    row.cron, row.enabled, row.updated_at, row.updated_by = cron, enabled, utcnow(), getattr(actor, "email", str(actor))
    audit.record("schedule.update", row.id, detail={"cron": cron, "enabled": enabled}, actor=actor, session=session)
    return row


def listing(session) -> dict:
    """What the admin's Schedules and runs page shows: the schedules, the last 50 job runs, the editions
    awaiting approval and the 30 newest editions."""
    return {
        "schedules": list(session.scalars(select(Schedule).order_by(Schedule.id))),
        "runs": list(session.scalars(select(JobRun).order_by(JobRun.started_at.desc()).limit(50))),
        "previews": editions.awaiting_approval(session),
        "editions": list(session.scalars(select(Edition).order_by(Edition.created_at.desc()).limit(30))),
    }
