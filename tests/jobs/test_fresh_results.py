"""Issue 17: after an accepted upload the scheduler's ``fresh_results`` job recomputes, within a minute,
every period whose results predate it (its quarter, later quarters, the year), not at the nightly run;
until then pages and exports say "results updating", and the uploader is told when results will appear."""

from sqlalchemy import select

from reporting import pipeline
from reporting.freshness import UPDATING_NOTE, stale_periods
from reporting.ingest import PackageFile
from reporting.jobs import tasks
from reporting.storage import db
from reporting.storage.models import JobRun, ResultRun
from tests.conftest import EXAMPLES, login
from tests.ingest.test_upload_paths import zip_of


def test_an_accepted_upload_is_recomputed_promptly_and_marked_until_then(example):
    client = example.test_client()
    login(client, "ha@example.org")
    with example.app_context():
        with db.transaction() as s:
            assert stale_periods(s) == []
            before = {r.period_code: r.id for r in s.scalars(select(ResultRun).where(ResultRun.is_current))}
        outcome = pipeline.accept_package(  # the same visits in another order: other rows than the loaded package's
            "HA",
            "2015Q2",
            [PackageFile("ha-2015Q2.zip", zip_of(EXAMPLES / "packages" / "HA" / "2015Q2", reverse="visits.csv"))],
            uploader="ha@example.org",
            via="web",
        )
        assert outcome.accepted and outcome.version == 2
        with db.transaction() as s:
            assert stale_periods(s) == ["2015Q2", "2015Q3", "2015"]  # what includes 2015Q2, in order
    page = client.get(f"/submissions/{outcome.submission_id}").get_data(as_text=True)
    assert "recomputed from this version within a few minutes" in page and "/icos/HA" in page
    assert UPDATING_NOTE in client.get("/overview?period=2015Q3").get_data(as_text=True)
    assert UPDATING_NOTE not in client.get("/overview?period=2015Q1").get_data(as_text=True)
    assert ',"new data accepted, results updating",' in client.get("/exports/overview.csv?period=2015").get_data(
        as_text=True
    )
    assert "results updating" in client.get("/icos/HA").get_data(as_text=True)
    with example.app_context():
        tasks.fresh_results()
        with db.transaction() as s:
            assert stale_periods(s) == []
            after = {r.period_code: r.id for r in s.scalars(select(ResultRun).where(ResultRun.is_current))}
            job = s.scalars(select(JobRun).where(JobRun.job == "fresh_results")).one()
        assert job.status == "done" and "2015Q2" in job.summary
        assert {p for p in after if after[p] != before[p]} == {"2015Q2", "2015Q3", "2015"}
        tasks.fresh_results()  # nothing left: no second run
        with db.transaction() as s:
            assert len(s.scalars(select(JobRun).where(JobRun.job == "fresh_results")).all()) == 1
    assert UPDATING_NOTE not in client.get("/overview?period=2015Q3").get_data(as_text=True)
