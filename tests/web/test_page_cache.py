"""The page cache's data version (issue 11): every committed write changes it, whoever writes and whether or
not an audit event is written; reads and rolled-back writes do not; a cached page is never older than its data."""
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reporting.storage import db
from reporting.storage.changes import data_version
from reporting.storage.models import JobRun, Organization
from tests.conftest import login


def version(app):
    with app.app_context():
        with Session(db.engine) as s:
            return data_version(s)


def test_a_write_without_an_audit_event_still_refreshes_cached_pages(example):
    client = example.test_client()
    login(client, "cms@example.org")
    assert "Health Alliance" in client.get("/overview?period=2015Q2").get_data(as_text=True)   # now cached
    before = version(example)
    with example.app_context():
        with Session(db.engine) as s:                         # a service's own session, no audit event
            s.scalar(select(Organization).where(Organization.code == "HA")).name = "Health Alliance Renamed"
            s.commit()
    assert version(example) == before + 1
    assert "Health Alliance Renamed" in client.get("/overview?period=2015Q2").get_data(as_text=True)


def test_bulk_updates_count_and_reads_rollbacks_and_job_bookkeeping_do_not(example):
    before = version(example)
    with example.app_context():
        with Session(db.engine) as s:
            s.scalars(select(Organization)).all()
            s.commit()                                        # a read
        with Session(db.engine) as s:
            s.add(JobRun(job="delivery_worker", status="done"))
            s.commit()                                        # job bookkeeping
        with Session(db.engine) as s:
            s.execute(update(Organization).where(Organization.code == "HB").values(name="Harbor"))
            s.rollback()                                      # rolled back
        assert version(example) == before
        with Session(db.engine) as s:
            s.execute(update(Organization).where(Organization.code == "HB").values(name="Harbor"))
            s.commit()                                        # a bulk update
    assert version(example) == before + 1
