"""FHIR R4 Measure and MeasureReport: parsed back with fhir.resources (R4B), compared number by number with
``results``, and served to each token only what it may see."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measure import Measure
from fhir.resources.R4B.measurereport import MeasureReport
from fhir.resources.R4B.operationoutcome import OperationOutcome

from measures import REGISTRY
from tests.ingest.test_upload_paths import issue_token

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"


def publish(app, period="2015Q2"):
    """Publish the period's current run as an edition (no rendering: these tests read results only)."""
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.storage import db

    with app.app_context(), db.transaction() as s:
        return editions.create(s, period, current_run(s, period).id, publish=True, actor="test").number


def get(client, token, path):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def counts(group) -> dict:
    return {p.code.coding[0].code: p.count for p in group.population}


def test_one_measure_per_registry_entry_with_its_codes(example):
    client = example.test_client()
    token = issue_token(example, "cms@example.org")
    r = get(client, token, "/api/v1/fhir/Measure?programme=ma-one-care")
    assert r.status_code == 200 and r.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate(r.get_json())
    assert bundle.type == "searchset" and bundle.total == len(REGISTRY)
    by_id = {e.resource.identifier[0].value: e.resource for e in bundle.entry}
    assert set(by_id) == set(REGISTRY)
    for mid, m in REGISTRY.items():
        res = by_id[mid]
        assert isinstance(res, Measure) and res.status == "active" and res.version == m.version
        assert res.url.endswith(f"/api/v1/fhir/Measure/ma-one-care-{mid.replace('_', '-')}")  # names its programme
        assert (
            res.scoring.coding[0].code
            == {"percent": "proportion", "per_1000": "ratio", "score": "continuous-variable"}[m.unit]
        )
        assert res.improvementNotation.coding[0].code == ("increase" if m.direction == "higher" else "decrease")
        codes = {p.code.coding[0].code for p in res.group[0].population}
        assert codes >= (
            {"initial-population", "measure-population"} if m.unit == "score" else {"denominator", "numerator"}
        )
        assert ("denominator-exclusion" in codes) == (mid in ("fuh_7d", "fuh_30d"))
        assert all(p.code.coding[0].system == POPULATION for p in res.group[0].population)
    one = get(client, token, "/api/v1/fhir/Measure/fuh-7d")
    assert Measure.model_validate(one.get_json()).title == REGISTRY["fuh_7d"].title
    assert get(client, token, "/api/v1/fhir/Measure/ma-one-care-fuh-7d").get_json() == one.get_json()
    assert get(client, token, "/api/v1/fhir/Measure/nope").status_code == 404
    # every programme's measures for a CMS token, each set its own: MI Health Link's nine after One Care's fifteen
    every = Bundle.model_validate(get(client, token, "/api/v1/fhir/Measure").get_json())
    urls = [e.resource.url.rsplit("/", 1)[-1] for e in every.entry]
    assert len(urls) == len(REGISTRY) + 9 and sum(u.startswith("mi-health-link-") for u in urls) == 9
    assert get(client, token, "/api/v1/fhir/Measure/mi-health-link-reassessment-365d").status_code == 404


