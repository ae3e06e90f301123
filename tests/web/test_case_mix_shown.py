"""Where the year's rules judge the survey measures on their case-mix adjusted scores, every place that shows a
status shows the value it judged: the overview cell and grid give the adjusted score (marked, raw beside it),
and the ICO and measure exports give the same status as the overview export (issue 25; found by a walk
through the demo: raw 64.3 shown 'met' against 67, and the ICO export saying 'not met')."""

import csv
import io
import re

from sqlalchemy import select

from measures import REGISTRY
from reporting import demo_setup
from reporting.rendering.filters import format_value
from reporting.storage.models import Result
from tests.conftest import login

SURVEY = [m for m in REGISTRY.values() if getattr(m, "case_mix_items", None)]


def _rows(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_overview_and_exports_show_the_value_they_judge(example, dbs):
    with example.app_context():
        demo_setup.case_mix_rules()  # 2015 judged on adjusted scores
    client = example.test_client()
    login(client, "cms@example.org")
    adjusted = {
        (r.measure_id, r.ico): r
        for r in dbs.scalars(
            select(Result).where(
                Result.period_code == "2015Q3",
                Result.adjusted_value.is_not(None),
                Result.ico == "HA",
                Result.status == "reported",
                Result.measure_id.in_([m.id for m in SURVEY]),
            )
        )
    }
    assert adjusted, "the worked example has adjusted survey scores for HA in 2015Q3"
    page = client.get("/overview?period=2015Q3").get_data(as_text=True)
    for (mid, _), r in adjusted.items():
        m = REGISTRY[mid]
        shown = format_value(m, r.adjusted_value)
        cell = re.search(rf'aria-label="{re.escape(m.title)}, Health Alliance: ([^,"]+)', page)
        assert cell and cell.group(1) == f"{shown} case-mix adjusted", (mid, cell and cell.group(1), shown)
    assert "case-mix adjusted: the survey score the year" in page
    overview = {(r["measure_id"], r["ico"]): r for r in _rows(client.get("/exports/overview.csv?period=2015Q3"))}
    ico_rows = [r for r in _rows(client.get("/icos/HA/export.csv")) if r["period"] == "2015Q3" and r["ico"] == "HA"]
    assert ico_rows
    for r in ico_rows:
        assert r["benchmark_status"] == overview[(r["measure_id"], "HA")]["benchmark_status"], r["measure_id"]


def test_no_comparison_with_a_statewide_figure_the_viewer_may_not_see(example):
    """With two ICOs the statewide figure is hidden from ICO users; "higher than statewide" beside it told HA which
    way HB's figure lies (attack on the merged service): the API, the ICO page and FHIR leave it out; a reviewer
    still gets it."""
    from tests.ingest.test_upload_paths import issue_token

    client = example.test_client()
    for email, expect_some in (("ha@example.org", False), ("cms@example.org", True)):
        token = issue_token(example, email)
        rows = client.get("/api/v1/results?period=2015Q3", headers={"Authorization": f"Bearer {token}"}).get_json()
        compared = [r for r in rows if r["ico"] == "HA" and r["vs_statewide"]]
        assert bool(compared) == expect_some, (email, compared)
        assert all(r["ico"] != "STATEWIDE" for r in rows) or expect_some
    login(client, "ha@example.org")
    page = client.get("/icos/HA?period=2015Q3").get_data(as_text=True)
    assert "than statewide" not in page and "no significant difference from statewide" not in page
