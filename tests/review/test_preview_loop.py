"""The preview and inquiry loop (issue 12), with a real SMTP server: a cycle opens a preview, an inquiry keeps it
from being published, publishing without a reason is refused, closing it lets the next cycle publish and deliver
each report once."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.jobs.tasks import delivery_worker
from reporting.storage.models import Artifact, AuditEvent, Delivery, Edition
from tests.conftest import EXAMPLES, csrf_token, login
from tests.ingest.test_upload_paths import issue_token, zip_of
from tests.rendering.test_pdf import pdf_text
from tests.smtp_server import smtp  # noqa: F401  (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.one_backend]  # the preview loop through cycles, PDFs and e-mails

ICO_HA = {"reports@ha.example.org", "ha@example.org"}


@pytest.fixture
def previewing(example, smtp):
    example.config.update(smtp.config())
    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 0})
    return example


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def api(client, token, method, path, body=None):
    return client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def test_the_loop_from_preview_to_publication(previewing, smtp, dbs):
    app = previewing
    first = cli(app, "cycle", "--period", "2015Q3")
    assert first.exit_code == 0, first.output
    assert cli(app, "editions", "--period", "2015Q3").output.split()[:2] == ["1", "preview"]
    # The preview: watermarked scorecards to each ICO's recipients and submitter users only; nothing public.
    got = smtp.recorder.by_recipient()
    assert set(got) == ICO_HA | {"reports@hb.example.org", "cmo@hb.example.org", "hb@example.org"}
    assert all(len(m) == 1 for m in got.values())
    assert got["ha@example.org"][0]["Subject"].startswith("Preview until ")
    ha_pdf = got["ha@example.org"][0].get_payload()[-1].get_content()
    assert "Harbor" not in pdf_text(ha_pdf)
    pages = pdf_text(ha_pdf).split("Page ")
    assert all("Preview: not for distribution" in page for page in pages[:-1])
    assert not dbs.scalar(select(Artifact).where(Artifact.kind == "public"))
    client = app.test_client()
    assert client.get("/public/ma-one-care/2015Q3.zip").status_code == 404

    # An inquiry through the API keeps the next cycle from publishing.
    token = issue_token(app, "ha@example.org")
    r = api(
        client,
        token,
        "POST",
        "/api/v1/inquiries",
        {"period": "2015Q3", "measure_id": "fuh_7d", "message": "Our FUH 7-day rate looks low: <b>check</b>"},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    inquiry = r.get_json()
    assert (inquiry["ico"], inquiry["status"], inquiry["messages"][0]["role"]) == ("HA", "open", "ico_submitter")
    second = cli(app, "cycle", "--period", "2015Q3")
    assert cli(app, "editions", "--period", "2015Q3").output.split()[:2] == ["1", "preview"], second.output
    refused = cli(app, "publish", "--period", "2015Q3")
    assert refused.exit_code == 1 and f"open inquiries ({inquiry['id']})" in refused.output

    # The operator closes it; the next cycle publishes and delivers each report once.
    closed = cli(
        app, "inquiries", "close", str(inquiry["id"]), "--resolution", "no_change", "--reason", "Checked: right."
    )
    assert closed.exit_code == 0, closed.output
    before = {k: len(v) for k, v in smtp.recorder.by_recipient().items()}
    third = cli(app, "cycle", "--period", "2015Q3")
    assert third.exit_code == 0, third.output
    lines = cli(app, "editions", "--period", "2015Q3").output.split()
    assert lines[:2] == ["1", "published"]
    after = smtp.recorder.by_recipient()
    final_reports = {k: len(v) - before.get(k, 0) for k, v in after.items()}
    assert final_reports["reports@ha.example.org"] == 1 and final_reports["cms@example.org"] == 1
    assert final_reports.get("ha@example.org", 0) == 0  # submitter users get previews, recipients reports
    assert client.get("/public/ma-one-care/2015Q3.zip").status_code == 200
    assert cli(app, "cycle", "--period", "2015Q3").exit_code == 0
    assert {k: len(v) for k, v in smtp.recorder.by_recipient().items()} == {k: len(v) for k, v in after.items()}
    listed = cli(app, "inquiries", "list", "--period", "2015Q3", "--format", "json")
    row = json.loads(listed.output)[0]
    assert (row["status"], row["resolution"], row["messages"]) == ("closed", "no_change", 2)
    events = [e.action for e in dbs.scalars(select(AuditEvent).where(AuditEvent.action.like("inquiry%")))]
    assert events == ["inquiry.open", "inquiry.close"]
    # Within a minute the scheduler's delivery job tells the ICO once by e-mail that its inquiry was closed; no
    # message text in any e-mail.
    with app.app_context():
        delivery_worker()
    notices = dbs.scalars(select(Delivery).where(Delivery.artifact_id.is_(None))).all()
    assert sorted((n.recipient, n.status) for n in notices if "closed" in n.subject) == [("ha@example.org", "sent")]
    assert not any("look" in n.body for n in notices)


def test_publishing_anyway_needs_a_reason(previewing, dbs):
    app = previewing
    cli(app, "cycle", "--period", "2015Q3")
    token = issue_token(app, "hb@example.org")
    api(
        app.test_client(),
        token,
        "POST",
        "/api/v1/inquiries",
        {"period": "2015Q3", "measure_id": None, "message": "All of it?"},
    )
    r = cli(app, "publish", "--period", "2015Q3", "--reason", "The board meets tomorrow; the inquiry is about wording.")
    assert r.exit_code == 0, r.output
    edition = dbs.scalar(select(Edition).where(Edition.period_code == "2015Q3"))
    assert edition.status == "published" and edition.publish_reason.startswith("The board meets")


def test_inquiry_rules_and_refusals(previewing, dbs):
    app = previewing
    client = app.test_client()
    ha, hb, cms, ri = (
        issue_token(app, e) for e in ("ha@example.org", "hb@example.org", "cms@example.org", "ri@example.org")
    )
    body = {"period": "2015Q3", "measure_id": "fuh_7d", "message": "x"}
    r = api(client, ha, "POST", "/api/v1/inquiries", body)
    assert r.status_code == 422 and "not open to inquiries" in r.get_json()["message"]  # no preview yet
    cli(app, "cycle", "--period", "2015Q3")
    for change, words in [
        ({"measure_id": "nope"}, "There is no measure"),
        ({"message": ""}, "Write a message"),
        ({"message": "x" * 5001}, "the limit is 5,000"),
        ({"period": "2015Q2"}, "not open to inquiries"),
        ({"message": "a\x00b"}, "control characters"),
        ({"message": "a\ud800b"}, "control characters"),
    ]:
        r = api(client, ha, "POST", "/api/v1/inquiries", body | change)
        assert r.status_code == 422 and words in r.get_json()["message"], (change, r.get_json())
    assert api(client, cms, "POST", "/api/v1/inquiries", body).status_code == 403
    opened = api(client, ha, "POST", "/api/v1/inquiries", body).get_json()
    assert api(client, hb, "GET", f"/api/v1/inquiries/{opened['id']}").status_code == 403
    assert (
        api(client, hb, "POST", f"/api/v1/inquiries/{opened['id']}/messages", {"message": "mine?"}).status_code == 403
    )
    assert api(client, hb, "GET", "/api/v1/inquiries?period=2015Q3").get_json() == []
    assert (
        api(client, cms, "POST", f"/api/v1/inquiries/{opened['id']}/messages", {"message": "Looking."}).status_code
        == 201
    )
    assert len(api(client, ha, "GET", f"/api/v1/inquiries/{opened['id']}").get_json()["messages"]) == 2
    assert api(client, ri, "GET", f"/api/v1/inquiries/{opened['id']}").status_code == 403  # another state's reviewer
    # Web: a state reviewer of another state cannot close it; CMS closes; a closed inquiry takes no message.
    ri_web = app.test_client()
    login(ri_web, "ri@example.org")
    assert (
        ri_web.post(
            f"/inquiries/{opened['id']}/close",
            data={"csrf_token": csrf_token(ri_web, "/account"), "resolution": "corrected", "reason": "x"},
        ).status_code
        == 403
    )
    cms_web = app.test_client()
    login(cms_web, "cms@example.org")
    assert 'Inquiries <span class="count" aria-label="1 open">(1)</span>' in cms_web.get("/overview").get_data(
        as_text=True
    )
    cms_web.post(
        f"/inquiries/{opened['id']}/close",
        data={"csrf_token": csrf_token(cms_web, "/account"), "resolution": "no_change", "reason": "As computed."},
    )
    r = api(client, ha, "POST", f"/api/v1/inquiries/{opened['id']}/messages", {"message": "Again"})
    assert r.status_code == 409
    # Rate limit per user.
    app.config["INQUIRIES_PER_HOUR"] = 2
    api(client, ha, "POST", "/api/v1/inquiries", body)
    r = api(client, ha, "POST", "/api/v1/inquiries", body)
    assert r.status_code == 429 and "limit is 2" in r.get_json()["message"]


def test_results_api_includes_the_preview_for_the_tokens_own_ico(previewing):
    app = previewing
    cli(app, "cycle", "--period", "2015Q3")
    client = app.test_client()
    rows = api(client, issue_token(app, "ha@example.org"), "GET", "/api/v1/results?period=2015Q3").get_json()
    assert {r["ico"] for r in rows} == {"HA"} and len(rows) == len(REGISTRY)
    assert {(r["edition"], r["edition_status"]) for r in rows} == {(1, "preview")}
    every = api(client, issue_token(app, "cms@example.org"), "GET", "/api/v1/results?period=2015Q3").get_json()
    assert {r["ico"] for r in every} == {"HA", "HB", "STATEWIDE"}


def test_resubmission_during_preview_needs_a_reviewers_permission(previewing, dbs):
    app = previewing
    cli(app, "cycle", "--period", "2015Q3")
    client = app.test_client()
    ha = issue_token(app, "ha@example.org")
    package = zip_of(EXAMPLES / "packages" / "HA" / "2015Q3", reverse="visits.csv")  # not identical: a new version

    def resubmit():
        return client.post(
            "/api/v1/submissions",
            headers={"Authorization": f"Bearer {ha}"},
            data={"period": "2015Q3", "files": (io.BytesIO(package), "p.zip")},
            content_type="multipart/form-data",
        )

    refused = resubmit()
    assert refused.status_code == 409 and "needs a reviewer's permission" in refused.get_json()["message"]
    opened = api(
        client,
        ha,
        "POST",
        "/api/v1/inquiries",
        {"period": "2015Q3", "measure_id": "fuh_7d", "message": "We left out a discharge."},
    ).get_json()
    cms = app.test_client()
    login(cms, "cms@example.org")
    cms.post(f"/inquiries/{opened['id']}/allow-resubmission", data={"csrf_token": csrf_token(cms, "/account")})
    assert resubmit().status_code == 201
    cli(app, "cycle", "--period", "2015Q3")
    assert [
        e.status for e in dbs.scalars(select(Edition).where(Edition.period_code == "2015Q3").order_by(Edition.number))
    ] == ["withdrawn", "preview"]
    texts = [m["text"] for m in api(client, ha, "GET", f"/api/v1/inquiries/{opened['id']}").get_json()["messages"]]
    assert any("Resubmission v2 of HA accepted" in t for t in texts)
    assert any(t.startswith("Revised preview: edition 2") for t in texts)


def test_the_ico_page_offers_question_this_result_in_preview(previewing):
    app = previewing
    cli(app, "cycle", "--period", "2015Q3")
    client = app.test_client()
    login(client, "ha@example.org")
    page = client.get("/icos/HA").get_data(as_text=True)
    assert "2015Q3 is in preview" in page and "Question this result" in page
    assert "/inquiries/new?period=2015Q3&amp;measure=fuh_7d" in page
    form = client.get("/inquiries/new?period=2015Q3&measure=fuh_7d").get_data(as_text=True)
    r = client.post(
        "/inquiries/new",
        data={
            "csrf_token": csrf_token(client, "/inquiries/new"),
            "period": "2015Q3",
            "measure_id": "fuh_7d",
            "message": "<script>alert(1)</script>",
        },
    )
    assert r.status_code == 302 and "fuh_7d" in form
    thread = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thread and "<script>alert(1)" not in thread


def test_tokens_create_prints_the_token_once(app, make_user, dbs):
    make_user("ops@example.org", "cms_reviewer")
    r = cli(app, "tokens", "create", "--email", "ops@example.org")
    token = r.output.strip()
    assert r.exit_code == 0 and token.startswith("ocq_") and len(r.output.strip().splitlines()) == 1
    assert (
        app.test_client().get("/api/v1/fhir/Measure", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
