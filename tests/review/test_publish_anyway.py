"""Issue 27 item 1: "Publish anyway" after a resubmission, walked as the users do it with a real SMTP server. An
inquiry, a resubmission the reviewer allowed, a rule adoption, then a CMS reviewer publishes from the Inquiries
page with a reason: the newest computation (with the resubmission and the rules in force) is published, rendered
and delivered once, the page says what happened, and no preview of the period stays open."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from sqlalchemy import select

from reporting.jobs.tasks import delivery_worker
from reporting.storage.models import Artifact, Delivery, Edition, ResultRun
from tests.conftest import EXAMPLES, csrf_token, login
from tests.ingest.test_upload_paths import issue_token, zip_of
from tests.rendering.test_pdf import pdf_text
from tests.review.test_preview_loop import api, cli
from tests.smtp_server import smtp  # noqa: F401  (fixture)

PERIOD = "2015Q3"
RECIPIENTS = {
    "reports@ha.example.org",
    "reports@hb.example.org",
    "cmo@hb.example.org",
    "cms@example.org",
    "state@example.org",
}
SUBMITTERS = {"ha@example.org", "hb@example.org"}


@pytest.fixture
def previewing(example, smtp):
    example.config.update(smtp.config())
    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 10})
    return example


def _package_with_fewer_visits(tmp_path) -> bytes:
    folder = tmp_path / "HA-v2"
    shutil.copytree(EXAMPLES / "packages" / "HA" / PERIOD, folder)
    visits = (folder / "visits.csv").read_text().splitlines()
    (folder / "visits.csv").write_text("\n".join(visits[:-5]) + "\n")  # five visits fewer: other figures
    return zip_of(folder)


def _received(smtp) -> dict[str, list[str]]:
    """The subjects of the report e-mails (a PDF attached) each person received; notices left out."""
    return {
        who: [m["Subject"] for m in messages if any(True for _ in m.iter_attachments())]
        for who, messages in smtp.recorder.by_recipient().items()
    }


def test_publish_anyway_after_a_resubmission_publishes_the_newest_computation_once(previewing, smtp, dbs, tmp_path):
    app = previewing
    # The cycle opens the preview: each ICO's scorecard to its recipients and submitters.
    assert cli(app, "cycle", "--period", PERIOD).exit_code == 0
    assert (
        set(_received(smtp)) == {"reports@ha.example.org", "reports@hb.example.org", "cmo@hb.example.org"} | SUBMITTERS
    )

    # HA questions a result; a CMS reviewer allows a resubmission; HA resubmits (v2 accepted).
    client = app.test_client()
    ha = issue_token(app, "ha@example.org")
    inquiry = api(
        client,
        ha,
        "POST",
        "/api/v1/inquiries",
        {"period": PERIOD, "measure_id": "fuh_7d", "message": "Five visits were counted twice."},
    ).get_json()
    cms = app.test_client()
    login(cms, "cms@example.org")
    cms.post(f"/inquiries/{inquiry['id']}/allow-resubmission", data={"csrf_token": csrf_token(cms, "/account")})
    r = client.post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {ha}"},
        data={"period": PERIOD, "files": (io.BytesIO(_package_with_fewer_visits(tmp_path)), "v2.zip")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and r.get_json()["version"] == 2, r.get_data(as_text=True)

    # A new rule set for the year is adopted.
    proposal = tmp_path / "rules.csv"
    proposal.write_text("measure_id,benchmark,withhold\nfuh_7d,45,true\n")
    draft = cli(app, "rules", "propose", "--year", "2015", "--from", str(proposal)).output.strip().splitlines()[-1]
    assert cli(app, "rules", "adopt", "--draft", draft).exit_code == 0
    before = _received(smtp)

    # On the Inquiries page the reviewer gives a reason and publishes.
    page = cms.get(f"/inquiries?period={PERIOD}").get_data(as_text=True)
    assert f"Publish {PERIOD} now" in page and "1 inquiry is open" in page
    r = cms.post(
        f"/inquiries/publish/{PERIOD}",
        follow_redirects=True,
        data={"csrf_token": csrf_token(cms, "/account"), "reason": "The board meets tomorrow."},
    )
    page = r.get_data(as_text=True)

    editions = dbs.scalars(select(Edition).where(Edition.period_code == PERIOD).order_by(Edition.number)).all()
    published = [e for e in editions if e.status == "published"]
    assert len(published) == 1 and [e.status for e in editions if e.status == "preview"] == []
    edition = published[0]
    # What the page says: published, its reports to follow from the scheduler (never rendered in a web request,
    # which a worker's timeout could cut half-way: an attack on the demo did).
    said = re.search(
        rf"{PERIOD} published \(edition (\d+)\)\. Its reports are rendered and e-mailed by the scheduler", page
    )
    assert said and int(said[1]) == edition.number, page
    assert not dbs.scalars(select(Artifact).where(Artifact.edition_id == edition.id, Artifact.preview.is_(False))).all()
    with app.app_context():
        delivery_worker()  # the scheduler's every-minute job
    # The newest computation: the resubmission's inputs, the rules in force.
    run = dbs.get(ResultRun, edition.run_id)
    assert run.is_current and [i["version"] for i in run.inputs["HA"] if i["period"] == PERIOD] == [2]
    assert edition.rule_versions == {"2015": 2} and edition.publish_reason == "The board meets tomorrow."
    artifacts = dbs.scalars(
        select(Artifact).where(Artifact.edition_id == edition.id, Artifact.preview.is_(False))
    ).all()
    assert sorted(a.kind for a in artifacts) == ["public", "scorecard", "scorecard", "statewide"]
    sent = dbs.scalars(
        select(Delivery).join(Artifact).where(Delivery.edition_id == edition.id, Artifact.preview.is_(False))
    ).all()
    assert {d.recipient for d in sent} == RECIPIENTS and {d.status for d in sent} == {"sent"}
    # No preview stays open, and Publish is not offered again.
    assert f"Publish {PERIOD} now" not in cms.get(f"/inquiries?period={PERIOD}").get_data(as_text=True)

    # Every recipient got its report once; nobody got a second preview.
    after = _received(smtp)
    new = {who: subjects[len(before.get(who, [])) :] for who, subjects in after.items()}
    assert {who for who, subjects in new.items() if subjects} == RECIPIENTS, new
    assert all(len(subjects) == 1 and "Preview until" not in subjects[0] for subjects in new.values() if subjects)
    assert all(len(after[who]) == 1 for who in SUBMITTERS)  # the first preview only
    scorecard = next(
        m for m in smtp.recorder.by_recipient()["reports@ha.example.org"] if "Preview until" not in m["Subject"]
    )
    attached = scorecard.get_payload()[-1].get_content()
    assert attached == next(a.content for a in artifacts if a.kind == "scorecard" and a.ico == "HA")
    assert "rule set 2015 v2" in pdf_text(attached) and "Preview: not for distribution" not in pdf_text(attached)

    # The public page offers the report at once.
    public = app.test_client()
    listing = public.get("/public/ma-one-care").get_data(as_text=True)
    assert "being rendered" not in listing and f"/public/ma-one-care/{PERIOD}/report.pdf" in listing
    report = public.get(f"/public/ma-one-care/{PERIOD}/report.pdf")
    assert report.status_code == 200 and report.data == next(a.content for a in artifacts if a.kind == "public")

    # The next cycles change nothing and send nothing.
    assert cli(app, "cycle", "--period", PERIOD).exit_code == 0
    assert _received(smtp) == after
    assert [
        e.status for e in dbs.scalars(select(Edition).where(Edition.period_code == PERIOD).order_by(Edition.number))
    ] == [e.status for e in editions]


def test_a_preview_published_after_its_window_carries_the_rules_adopted_meanwhile(previewing, smtp, dbs, tmp_path):
    app = previewing
    app.config["PREVIEW_DAYS"] = 0
    assert cli(app, "cycle", "--period", PERIOD).exit_code == 0  # the preview opens
    proposal = tmp_path / "rules.csv"
    proposal.write_text("measure_id,benchmark,withhold\nfuh_7d,45,true\n")
    draft = cli(app, "rules", "propose", "--year", "2015", "--from", str(proposal)).output.strip().splitlines()[-1]
    assert cli(app, "rules", "adopt", "--draft", draft).exit_code == 0
    assert cli(app, "cycle", "--period", PERIOD).exit_code == 0  # its window has passed: published
    editions = dbs.scalars(select(Edition).where(Edition.period_code == PERIOD).order_by(Edition.number)).all()
    assert [(e.status, e.rule_versions) for e in editions] == [("withdrawn", {"2015": 1}), ("published", {"2015": 2})]
    [statewide] = _received(smtp)["cms@example.org"]
    message = smtp.recorder.by_recipient()["cms@example.org"][0]
    assert "rule set 2015 v2" in pdf_text(message.get_payload()[-1].get_content()) and "statewide" in statewide
    published = {who: [s for s in subjects if "Preview until" not in s] for who, subjects in _received(smtp).items()}
    assert {who for who, subjects in published.items() if subjects} == RECIPIENTS, _received(smtp)
    assert all(len(subjects) == 1 for subjects in published.values() if subjects)
