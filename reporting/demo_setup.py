"""``flask demo``: two programmes, One Care's three original ICOs and three of MI Health Link's plans, a user of
every role (a reviewer of each state), and their data, results, reports and e-mails, made through the same code paths
a real user takes."""

from __future__ import annotations

import json
import secrets
import tempfile
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from measures import Period
from reporting import accounts, clock, demo, pipeline
from reporting.access import ADMIN, CMS_REVIEWER, ICO_SUBMITTER, OPERATOR, STATE_REVIEWER
from reporting.cli_files import files_from_paths
from reporting.rules import impact, store
from reporting.storage import db
from reporting.storage.models import Organization, Submission, User

RECIPIENTS = {
    "CCA": ["quality@cca.example.org"],
    "FTC": ["quality@fallon.example.org"],
    "NHP": ["quality@networkhealth.example.org", "medical.director@networkhealth.example.org"],
    "AMC": ["quality@amerihealthcaritas-mi.example.org"],
    "MER": ["quality@meridian-mi.example.org"],
    "UPH": ["quality@uphp.example.org"],
}
USERS = [
    ("admin@demo.example.org", ADMIN, None, None, "Ada Admin"),
    ("cms.reviewer@demo.example.org", CMS_REVIEWER, None, None, "Casey CMS"),
    ("ma.reviewer@demo.example.org", STATE_REVIEWER, None, "MA", "Morgan Mass"),
    ("submitter@cca.example.org", ICO_SUBMITTER, "CCA", None, "Cam Commonwealth"),
    ("submitter@fallon.example.org", ICO_SUBMITTER, "FTC", None, "Fran Fallon"),
    ("submitter@networkhealth.example.org", ICO_SUBMITTER, "NHP", None, "Nat Network"),
    ("mi.reviewer@demo.example.org", STATE_REVIEWER, None, "MI", "Mackinac Michigan"),
    ("submitter@meridian-mi.example.org", ICO_SUBMITTER, "MER", None, "Meri Meridian"),
    ("submitter@amerihealthcaritas-mi.example.org", ICO_SUBMITTER, "AMC", None, "Ami Caritas"),
    ("submitter@uphp.example.org", ICO_SUBMITTER, "UPH", None, "Una Peninsula"),
]


def credentials_path() -> Path:
    return Path(current_app.instance_path) / "demo-credentials.json"


def ensure_accounts() -> dict[str, str]:
    path = credentials_path()
    creds = json.loads(path.read_text()) if path.exists() else {}
    with db.transaction() as session:
        for ico in demo.ICOS:
            if session.scalar(select(Organization).where(Organization.code == ico.code)) is None:
                accounts.add_ico(
                    session,
                    code=ico.code,
                    name=ico.name,
                    programme=ico.programme,
                    recipients=RECIPIENTS[ico.code],
                    active_from=datetime.fromisoformat(demo.DEMO_PROGRAMMES[ico.programme].enroll_from).date(),
                    active_to=datetime(2015, 9, 30).date() if ico.last_period == "2015Q3" else None,
                    actor="demo",
                )
        for email, role, ico, state, name in USERS:
            if session.scalar(select(User).where(func.lower(User.email) == email)) is None:
                creds[email] = secrets.token_urlsafe(12)
                accounts.create_user(
                    session,
                    email=email,
                    role=role,
                    password=creds[email],
                    name=name,
                    ico=ico,
                    state=state,
                    actor="demo",
                )
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


def load_data(seed: int = 2014) -> int:
    """Generate the packages and submit them as the ICOs' submitters would; returns how many were sent."""
    with db.transaction() as session:
        if session.scalar(select(func.count(Submission.id))):
            return 0
        submitters = {
            u.organization.code: u
            for u in session.scalars(select(User).where(User.role == ICO_SUBMITTER))
            if u.organization
        }
    out = Path(current_app.instance_path) / "demo-data"
    manifest = (
        demo.generate(out, seed)
        if not (out / "manifest.json").exists()
        else json.loads((out / "manifest.json").read_text())
    )
    sent = 0
    for entry in manifest["packages"]:
        folder = out / entry["path"]
        received = datetime.fromisoformat(entry["received"])
        uploader = submitters.get(entry["ico"])
        if entry.get("first_attempt_error"):
            with tempfile.TemporaryDirectory() as tmp:
                broken = demo.broken_copy(folder, Path(tmp) / "broken")
                pipeline.accept_package(
                    entry["ico"],
                    entry["period"],
                    files_from_paths([broken]),
                    uploader=uploader,
                    via="demo",
                    received_at=received.replace(hour=9),
                )
            received = received.replace(hour=15)
        outcome = pipeline.accept_package(
            entry["ico"],
            entry["period"],
            files_from_paths([folder]),
            uploader=uploader,
            via="demo",
            received_at=received,
        )
        if not outcome.accepted:
            raise click.ClickException(f"demo package {entry['path']} was rejected: {outcome.report['by_rule'][:3]}")
        sent += 1
    return sent


def demo_periods(programme: str) -> list[str]:
    """The programme's demo quarters and their years."""
    quarters = list(demo.DEMO_PROGRAMMES[programme].periods)
    return quarters + sorted({q[:4] for q in quarters})


def compute_all() -> list[str]:
    """Compute every demo period of each programme (apart: a programme's figures never pool another's ICOs)."""
    done = []
    for programme in demo.DEMO_PROGRAMMES:
        periods = demo_periods(programme)
        pipeline.compute_many(periods, trigger="demo", force=False, warm=True, programme=programme)
        done += [f"{programme} {p}" for p in periods]
    return done


