"""The worked example of tests/data/examples (docs/measures.md): seven quarters of packages for two ICOs go in
through the CLI, and the `results` command must give every expected result (each measure of the registry for
each ICO and statewide in 2015Q2, 2015Q3 and 2015: 135), and the hand-checked case its own."""

import csv
import io
import json
import math

from measures import REGISTRY
from tests.conftest import EXAMPLES

PERIODS = ("2015Q2", "2015Q3", "2015")


def submit_all(runner, root, icos):
    for ico in icos:
        runner.invoke(args=["ico", "add", "--code", ico, "--name", f"ICO {ico}", "--state", "MA"])
        for folder in sorted((root / ico).iterdir()):
            r = runner.invoke(args=["submit", "--ico", ico, "--period", folder.name, str(folder)])
            assert r.exit_code == 0, r.output


def results_csv(runner, period):
    r = runner.invoke(args=["compute", "--period", period])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["results", "--period", period, "--format", "csv"])
    assert r.exit_code == 0, r.output
    return list(csv.DictReader(io.StringIO(r.output)))


def compare(expected_rows, got_rows):
    got = {(r["measure_id"], r["ico"], r["period"]): r for r in got_rows}
    problems = []
    for e in expected_rows:
        key = (e["measure_id"], e["ico"], e["period"])
        g = got.get(key)
        if g is None:
            problems.append(f"{key}: missing")
            continue
        for col in ("numerator", "denominator", "status"):
            if g[col] != e[col]:
                problems.append(f"{key} {col}: got {g[col]!r}, expected {e[col]!r}")
        if json.loads(g["elements"] or "{}") != json.loads(e["elements"] or "{}"):
            problems.append(f"{key} elements: got {g['elements']}, expected {e['elements']}")
        for col in ("value", "ci_low", "ci_high"):
            if (g[col] == "") != (e[col] == ""):
                problems.append(f"{key} {col}: got {g[col]!r}, expected {e[col]!r}")
            elif e[col] and not math.isclose(float(g[col]), float(e[col]), abs_tol=1e-6):
                problems.append(f"{key} {col}: got {g[col]}, expected {e[col]}")
    return problems


def test_worked_example_gives_every_expected_result(app):
    runner = app.test_cli_runner()
    submit_all(runner, EXAMPLES / "packages", ["HA", "HB"])
    expected = list(csv.DictReader(open(EXAMPLES / "expected-results.csv", newline="")))
    units = ["HA", "HB", "STATEWIDE"]
    assert len(expected) == len(REGISTRY) * len(units) * len(PERIODS)
    assert {(r["measure_id"], r["ico"], r["period"]) for r in expected} == {
        (m, u, p) for m in REGISTRY for u in units for p in PERIODS
    }
    got = []
    for period in PERIODS:
        got += results_csv(runner, period)
    assert compare(expected, got) == []
    assert len(got) == len(expected)


def test_hand_checked_case(app):
    runner = app.test_cli_runner()
    submit_all(runner, EXAMPLES / "hand-checked", ["T"])
    expected = list(csv.DictReader(open(EXAMPLES / "hand-checked" / "expected-2015Q2.csv", newline="")))
    got = [r for r in results_csv(runner, "2015Q2") if r["ico"] == "T"]
    assert compare(expected, got) == []


def test_recomputing_keeps_the_previous_run_for_comparison(app):
    runner = app.test_cli_runner()
    submit_all(runner, EXAMPLES / "hand-checked", ["T"])
    first = results_csv(runner, "2015Q2")
    second = results_csv(runner, "2015Q2")
    assert first == second
    from sqlalchemy import select

    from reporting.storage import db
    from reporting.storage.models import ResultRun

    with db.transaction() as s:
        runs = s.scalars(select(ResultRun).where(ResultRun.period_code == "2015Q2").order_by(ResultRun.id)).all()
        assert [r.is_current for r in runs] == [False, True]
        assert runs[0].inputs == runs[1].inputs and runs[1].inputs["T"][0]["sha256"]
        old_id = runs[0].id
    old = runner.invoke(args=["results", "--period", "2015Q2", "--run", str(old_id)])
    assert old.exit_code == 0 and list(csv.DictReader(io.StringIO(old.output))) == first
    bad = runner.invoke(args=["results", "--period", "2015Q3", "--run", str(old_id)])
    assert bad.exit_code == 2 and "is not a run of 2015Q3" in bad.output
