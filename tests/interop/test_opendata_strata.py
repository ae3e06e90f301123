"""Results by group in the open data: ``results_strata.csv`` and its table schema in the Frictionless package,
valid for the plain ``frictionless validate datapackage.json``; suppressed cells empty and flagged as in
``results.csv``; read back with pandas and compared cell by cell with the strata given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from reporting.engine.strata import STRATIFIERS
from reporting.publication.strata import EXPORT_COLUMNS
from tests.interop.test_fhir import publish

FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))


def frictionless_validate(folder: Path) -> subprocess.CompletedProcess:
    """``frictionless validate datapackage.json`` in ``folder``, as a reader would type it."""
    return subprocess.run(
        [FRICTIONLESS, "validate", "datapackage.json"], cwd=folder, capture_output=True, text=True, timeout=300
    )


def contract_frame(app) -> pd.DataFrame:
    """The published edition's strata in the shape of ``strata_release.published_strata`` (its contract), with
    cells made ``suppressed`` as it would: a count alone, a whole row, a value and interval."""
    from reporting.access import OPERATOR
    from reporting.interop.published import published
    from reporting.publication import strata
    from reporting.publication.figures import as_published
    from reporting.storage import db

    with app.app_context():
        pub = published(db.session, "2015Q2")
        frame = strata.seen_by(db.session, OPERATOR, as_published(db.session), "2015Q2")
    frame = frame.astype(object).assign(suppressed=False)[[*EXPORT_COLUMNS, "status"]]
    percent = frame.index[(frame["measure_id"] == "assessment_90d") & (frame["ico"] == "HA")]
    alone, whole = percent[0], percent[1]
    frame.loc[alone, ["numerator", "suppressed"]] = ["suppressed", True]
    frame.loc[whole, ["numerator", "denominator", "value", "ci_low", "ci_high", "flag", "suppressed"]] = [
        "suppressed",
        "suppressed",
        "suppressed",
        "suppressed",
        "suppressed",
        None,
        True,
    ]
    return frame.assign(programme=pub.programme.id)


def test_results_strata_validates_and_reads_back_cell_by_cell(example, tmp_path):
    from reporting.interop import opendata
    from reporting.interop.published import published
    from reporting.storage import db

    publish(example)
    frame = contract_frame(example)
    with example.app_context():
        written = opendata.write(published(db.session, "2015Q2"), "https://example.org", tmp_path, frame)
    assert sorted(p.name for p in written) == ["datapackage.json", "results.csv", "results_strata.csv"]
    checked = frictionless_validate(tmp_path)
    assert checked.returncode == 0 and "VALID" in checked.stdout.upper(), checked.stdout + checked.stderr
    meta = json.loads((tmp_path / "datapackage.json").read_text())
    resource = next(r for r in meta["resources"] if r["name"] == "results_strata")
    assert [f["name"] for f in resource["schema"]["fields"]] == [*EXPORT_COLUMNS, "status"]
    table = pd.read_csv(tmp_path / "results_strata.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == [*EXPORT_COLUMNS, "status"] and len(table) == len(frame)
    for given, row in zip(frame.to_dict("records"), table.to_dict("records")):
        for column in ("programme", "period", "ico", "measure_id", "stratifier", "stratum", "status"):
            assert row[column] == given[column]
        assert row["suppressed"] == str(bool(given["suppressed"])).lower()
        for column in ("numerator", "denominator"):
            expected = "" if given[column] in (None, "suppressed") else int(given[column])
            assert (int(row[column]) if row[column] != "" else "") == expected, (column, given)
        for column in ("value", "ci_low", "ci_high"):
            if given[column] in (None, "suppressed") or given["status"] != "reported":
                assert row[column] == "", (column, given)
            else:
                assert float(row[column]) == given[column]
        assert row["flag"] == (given["flag"] or "")
    # every stratifier, every ICO and statewide
    assert set(table["stratifier"]) == set(STRATIFIERS)
    assert set(table["ico"]) == {"HA", "HB", "STATEWIDE"}


def test_a_package_that_does_not_validate_is_caught(example, tmp_path):
    """The check above can fail: a suppressed cell written as text breaks the integer column's type."""
    from reporting.interop import opendata
    from reporting.interop.published import published
    from reporting.storage import db

    publish(example)
    frame = contract_frame(example)
    with example.app_context():
        opendata.write(published(db.session, "2015Q2"), "https://example.org", tmp_path, frame)
    path = tmp_path / "results_strata.csv"
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    fields[6] = "suppressed"
    path.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")
    assert frictionless_validate(tmp_path).returncode != 0
