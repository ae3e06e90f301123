"""Fault tests with real processes: the scheduler killed with SIGKILL in the middle of a cycle and
started again, and two schedulers (and two cycles) against PostgreSQL at once. Each recipient gets
exactly one message per edition."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from reporting.storage.models import Delivery
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # scheduler processes killed and restarted

RECIPIENTS = {
    "reports@ha.example.org",
    "reports@hb.example.org",
    "cmo@hb.example.org",
    "cms@example.org",
    "state@example.org",
}


def env_for(url, instance, smtp) -> dict:
    env = dict(os.environ)
    env.update(smtp.env())
    env.update(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key",
            "REPORTING_ENV": "test",
            "CYCLE_DELAY_DAYS": "0",
            "CYCLE_FIRST_PERIOD": "2015Q3",
            "DELIVERY_STALE_SECONDS": "2",
            "SCHEDULER_POLL_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            "PUBLISH_MODE": "auto",
        }
    )
    return env


def flask(args, env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi"] + args,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def ledger(url):
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as s:
        rows = [(d.recipient, d.status) for d in s.scalars(select(Delivery))]
    engine.dispose()
    return rows


def job_runs(url):
    from reporting.storage.models import JobRun

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as s:
        rows = [(r.id, r.job, r.status) for r in s.scalars(select(JobRun).order_by(JobRun.id))]
    engine.dispose()
    return rows


def wait_for(predicate, timeout=120, every=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_scheduler_killed_mid_cycle_then_restarted_sends_each_message_once(example_url, smtp, tmp_path, example):
    instance = tmp_path / "instance"
    env = env_for(example_url, instance, smtp)
    in_rcpt, release = threading.Event(), threading.Event()

    def hold_first(address):
        if not in_rcpt.is_set():
            in_rcpt.set()
            release.wait(30)  # the scheduler is killed while its first message is half sent

    smtp.recorder.on_rcpt = hold_first
    log = open(tmp_path / "scheduler-1.log", "w")
    first = flask(["scheduler"], env, log)
    try:
        assert in_rcpt.wait(180), (tmp_path / "scheduler-1.log").read_text()[-3000:]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        release.set()
        stop(first)
    smtp.recorder.on_rcpt = None
    assert "sending" in {s for _, s in ledger(example_url)}
    killed = [r for r in job_runs(example_url) if r[2] == "running"]
    assert killed  # the killed scheduler's run record says "running" for ever...
    time.sleep(2.5)  # past DELIVERY_STALE_SECONDS
    log2 = open(tmp_path / "scheduler-2.log", "w")
    second = flask(["scheduler"], env, log2)
    try:
        done = wait_for(lambda: {s for _, s in ledger(example_url)} == {"sent"} and len(ledger(example_url)) == 5)
        assert done, (ledger(example_url), (tmp_path / "scheduler-2.log").read_text()[-3000:])
        time.sleep(2)
        # ...until the next scheduler starts: then it is marked interrupted (issue 28 item 7)
        after = {run_id: status for run_id, _, status in job_runs(example_url)}
        assert {after[run_id] for run_id, _, _ in killed} == {"interrupted"}, job_runs(example_url)
    finally:
        stop(second)
    got = smtp.recorder.by_recipient()
    assert set(got) == RECIPIENTS and all(len(m) == 1 for m in got.values()), {k: len(v) for k, v in got.items()}


@pytest.mark.parametrize("example_url", ["postgresql"], indirect=True)
def test_two_schedulers_against_postgresql_send_each_message_once(example_url, smtp, tmp_path, example):
    env = env_for(example_url, tmp_path / "instance", smtp)
    paths = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    logs = [open(path, "w") for path in paths]
    procs = [flask(["scheduler"], env, logs[i]) for i in range(2)]

    def active() -> list[int]:
        return [i for i, path in enumerate(paths) if "is the active scheduler" in path.read_text()]

    def state() -> str:
        return (
            f"ledger {ledger(example_url)}; received { {k: len(v) for k, v in smtp.recorder.by_recipient().items()} }"
            + "".join(f"\n--- scheduler-{i}.log\n{path.read_text()[-3000:]}" for i, path in enumerate(paths))
        )

    try:
        done = wait_for(lambda: len(ledger(example_url)) == 5 and {s for _, s in ledger(example_url)} == {"sent"})
        assert done, state()
        time.sleep(3)
        # While both run, exactly one is active and the other stands by.
        assert len(active()) == 1, state()
        leader = active()[0]
        standby = 1 - leader
        assert "waiting to become the active scheduler" in paths[standby].read_text(), state()
        # When the active one stops, the standby takes over, and sends nothing again.
        stop(procs[leader])
        assert wait_for(lambda: "is the active scheduler" in paths[standby].read_text(), timeout=60), state()
        time.sleep(3)
    finally:
        for p in procs:
            stop(p)
    got = smtp.recorder.by_recipient()
    assert set(got) == RECIPIENTS and all(len(m) == 1 for m in got.values()), state()


@pytest.mark.parametrize("example_url", ["postgresql"], indirect=True)
def test_two_cycles_at_once_against_postgresql_send_each_message_once(example_url, smtp, tmp_path, example):
    env = env_for(example_url, tmp_path / "instance", smtp)
    logs = [open(tmp_path / f"cycle-{i}.log", "w") for i in range(2)]
    procs = [flask(["cycle", "--period", "2015Q3"], env, logs[i]) for i in range(2)]
    for p in procs:
        p.wait(300)
    got = smtp.recorder.by_recipient()
    assert set(got) == RECIPIENTS and all(len(m) == 1 for m in got.values()), {k: len(v) for k, v in got.items()}
    assert sorted(s for _, s in ledger(example_url)) == ["sent"] * 5


# --- notices: the same outbox, the same faults -----------------------------------------------------


def _queue_inquiry_notices(app) -> set[str]:
    """An ICO user opens an inquiry on a preview (through the API): notices are queued for its reviewers."""
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.storage import db
    from reporting.storage.models import utcnow
    from tests.ingest.test_upload_paths import issue_token

    with app.app_context():
        with db.transaction() as s:
            edition = editions.open_preview(
                s, "2015Q3", current_run(s, "2015Q3").id, utcnow().replace(year=2100), "test"
            )
            # as a cycle leaves it: its preview reports rendered (not this test's subject), so the every-minute
            # delivery job finds only the notices to send (an unrendered preview it would render and send)
            editions.rendered(s, edition.id)
        db.session.remove()
    token = issue_token(app, "ha@example.org")
    r = app.test_client().post(
        "/api/v1/inquiries",
        headers={"Authorization": f"Bearer {token}"},
        json={"period": "2015Q3", "measure_id": "fuh_7d", "message": "Looks low."},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return {"cms@example.org", "state@example.org"}


def test_a_notice_killed_mid_send_is_sent_exactly_once_after_restart(example_url, example, smtp, tmp_path):
    recipients = _queue_inquiry_notices(example)
    env = env_for(example_url, tmp_path / "instance", smtp) | {"CYCLE_FIRST_PERIOD": "2030Q1"}  # no cycle due
    in_rcpt, release = threading.Event(), threading.Event()

    def hold_first(address):
        if not in_rcpt.is_set():
            in_rcpt.set()
            release.wait(30)  # the scheduler is killed while its first notice is half sent

    smtp.recorder.on_rcpt = hold_first
    first = flask(["scheduler"], env, open(tmp_path / "scheduler-1.log", "w"))
    try:
        assert in_rcpt.wait(120), (tmp_path / "scheduler-1.log").read_text()[-3000:]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        release.set()
        stop(first)
    smtp.recorder.on_rcpt = None
    assert "sending" in {s for _, s in ledger(example_url)}
    time.sleep(2.5)  # past DELIVERY_STALE_SECONDS
    second = flask(["scheduler"], env, open(tmp_path / "scheduler-2.log", "w"))
    try:
        done = wait_for(lambda: {s for _, s in ledger(example_url)} == {"sent"})
        assert done, (ledger(example_url), (tmp_path / "scheduler-2.log").read_text()[-3000:])
        time.sleep(2)
    finally:
        stop(second)
    got = smtp.recorder.by_recipient()
    assert set(got) == recipients and all(len(m) == 1 for m in got.values()), {k: len(v) for k, v in got.items()}
    assert sorted(r for r, _ in ledger(example_url)) == sorted(recipients)


def test_a_notice_left_sending_at_data_is_uncertain_as_a_report_would_be(example, smtp, dbs):
    """A send cut off after the mail server may have the message: shown to admins, never resent by itself; an
    admin's "Send again" sends it once."""
    from reporting.delivery import ledger as outbox
    from reporting.jobs.tasks import delivery_worker
    from reporting.storage import db
    from tests.conftest import csrf_token, login

    example.config.update(smtp.config())
    recipients = _queue_inquiry_notices(example)
    with example.app_context():
        with db.transaction() as s:
            cut = s.scalar(select(Delivery.id).where(Delivery.recipient == "cms@example.org"))
            assert outbox.claim(s, cut)
            outbox.mark_stage(s, cut, "data")
            s.get(Delivery, cut).claimed_at = s.get(Delivery, cut).claimed_at.replace(year=2000)
        delivery_worker()
        delivery_worker()
    assert {k: len(v) for k, v in smtp.recorder.by_recipient().items()} == {"state@example.org": 1}
    row = dbs.get(Delivery, cut)
    assert row.status == "uncertain" and "may or may not have been delivered" in row.last_error
    admin = example.test_client()
    login(admin, "admin@example.org")
    page = admin.get("/admin/deliveries?status=uncertain").get_data(as_text=True)
    assert "One Care inquiry" in page and "cms@example.org" in page and "Send again" in page
    admin.post(f"/admin/deliveries/{cut}/resend", data={"csrf_token": csrf_token(admin, "/admin/deliveries")})
    with example.app_context():
        delivery_worker()
        delivery_worker()
    got = smtp.recorder.by_recipient()
    assert set(got) == recipients and all(len(m) == 1 for m in got.values())


