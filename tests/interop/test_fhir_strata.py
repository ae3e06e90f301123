"""Results by group in FHIR: ``MeasureReport.group.stratifier``, parsed back with fhir.resources (R4B), compared
number by number with the stored strata (read here straight from ``result_strata``), the strata adding up to
the group's populations, and each token shown only the strata it may see."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport
from sqlalchemy import select

from measures import REGISTRY
from reporting.engine.strata import STRATIFIERS
from reporting.storage.models import Edition, ResultStratum
from tests.ingest.test_upload_paths import issue_token
from tests.interop.test_fhir import get, publish

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def stored(dbs, period="2015Q2"):
    run_id = dbs.scalar(select(Edition.run_id).where(Edition.period_code == period, Edition.status == "published"))
    return {
        (s.ico, s.measure_id, s.stratifier, s.stratum): s
        for s in dbs.scalars(select(ResultStratum).where(ResultStratum.run_id == run_id))
    }


def counts(populations) -> dict:
    return {p.code.coding[0].code: p.count for p in populations}


def ext(element) -> dict:
    return {e.url.rsplit("/", 1)[-1]: e for e in element.extension or []}


def check_report(report: MeasureReport, strata: dict) -> int:
    """Every stratum of ``report`` against the stored one; the strata of each stratifier add up to the group.
    The number of strata checked."""
    ico = report.contained[0].identifier[0].value
    mid = report.id.split(".")[2].removeprefix("ma-one-care-").replace("-", "_")
    m = REGISTRY[mid]
    group = report.group[0]
    total = counts(group.population)
    names = [s.code[0].coding[0].code for s in group.stratifier]
    assert names == list(STRATIFIERS), (ico, mid, names)
    checked = 0
    for stratifier in group.stratifier:
        name = stratifier.code[0].coding[0].code
        assert [s.value.coding[0].code for s in stratifier.stratum] == list(STRATIFIERS[name])
        sums: dict[str, int] = {}
        for stratum in stratifier.stratum:
            s = strata[(ico, mid, name, stratum.value.coding[0].code)]
            got = counts(stratum.population)
            for code, n in got.items():
                sums[code] = sums.get(code, 0) + n
            assert got.get("denominator", got.get("measure-population")) == s.denominator
            assert got.get("numerator") == s.numerator
            extensions = ext(stratum)
            assert extensions["result-status"].valueCode == s.status
            assert (extensions["disparity"].valueCode if "disparity" in extensions else None) == s.flag
            if s.status == "reported" and s.value is not None:
                scale = 100 if m.unit == "percent" else 1
                assert float(stratum.measureScore.value) == pytest.approx(s.value / scale, abs=1e-9)
                if s.ci_low is not None:
                    interval = extensions["confidence-interval"].valueRange
                    assert float(interval.low.value) == pytest.approx(s.ci_low / scale, abs=1e-9)
            else:
                assert stratum.measureScore is None
            checked += 1
        # the strata of one stratifier add up to the group's populations
        if m.unit == "score":
            assert sums == {"measure-population": total["measure-population"]}, (ico, mid, name)
        else:
            assert sums["denominator"] == total["denominator"], (ico, mid, name)
            assert sums.get("numerator") == total.get("numerator"), (ico, mid, name)
    return checked


def test_the_cli_bundle_carries_every_stratum_adding_up_to_the_group(example, dbs, tmp_path):
    publish(example)
    strata = stored(dbs)
    out = tmp_path / "bundle.json"
    r = example.test_cli_runner().invoke(args=["fhir", "--period", "2015Q2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    bundle = Bundle.model_validate(json.loads(out.read_text()))
    reports = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "MeasureReport"]
    assert len(reports) == len(REGISTRY) * 3
    checked = sum(check_report(report, strata) for report in reports)
    assert checked == len(strata) == len(REGISTRY) * 3 * sum(len(v) for v in STRATIFIERS.values())
    assert any(s.flag for s in strata.values())  # the worked example has flags to carry


def test_each_token_gets_the_strata_it_may_see(example, dbs):
    publish(example)
    strata = stored(dbs)
    client = example.test_client()
    cms, ha = issue_token(example, "cms@example.org"), issue_token(example, "ha@example.org")
    url = "/api/v1/fhir/MeasureReport?period=2015Q2"
    reports = [e.resource for e in Bundle.model_validate(get(client, cms, url).get_json()).entry]
    assert {r.contained[0].identifier[0].value for r in reports} == {"HA", "HB", "STATEWIDE"}
    assert all(r.group[0].stratifier for r in reports)
    for report in reports:
        check_report(report, strata)
    # an ICO: its own strata only (the statewide report, and so its strata, is hidden: two ICOs report)
    own = [e.resource for e in Bundle.model_validate(get(client, ha, url).get_json()).entry]
    assert {r.contained[0].identifier[0].value for r in own} == {"HA"}
    for report in own:
        check_report(report, strata)
    one = MeasureReport.model_validate(get(client, ha, "/api/v1/fhir/MeasureReport/2015Q2.HA.fuh-7d").get_json())
    assert check_report(one, strata) == sum(len(v) for v in STRATIFIERS.values())
    assert get(client, ha, "/api/v1/fhir/MeasureReport/2015Q2.HB.fuh-7d").status_code == 403


def test_a_suppressed_stratum_has_no_count_and_says_why(example):
    """The public strata's ``suppressed`` cells (``strata_release.published_strata``) become populations and
    scores without a value, each with ``data-absent-reason`` ``masked``."""
    from reporting.interop import fhir
    from reporting.interop.published import published
    from reporting.storage import db

    publish(example)
    m = REGISTRY["assessment_90d"]
    rows = [
        {"stratifier": "sex", "stratum": "F", "numerator": 40, "denominator": 52, "value": 76.9, "ci_low": 64.0}
        | {"ci_high": 86.0, "flag": "better", "status": "reported"},
        {"stratifier": "sex", "stratum": "M", "numerator": "suppressed", "denominator": 31, "value": "suppressed"}
        | {"ci_low": "suppressed", "ci_high": "suppressed", "flag": None, "status": "reported"},
        {"stratifier": "sex", "stratum": "U", "numerator": "suppressed", "denominator": "suppressed"}
        | {"value": "suppressed", "ci_low": "suppressed", "ci_high": "suppressed", "flag": None, "status": "NA"},
    ]
    with example.app_context():
        pub = published(db.session, "2015Q2")
        report = fhir.summary(pub, m.id, "HA", "https://example.org", set(), rows)
    parsed = MeasureReport.model_validate_json(report.model_dump_json())
    stratum = {s.value.coding[0].code: s for s in parsed.group[0].stratifier[0].stratum}
    assert counts(stratum["F"].population) == {"denominator": 52, "numerator": 40}
    assert float(stratum["F"].measureScore.value) == pytest.approx(0.769)
    assert ext(stratum["F"])["disparity"].valueCode == "better"
    male = {p.code.coding[0].code: p for p in stratum["M"].population}
    assert male["denominator"].count == 31 and male["numerator"].count is None
    assert male["numerator"].count__ext.extension[0].url == DATA_ABSENT
    assert male["numerator"].count__ext.extension[0].valueCode == "masked"
    assert stratum["M"].measureScore.value is None
    assert stratum["M"].measureScore.extension[0].valueCode == "masked"
    assert "confidence-interval" not in ext(stratum["M"]) and "disparity" not in ext(stratum["M"])
    assert all(p.count is None for p in stratum["U"].population)
    assert ext(stratum["U"])["result-status"].valueCode == "NA"
