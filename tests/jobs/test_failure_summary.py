"""The daily failure summary: admins get one e-mail (a notice, at most one a day) naming each failed delivery
and failed job, over a real SMTP server; nothing when nothing failed."""

from sqlalchemy import select

from reporting import pipeline
from reporting.jobs import tasks
from reporting.storage import db
from reporting.storage.models import Delivery, JobRun


def _summaries(smtp):
    return [m for _, m in smtp.recorder.messages if "failed deliveries" in m["Subject"]]


def test_admins_hear_of_failed_deliveries_once_a_day(example, smtp):
    example.config.update(smtp.config())
    with example.app_context():
        tasks.failure_summary()
        assert _summaries(smtp) == []  # nothing failed: nothing sent
        smtp.recorder.refuse.add("reports@hb.example.org")  # a permanent refusal: 550
        pipeline.run_cycle("2015Q3", trigger="test", wait_for_retries=0)
        with db.transaction() as s:
            failed = s.scalars(select(Delivery).where(Delivery.status == "failed")).all()
            assert [d.recipient for d in failed] == ["reports@hb.example.org"]
        tasks.failure_summary()
        tasks.failure_summary()  # the same day again: no second e-mail
        with db.transaction() as s:
            runs = s.scalars(select(JobRun).where(JobRun.job == "failure_summary").order_by(JobRun.id)).all()
    summaries = _summaries(smtp)
    assert len(summaries) == 1 and summaries[0]["To"] == "admin@example.org"
    assert summaries[0]["Subject"] == "Quality reporting: 1 failed deliveries, 0 failed jobs"
    body = summaries[0].get_content()
    assert f"delivery {failed[0].id} to reports@hb.example.org: failed" in body and "/admin/deliveries" in body
    assert [r.summary.split(" (")[0] for r in runs] == [
        "nothing to report",
        "summary of 1 problems queued for 1 admins",
        "summary already sent today",
    ]