def test_the_cli_bundle_equals_results_number_by_number(example, tmp_path):
    publish(example)
    runner = example.test_cli_runner()
    out = tmp_path / "bundle.json"
    r = runner.invoke(args=["fhir", "--period", "2015Q2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    bundle = Bundle.model_validate(json.loads(out.read_text()))
    assert bundle.type == "collection"
    measures = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Measure"]
    reports = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "MeasureReport"]
    assert len(measures) == len(REGISTRY)
    listed = runner.invoke(args=["results", "--period", "2015Q2", "--format", "csv"])
    expected = {(row["measure_id"], row["ico"]): row for row in csv.DictReader(io.StringIO(listed.output))}
    assert len(reports) == len(expected) == len(REGISTRY) * 3  # HA, HB and statewide
    for report in reports:
        assert isinstance(report, MeasureReport) and report.type == "summary" and report.status == "complete"
        org = report.contained[0]
        ico = org.identifier[0].value
        mid = report.id.split(".")[2].removeprefix("ma-one-care-").replace("-", "_")
        row = expected[(mid, ico)]
        m = REGISTRY[mid]
        assert (
            report.measure
            == f"http://127.0.0.1:5000/api/v1/fhir/Measure/ma-one-care-{mid.replace('_', '-')}|{m.version}"
        )
        assert (report.period.start.isoformat(), report.period.end.isoformat()) == ("2015-04-01", "2015-06-30")
        got = counts(report.group[0])
        assert got.get("denominator", got.get("measure-population")) == int(row["denominator"])
        if row["numerator"]:
            assert got["numerator"] == int(row["numerator"])
        ext = {e.url.rsplit("/", 1)[-1]: e for e in report.extension}
        assert ext["result-status"].valueCode == row["status"]
        assert {x.url: (x.valueInteger or x.valueCode) for x in ext["edition"].extension} == {
            "number": 1,
            "status": "published",
        }
        if row["status"] == "reported":
            score = float(report.group[0].measureScore.value)
            value = float(row["value"])
            assert score == pytest.approx(value / 100 if m.unit == "percent" else value, abs=1e-9)
            if row["adjusted_value"]:  # survey measures: case-mix adjusted (issue 25)
                adjusted = float(row["adjusted_value"])
                assert float(ext["case-mix-adjusted-score"].valueQuantity.value) == pytest.approx(
                    adjusted / 100 if m.unit == "percent" else adjusted, abs=1e-9
                )
                assert (ext["vs-statewide"].valueCode if "vs-statewide" in ext else "") == row["vs_statewide"]
            else:
                assert "case-mix-adjusted-score" not in ext
            if row["ci_low"]:
                interval = ext["confidence-interval"].valueRange
                assert float(interval.low.value) == pytest.approx(float(row["ci_low"]) / 100, abs=1e-9)
                assert float(interval.high.value) == pytest.approx(float(row["ci_high"]) / 100, abs=1e-9)
        else:
            assert report.group[0].measureScore is None


def test_an_unpublished_period_gives_no_bundle(example, tmp_path):
    r = example.test_cli_runner().invoke(args=["fhir", "--period", "2015Q3", "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 1 and "has not been published" in r.output


def _ids(response) -> set[str]:
    bundle = Bundle.model_validate(response.get_json())
    return {e.resource.contained[0].identifier[0].value for e in bundle.entry or []}


def test_each_token_gets_what_it_may_see(example):
    publish(example)
    client = example.test_client()
    cms, ha, ri = (issue_token(example, e) for e in ("cms@example.org", "ha@example.org", "ri@example.org"))
    url = "/api/v1/fhir/MeasureReport?period=2015Q2"
    assert _ids(get(client, cms, url)) == {"HA", "HB", "STATEWIDE"}
    assert _ids(get(client, ha, url)) == {"HA"}  # statewide hidden: only two ICOs report (issue 18 #13)
    assert _ids(get(client, ri, url)) == set()  # another state's reviewer: neither ICOs nor statewide
    for token, path, status in [
        (ha, url + "&ico=HB", 403),
        (ha, url + "&ico=STATEWIDE", 403),
        (ha, "/api/v1/fhir/MeasureReport/2015Q2.HB.fuh-7d", 403),
        (cms, url + "&colour=red", 400),
        (cms, "/api/v1/fhir/MeasureReport?period=2015Q9", 400),
        (cms, "/api/v1/fhir/MeasureReport?period=2015Q3", 404),
        (cms, url + "&type=subject-list", 403),
        (cms, url + "&measure=nope", 400),
    ]:
        r = get(client, token, path)
        assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True))
        assert r.mimetype == "application/fhir+json"
        assert OperationOutcome.model_validate(r.get_json()).issue[0].severity == "error"
    assert client.get(url).status_code == 401
    one = get(client, ha, "/api/v1/fhir/MeasureReport/2015Q2.HA.fuh-7d")
    assert MeasureReport.model_validate(one.get_json()).contained[0].identifier[0].value == "HA"
    only = get(client, cms, url + "&ico=HB&measure=fuh_7d")
    assert len(Bundle.model_validate(only.get_json()).entry) == 1


def test_the_subject_list_is_the_icos_own_and_never_cached(example):
    publish(example)
    client = example.test_client()
    ha = issue_token(example, "ha@example.org")
    r = get(client, ha, "/api/v1/fhir/MeasureReport?period=2015Q2&type=subject-list&measure=assessment_90d")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    bundle = Bundle.model_validate(r.get_json())
    report = bundle.entry[0].resource
    assert report.type == "subject-list"
    listed = next(c for c in report.contained if c.get_resource_type() == "List")
    members = [e.item.identifier.value for e in listed.entry]
    assert (
        report.group[0].population[0].count == len(members)
        and report.group[0].population[0].subjectResults.reference == "#gap"
    )
    page = example.test_client()
    from tests.conftest import login

    login(page, "ha@example.org")
    gap_csv = page.get("/gaps/assessment_90d/HA/2015Q2/export.csv").get_data(as_text=True)
    for member in members:
        assert member in gap_csv
    summary = get(client, ha, "/api/v1/fhir/MeasureReport?period=2015Q2&measure=assessment_90d").get_data(as_text=True)
    assert not any(f'"{m}"' in summary for m in members)  # no member data in summary reports
    other = get(client, ha, "/api/v1/fhir/MeasureReport?period=2015Q2&type=subject-list&ico=HB")
    assert other.status_code == 403