# The demo publishes the history, then leaves the newest quarter (2015Q4) in preview with two inquiries; the
# scheduler started by scripts/start.sh opens the year 2015's preview within a minute, as it would in production.
DEMO_CYCLE_PERIODS = ["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2014", "2015Q1", "2015Q2", "2015Q3"]
# MI Health Link's history: its first three quarters (opt-in from March 2015, passive waves in May and July).
MI_CYCLE_PERIODS = ["2015Q1", "2015Q2", "2015Q3"]
CYCLES = {"ma-one-care": DEMO_CYCLE_PERIODS, "mi-health-link": MI_CYCLE_PERIODS}


def publish_history() -> str:
    """Run the cycle for every past period, as the scheduler would have: PDFs rendered, e-mails delivered. The
    history predates the preview window, so it is published at once whatever PUBLISH_MODE says."""
    from reporting.rendering.pdf import check_environment

    check_environment()
    pdfs = sent = 0
    mode = current_app.config["PUBLISH_MODE"]
    current_app.config["PUBLISH_MODE"] = "auto"
    try:
        for programme, periods in CYCLES.items():
            for code in periods:
                o = pipeline.run_cycle(code, trigger="demo", wait_for_retries=0, programme=programme)
                pdfs, sent = pdfs + o.rendered, sent + (o.sent if o.new_edition else 0)
                click.echo(f"  cycle {programme} {o.period}: edition {o.edition_number} {o.status}, {o.rendered} PDFs")
    finally:
        current_app.config["PUBLISH_MODE"] = mode
    where = current_app.config["SMTP_HOST"] or current_app.config["OUTBOX_DIR"]
    listed = "; ".join(f"{programme} {', '.join(periods)}" for programme, periods in CYCLES.items())
    return f"Published {listed}: {pdfs} PDFs rendered, e-mails delivered to {where}."


def preview_newest() -> str:
    """The newest quarter in preview (PUBLISH_MODE=preview, the default), with one open inquiry and one closed,
    so that a newcomer sees the loop at once."""
    from reporting.review import inquiries
    from reporting.storage.models import Inquiry

    if current_app.config["PUBLISH_MODE"] != "preview":
        return f"PUBLISH_MODE is {current_app.config['PUBLISH_MODE']}: the scheduler publishes {NEWEST} itself."
    o = pipeline.run_cycle(NEWEST, trigger="demo", wait_for_retries=0)
    mi = pipeline.run_cycle(NEWEST, trigger="demo", wait_for_retries=0, programme="mi-health-link")
    with db.transaction() as session:
        if session.scalar(select(func.count(Inquiry.id))):
            return f"{NEWEST} is {o.status}; its demo inquiries exist already."
        users = {u.email: u for u in session.scalars(select(User))}
        cca, nhp = users["submitter@cca.example.org"], users["submitter@networkhealth.example.org"]
        cms = users["cms.reviewer@demo.example.org"]
        inquiries.open_inquiry(
            session,
            cca,
            Period.parse(NEWEST),
            "fuh_7d",
            (
                "Our follow-up rate within 7 days looks about ten points lower than our own count. Could two "
                "discharges on 2015-12-30 have been left out because the follow-up visits fell in January?"
            ),
        )
        closed = inquiries.open_inquiry(
            session,
            nhp,
            Period.parse(NEWEST),
            None,
            (
                "The member count in the preview differs from our enrollment report for December. Please confirm "
                "which members.csv version was used."
            ),
        )
        inquiries.add_message(
            session,
            cms,
            closed,
            "The preview uses NHP's 2015Q4 package version 1, "
            "received on time; its December spans match the count shown.",
        )
        inquiries.close(session, cms, closed, "no_change", "The figures follow the package in force.")
    return (
        f"{NEWEST} is in {o.status} until the window ends ({current_app.config['PREVIEW_DAYS']} days), "
        f"with one open inquiry (CCA, FUH 7-day) and one closed: see Inquiries. MI Health Link's {NEWEST} is in "
        f"{mi.status} too."
    )


def case_mix_rules() -> str:
    """2015's rule set version 2 turns the case-mix adjustment on: benchmarks and the withhold judge the survey
    measures on their adjusted scores (the impact preview of that draft is what the demo reports)."""
    with db.transaction() as session:
        current = store.in_force(session, 2015)
        if current is None or current.case_mix_adjusted:
            return "2015 rules: nothing to change for the case-mix adjustment."
        draft = store.create_draft(session, 2015, "demo", note="Experience of care judged on case-mix adjusted scores")
        store.set_case_mix(session, draft, True, "demo")
        summary = impact.impact(session, draft, OPERATOR).summary()
        store.adopt(session, draft.id, "demo")
        label = draft.label
    return f"Rules {label}: survey measures judged on case-mix adjusted scores. {summary}"


def service_date() -> str:
    """Which date the demo runs on: its data end with 2015Q4, so it reads as a live quarter in early 2016."""
    if clock.fixed():
        return f"The service runs on {clock.today().isoformat()} (REPORTING_TODAY), shown on every page."
    return (
        f"The service runs on the calendar's date ({clock.today().isoformat()}), long after the demo's data end: "
        f"set REPORTING_TODAY={demo.DEMO_TODAY} (scripts/start.sh does) so that it reads as a live quarter."
    )


NEWEST = "2015Q4"
EXTRA_STEPS: list = [case_mix_rules, publish_history, preview_newest, service_date]
