"""Where the case-mix adjusted scores show: the stored results through `flask results` (csv and json), the API,
the exports and the ICO and measure pages, over the worked example (version 1 packages: the adjusters are the
members' ages only)."""

import csv
import io
import json

import pytest

from measures import REGISTRY
from tests.conftest import login

SURVEY = [m.id for m in REGISTRY.values() if m.case_mix_items]


def cli_results(app, period, fmt="csv"):
    r = app.test_cli_runner().invoke(args=["results", "--period", period, "--format", fmt])
    assert r.exit_code == 0, r.output
    return json.loads(r.output) if fmt == "json" else list(csv.DictReader(io.StringIO(r.output)))


def test_results_carry_adjusted_values_for_the_survey_measures_only(example):
    rows = cli_results(example, "2015Q2")
    assert list(rows[0])[-2:] == ["adjusted_value", "vs_statewide"]
    by = {(r["measure_id"], r["ico"]): r for r in rows}
    assert set(SURVEY) == {
        "rating_health_plan",
        "getting_needed_care",
        "getting_care_quickly",
        "care_coordination_survey",
        "flu_vaccine",
    }
    for (measure_id, ico), r in by.items():
        if measure_id not in SURVEY:
            assert r["adjusted_value"] == r["vs_statewide"] == "", (measure_id, ico)
        elif ico == "STATEWIDE":
            assert float(r["adjusted_value"]) == float(r["value"]) and r["vs_statewide"] == ""
        else:
            assert r["adjusted_value"] != "" and r["vs_statewide"] in ("higher", "lower", "no_difference")
    # one item: the ICOs' adjusted means weighted by their respondents average to the statewide (raw) mean
    for measure_id in ("rating_health_plan", "flu_vaccine"):
        ha, hb, state = (by[(measure_id, k)] for k in ("HA", "HB", "STATEWIDE"))
        weighted = (
            float(ha["adjusted_value"]) * int(ha["denominator"]) + float(hb["adjusted_value"]) * int(hb["denominator"])
        ) / int(state["denominator"])
        assert weighted == pytest.approx(float(state["value"]), abs=1e-9)
        assert ha["adjusted_value"] != ha["value"]  # the members' ages differ between the ICOs
    as_json = {(r["measure_id"], r["ico"]): r for r in cli_results(example, "2015Q2", "json")}
    assert as_json[("rating_health_plan", "HA")]["adjusted_value"] == pytest.approx(
        float(by[("rating_health_plan", "HA")]["adjusted_value"])
    )
    assert as_json[("rating_health_plan", "HA")]["vs_statewide"] == by[("rating_health_plan", "HA")]["vs_statewide"]
    assert as_json[("fuh_7d", "HA")]["adjusted_value"] is None


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_api_the_pages_and_the_export_show_them(example):
    from tests.ingest.test_upload_paths import issue_token

    by = {(r["measure_id"], r["ico"]): r for r in cli_results(example, "2015Q3")}
    rating = by[("rating_health_plan", "HA")]
    example.config["PUBLISH_MODE"] = "approval"
    assert example.test_cli_runner().invoke(args=["cycle", "--period", "2015Q3"]).exit_code == 0
    with example.app_context():
        token = issue_token(example, "cms@example.org")
    client = example.test_client()
    api = client.get("/api/v1/results?period=2015Q3", headers={"Authorization": f"Bearer {token}"}).get_json()
    got = next(r for r in api if (r["measure_id"], r["ico"]) == ("rating_health_plan", "HA"))
    assert got["adjusted_value"] == pytest.approx(float(rating["adjusted_value"]))
    assert got["vs_statewide"] == rating["vs_statewide"]

    login(
        client, "cms@example.org"
    )  # a reviewer: an ICO user sees neither unapproved figures nor, with two ICOs, statewide
    page = client.get("/icos/HA").get_data(as_text=True)
    section = page[page.index('id="m-rating_health_plan"') :]
    section = section[: section.index("</section>")]
    adjusted, raw = float(rating["adjusted_value"]), float(rating["value"])
    assert f'<span class="v">{adjusted:.1f}</span>' in section and f"raw {raw:.1f}" in section
    assert "case-mix adjusted, as CMS adjusts CAHPS" in page and "self-rated general and mental health" in page
    if rating["vs_statewide"] == "no_difference":
        assert "no significant difference from statewide" in section
    else:
        assert f"significantly {rating['vs_statewide']} than statewide" in section

    measure_page = client.get("/measures/rating_health_plan").get_data(as_text=True)
    assert "Case-mix adjusted, latest quarter" in measure_page and f"{adjusted:.1f}" in measure_page
    export = client.get("/measures/rating_health_plan/export.csv").get_data(as_text=True).lstrip("\ufeff")
    table = list(csv.DictReader(io.StringIO(export)))  # the header is the first row (issue 27 item 7)
    row = next(r for r in table if r["ico"] == "HA" and r["period"] == "2015Q3")
    assert float(row["adjusted_value"]) == pytest.approx(adjusted) and row["vs_statewide"] == rating["vs_statewide"]


