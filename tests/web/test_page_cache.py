"""The page cache's data version (issue 11): every committed write changes it, whoever writes and whether or
not an audit event is written; reads and rolled-back writes do not; a cached page is never older than its data."""

from pathlib import Path

import pytest
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
    assert "Health Alliance" in client.get("/overview?period=2015Q2").get_data(as_text=True)  # now cached
    before = version(example)
    with example.app_context():
        with Session(db.engine) as s:  # a service's own session, no audit event
            s.scalar(select(Organization).where(Organization.code == "HA")).name = "Health Alliance Renamed"
            s.commit()
    assert version(example) == before + 1
    assert "Health Alliance Renamed" in client.get("/overview?period=2015Q2").get_data(as_text=True)


def test_bulk_updates_count_and_reads_rollbacks_and_job_bookkeeping_do_not(example):
    before = version(example)
    with example.app_context():
        with Session(db.engine) as s:
            s.scalars(select(Organization)).all()
            s.commit()  # a read
        with Session(db.engine) as s:
            s.add(JobRun(job="delivery_worker", status="done"))
            s.commit()  # job bookkeeping
        with Session(db.engine) as s:
            s.execute(update(Organization).where(Organization.code == "HB").values(name="Harbor"))
            s.rollback()  # rolled back
        assert version(example) == before
        with Session(db.engine) as s:
            s.execute(update(Organization).where(Organization.code == "HB").values(name="Harbor"))
            s.commit()  # a bulk update
    assert version(example) == before + 1


