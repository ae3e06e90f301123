"""The one scheduler process: ``flask --app wsgi scheduler``.

APScheduler 3.11 with its job store in the service's database. Schedules are data (the
``schedules`` table, shown and edited on the admin page); this process syncs its jobs from them
every SCHEDULER_POLL_SECONDS. A second scheduler started by mistake stands by until the first one
stops (a PostgreSQL advisory lock, or a file lock on SQLite); even if two ran, the run and delivery
ledgers keep every report rendered and sent once."""
from __future__ import annotations

import logging
import os
import signal
from datetime import datetime, timezone

from sqlalchemy import select

from reporting.storage import db
from reporting.storage.models import Schedule

log = logging.getLogger(__name__)
_APP = None
JOB_DEFAULTS = {"coalesce": True,            # a backlog of missed runs becomes one run
                "max_instances": 1,          # never two runs of one job at once in this process
                "misfire_grace_time": 6 * 3600}   # a run missed by a restart still happens within 6 hours


def run_job(job_id: str) -> None:
    """Called by APScheduler (referenced by name in the job store)."""
    from reporting.jobs.tasks import JOBS
    with _APP.app_context():
        JOBS[job_id]()


def ensure_schedules() -> None:
    """Add the default schedules that are missing. Safe when several processes do it at once (two
    schedulers starting, the admin page): a row another process added first is left as it is."""
    from sqlalchemy.exc import IntegrityError

    from reporting.jobs.tasks import DEFAULT_SCHEDULES
    for job_id, cron, description in DEFAULT_SCHEDULES:
        try:
            with db.transaction() as session:
                if session.get(Schedule, job_id) is None:
                    session.add(Schedule(id=job_id, cron=cron, description=description))
        except IntegrityError:
            log.info("schedule %s was added by another process at the same moment", job_id)


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
            trigger = CronTrigger.from_crontab(cron, timezone=timezone.utc)
        except ValueError as e:
            log.error("schedule %s has an invalid cron expression %r: %s", job_id, cron, e)
            continue
        scheduler.add_job(run_job, trigger, args=[job_id], id=job_id, name=job_id, replace_existing=True)
        log.info("schedule %s: %s", job_id, cron)


def run(app) -> None:
    global _APP
    _APP = app
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    from reporting.locks import named_lock
    from reporting.rendering.pdf import check_environment
    with app.app_context():
        check_environment()
        ensure_schedules()
        url = app.config["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        lock_dir = os.path.join(app.instance_path, "locks")
        log.info("scheduler %d waiting to become the active scheduler", os.getpid())
        with named_lock(db, lock_dir, "scheduler", wait=True, timeout=10 ** 9):
            log.info("scheduler %d is the active scheduler", os.getpid())
            scheduler = BlockingScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)},
                                          job_defaults=JOB_DEFAULTS, timezone=timezone.utc)
            seen: dict = {}
            sync_jobs(scheduler, seen)
            scheduler.add_jobstore("memory", alias="memory")
            scheduler.add_job(_sync_in_context, "interval", seconds=app.config["SCHEDULER_POLL_SECONDS"],
                              args=[scheduler, seen], id="_sync", jobstore="memory")
            # The cycle also runs once at start, so that a restart catches up at once.
            scheduler.add_job(_startup, "date", run_date=datetime.now(timezone.utc), id="_startup", jobstore="memory")

            def stop(signum, frame):
                log.info("scheduler stopping (signal %d)", signum)
                scheduler.shutdown(wait=False)
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            scheduler.start()


def _startup() -> None:
    """At start: finish what a previous scheduler left (deliveries, renders), then catch up on cycles."""
    run_job("delivery_worker")
    run_job("quarterly_cycle")


def _sync_in_context(scheduler, seen) -> None:
    with _APP.app_context():
        sync_jobs(scheduler, seen)
