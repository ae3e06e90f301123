"""What an adversarial test of the running service found, one test per finding (issue 18)."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select, update

from reporting.storage.models import AuditEvent, Delivery, Organization, ReportingPeriod, Submission
from tests.conftest import EXAMPLES, csrf_token, login
from tests.ingest.test_upload_paths import issue_token, zip_of
from tests.smtp_server import smtp  # noqa: F401  (fixture)

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

PKG = EXAMPLES / "packages" / "HA"


def _api_upload(client, token, period, files):
    data = {"period": period, "files": files}
    return client.post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data=data,
        content_type="multipart/form-data",
    )


# 2, 8, 17. Names, codes and addresses --------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("name", "Other\r\nBcc: a@b.c", "line break"),
        ("recipients", "x>,<evil@attacker.example", "not one e-mail address"),
        ("recipients", "a@b.org\r\nBcc: c@d.org", "not one e-mail address"),
    ],
)
def test_the_admin_form_refuses_control_characters_and_address_tricks(world, dbs, field, value, words):
    client = world.test_client()
    login(client, "admin@example.org")
    data = {
        "csrf_token": csrf_token(client, "/admin/icos/HA"),
        "code": "HA",
        "name": "Health Alliance",
        "state": "MA",
        "enabled": "y",
        "recipients": "reports@ha.example.org",
    }
    data[field] = value
    r = client.post("/admin/icos/HA", data=data, follow_redirects=True)
    assert words in r.get_data(as_text=True)
    org = dbs.scalar(select(Organization).where(Organization.code == "HA"))
    assert org.name == "Health Alliance" and [x.email for x in org.recipients] == ["reports@ha.example.org"]


def test_the_cli_refuses_a_name_with_a_line_break_and_the_reserved_code(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["ico", "add", "--code", "OTH", "--name", "Other\r\nBcc: a@b.c", "--state", "MA"])
    assert r.exit_code != 0 and "line break" in r.output
    r = runner.invoke(args=["ico", "add", "--code", "statewide", "--name", "Statewide", "--state", "MA"])
    assert r.exit_code != 0 and "reserved" in r.output


def test_a_message_that_cannot_be_built_fails_its_delivery_only(example, smtp, dbs):
    from reporting import pipeline

    example.config.update(smtp.config())
    with example.app_context():  # a name stored before names were checked
        from reporting.storage import db

        with db.transaction() as s:
            s.execute(update(Organization).where(Organization.code == "HA").values(name="Other\r\nBcc: a@b.c"))
        outcome = pipeline.run_cycle("2015Q2", trigger="test")
    statuses = {d.recipient: d.status for d in dbs.scalars(select(Delivery))}
    assert statuses["reports@ha.example.org"] == "failed"
    assert {s for r, s in statuses.items() if r != "reports@ha.example.org"} == {"sent"}
    assert "could not be built" in dbs.scalar(
        select(Delivery.last_error).where(Delivery.recipient == "reports@ha.example.org")
    )
    assert outcome.status == "published"
    assert "a@b.c" not in smtp.recorder.by_recipient()


# 5, 6, 15. File names ---------------------------------------------------------------------------


def test_download_names_are_encoded_and_originals_rezipped_with_base_names(world, dbs):
    client = world.test_client()
    token = issue_token(world, "ha@example.org")
    files = [(io.BytesIO(f.read_bytes()), f.name) for f in sorted((PKG / "2014Q1").iterdir())]
    files[0] = (files[0][0], "members.csv; filename*=UTF-8''evil.html; x=.csv")
    files[1] = (files[1][0], "../../../../home/reviewer/.bashrc.csv")
    files[2] = (files[2][0], "/etc/cron.d/evil.csv")
    files[3] = (files[3][0], "m\u00e9\u043cbers\u202e.csv" + "x" * 300 + ".csv")
    r = _api_upload(client, token, "2014Q1", files)
    assert r.status_code in (201, 422), r.get_data(as_text=True)
    sub_id = r.get_json()["submission_id"]
    login(client, "admin@example.org")
    original = client.get(f"/submissions/{sub_id}/original")
    assert original.status_code == 200
    header = original.headers["Content-Disposition"]
    assert header.startswith('attachment; filename="') and "evil.html" not in header.split(";")[1]
    names = zipfile.ZipFile(io.BytesIO(original.data)).namelist()
    assert all("/" not in n and ".." not in n and len(n) <= 255 for n in names), names
    assert ".bashrc.csv" not in names and "bashrc.csv" in names and "evil.csv" in names
    assert not any("\u202e" in n for n in names)
    stored = dbs.scalar(select(Submission).where(Submission.id == sub_id))
    assert all(len(f.name) <= 255 for f in stored.files)


def test_a_single_non_latin_file_is_served_with_an_rfc_5987_name(world, dbs):
    client = world.test_client()
    token = issue_token(world, "ha@example.org")
    r = _api_upload(client, token, "2014Q1", [(io.BytesIO(zip_of(PKG / "2014Q1")), "m\u00e9\u043cbers\u202e.zip")])
    login(client, "ha@example.org")
    original = client.get(f"/submissions/{r.get_json()['submission_id']}/original")
    assert original.status_code == 200
    assert "filename*=UTF-8''m%C3%A9%D0%BCbers.zip" in original.headers["Content-Disposition"]


# 7, 15. NUL bytes and huge numbers answer 400/404, never 500 ----------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/gaps/assessment_90d/CC%00A/2015Q3",
        "/submissions/history/HA/2015%00Q3",
        "/admin/audit?actor=a%00",
        "/submissions/" + "9" * 30,
        "/reports?page=" + "9" * 30,
        "/submissions/1?page=" + "9" * 30,
    ],
)
def test_nul_bytes_and_out_of_range_numbers_are_refused_at_the_edge(world, path):
    client = world.test_client()
    login(client, "admin@example.org")
    assert client.get(path).status_code in (400, 404)


def test_a_nul_in_the_sign_in_email_is_a_400(world):
    client = world.test_client()
    r = client.post("/login", data={"csrf_token": csrf_token(client), "email": "a\x00b@x.org", "password": "x" * 12})
    assert r.status_code == 400


def test_no_row_data_reaches_the_log_when_the_database_refuses_a_statement(world, caplog):
    from sqlalchemy import text

    from reporting.storage import db

    with world.app_context(), pytest.raises(Exception) as e:
        with db.transaction() as s:
            s.execute(
                text("INSERT INTO organizations (id, code) VALUES (:a, :b)"),
                {"a": "not-a-number", "b": "MEMBER-SECRET"},
            )
    assert "MEMBER-SECRET" not in str(e.value)


# 10. Periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["1903Q4", "1850Q2", "0001Q1", "2099Q4"])
def test_only_ended_quarters_of_the_programme_are_accepted_and_a_refusal_creates_no_period(world, dbs, period):
    client = world.test_client()
    token = issue_token(world, "ha@example.org")
    r = _api_upload(client, token, period, [(io.BytesIO(zip_of(PKG / "2014Q1")), "p.zip")])
    assert r.status_code == 422
    message = r.get_json()["message"]
    assert ("before the programme's first quarter" in message) or ("has not ended" in message)
    assert dbs.scalar(select(ReportingPeriod).where(ReportingPeriod.code == period)) is None
    assert dbs.scalar(select(Submission)) is None


def test_the_quarter_in_progress_is_refused_by_the_cli_too(world):
    from datetime import date

    from measures import Period

    today = date.today()
    current = Period.parse(f"{today.year}Q{(today.month - 1) // 3 + 1}").code
    r = world.test_cli_runner().invoke(args=["submit", "--ico", "HA", "--period", current, str(PKG / "2014Q1")])
    assert r.exit_code != 0 and "has not ended" in r.output


def test_the_upload_form_offers_ended_quarters_and_defaults_to_the_oldest_due(world, dbs):
    from datetime import date

    from measures import Period

    client = world.test_client()
    token = issue_token(world, "ha@example.org")
    for period in ("2014Q1", "2014Q3"):
        assert _api_upload(client, token, period, [(io.BytesIO(zip_of(PKG / period)), "p.zip")]).status_code == 201
    login(client, "ha@example.org")
    page = client.get("/submissions/upload").get_data(as_text=True)
    today = date.today()
    current = Period.parse(f"{today.year}Q{(today.month - 1) // 3 + 1}").code
    assert f'value="{current}"' not in page
    assert '<option value="2014Q2" selected>' in page  # the oldest quarter since its first with no package


# 11. ZIP inflation is covered in tests/ingest/test_hostile_uploads.py; 12. downloads ask the policy --------


def test_another_states_reviewer_cannot_download_this_states_statewide_report(example, dbs):
    from reporting import pipeline
    from reporting.storage.models import Artifact

    with example.app_context():
        pipeline.run_cycle("2015Q2", trigger="test")
    statewide = dbs.scalar(select(Artifact).where(Artifact.kind == "statewide"))
    ri, ma = example.test_client(), example.test_client()
    login(ri, "ri@example.org")
    login(ma, "state@example.org")
    assert ri.get(f"/artifacts/{statewide.id}").status_code == 403
    assert ma.get(f"/artifacts/{statewide.id}").status_code == 200
    assert f"/artifacts/{statewide.id}" not in ri.get("/reports").get_data(as_text=True)


# 13. Statewide hidden from ICO users when fewer than three ICOs report ---------------------------------


def test_statewide_figures_are_hidden_from_ico_users_when_two_icos_report(example):
    ha = example.test_client()
    login(ha, "ha@example.org")
    page = ha.get("/icos/HA").get_data(as_text=True)
    assert "fewer than three ICOs reported" in page
    csv_text = ha.get("/icos/HA/export.csv").get_data(as_text=True)
    assert ",STATEWIDE," not in csv_text and ",HA," in csv_text
    measure = ha.get("/measures/assessment_90d/export.csv").get_data(as_text=True)
    assert ",STATEWIDE," not in measure
    overview = ha.get("/exports/overview.csv?period=2015Q2").get_data(as_text=True)
    assert ",STATEWIDE," not in overview
    cms = example.test_client()
    login(cms, "cms@example.org")
    assert ",STATEWIDE," in cms.get("/icos/HA/export.csv").get_data(as_text=True)


def test_the_scorecard_pdf_leaves_statewide_out_when_two_icos_report(example, tmp_path):
    from tests.rendering.test_pdf import pdf_text

    out = tmp_path / "s.pdf"
    r = example.test_cli_runner().invoke(args=["scorecard", "--ico", "HA", "--period", "2015Q2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "fewer than three ICOs reported" in " ".join(pdf_text(out.read_bytes()).split())


# 14. Redis unreachable ---------------------------------------------------------------------------------


def test_sign_in_works_when_the_rate_limit_store_is_unreachable(example_url, tmp_path):
    from tests.conftest import _test_app, free_port

    gen = _test_app(example_url, tmp_path)
    app = next(gen)
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{free_port()}/0"
    from reporting.web import limiter

    limiter.init_app(app)
    client = app.test_client()
    r = login(client, "cms@example.org")
    assert r.status_code == 302
    gen.close()


# 16. Proxies ---------------------------------------------------------------------------------------------


def test_a_forwarded_for_header_is_believed_only_from_configured_proxies(world, dbs):
    client = world.test_client()
    client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": "cms@example.org", "password": "wrong password!"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    event = dbs.scalar(select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id.desc()))
    assert event.ip != "203.0.113.9"


def test_behind_one_trusted_proxy_the_client_address_is_recorded(example_url, tmp_path, dbs):
    from reporting import create_app

    app = create_app(
        {
            "REPORTING_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "k",
            "DATABASE_URL": example_url,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "TRUSTED_PROXIES": 1,
        }
    )
    client = app.test_client()
    client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": "cms@example.org", "password": "wrong password!"},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
    )
    event = dbs.scalar(select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id.desc()))
    assert event.ip == "203.0.113.9"
    from reporting.storage import db

    db.session.remove()


# 17. Too many files names the file limit ---------------------------------------------------------------


def test_too_many_files_names_the_file_limit_not_the_size(world):
    client = world.test_client()
    token = issue_token(world, "ha@example.org")
    files = [(io.BytesIO(b"a,b\n"), f"f{i}.csv") for i in range(40)]
    r = _api_upload(client, token, "2014Q1", files)
    assert r.status_code in (413, 422)
    message = r.get_json()["message"]
    assert "files" in message and "MB" not in message


def test_the_audit_trail_knows_who_and_from_where_without_service_code_reading_the_request(example, dbs):
    """Issue 11: ``audit.record`` is told the caller by the edge (the web layer's origin function): a page
    view records the signed-in user and the client address; the same service call outside a request records
    "cli" and the actor it is given."""
    from sqlalchemy import select

    from reporting import audit
    from reporting.storage.models import AuditEvent
    from tests.conftest import login

    client = example.test_client()
    login(client, "cms@example.org")
    client.get("/gaps/assessment_90d/HA/2015Q2")
    with example.app_context():
        audit.record("view", "outside a request", actor="operator")
    events = {e.target: e for e in dbs.scalars(select(AuditEvent).where(AuditEvent.action == "view"))}
    page = events["gap list assessment_90d HA 2015Q2"]
    assert page.actor == "cms@example.org" and page.ip == "127.0.0.1"
    assert events["outside a request"].actor == "operator" and events["outside a request"].ip == "cli"


def test_links_in_e_mails_come_from_the_routes_and_base_url(app):
    """Issue 11: e-mail links were spelled by hand; they are built from the URL map for BASE_URL."""
    from reporting.links import external_url

    with app.app_context():
        app.config["BASE_URL"] = "https://reports.example.org/onecare/"
        assert external_url("inquiries.thread", inquiry_id=3) == "https://reports.example.org/onecare/inquiries/3"
        assert external_url("dashboards.ico", code="HA") == "https://reports.example.org/onecare/icos/HA"
        assert (
            external_url("inquiries.index", period="2015Q3", status="open")
            == "https://reports.example.org/onecare/inquiries/?period=2015Q3&status=open"
        )
        app.config["BASE_URL"] = "http://127.0.0.1:5000"
        assert external_url("admin.deliveries") == "http://127.0.0.1:5000/admin/deliveries"