def test_a_preview_left_unrendered_is_rendered_and_sent_to_its_icos_by_the_delivery_job(example, smtp, dbs):
    """A preview opened without its reports (a web request that leaves them to the scheduler, as a reissue of
    revised reports does, or a cycle cut off after opening it) is finished by the every-minute delivery job: its
    preview scorecards rendered and sent to each ICO's own recipients only, once."""
    from reporting.engine.store import current_run
    from reporting.jobs.tasks import delivery_worker
    from reporting.publication import editions
    from reporting.storage import db
    from reporting.storage.models import Artifact, Edition, utcnow

    example.config.update(smtp.config())
    with example.app_context():
        with db.transaction() as s:
            edition_id = editions.open_preview(
                s, "2015Q3", current_run(s, "2015Q3").id, utcnow().replace(year=2100), "test"
            ).id
        assert editions.unfinished(db.session) == ["2015Q3"]
        delivery_worker()
        delivery_worker()
        assert editions.unfinished(db.session) == []
    assert dbs.get(Edition, edition_id).rendered_at is not None
    made = dbs.scalars(select(Artifact).where(Artifact.edition_id == edition_id)).all()
    assert sorted(a.ico for a in made if a.kind == "scorecard") == ["HA", "HB"]
    got = {k: len(v) for k, v in smtp.recorder.by_recipient().items()}
    assert got == {  # each ICO's report recipients and users, once; no reviewer before publication
        "reports@ha.example.org": 1,
        "ha@example.org": 1,
        "reports@hb.example.org": 1,
        "cmo@hb.example.org": 1,
        "hb@example.org": 1,
    }