def test_sign_ins_downloads_and_api_calls_leave_the_data_version_alone_and_an_upload_moves_it(example):
    """Issue 28 item 6: a client polling the API, people signing in and downloading write last-used times and
    audit rows, none of which a page shows: the cached pages stay cached. An upload changes what pages show."""
    import io
    from pathlib import Path

    from tests.conftest import csrf_token
    from tests.ingest.test_upload_paths import issue_token, zip_of

    with example.app_context():
        token = issue_token(example, "ha@example.org")
    before = version(example)
    client = example.test_client()
    for email in ("cms@example.org", "ha@example.org", "state@example.org"):
        client = example.test_client()
        assert login(client, email).status_code == 302  # sign-in
        client.post(
            "/login", data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": "wrong password!"}
        )  # a failed one too
    client = example.test_client()
    login(client, "cms@example.org")
    assert client.get("/exports/overview.csv?period=2015Q2").status_code == 200  # downloads
    assert client.get("/icos/HA/export.xlsx").status_code == 200
    api = example.test_client()
    for _ in range(5):  # API and FHIR polling
        assert api.get("/api/v1/results?period=2015Q2", headers={"Authorization": f"Bearer {token}"}).status_code in (
            200,
            404,
        )
        assert api.get("/api/v1/fhir/Measure", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert version(example) == before
    # an accepted upload changes what pages show
    ha = example.test_client()
    login(ha, "ha@example.org")
    pkg = Path(__file__).parents[1] / "data" / "examples" / "packages" / "HA"
    folder = sorted(pkg.iterdir())[-1]
    r = ha.post(
        "/submissions/upload",
        data={
            "csrf_token": csrf_token(ha, "/submissions/upload"),
            "period": folder.name,
            "ico": "HA",
            "files": (io.BytesIO(zip_of(folder, reverse="visits.csv")), f"ha-{folder.name}.zip"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code in (200, 302), r.status_code
    assert version(example) > before


def test_data_changes_keeps_the_newest_rows_only(example, monkeypatch):
    from sqlalchemy import func

    from reporting.storage import changes
    from reporting.storage.models import DataChange

    monkeypatch.setattr(changes, "KEEP", 5)
    monkeypatch.setattr(changes, "PRUNE_EVERY", 2)
    versions = []
    with example.app_context():
        for n in range(30):
            with Session(db.engine) as s:
                s.execute(update(Organization).where(Organization.code == "HB").values(name=f"Harbor {n}"))
                s.commit()
            versions.append(version(example))
        with Session(db.engine) as s:
            rows = s.scalar(select(func.count(DataChange.id)))
    assert versions == sorted(versions) and len(set(versions)) == 30  # the version still moves every time
    assert rows <= 5 + 2


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the rule, not the database
def test_a_cached_page_follows_the_programme_each_reviewer_chose(example):
    """Two CMS reviewers, one who chose MI Health Link and one One Care: /measures without ?programme= shows each
    the programme they chose (the cache key left the choice out, and the second got the first's page)."""
    a, b = example.test_client(), example.test_client()
    login(a, "cms@example.org")
    login(b, "cms@example.org")
    a.get("/measures?programme=mi-health-link")
    mine = a.get("/measures").get_data(as_text=True)
    b.get("/measures?programme=ma-one-care")
    theirs = b.get("/measures").get_data(as_text=True)
    assert "/measures/community_residence" not in mine  # MI Health Link measures no community living
    assert "/measures/community_residence" in theirs


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the rule, not the database
def test_a_programme_chosen_on_a_page_served_from_the_cache_holds_on_the_next_pages(example):
    """A reviewer switches to MI Health Link on a page another reviewer has already opened (so it comes from the
    cache and its view does not run): the next pages without ?programme= show MI Health Link, not the programme
    chosen before (the choice was only recorded by the view, and the reviewer was sent back to One Care)."""
    other, reviewer = example.test_client(), example.test_client()
    login(other, "cms@example.org")
    login(reviewer, "cms@example.org")
    assert other.get("/measures?programme=mi-health-link").status_code == 200  # now cached
    assert 'data-programme="ma-one-care"' in reviewer.get("/overview?period=2015Q2").get_data(as_text=True)
    switched = reviewer.get("/measures?programme=mi-health-link").get_data(as_text=True)  # the switch form's address
    assert 'data-programme="mi-health-link"' in switched
    for page in ("/measures", "/reports", "/"):
        assert 'data-programme="mi-health-link"' in reviewer.get(page).get_data(as_text=True), page
    assert "/measures/community_residence" not in reviewer.get("/measures").get_data(as_text=True)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the files, not the database
def test_a_page_one_worker_rendered_is_served_by_another_without_rendering_it_again(example, monkeypatch, tmp_path):
    """gunicorn's workers share the pages rendered for the current data version (issue 23/26's national
    dashboards: four workers each rendering every page kept the cache cold); a second process on the same database
    and instance folder serves the first's page even when its own rendering would fail."""
    from reporting import create_app
    from reporting.publication import figures

    first = example.test_client()
    login(first, "cms@example.org")
    page = first.get("/overview?period=2015Q2").get_data(as_text=True)
    assert "Health Alliance" in page
    shared = list((tmp_path / "instance" / "page-cache").rglob("*.html"))
    assert shared and all(p.stat().st_mode & 0o077 == 0 for p in shared)  # the service's user only
    same = ("REPORTING_ENV", "TESTING", "SECRET_KEY", "DATABASE_URL", "OUTBOX_DIR", "PUBLISH_MODE")
    worker = create_app({k: example.config[k] for k in same} | {"INSTANCE_PATH": example.instance_path})

    rendered, overview = [], figures.overview

    def counted(*args, **kwargs):
        rendered.append(args[3])
        return overview(*args, **kwargs)

    monkeypatch.setattr(figures, "overview", counted)
    second = worker.test_client()
    login(second, "cms@example.org")
    again = second.get("/overview?period=2015Q2")
    assert again.status_code == 200 and "Health Alliance" in again.get_data(as_text=True)
    assert "cms@example.org" in again.get_data(as_text=True)  # the viewer's own header, filled in
    assert rendered == []
    assert second.get("/overview?period=2015Q1").status_code == 200  # a page nobody rendered yet is rendered
    assert len(rendered) == 1


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_a_restored_database_never_meets_pages_rendered_from_data_written_after_it(example):
    """A database restored to an earlier version and written again reaches the same version number with other
    data: the version is the change's id and time, so the shared pages of the lost branch are never served."""
    from sqlalchemy import delete, insert

    from reporting.storage.models import DataChange, utcnow

    client = example.test_client()
    login(client, "cms@example.org")
    with example.app_context():
        with Session(db.engine) as s:
            s.execute(update(Organization).where(Organization.code == "HA").values(name="Health Alliance A"))
            s.commit()
    changed = version(example)
    assert "Health Alliance A" in client.get("/overview?period=2015Q2").get_data(as_text=True)  # cached at `changed`
    with example.app_context():
        with db.engine.begin() as c:  # as a restore and another write would leave it: same id, other data
            c.execute(update(Organization).where(Organization.code == "HA").values(name="Health Alliance B"))
            c.execute(delete(DataChange).where(DataChange.id == changed))
            c.execute(insert(DataChange).values(id=changed, at=utcnow()))
    assert version(example) == changed
    example.extensions.pop("page_cache", None)  # a worker started after the restore: only the shared files
    assert "Health Alliance B" in client.get("/overview?period=2015Q2").get_data(as_text=True)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_shared_pages_of_one_version_are_bounded(example, monkeypatch, tmp_path):
    """Endless made-up query strings are pages too: the files of one version stop at ``MAX_SHARED`` files or
    ``MAX_SHARED_BYTES``, a process keeps at most ``MAX_PAGES`` pages of ``MAX_BYTES`` in all (the least recently
    served dropped), and every page is still served."""
    from reporting.web import page_cache

    monkeypatch.setattr(page_cache, "MAX_SHARED", 3)
    client = example.test_client()
    login(client, "cms@example.org")
    for n in range(6):
        assert client.get(f"/overview?period=2015Q2&x={n}").status_code == 200
    folder = tmp_path / "instance" / "page-cache"
    assert len(list(folder.rglob("*.html"))) == 3
    kept = example.extensions["page_cache"]
    one = max(len(p) for p in kept.values())
    assert len(kept) == 6 and kept.size == sum(len(p) for p in kept.values())
    monkeypatch.setattr(page_cache, "MAX_SHARED", 2048)
    monkeypatch.setattr(page_cache, "MAX_SHARED_BYTES", sum(p.stat().st_size for p in folder.rglob("*.html")) + one)
    monkeypatch.setattr(page_cache, "MAX_BYTES", 2 * one + 1)
    for n in range(6, 10):
        assert "Health Alliance" in client.get(f"/overview?period=2015Q2&x={n}").get_data(as_text=True)
    assert len(list(folder.rglob("*.html"))) == 4  # one more fitted in the bytes
    assert len(kept) == 2 and kept.size <= 2 * one + 1  # the newest two
    assert all(k[4].endswith(("x=8", "x=9")) for k in kept)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the rule, not the database
def test_a_programme_chosen_on_a_cached_page_is_remembered_for_the_next_page(example):
    """A reviewer who chooses MI Health Link on a page another reviewer already rendered (a cache hit) follows
    their links on MI Health Link: the hit skipped the view, which is where the choice was kept in the session, so
    the next page without ?programme= showed One Care."""
    a, b = example.test_client(), example.test_client()
    login(a, "cms@example.org")
    login(b, "cms@example.org")
    a.get("/measures?programme=mi-health-link")  # rendered (and cached) for a
    b.get("/measures?programme=ma-one-care")
    assert "/measures/community_residence" in b.get("/measures").get_data(as_text=True)
    b.get("/measures?programme=mi-health-link")  # served from the cache
    assert "/measures/community_residence" not in b.get("/measures").get_data(as_text=True)


@pytest.mark.parametrize("example_url", ["postgresql"], indirect=True)  # a sequence's numbers, not commit order
def test_a_write_numbered_before_another_but_committed_after_it_still_refreshes_cached_pages(example):
    """On PostgreSQL a sequence hands out numbers in the order transactions ask, not the order they commit: a
    transaction numbered n that commits after one numbered n + 1 left the newest id at n + 1, so a page rendered in
    between (without n's data) was served as current until the next write. The data changes commit in the order
    they are numbered."""
    import threading

    from sqlalchemy import event

    client = example.test_client()
    login(client, "cms@example.org")
    url = "/overview?period=2015Q2"
    assert "Health Alliance" in client.get(url).get_data(as_text=True)
    numbered, release = threading.Event(), threading.Event()

    def hold(session):  # after the data change is numbered (storage.changes listens first), before the commit
        if session.info.get("hold"):
            numbered.set()
            release.wait(20)

    def write(code, name, held=False):
        with example.app_context(), Session(db.engine) as s:
            s.info["hold"] = held
            s.execute(update(Organization).where(Organization.code == code).values(name=name))
            s.commit()

    event.listen(Session, "before_commit", hold)
    try:
        first = threading.Thread(target=write, args=("HA", "Health Alliance Late", True))
        first.start()
        assert numbered.wait(20)
        second = threading.Thread(target=write, args=("HB", "Harbor Early"))
        second.start()
        second.join(2)
        assert client.get(url).status_code == 200  # rendered at the version visible now
    finally:
        release.set()
        first.join(20)
        second.join(20)
        event.remove(Session, "before_commit", hold)
    page = client.get(url).get_data(as_text=True)
    assert "Health Alliance Late" in page and "Harbor Early" in page


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the files, not the database
def test_pages_shared_by_the_code_before_a_deploy_are_not_served_by_the_code_after_it(example, monkeypatch):
    """The shared page files outlive the processes that wrote them: after a deploy (new code, same data: nothing
    written since) the new workers served the pages the old code had rendered, old figures and wording included,
    until the data next changed. A page is shared only with processes of the same code."""
    import reporting
    from reporting import create_app

    before = example.test_client()
    login(before, "cms@example.org")
    assert example.config["CODE_VERSION"] in before.get("/overview?period=2015Q2").get_data(as_text=True)
    monkeypatch.setattr(reporting, "code_version", lambda: "9.9.9+deployed")
    deployed = create_app(
        {k: example.config[k] for k in ("REPORTING_ENV", "TESTING", "SECRET_KEY", "DATABASE_URL", "OUTBOX_DIR")}
        | {"INSTANCE_PATH": example.instance_path}
    )
    after = deployed.test_client()
    login(after, "cms@example.org")
    page = after.get("/overview?period=2015Q2").get_data(as_text=True)
    assert "service 9.9.9+deployed" in page and example.config["CODE_VERSION"] not in page


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # the files, not the database
def test_pages_shared_before_a_settings_change_are_not_served_after_it(example):
    """A restart with another PUBLISH_MODE or programme file and no data written since: the new workers render
    their pages again (the shared files' folder names the settings that shape a page, not the data alone)."""
    from reporting import create_app

    before = example.test_client()
    login(before, "cms@example.org")
    assert before.get("/overview?period=2015Q2").status_code == 200
    folder = Path(example.instance_path) / "page-cache"
    first = {p.name for p in folder.iterdir()}
    restarted = create_app(
        {k: example.config[k] for k in ("REPORTING_ENV", "TESTING", "SECRET_KEY", "DATABASE_URL", "OUTBOX_DIR")}
        | {"INSTANCE_PATH": example.instance_path, "PUBLISH_MODE": "approval"}
    )
    after = restarted.test_client()
    login(after, "cms@example.org")
    assert after.get("/overview?period=2015Q2").status_code == 200
    assert len({p.name for p in folder.iterdir()} - first) == 1  # rendered again, under the new settings
