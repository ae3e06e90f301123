"""Issue 27 item 2 and issue 24 "One outbox": an inquiry's news reaches the other side within a minute, through the
scheduler's every-minute delivery job (woken by a pending notice alone), never from the web request; notices are
retried with backoff like reports, and each goes out once."""

from __future__ import annotations

import time

from sqlalchemy import select

from reporting.engine.store import current_run
from reporting.jobs.schedules import DEFAULT_SCHEDULES
from reporting.jobs.tasks import delivery_worker
from reporting.publication import editions
from reporting.storage import db
from reporting.storage.models import Delivery, JobRun, utcnow
from tests.conftest import ask, csrf_token, login
from tests.smtp_server import smtp  # noqa: F401  (fixture)

REVIEWERS = {"cms@example.org", "state@example.org"}


def open_preview(app, period="2015Q3"):
    with app.app_context():
        with db.transaction() as s:
            edition = editions.open_preview(s, period, current_run(s, period).id, utcnow().replace(year=2100), "test")
            # as a cycle leaves it: its preview reports rendered (not this test's subject), so the every-minute
            # delivery job finds only the notices to send (an unrendered preview it would render and send)
            editions.rendered(s, edition.id)
        db.session.remove()


def notices_to(smtp) -> dict[str, list[str]]:
    return {
        who: [m["Subject"] for m in messages if "inquiry" in m["Subject"]]
        for who, messages in smtp.recorder.by_recipient().items()
    }


def test_an_inquirys_news_goes_out_within_a_minute_from_the_scheduler(example, smtp, dbs):
    example.config.update(smtp.config())
    open_preview(example)
    ha = example.test_client()
    login(ha, "ha@example.org")
    r = ha.post(
        "/inquiries/new",
        follow_redirects=True,
        data={
            "csrf_token": csrf_token(ha, "/inquiries/new"),
            "period": "2015Q3",
            "measure_id": "fuh_7d",
            "message": "Our FUH 7-day rate looks low.",
        },
    )
    page = r.get_data(as_text=True)
    assert "The reviewers are told by e-mail within a minute" in page
    assert smtp.recorder.messages == []  # nothing is sent from the web request
    # Nothing else is due: no report delivery pending, no edition unfinished. The notices alone wake the job.
    assert {d.recipient for d in dbs.scalars(select(Delivery))} == REVIEWERS
    assert all(d.artifact_id is None and d.status == "pending" for d in dbs.scalars(select(Delivery)))
    assert ("delivery_worker", "* * * * *") in {(job, cron) for job, cron, _ in DEFAULT_SCHEDULES}

    # The mail server is down at the first run: the notices wait with a backoff, then go out once.
    smtp.stop()
    with example.app_context():
        delivery_worker()
    dbs.expire_all()
    rows = dbs.scalars(select(Delivery)).all()
    assert {(d.status, d.attempts) for d in rows} == {("pending", 1)} and all(d.next_attempt_at for d in rows)
    smtp.start()
    with example.app_context():
        delivery_worker()  # not due yet: nothing sent, nothing lost
        assert notices_to(smtp) == {}
        time.sleep(1.2)  # DELIVERY_RETRY_SECONDS is 1 in the tests
        delivery_worker()
        delivery_worker()
    inquiry_id = int(page.split("Inquiry ", 1)[1].split(" ", 1)[0])
    got = notices_to(smtp)
    assert set(got) == REVIEWERS and all(
        s == [f"Massachusetts One Care inquiry {inquiry_id}: HA 2015Q3 (opened)"] for s in got.values()
    )
    assert "look" not in smtp.recorder.messages[0][1].get_content()  # the message stays in the service

    # A reviewer answers: the ICO's user hears of it at the next run, once.
    cms = example.test_client()
    login(cms, "cms@example.org")
    cms.post(
        f"/inquiries/{inquiry_id}/messages",
        data={"csrf_token": csrf_token(cms, "/account"), "message": "We are checking the discharges."},
    )
    assert "ha@example.org" not in notices_to(smtp)
    with example.app_context():
        delivery_worker()
        delivery_worker()
    assert len(notices_to(smtp)["ha@example.org"]) == 1
    dbs.expire_all()
    assert {d.status for d in dbs.scalars(select(Delivery))} == {"sent"}
    runs = dbs.scalars(select(JobRun).where(JobRun.job == "delivery_worker")).all()
    assert runs and all(r.status == "done" for r in runs)


def test_each_message_names_its_delivery_in_a_programme_neutral_header(example, smtp, dbs):
    """Every message carries its ledger row as ``X-Reporting-Delivery`` (a mail server's log or a recipient's
    complaint leads back to the delivery), whatever the programme: no header names One Care."""
    example.config.update(smtp.config())
    open_preview(example)
    ha = example.test_client()
    login(ha, "ha@example.org")
    ask(ha, "2015Q3", "fuh_7d", "Our FUH 7-day rate looks low.")
    with example.app_context():
        delivery_worker()
    ledger = {d.recipient: d.id for d in dbs.scalars(select(Delivery))}
    got = smtp.recorder.by_recipient()
    assert set(got) == REVIEWERS == set(ledger)
    for who, messages in got.items():
        (message,) = messages
        assert message["X-Reporting-Delivery"] == str(ledger[who])
        assert not [k for k in message.keys() if "onecare" in k.lower()]
