"""Adding a programme is one file and its rules files: zz-test, from the instance folder, runs a whole quarterly
cycle (compute, edition, render, deliver) with no code changed, and One Care's editions are untouched by it."""

import pytest
from sqlalchemy import select

from reporting.storage.models import Artifact, Delivery, Edition, ResultRun, RuleSet
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow  # a whole cycle: computing, rendering every PDF, delivering


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # the rule, not the database: one backend keeps the suite short
def test_a_programme_from_the_instance_folder_runs_a_whole_cycle(zz_app, dbs, tmp_path):
    runner = zz_app.test_cli_runner()
    for code, source in (("ZA", "HA"), ("ZB", "HB")):
        out = runner.invoke(
            args=[
                "ico",
                "add",
                "--code",
                code,
                "--name",
                f"ICO {code}",
                "--programme",
                "zz-test",
                "--recipient",
                f"reports@{code.lower()}.example.org",
            ]
        )
        assert out.exit_code == 0 and f"Added ICO {code} to zz-test." in out.output
        for quarter in ("2014Q1", "2014Q2", "2014Q3"):
            folder = EXAMPLES / "packages" / source / quarter
            out = runner.invoke(args=["submit", "--ico", code, "--period", quarter, str(folder)])
            assert out.exit_code == 0, out.output

    out = runner.invoke(args=["cycle", "--period", "2014Q3", "--programme", "zz-test"])
    assert out.exit_code == 0, out.output
    assert "2014Q3: published; edition 1 (new)" in out.output and "0 failed" in out.output

    edition = dbs.scalar(select(Edition).where(Edition.programme_id == "zz-test"))
    run = dbs.get(ResultRun, edition.run_id)
    assert (edition.period_code, edition.status, run.programme_id) == ("2014Q3", "published", "zz-test")
    assert edition.rule_versions == {"2014": 1}  # version 1 of its own rules, seeded from its own files
    rules = dbs.scalar(select(RuleSet).where(RuleSet.programme_id == "zz-test", RuleSet.year == 2014))
    assert {m.measure_id for m in rules.measures if m.withhold} == {"assessment_90d", "care_plan_90d", "fuh_7d"}
    made = list(dbs.scalars(select(Artifact).where(Artifact.edition_id == edition.id)))
    artifacts = {(a.kind, a.ico) for a in made}
    assert {("scorecard", "ZA"), ("scorecard", "ZB")} <= artifacts
    # each PDF is named for its programme, once: neither One Care's prefix nor the programme's twice
    names = {a.filename for a in made if not a.preview}
    assert {"zz-test-scorecard-ZA-2014Q3.pdf", "zz-test-statewide-2014Q3.pdf"} <= names, names
    assert all(n.startswith("zz-test-") and n.count("zz-test") == 1 for n in {a.filename for a in made}), made
    sent = {d.recipient for d in dbs.scalars(select(Delivery).where(Delivery.edition_id == edition.id))}
    assert {"reports@za.example.org", "reports@zb.example.org"} <= sent
    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert any("reports@za.example.org" in p.read_text(errors="replace") for p in outbox)

    out = runner.invoke(args=["editions", "--period", "2014Q3", "--programme", "zz-test"])
    assert out.exit_code == 0 and out.output.split()[:2] == ["1", "published"]
    out = runner.invoke(args=["editions", "--period", "2014Q3"])  # One Care's: none
    assert out.exit_code != 0 and "has no edition yet" in out.output
    out = runner.invoke(args=["programmes"])
    line = next(row for row in out.output.splitlines() if row.startswith("zz-test"))
    assert " ZZ " in line and "2014Q1-" in line and line.split()[-11] == "2"  # two ICOs, then "9:" and nine ids
