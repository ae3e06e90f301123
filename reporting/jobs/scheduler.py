"""The one scheduler process: ``flask --app wsgi scheduler``.

APScheduler 3.11 with its job store in the service's database. Schedules are data (the
``schedules`` table, shown and edited on the admin page); this process syncs its jobs from them
every SCHEDULER_POLL_SECONDS. A second scheduler started by mistake stands by until the first one
stops (a PostgreSQL advisory lock, or a file lock on SQLite). The active scheduler checks that it still
holds the lock before every job and every few seconds: when the database restarted under it (which ends
the lock) it stops its jobs and stands by until it holds the lock again. Even if two ran, the run and
delivery ledgers keep every report rendered and sent once."""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import UTC, datetime

from sqlalchemy import select, update

from reporting.jobs.schedules import ensure_schedules
from reporting.storage import db
from reporting.storage.models import JobRun, Schedule, utcnow

log = logging.getLogger(__name__)
_APP = None
_LEADERSHIP = None
LOCK_CHECK_SECONDS = 5
JOB_DEFAULTS = {
    "coalesce": True,  # a backlog of missed runs becomes one run
    "max_instances": 1,  # never two runs of one job at once in this process
    "misfire_grace_time": 6 * 3600,
}  # a run missed by a restart still happens within 6 hours


def run_job(job_id: str) -> None:
    """Called by APScheduler (referenced by name in the job store). Runs only while this process still holds
    the scheduler lock."""
    from reporting.jobs.tasks import JOBS

    with _APP.app_context():
        if not _still_active(job_id):
            return
        JOBS[job_id]()


def _still_active(what: str = "lock check") -> bool:
    if _LEADERSHIP is None or _LEADERSHIP.held():
        return True
    log.warning("scheduler %d lost the scheduler lock (database restarted?) before %s: standing by", os.getpid(), what)
    if _SCHEDULER is not None and _SCHEDULER.running:
        _SCHEDULER.shutdown(wait=False)
    return False


def sync_jobs(scheduler, seen: dict) -> None:
    """Make the scheduler's jobs match the schedules table."""
    from apscheduler.triggers.cron import CronTrigger

    with db.transaction() as session:
        rows = {s.id: (s.cron, s.enabled, s.updated_at) for s in session.scalars(select(Schedule))}
    for job_id, (cron, enabled, updated) in rows.items():
        if seen.get(job_id) == (cron, enabled, updated):
            continue
        seen[job_id] = (cron, enabled, updated)
        if not enabled:
            if scheduler.get_job(job_id):
                scheduler.remove_job(job_id)
            log.info("schedule %s disabled", job_id)
            continue
        try:
            trigger = CronTrigger.from_crontab(cron, timezone=UTC)
        except ValueError as e:
            log.error("schedule %s has an invalid cron expression %r: %s", job_id, cron, e)
            continue
        scheduler.add_job(run_job, trigger, args=[job_id], id=job_id, name=job_id, replace_existing=True)
        log.info("schedule %s: %s", job_id, cron)


def run(app) -> None:
    """Wait for the scheduler lock, run the jobs while it is held, stand by again whenever it is lost."""
    global _APP, _LEADERSHIP
    _APP = app
    from reporting.locks import Leadership
    from reporting.rendering.pdf import check_environment

    stopping = []

    def stop(signum, frame):
        log.info("scheduler stopping (signal %d)", signum)
        stopping.append(signum)
        if _SCHEDULER is not None and _SCHEDULER.running:
            _SCHEDULER.shutdown(wait=False)
        if _LEADERSHIP is not None and not _SCHEDULER:
            raise SystemExit(0)  # still waiting for the lock

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with app.app_context():
        check_environment()
        ensure_schedules()
        _LEADERSHIP = Leadership(db, os.path.join(app.instance_path, "locks"), "scheduler")
        try:
            while not stopping:
                log.info("scheduler %d waiting to become the active scheduler", os.getpid())
                _LEADERSHIP.acquire()
                log.info("scheduler %d is the active scheduler", os.getpid())
                mark_interrupted()
                _run_while_active(app)
                _LEADERSHIP.release()
                if not stopping:
                    time.sleep(1)  # lost the lock or the database: let it come back before trying again
        finally:
            _LEADERSHIP.release()


_SCHEDULER = None
INTERRUPTED = (
    "The scheduler running this job stopped before it finished (killed, or its database restarted). "
    "What the job had committed stays; the next run picks up the rest (deliveries through the ledger)."
)


def mark_interrupted() -> int:
    """Job runs left 'running' by a scheduler that died: marked 'interrupted' when a scheduler becomes the active
    one (only the active scheduler runs jobs, so none of them is still running). Returns how many."""
    try:
        with db.transaction() as session:
            count = (
                session.execute(
                    update(JobRun)
                    .where(JobRun.status == "running")
                    .values(status="interrupted", finished_at=utcnow(), error=INTERRUPTED)
                ).rowcount
                or 0
            )
    except Exception:
        log.exception("scheduler: the runs left running could not be marked interrupted")
        return 0
    if count:
        log.warning(
            "scheduler %d: %d job run(s) left running by a stopped scheduler marked interrupted", os.getpid(), count
        )
    return count


def _run_while_active(app) -> None:
    global _SCHEDULER
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    url = app.config["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url)}, job_defaults=JOB_DEFAULTS, timezone=UTC
    )
    seen: dict = {}
    try:
        sync_jobs(scheduler, seen)
    except Exception:
        log.exception("scheduler: the schedules could not be read; standing by")
        return
    scheduler.add_jobstore("memory", alias="memory")
    scheduler.add_job(
        _sync_in_context,
        "interval",
        seconds=app.config["SCHEDULER_POLL_SECONDS"],
        args=[scheduler, seen],
        id="_sync",
        jobstore="memory",
    )
    scheduler.add_job(_check_lock, "interval", seconds=LOCK_CHECK_SECONDS, id="_lock", jobstore="memory")
    # The cycle also runs once at start, so that a restart catches up at once.
    scheduler.add_job(_startup, "date", run_date=datetime.now(UTC), id="_startup", jobstore="memory")
    _SCHEDULER = scheduler
    try:
        scheduler.start()
    except Exception as e:  # the database went away while the jobs were being stored: stand by, try again
        log.warning(
            "scheduler %d lost the scheduler lock or its database while starting (%s): standing by",
            os.getpid(),
            type(e).__name__,
        )
    finally:
        _SCHEDULER = None
        try:
            scheduler.shutdown(wait=True)
        except Exception:
            pass  # already shut down


def _check_lock() -> None:
    with _APP.app_context():
        _still_active()


def _startup() -> None:
    """At start: finish what a previous scheduler left (deliveries, renders), then catch up on cycles."""
    run_job("delivery_worker")
    run_job("quarterly_cycle")


def _sync_in_context(scheduler, seen) -> None:
    with _APP.app_context():
        if _still_active("syncing the schedules"):
            sync_jobs(scheduler, seen)