def test_a_rule_set_that_judges_on_adjusted_scores_changes_benchmarks_and_withhold(example, tmp_path, dbs):
    """A new 2015 version with case_mix_adjusted on: the impact preview shows, per ICO, the value judged now (raw)
    and in the draft (adjusted) and the status each gives; adopted, the withhold judges the adjusted value."""
    from sqlalchemy import select

    from reporting.storage.models import AuditEvent
    from tests.rules.test_rules import impact_rows, invoke, stored

    rating = {ico: stored(example, "2015", "rating_health_plan", ico) for ico in ("HA", "HB")}
    ico = next(k for k, r in rating.items() if r.status == "reported" and r.adjusted_value != r.value)
    raw, adjusted = rating[ico].value, rating[ico].adjusted_value
    benchmark = (raw + adjusted) / 2  # met on one of them only
    path = tmp_path / "proposal.csv"
    path.write_text(f"measure_id,benchmark,withhold\nrating_health_plan,{benchmark:.6f},true\n")
    r = invoke(example, "rules", "propose", "--year", "2015", "--from", str(path), "--case-mix-adjusted", "yes")
    assert r.exit_code == 0, r.output
    draft_id = int(r.output.strip().splitlines()[-1])
    row = impact_rows(example, draft_id)[(ico, "rating_health_plan")]
    assert float(row["value_draft"]) == pytest.approx(adjusted) and float(row["value"]) == pytest.approx(raw)
    assert row["status_draft"] == ("met" if adjusted >= benchmark else "not_met")
    fuh = impact_rows(example, draft_id)[(ico, "fuh_7d")]
    assert fuh["value"] == fuh["value_draft"]  # not a survey measure: judged as before
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get(f"/rules/{draft_id}/impact").get_data(as_text=True)
    assert "judge the survey measures on their case-mix adjusted scores" in page

    assert invoke(example, "rules", "adopt", "--draft", str(draft_id)).exit_code == 0
    shown = json.loads(invoke(example, "rules", "show", "--year", "2015", "--format", "json").output)
    assert shown["case_mix_adjusted"] is True and shown["version"] == 2
    w = invoke(example, "withhold", "--year", "2015").output
    line = next(x for x in w.split(f"{ico}:")[1].splitlines() if x.strip().startswith("rating_health_plan"))
    assert f"{adjusted:.4f}" in line and ("not met" not in line) == (adjusted >= benchmark)
    assert [e.detail for e in dbs.scalars(select(AuditEvent).where(AuditEvent.action == "rules.case_mix"))] == [
        {"case_mix_adjusted": True}
    ]
    # a draft made from it keeps the setting
    again = invoke(example, "rules", "propose", "--year", "2015", "--from", str(path))
    assert (
        impact_rows(example, int(again.output.strip().splitlines()[-1]))[(ico, "rating_health_plan")]["value_draft"]
        == row["value_draft"]
    )
