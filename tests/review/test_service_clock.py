"""Issue 27: preview windows run on the service clock. With ``REPORTING_TODAY`` set, a preview opened by the
scheduler's cycle ends relative to the service date (the banner and the ICO's home say so, not a
date ten years on), and the scheduler publishes it once the window has passed on the service clock, not before."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from reporting.storage.models import AuditEvent, Edition, JobRun, utcnow
from tests.conftest import login


def _page(app, email, path="/"):
    client = app.test_client()
    login(client, email)
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _cycle(app, dbs, today):
    from reporting.jobs import tasks

    app.config["REPORTING_TODAY"] = today
    with app.app_context():
        tasks.quarterly_cycle()
    dbs.expire_all()
    run = dbs.scalars(select(JobRun).where(JobRun.job == "quarterly_cycle").order_by(JobRun.id.desc())).first()
    assert run.status == "done", (run.status, run.error)
    return dbs.scalars(select(Edition).where(Edition.period_code == "2015Q3")).one()


@pytest.mark.parametrize(
    "example_url", ["sqlite"], indirect=True
)  # the rule, not the database: one backend keeps the suite short
def test_a_preview_window_runs_on_the_service_clock(example, dbs):
    from reporting import clock

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 7, "CYCLE_FIRST_PERIOD": "2015Q3"})
    # 2015Q3 was due on 2015-11-30; its cycle is due two weeks later: the service runs on 2016-01-20.
    edition = _cycle(example, dbs, date(2016, 1, 20))
    assert edition.status == "preview"
    assert edition.preview_until.date() == date(2016, 1, 27), edition.preview_until

    banner = re.search(r'class="note preview-banner".*?</div>', _page(example, "ha@example.org", "/overview"), re.S)
    assert (
        banner
        and "In preview: 2015Q3</strong> — not published yet, open to inquiries until 2016-01-27" in banner.group(0)
    )
    ico_home = _page(example, "ha@example.org")
    assert re.search(r"<strong>In preview</strong> until 2016-01-27", ico_home), ico_home
    assert "In preview: 2015Q3</strong> — not published yet, open to inquiries until 2016-01-27" in _page(
        example, "cms@example.org", "/overview"
    )

    # The service's now is its date with the real time of day; unset, the real clock.
    with example.app_context():
        assert clock.now().date() == date(2016, 1, 20)
        real = utcnow()
        example.config["REPORTING_TODAY"] = None
        assert abs((clock.now() - real).total_seconds()) < 60

    # The real clock is ten years past the window; the service clock is not: a cycle on 2016-01-26 keeps it open.
    assert _cycle(example, dbs, date(2016, 1, 26)).status == "preview"
    # On 2016-01-28 the window has passed on the service clock: the scheduler's cycle publishes it.
    edition = _cycle(example, dbs, date(2016, 1, 28))
    assert edition.status == "published" and edition.rendered_at is not None
    assert dbs.scalar(select(AuditEvent).where(AuditEvent.action == "publish", AuditEvent.target == "2015Q3"))
    assert "in preview" not in _page(example, "ha@example.org").lower()


def test_an_upload_is_late_by_the_service_date(example):
    """An upload is late when the service's date is past the period's due date (2015Q3: 2015-11-30), not when the
    real clock is; its receipt stays stamped with the real time."""
    from reporting import pipeline
    from reporting.cli_files import files_from_paths
    from reporting.ingest import PackageFile
    from tests.conftest import EXAMPLES
    from tests.ingest.test_upload_paths import zip_of

    folder = EXAMPLES / "packages" / "HA" / "2015Q3"
    zipped = [
        PackageFile("ha.zip", zip_of(folder, reverse="visits.csv"))
    ]  # other rows: not identical to the loaded one
    with example.app_context():
        example.config["REPORTING_TODAY"] = date(2015, 11, 20)
        on_time = pipeline.accept_package("HA", "2015Q3", zipped, uploader="test", via="cli")
        example.config["REPORTING_TODAY"] = date(2015, 12, 1)
        late = pipeline.accept_package("HA", "2015Q3", files_from_paths([folder]), uploader="test", via="cli")
    assert on_time.accepted and not on_time.late
    assert late.accepted and late.late
    client = example.test_client()
    login(client, "ha@example.org")
    page = client.get("/icos/HA").get_data(as_text=True)
    assert f"v{late.version}</a> accepted (late)" in page and f"v{on_time.version}</a> accepted (late)" not in page
