"""Issue 28 item 5: every number a user gives for the rules is finite and in the measure's range, refused with a
clear message in the form and in a CSV; a bad value already stored never takes a page down."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select, update

from reporting.storage.models import RuleMeasure, RuleSet, RuleTier
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

BAD = ["+infinity", "1e309", "1e400", "nan", "-1", "101", "inf", "-Infinity", "NaN"]


def _draft(client) -> int:
    r = client.post("/rules/drafts", data={"csrf_token": csrf_token(client, "/account"), "year": "2015"})
    assert r.status_code == 302
    return int(r.headers["Location"].split("/")[-2])


def _form(client, draft_id, **values) -> dict:
    page = client.get(f"/rules/{draft_id}/edit").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/rules/{draft_id}/edit")}
    for name, value in re.findall(r'name="([a-z0-9_]+\.benchmark)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(r'name="([a-z0-9_]+\.(?:withhold|gap_closure)|case_mix_adjusted)"[^>]*checked', page):
        data[name] = "true"
    for name, value in re.findall(r'name="(tier\.\d+\.(?:min_share_met|earned_back))"[^>]*value="([^"]*)"', page):
        data[name] = value
    data.update(values)
    return data


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("bad", BAD)
def test_the_form_refuses_a_benchmark_that_is_not_a_finite_number_in_range(example, dbs, bad):
    client = example.test_client()
    login(client, "cms@example.org")
    draft_id = _draft(client)
    before = dbs.scalar(
        select(RuleMeasure.benchmark).where(RuleMeasure.rule_set_id == draft_id, RuleMeasure.measure_id == "fuh_7d")
    )
    for mid, value in (("fuh_7d", bad), ("facility_admissions", "1001" if bad == "101" else bad)):
        r = client.post(f"/rules/{draft_id}/edit", data=_form(client, draft_id, **{f"{mid}.benchmark": value}))
        body = r.get_data(as_text=True)
        assert r.status_code == 422, (mid, value, r.status_code)
        assert f'id="{mid}-benchmark-error"' in body
        message = body.split(f'id="{mid}-benchmark-error">')[1].split("<")[0]
        assert "finite" in message or "outside" in message or "positive" in message or "at most" in message, message
    dbs.expire_all()
    assert (
        dbs.scalar(
            select(RuleMeasure.benchmark).where(RuleMeasure.rule_set_id == draft_id, RuleMeasure.measure_id == "fuh_7d")
        )
        == before
    )


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_a_csv_with_bad_numbers_names_each_and_applies_nothing(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    draft_id = _draft(client)
    mids = [
        "fuh_7d",
        "fuh_30d",
        "ltss_care_plan",
        "assessment_90d",
        "facility_admissions",
        "readmission_30d",
        "ltss_coordinator_contact",
        "successful_transition",
        "access_to_care",
    ]
    from measures import REGISTRY

    mids = [m for m in mids if m in REGISTRY][: len(BAD)]
    text = "measure_id,benchmark\n" + "".join(f"{m},{b}\n" for m, b in zip(mids, BAD))
    text += "\ntier,min_share_met,earned_back\n1,inf,50\n2,50,1e400\n"
    r = client.post(
        f"/rules/{draft_id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/rules/{draft_id}/edit"),
            "file": (io.BytesIO(text.encode()), "rules.csv"),
        },
        content_type="multipart/form-data",
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    for n, (m, b) in enumerate(zip(mids, BAD), start=2):
        assert f"line {n}, benchmark ({m})" in body, (m, b)
    assert "min_share_met" in body and "earned_back" in body
    dbs.expire_all()
    assert not any(
        v is not None and not (0 <= v <= 1000)
        for v in dbs.scalars(select(RuleMeasure.benchmark).where(RuleMeasure.rule_set_id == draft_id))
    )


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1.0, 101.0])
def test_a_bad_value_already_stored_takes_no_page_down(cycled, dbs, value):
    """A value stored before the checks (or by hand): every page, export and the reissue answer, the rules page
    marks it invalid, and the draft holding it cannot be adopted."""
    client = cycled.test_client()
    login(client, "cms@example.org")
    rs_id = _draft(client)  # v2, put in force by hand with the bad values in it
    dbs.execute(
        update(RuleMeasure)
        .where(RuleMeasure.rule_set_id == rs_id, RuleMeasure.measure_id == "fuh_7d")
        .values(benchmark=value, withhold=True)
    )
    tier_value = float("inf") if value != value else value  # SQLite keeps a NaN as NULL
    dbs.execute(
        update(RuleTier).where(RuleTier.rule_set_id == rs_id, RuleTier.tier == 1).values(min_share_met=tier_value)
    )
    dbs.execute(update(RuleSet).where(RuleSet.year == 2015, RuleSet.status == "in_force").values(status="retired"))
    dbs.execute(update(RuleSet).where(RuleSet.id == rs_id).values(status="in_force"))
    dbs.commit()
    for path in (
        "/rules/?year=2015",
        "/withhold?year=2015",
        "/overview?period=2015",
        "/overview?period=2015Q3",
        "/measures/fuh_7d",
        "/icos/HA",
        "/",
        "/exports/overview.xlsx?period=2015",
        "/exports/overview.csv?period=2015Q3",
        "/measures/fuh_7d/export.xlsx",
        "/icos/HA/export.xlsx",
        "/withhold/export.xlsx?year=2015",
        "/withhold/export.csv?year=2015",
    ):
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
    page = client.get("/rules/?year=2015").get_data(as_text=True)
    assert "invalid" in page
    # a draft made from it carries the bad value: it is shown, and adoption is refused with the reason
    draft_id = _draft(client)
    assert client.get(f"/rules/{draft_id}/impact").status_code == 200
    assert client.get(f"/rules/{draft_id}/edit").status_code == 200
    r = client.post(
        f"/rules/{draft_id}/adopt", data={"csrf_token": csrf_token(client, "/account")}, follow_redirects=True
    )
    assert r.status_code == 200 and "cannot be adopted" in r.get_data(as_text=True)
    assert dbs.scalar(select(RuleSet.status).where(RuleSet.id == draft_id)) == "draft"
    # the reissue renders with the value left out (no 500)
    r = client.post("/rules/reissue/2015", data={"csrf_token": csrf_token(client, "/account")})
    assert r.status_code == 302, r.status_code
