"""The default schedules: added once, never over an administrator's change, and safe when two
processes add them at the same moment (two schedulers starting, the admin page)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from reporting.jobs.scheduler import ensure_schedules
from reporting.jobs.schedules import DEFAULT_SCHEDULES
from reporting.storage.models import Schedule


def test_default_schedules_are_added_once_and_an_admin_change_stays(app, dbs):
    with app.app_context():
        ensure_schedules()
        first = DEFAULT_SCHEDULES[0][0]
        row = dbs.get(Schedule, first)
        row.cron = "5 4 * * *"
        dbs.commit()
        ensure_schedules()
    dbs.expire_all()
    assert sorted(s.id for s in dbs.scalars(select(Schedule))) == sorted(j for j, _, _ in DEFAULT_SCHEDULES)
    assert dbs.get(Schedule, first).cron == "5 4 * * *"


def test_a_schedule_added_by_another_process_meanwhile_is_not_an_error(app, dbs, monkeypatch):
    with app.app_context():
        ensure_schedules()
        real_get = Session.get

        def racing_get(self, entity, ident, **kw):  # as if another process had not committed yet when we looked
            return None if entity is Schedule else real_get(self, entity, ident, **kw)

        monkeypatch.setattr(Session, "get", racing_get)
        ensure_schedules()  # each insert meets the other's row: no exception
    monkeypatch.undo()
    dbs.expire_all()
    assert len(dbs.scalars(select(Schedule)).all()) == len(DEFAULT_SCHEDULES)


def test_job_run_timings_read_as_seconds_not_as_dicts(world, dbs):
    """Issue 17: the admin page showed the cycle's per-period timings as raw dicts."""
    from reporting.storage.models import JobRun
    from tests.conftest import login

    dbs.add(
        JobRun(
            job="quarterly_cycle",
            status="done",
            summary="2015Q3: published",
            timings={"2015Q3": {"compute": 4.812, "render": 5.0}, "total": 9.9},
        )
    )
    dbs.commit()
    client = world.test_client()
    login(client, "admin@example.org")
    page = client.get("/admin/schedules").get_data(as_text=True)
    assert "2015Q3: compute 4.8 s, render 5.0 s" in page and "total: 9.9 s" in page and "{&#39;" not in page


def test_an_admin_changes_a_schedule_and_a_bad_cron_changes_nothing(world, dbs):
    from reporting.jobs.schedules import ensure_schedules
    from reporting.storage.models import AuditEvent
    from tests.conftest import csrf_token, login

    with world.app_context():
        ensure_schedules()  # what init-db and the scheduler do; the page only reads
    client = world.test_client()
    login(client, "admin@example.org")
    token = csrf_token(client, "/admin/schedules")
    r = client.post(
        "/admin/schedules",
        data={"csrf_token": token, "schedule_id": "failure_summary", "cron": " 15 8 * * 1 ", "enabled": "1"},
        follow_redirects=True,
    )
    assert "Schedule failure_summary saved" in r.get_data(as_text=True)
    dbs.expire_all()
    row = dbs.get(Schedule, "failure_summary")
    assert (row.cron, row.enabled, row.updated_by) == ("15 8 * * 1", True, "admin@example.org")
    assert (
        dbs.scalars(select(AuditEvent).where(AuditEvent.action == "schedule.update")).one().actor == "admin@example.org"
    )
    r = client.post(
        "/admin/schedules",
        data={"csrf_token": token, "schedule_id": "failure_summary", "cron": "every day"},
        follow_redirects=True,
    )
    assert "&#39;every day&#39; is not a cron expression" in r.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Schedule, "failure_summary").cron == "15 8 * * 1" and dbs.get(Schedule, "failure_summary").enabled
    r = client.post("/admin/schedules", data={"csrf_token": token, "schedule_id": "no_such_job", "cron": "0 6 * * *"})
    assert r.status_code == 404
