"""The public page and the open-data package: signed out, published editions only, suppression exactly as in
the public report, valid for the frictionless validator."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from frictionless import validate

from measures import REGISTRY
from tests.interop.test_fhir import publish
from tests.rendering.test_pdf import pdf_text

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


@pytest.fixture
def published_example(example):
    """2015Q2 published through the whole cycle (public report rendered), 2015Q3 computed but not published."""
    from reporting import pipeline

    with example.app_context():
        outcome = pipeline.run_cycle("2015Q2", trigger="test")
    assert outcome.status == "published"
    return example


def test_the_public_page_works_signed_out_and_lists_published_periods_only(published_example):
    client = published_example.test_client()
    page = client.get("/public")
    assert page.status_code == 200 and "no-store" not in page.headers.get("Cache-Control", "")
    assert "max-age" in page.headers["Cache-Control"]
    assert "/public/ma-one-care" in page.get_data(as_text=True)  # the index lists the programmes
    page = client.get("/public/ma-one-care")
    assert page.status_code == 200 and "max-age" in page.headers["Cache-Control"]
    text = page.get_data(as_text=True)
    assert "/public/ma-one-care/2015Q2.zip" in text and "2015Q3.zip" not in text and ">2015Q3<" not in text
    assert client.get("/public/ma-one-care/2015Q3.zip").status_code == 404  # computed, never published
    assert client.get("/public/ma-one-care/2015Q3/report.pdf").status_code == 404
    assert client.get("/public/mi-health-link/2015Q2.zip").status_code == 404  # another programme's: none
    pdf = client.get("/public/ma-one-care/2015Q2/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/public/2015Q2/report.pdf").headers["Location"].endswith("/public/ma-one-care/2015Q2/report.pdf")


def test_the_open_data_package_validates_and_equals_the_public_report(published_example, tmp_path):
    client = published_example.test_client()
    r = client.get("/public/ma-one-care/2015Q2.zip")
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    assert sorted(archive.namelist()) == ["datapackage.json", "results.csv", "results_strata.csv"]
    archive.extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])
    table = pd.read_csv(tmp_path / "results.csv", dtype={"ico": str})
    assert list(table.columns) == [
        "programme",
        "measure_id",
        "ico",
        "period",
        "numerator",
        "denominator",
        "value",
        "status",
        "suppressed",
        "adjusted_value",
        "vs_statewide",
    ]
    # Case-mix adjusted values for the survey measures only, where the value is shown (issue 25).
    survey = table["measure_id"].map(lambda m: bool(REGISTRY[m].case_mix_items))
    assert (
        table.loc[~survey, "adjusted_value"].isna().all()
        and table.loc[table["value"].isna(), "adjusted_value"].isna().all()
    )
    shown = table[survey & table["value"].notna()]
    assert len(shown) and shown["adjusted_value"].notna().all()
    assert set(shown.loc[shown["ico"] != "STATEWIDE", "vs_statewide"]) <= {"higher", "lower", "no_difference"}
    assert (
        shown.loc[shown["ico"] == "STATEWIDE", "adjusted_value"] == shown.loc[shown["ico"] == "STATEWIDE", "value"]
    ).all()
    assert len(table) == len(REGISTRY) * 3 and set(table["ico"]) == {"HA", "HB", "STATEWIDE"}
    assert set(table["programme"]) == {"ma-one-care"}
    # Suppressed cells are empty, and flagged.
    flagged = table[table["suppressed"]]
    assert len(flagged) > 0
    assert flagged[["numerator", "denominator", "value"]].isna().any(axis=1).all()
    # An NA result shows no value.
    assert table.loc[table["status"] == "NA", "value"].isna().all()
    # A suppressed row says "suppressed", as results_strata.csv does; NA only for a result not applicable.
    assert (flagged["status"] == "suppressed").all() and (
        table.loc[~table["suppressed"], "status"] != "suppressed"
    ).all()
    strata = pd.read_csv(tmp_path / "results_strata.csv", dtype=str)
    assert (strata.loc[strata["suppressed"] == "true", "status"] == "suppressed").all()
    # Every value equals the public PDF's: each shown value appears there, each suppressed one is empty there too.
    from sqlalchemy import select

    from reporting.storage import db
    from reporting.storage.models import Artifact

    with published_example.app_context():
        public_pdf = db.session.scalar(select(Artifact.content).where(Artifact.kind == "public"))
    text = " ".join(pdf_text(public_pdf).split())
    from reporting.rendering.filters import fmt_value

    for row in table.itertuples():
        if pd.notna(row.value):
            assert fmt_value(row.value, REGISTRY[row.measure_id].unit) in text, row
    # The CLI writes the same files.
    out = tmp_path / "cli"
    result = published_example.test_cli_runner().invoke(args=["open-data", "--period", "2015Q2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "results.csv").read_bytes() == (tmp_path / "results.csv").read_bytes()
    assert validate(str(out / "datapackage.json")).valid


def test_a_suppressed_value_in_the_public_pdf_is_empty_in_the_csv(published_example, tmp_path):
    from reporting.interop import opendata
    from reporting.interop.published import published
    from reporting.publication.suppression import SUPPRESSED, suppress
    from reporting.storage import db

    with published_example.app_context():
        pub = published(db.session, "2015Q2")
        rows = {(r["measure_id"], r["ico"]): r for r in opendata.rows(pub)}
        for (mid, ico), _result in pub.results.items():
            cells = {c.ico: c for c in suppress(mid, [r for (m, _), r in pub.results.items() if m == mid])}
            cell = cells[ico]
            for name in ("numerator", "denominator"):
                if getattr(cell, name) == SUPPRESSED:
                    assert rows[(mid, ico)][name] == "" and rows[(mid, ico)]["suppressed"] == "true"


def test_nothing_in_preview_reaches_the_public(example):
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.storage import db

    with example.app_context(), db.transaction() as s:
        editions.create(s, "2015Q2", current_run(s, "2015Q2").id, publish=False)
    client = example.test_client()
    assert "2015Q2" not in client.get("/public/ma-one-care").get_data(as_text=True)
    assert client.get("/public/2015Q2.zip", follow_redirects=True).status_code == 404
    r = example.test_cli_runner().invoke(args=["open-data", "--period", "2015Q2", "-o", "/tmp/never"])
    assert r.exit_code == 1 and "has not been published" in r.output
    publish(example)
    assert client.get("/public/2015Q2.zip", follow_redirects=True).status_code == 200
