"""Issue 24, "Headlines with their PDF": an e-mail's figures are those of its attachment. After a report was
rendered, new rules are adopted and the previous quarter is recomputed from a resubmission; a failed delivery of
that report sent again then states the PDF's figures (its recorded rules, the previous quarter as published), not
today's."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.jobs.tasks import delivery_worker
from reporting.publication.benchmarks import MET, MET_GAP, NOT_MET
from reporting.publication.figures import cell
from reporting.rules.store import current_rules
from reporting.storage import db
from reporting.storage.models import Artifact, Delivery, Edition, Result, ResultRun
from tests.conftest import EXAMPLES, csrf_token, login
from tests.rendering.test_pdf import pdf_text

HIGHER_PERCENT = [m.id for m in REGISTRY.values() if m.unit == "percent" and m.higher_is_better]


def cli(app, *args, ok=(0,)):
    r = app.test_cli_runner().invoke(args=list(args))
    assert r.exit_code in ok, r.output
    return r.output


def _counts(text: str) -> tuple[int, int, int]:
    """The e-mail's 'N measures met, N not met, N NA' and the PDF's per-domain boxes, summed."""
    m = re.search(r"HA: (\d+) measures met, (\d+) not met, (\d+) NA", text)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    boxes = re.findall(r"(\d+)\s*met · (\d+) not met · (\d+) NA", text)
    assert len(boxes) == 3, text[:2000]
    return tuple(sum(int(b[i]) for b in boxes) for i in range(3))


@pytest.mark.parametrize(
    "example_url", ["sqlite"], indirect=True
)  # the rule, not the database: one backend keeps the suite short
def test_a_resent_email_states_its_pdfs_figures_after_a_rule_adoption_and_a_recompute(example, smtp, dbs, tmp_path):
    example.config.update(smtp.config())
    cli(example, "cycle", "--period", "2015Q1")
    smtp.recorder.refuse.add("reports@ha.example.org")  # HA's 2015Q2 scorecard fails (550)
    cli(example, "cycle", "--period", "2015Q2", ok=(1,))  # exit 1: a delivery failed
    failed = dbs.scalar(select(Delivery).where(Delivery.status == "failed"))
    artifact = dbs.get(Artifact, failed.artifact_id)
    assert (artifact.kind, artifact.ico, artifact.period_code) == ("scorecard", "HA", "2015Q2")

    # New rules for 2015: every higher-is-better percentage needs 100 %.
    proposal = tmp_path / "rules.csv"
    proposal.write_text("measure_id,benchmark\n" + "".join(f"{mid},100\n" for mid in HIGHER_PERCENT))
    draft = cli(example, "rules", "propose", "--year", "2015", "--from", str(proposal)).strip().splitlines()[-1]
    cli(example, "rules", "adopt", "--draft", draft)
    # HA resubmits 2015Q1 (five visits fewer) and it is recomputed; its published edition stays as it was.
    folder = tmp_path / "HA-2015Q1"
    shutil.copytree(EXAMPLES / "packages" / "HA" / "2015Q1", folder)
    visits = (folder / "visits.csv").read_text().splitlines()
    (folder / "visits.csv").write_text("\n".join(visits[:-5]) + "\n")
    cli(example, "submit", "--ico", "HA", "--period", "2015Q1", str(folder))
    cli(example, "compute", "--period", "2015Q1")

    # The admin sends it again; the scheduler's delivery job sends it.
    smtp.recorder.refuse.clear()
    admin = example.test_client()
    login(admin, "admin@example.org")
    r = admin.post(f"/admin/deliveries/{failed.id}/resend", data={"csrf_token": csrf_token(admin, "/admin/deliveries")})
    assert r.status_code == 302
    with example.app_context():
        delivery_worker()
    [message] = [m for m in smtp.recorder.by_recipient()["reports@ha.example.org"] if "2015Q2" in m["Subject"]]
    attached = message.get_payload()[-1].get_content()
    assert attached == artifact.content
    text, pdf = message.get_body(("plain",)).get_content(), pdf_text(attached)
    assert _counts(text) == _counts(pdf)
    html = message.get_body(("html",)).get_content()
    assert [int(re.search(rf'data-figure="{f}">(\d+)<', html)[1]) for f in ("met", "not_met", "na")] == list(
        _counts(pdf)
    )

    # Today's rules would say otherwise: the test could fail.
    with example.app_context():
        rules = current_rules(db.session)
        db.session.remove()
    now = {
        r.measure_id: r for r in dbs.scalars(select(Result).where(Result.run_id == artifact.run_id, Result.ico == "HA"))
    }
    statuses = [cell(rules, mid, now.get(mid), 2015).status for mid in REGISTRY]
    assert (sum(s in (MET, MET_GAP) for s in statuses), sum(s == NOT_MET for s in statuses)) != _counts(pdf)[:2]
    # The changes it lists start from the previous quarter as published (the PDF's), not as recomputed since.
    published_q1 = dbs.scalar(select(Edition).where(Edition.period_code == "2015Q1", Edition.status == "published"))
    assert published_q1.run_id != dbs.scalar(
        select(ResultRun.id).where(ResultRun.period_code == "2015Q1", ResultRun.is_current)
    )
    # The value each change starts from is the one the PDF headlines: a survey result's adjusted score.
    before = {
        r.measure_id: r.value if r.adjusted_value is None else r.adjusted_value
        for r in dbs.scalars(select(Result).where(Result.run_id == published_q1.run_id, Result.ico == "HA"))
    }
    titles = {m.title: mid for mid, m in REGISTRY.items()}
    changes = re.findall(r"^  - (.+): ([\d.]+)\D.*-> ", text, flags=re.M)
    assert changes, text
    for title, value in changes:
        assert abs(float(value) - before[titles[title]]) <= 0.051, (title, value, before[titles[title]])
