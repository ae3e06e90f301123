"""The cycle over the worked example with a real SMTP server: each report goes once to each person
allowed to receive it; reruns send nothing; revised editions; retries; refusals; approval."""

import threading

import pytest
from sqlalchemy import select

from reporting.storage.models import Artifact, Delivery, Edition

pytestmark = pytest.mark.slow  # whole quarterly cycles: computing, rendering every PDF, delivering over SMTP

MA_REVIEWERS = {"cms@example.org", "state@example.org"}


def run_cycle(app, period="2015Q2", wait=0):
    from reporting import pipeline

    with app.app_context():
        return pipeline.run_cycle(period, trigger="test", wait_for_retries=wait)


def attachment(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1 and parts[0].get_content_type() == "application/pdf"
    return parts[0].get_content()


def test_each_report_goes_once_to_each_person_allowed(example, smtp, dbs):
    example.config.update(smtp.config())
    outcome = run_cycle(example)
    assert (outcome.status, outcome.new_edition, outcome.rendered) == ("published", True, 4)
    got = smtp.recorder.by_recipient()
    assert set(got) == {"reports@ha.example.org", "reports@hb.example.org", "cmo@hb.example.org"} | MA_REVIEWERS
    assert all(len(messages) == 1 for messages in got.values())
    assert "ri@example.org" not in got  # a state reviewer of another state gets nothing
    artifacts = {(a.kind, a.ico): a for a in dbs.scalars(select(Artifact))}
    assert attachment(got["reports@ha.example.org"][0]) == artifacts[("scorecard", "HA")].content
    assert attachment(got["cmo@hb.example.org"][0]) == artifacts[("scorecard", "HB")].content
    assert attachment(got["cms@example.org"][0]) == artifacts[("statewide", None)].content
    ha = got["reports@ha.example.org"][0]
    assert "Health Alliance" in ha["Subject"] and "Harbor" not in ha.get_body(("plain",)).get_content()
    assert ha.get_body(("html",)) is not None and ha.get_body(("plain",)) is not None
    # Again over unchanged data: nothing new.
    again = run_cycle(example)
    assert (again.new_edition, again.rendered) == (False, 0)
    assert sum(len(m) for m in smtp.recorder.by_recipient().values()) == 5


def test_resubmission_after_publication_sends_a_revised_edition(example, smtp, dbs, tmp_path):
    import shutil

    from tests.conftest import EXAMPLES

    example.config.update(smtp.config())
    run_cycle(example)
    folder = tmp_path / "HA-2015Q2"
    shutil.copytree(EXAMPLES / "packages" / "HA" / "2015Q2", folder)
    visits = (folder / "visits.csv").read_text().splitlines()
    (folder / "visits.csv").write_text("\n".join(visits[:-5]) + "\n")  # five visits fewer
    r = example.test_cli_runner().invoke(args=["submit", "--ico", "HA", "--period", "2015Q2", str(folder)])
    assert r.exit_code == 0, r.output
    outcome = run_cycle(example)
    assert outcome.new_edition and outcome.edition_number == 2
    editions = dbs.scalars(select(Edition).order_by(Edition.number)).all()
    assert [(e.number, e.status, e.revised) for e in editions] == [(1, "superseded", False), (2, "published", True)]
    got = smtp.recorder.by_recipient()
    assert all(len(m) == 2 for m in got.values())
    assert "revised edition" in got["reports@ha.example.org"][1]["Subject"]
    assert "REVISED" in got["reports@ha.example.org"][1].get_body(("plain",)).get_content()


def test_smtp_server_down_for_a_while_then_each_message_once(example, smtp, dbs):
    from reporting import pipeline

    example.config.update(smtp.config())
    smtp.stop()
    first = run_cycle(example, wait=0)  # rendered; every send failed once
    assert (first.sent, first.pending) == (0, 5)
    timer = threading.Timer(1.5, smtp.start)
    timer.start()
    with example.app_context():
        counts = pipeline.deliver_due(None, wait_seconds=30)  # retries with backoff until the server is back
    timer.join()
    assert (counts["sent"], counts["failed"], counts["pending"]) == (5, 0, 0)
    assert all(len(m) == 1 for m in smtp.recorder.by_recipient().values())
    assert min(d.attempts for d in dbs.scalars(select(Delivery))) >= 2


def test_a_refused_recipient_is_recorded_and_the_others_delivered(example, smtp, dbs):
    from tests.conftest import csrf_token, login

    example.config.update(smtp.config())
    smtp.recorder.refuse.add("cmo@hb.example.org")
    outcome = run_cycle(example)
    assert (outcome.sent, outcome.failed) == (4, 1)
    failed = dbs.scalar(select(Delivery).where(Delivery.status == "failed"))
    assert failed.recipient == "cmo@hb.example.org" and "550" in failed.last_error and failed.attempts == 1
    assert "cmo@hb.example.org" not in smtp.recorder.by_recipient()
    assert len(smtp.recorder.by_recipient()["reports@hb.example.org"]) == 1
    # The admin sees it and sends it again once the address is fixed on the server side.
    client = example.test_client()
    login(client, "admin@example.org")
    page = client.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "cmo@hb.example.org" in page and "550" in page
    smtp.recorder.refuse.clear()
    r = client.post(
        f"/admin/deliveries/{failed.id}/resend", data={"csrf_token": csrf_token(client, "/admin/deliveries")}
    )
    assert r.status_code == 302
    from reporting import pipeline

    with example.app_context():
        pipeline.deliver_due(None)
    assert len(smtp.recorder.by_recipient()["cmo@hb.example.org"]) == 1
    assert len(smtp.recorder.by_recipient()["reports@hb.example.org"]) == 1


def test_approval_mode_waits_for_a_reviewer(example, smtp, dbs):
    from tests.conftest import csrf_token, login

    example.config.update(smtp.config(), PUBLISH_MODE="approval")
    outcome = run_cycle(example)
    assert outcome.status == "awaiting approval" and smtp.recorder.messages == []
    edition = dbs.scalar(select(Edition))
    client = example.test_client()
    login(client, "cms@example.org")
    assert "Approve and publish" in client.get("/reports").get_data(as_text=True)
    r = client.post(f"/admin/editions/{edition.id}/approve", data={"csrf_token": csrf_token(client, "/reports")})
    assert r.status_code == 302
    from reporting.jobs.tasks import delivery_worker

    with example.app_context():
        delivery_worker()
    assert sum(len(m) for m in smtp.recorder.by_recipient().values()) == 5


def test_outbox_is_the_embedded_default(example, tmp_path):
    outcome = run_cycle(example)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert outcome.sent == 5 and len(files) == 5
    assert b"Content-Type: application/pdf" in files[0].read_bytes()
