"""The three ways in (web, API, CLI) share one code path; versions, supersession and isolation."""

import io
import json
import threading
import zipfile

from sqlalchemy import select

from reporting.storage.models import AuditEvent, Submission
from tests.conftest import EXAMPLES, csrf_token, login

PKG = EXAMPLES / "packages" / "HA"


def zip_of(folder, prefix: str = "export/", reverse: str = "") -> bytes:
    """The folder's CSV files as a ZIP; ``reverse``: a file whose data rows are written in reverse order (the same
    results from other rows as parsed: a new version, not an identical one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in sorted(folder.iterdir()):
            if f.name == reverse:
                header, *rows = f.read_text().splitlines()
                z.writestr(f"{prefix}{f.name}", "\n".join([header, *reversed(rows)]) + "\n")
            else:
                z.write(f, f"{prefix}{f.name}")
    return buffer.getvalue()


def issue_token(app, email):
    from reporting.security import issue_token
    from reporting.storage import db
    from reporting.storage.models import User

    with db.transaction() as s:
        user = s.scalar(select(User).where(User.email == email))
        return issue_token(s, user, "test")[1]


def test_web_upload_of_a_zip_then_the_report(world, client, dbs):
    login(client, "ha@example.org")
    data = {
        "csrf_token": csrf_token(client, "/submissions/upload"),
        "period": "2014Q1",
        "ico": "HA",
        "files": (io.BytesIO(zip_of(PKG / "2014Q1")), "ha-2014Q1.zip"),
    }
    r = client.post("/submissions/upload", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Accepted" in page and "in force" in page
    sub = dbs.scalar(select(Submission))
    assert (sub.status, sub.version, sub.via, sub.uploader) == ("accepted", 1, "web", "ha@example.org")
    assert sub.files[0].content == zip_of(PKG / "2014Q1")


def test_web_upload_of_several_csvs_with_an_error(world, client, dbs):
    login(client, "ha@example.org")
    files = [(io.BytesIO(f.read_bytes()), f.name) for f in sorted((PKG / "2014Q1").iterdir()) if f.name != "visits.csv"]
    data = {"csrf_token": csrf_token(client, "/submissions/upload"), "period": "2014Q1", "ico": "HA", "files": files}
    r = client.post("/submissions/upload", data=data, content_type="multipart/form-data")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Rejected" in page and "visits.csv is missing" in page
    csv_text = client.get(r.headers["Location"] + "/failures.csv").get_data(as_text=True)
    assert "missing_file" in csv_text and "visits.csv" in csv_text


def test_ico_user_cannot_upload_for_another_ico(world, client, dbs):
    login(client, "hb@example.org")
    data = {
        "csrf_token": csrf_token(client, "/submissions/upload"),
        "period": "2014Q1",
        "ico": "HA",
        "files": (io.BytesIO(zip_of(PKG / "2014Q1")), "p.zip"),
    }
    r = client.post("/submissions/upload", data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and dbs.scalar(select(Submission)) is None


def test_api_accepts_then_rejects_with_json_reports(world, client, dbs):
    token = issue_token(world, "ha@example.org")
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post(
        "/api/v1/submissions",
        headers=headers,
        content_type="multipart/form-data",
        data={"period": "2014Q1", "package": (io.BytesIO(zip_of(PKG / "2014Q1")), "p.zip")},
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["verdict"] == "accepted" and r.get_json()["version"] == 1
    assert "Set-Cookie" not in r.headers
    r = client.post(
        "/api/v1/submissions",
        headers=headers,
        content_type="multipart/form-data",
        data={"period": "2014Q2", "package": (io.BytesIO(zip_of(PKG / "2014Q1")), "p.zip")},
    )
    body = r.get_json()
    assert r.status_code == 422 and body["verdict"] == "rejected"
    first = body["failures"][0]
    assert set(first) == {"file", "row", "column", "value", "rule", "severity", "message"}
    assert any(f["rule"] == "outside_period" and f["row"] >= 2 for f in body["failures"])
    # Another ICO's token cannot submit for HA; a bad token gets 401.
    other = issue_token(world, "hb@example.org")
    r = client.post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {other}"},
        data={"period": "2014Q1", "ico": "HA"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 403
    assert client.post("/api/v1/submissions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_cli_json_report_and_exit_codes(world):
    runner = world.test_cli_runner()
    ok = runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q1", str(PKG / "2014Q1"), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["verdict"] == "accepted"
    bad = runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q2", str(PKG / "2014Q1"), "--json"])
    report = json.loads(bad.output)
    assert bad.exit_code == 1 and report["verdict"] == "rejected" and report["version"] == 1
    text = runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q2", str(PKG / "2014Q1")])
    assert text.exit_code == 1 and "REJECTED" in text.output and "row" in text.output


def test_resubmission_supersedes_and_rejection_keeps_the_earlier_version(world, dbs, tmp_path):
    runner = world.test_cli_runner()
    (tmp_path / "ha.zip").write_bytes(zip_of(PKG / "2014Q1", reverse="visits.csv"))  # other rows: a new version
    for path in (PKG / "2014Q1", tmp_path / "ha.zip"):
        assert runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q1", str(path)]).exit_code == 0
    assert runner.invoke(args=["submit", "--ico", "HA", "--period", "2014Q1", str(PKG / "2014Q2")]).exit_code == 1
    from reporting.storage.queries import in_force

    subs = dbs.scalars(select(Submission).order_by(Submission.version)).all()
    assert [(s.version, s.status) for s in subs] == [(1, "accepted"), (2, "accepted"), (3, "rejected")]
    assert [s.version for s in in_force(dbs)] == [2]
    from sqlalchemy import func

    from reporting.storage.models import ROW_TABLES

    assert (
        dbs.scalar(
            select(func.count())
            .select_from(ROW_TABLES["members"])
            .where(ROW_TABLES["members"].c.submission_id == subs[2].id)
        )
        == 0
    )
    audits = dbs.scalars(select(AuditEvent).where(AuditEvent.action == "upload")).all()
    assert [a.outcome for a in audits] == ["accepted", "accepted", "rejected"]


def test_two_uploads_at_the_same_moment_get_distinct_versions(world, dbs):
    from reporting import pipeline
    from reporting.cli_files import files_from_paths
    from reporting.ingest import PackageFile

    packages = [  # three packages of different rows (identical ones would give one version)
        files_from_paths([PKG / "2014Q1"]),
        [PackageFile("ha.zip", zip_of(PKG / "2014Q1", reverse="visits.csv"))],
        [PackageFile("ha-again.zip", zip_of(PKG / "2014Q1", prefix="upload/", reverse="assessments.csv"))],
    ]
    errors = []

    def go(files):
        try:
            with world.app_context():
                assert pipeline.accept_package("HA", "2014Q1", files, uploader="test", via="cli").accepted
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(files,)) for files in packages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = sorted(s.version for s in dbs.scalars(select(Submission)))
    assert versions == [1, 2, 3]


def test_templates_and_dictionary(world, client):
    login(client, "hb@example.org")
    z = zipfile.ZipFile(io.BytesIO(client.get("/submissions/template.zip").data))
    assert sorted(z.namelist())[0] == "assessments.csv"
    assert z.read("members.csv").decode().startswith("member_id,birth_date")
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(client.get("/submissions/template.xlsx").data))
    assert "columns" in book.sheet_names and "members" in book.sheet_names
    assert "rating_health_plan" in client.get("/submissions/dictionary").get_data(as_text=True)


def test_an_identical_resubmission_is_recognised_and_changes_nothing(world, client, dbs, tmp_path):
    """Uploading the very package in force again made a new version and a recompute of its periods. On every path
    the upload is recognised (by its SHA-256, or its rows as parsed): "Identical to version 1; nothing changed", no version, no recompute
    (the results stay fresh), the audit trail says "identical"; a package equal to an older version, with
    another accepted since, is a new version."""
    from reporting import pipeline
    from reporting.freshness import stale_periods

    package = zip_of(PKG / "2014Q1")
    login(client, "ha@example.org")

    def web_upload(content: bytes):
        data = {
            "csrf_token": csrf_token(client, "/submissions/upload"),
            "period": "2014Q1",
            "ico": "HA",
            "files": (io.BytesIO(content), "ha-2014Q1.zip"),
        }
        r = client.post("/submissions/upload", data=data, content_type="multipart/form-data")
        assert r.status_code == 302
        return client.get(r.headers["Location"]).get_data(as_text=True)

    assert "Accepted" in web_upload(package)
    with world.app_context():
        pipeline.compute("2014Q1", trigger="test")
        assert stale_periods(dbs) == []
    page = web_upload(package)
    assert "Health Alliance, 2014Q1: Identical to version 1; nothing changed" in page
    assert "Health Alliance: 2014Q1, version 1" in page  # the version in force, shown again
    assert "The results of 2014Q1 are computed from this version" in page and "recomputed from" not in page
    token = issue_token(world, "ha@example.org")
    r = client.post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
        data={"period": "2014Q1", "package": (io.BytesIO(package), "p.zip")},
    )
    body = r.get_json()
    assert r.status_code == 200 and (body["identical_to"], body["version"]) == (1, 1), body
    assert body["message"] == "Identical to version 1; nothing changed (no new version, nothing recomputed)."
    zipped = tmp_path / "HA-2014Q1.zip"
    zipped.write_bytes(package)
    out = world.test_cli_runner().invoke(args=["submit", "--ico", "HA", "--period", "2014Q1", str(zipped)])
    assert out.exit_code == 0 and "HA 2014Q1: Identical to version 1; nothing changed" in out.output, out.output
    assert [(s.version, s.status) for s in dbs.scalars(select(Submission))] == [(1, "accepted")]
    with world.app_context():
        assert stale_periods(dbs) == []  # nothing to recompute
    audits = dbs.scalars(select(AuditEvent).where(AuditEvent.action == "upload").order_by(AuditEvent.id)).all()
    assert [a.outcome for a in audits] == ["accepted", "identical", "identical", "identical"]
    # other rows, then the first package again: each a new version (the first replaces the second in force)
    assert "version 2" in web_upload(zip_of(PKG / "2014Q1", prefix="upload/", reverse="visits.csv"))
    assert "version 3" in web_upload(package)
    assert [s.version for s in dbs.scalars(select(Submission))] == [1, 2, 3]


def test_the_same_rows_in_other_bytes_are_identical_to_the_version_in_force(world, dbs):
    """Identical was decided on the bytes: the same package with CRLF line endings, renamed files, its columns in
    another order or as a workbook became a new version (and a recompute). It is decided on the rows as parsed:
    each of these is "Identical to version 1"; the same rows in another order are a new version."""
    from reporting import pipeline
    from reporting.ingest import PackageFile
    from tests.ingest.test_malformed import _xlsx, rows_of, write

    folder = PKG / "2014Q1"
    texts = {f.name: f.read_text() for f in sorted(folder.iterdir())}

    def crlf_renamed_zip() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, text in texts.items():
                z.writestr(f"Q1 export/{name.upper()}", text.replace("\n", "\r\n"))
        return buffer.getvalue()

    def columns_swapped() -> list[PackageFile]:
        rows = rows_of(texts["members.csv"])
        other = dict(texts, **{"members.csv": write([list(reversed(r)) for r in rows])})
        return [PackageFile(name, text.encode()) for name, text in other.items()]

    def submit(files):
        with world.app_context():
            return pipeline.accept_package("HA", "2014Q1", files, uploader="test", via="cli")

    assert submit([PackageFile("ha.zip", zip_of(folder))]).accepted
    for files in (
        [PackageFile("ha-2014Q1-final.zip", crlf_renamed_zip())],
        columns_swapped(),
        [PackageFile("ha.xlsx", _xlsx(texts))],
    ):
        outcome = submit(files)
        assert (outcome.accepted, outcome.version, outcome.identical_to) == (True, 1, 1), outcome.report["failures"]
        assert outcome.identical_message.startswith("Identical to version 1; nothing changed")
    assert [(s.version, s.status) for s in dbs.scalars(select(Submission))] == [(1, "accepted")]
    reordered = submit([PackageFile("ha.zip", zip_of(folder, reverse="visits.csv"))])
    assert (reordered.accepted, reordered.version, reordered.identical_to) == (True, 2, None)


def test_two_identical_uploads_at_the_same_moment_give_one_version(world, dbs):
    """The check runs with the version number, under the ICO's lock: of three identical uploads at once one is
    stored and the others are told it is identical to it."""
    from reporting import pipeline
    from reporting.ingest import PackageFile

    files = [PackageFile("ha.zip", zip_of(PKG / "2014Q1"))]
    outcomes, errors = [], []
    start = threading.Barrier(3)

    def go():
        try:
            with world.app_context():
                start.wait()
                outcomes.append(pipeline.accept_package("HA", "2014Q1", files, uploader="test", via="cli"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [(s.version, s.status) for s in dbs.scalars(select(Submission))] == [(1, "accepted")]
    assert sorted((o.version, o.identical_to or 0) for o in outcomes) == [(1, 0), (1, 1), (1, 1)]
