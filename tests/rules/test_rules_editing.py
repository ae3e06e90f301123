"""Issue 27 item 10: a CMS reviewer edits the tiers in the form and by CSV, starts a new measurement year in the
page, and sees in the impact table which measures a draft newly adds to the withhold."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from reporting.storage.models import RuleSet
from tests.conftest import csrf_token, login
from tests.rules.test_rule_values import _draft, _form

pytestmark = pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)


def _tiers(dbs, draft_id):
    dbs.expire_all()
    rs = dbs.get(RuleSet, draft_id)
    return [(t.min_share_met, t.earned_back) for t in sorted(rs.tiers, key=lambda t: t.tier)]


def test_tiers_are_edited_in_the_form_and_the_impact_follows(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    draft_id = _draft(client)
    page = client.get(f"/rules/{draft_id}/edit").get_data(as_text=True)
    assert 'name="tier.0.min_share_met"' in page and 'name="tier.5.min_share_met"' in page  # 5 tiers and blank rows
    # a falling share earned back and a bad number are refused, each named, and nothing is saved
    before = _tiers(dbs, draft_id)
    r = client.post(
        f"/rules/{draft_id}/edit",
        data=_form(
            client,
            draft_id,
            **{"tier.1.earned_back": "5", "tier.2.min_share_met": "1e400", "tier.5.min_share_met": "90"},
        ),
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="tier-errors"' in body
    assert "tier row 3, min_share_met" in body and "not a finite number" in body
    assert "tier row 6, earned_back: give the share earned back" in body
    assert _tiers(dbs, draft_id) == before
    # one tier that earns everything back from half the measures met: every ICO's tier in the draft follows
    data = _form(client, draft_id)
    for i in range(7):
        data[f"tier.{i}.min_share_met"] = data[f"tier.{i}.earned_back"] = ""
    data.update(
        {
            "tier.0.min_share_met": "0",
            "tier.0.earned_back": "0",
            "tier.1.min_share_met": "50",
            "tier.1.earned_back": "100",
        }
    )
    r = client.post(f"/rules/{draft_id}/edit", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert _tiers(dbs, draft_id) == [(0.0, 0), (50.0, 100)]
    table = _impact_rows(client, draft_id)
    tiers = {row["ico"]: row["status_draft"] for row in table if row["measure_id"] == "TIER"}
    assert tiers and set(tiers.values()) <= {"0", "100", "na"}


def test_tiers_by_csv_replace_the_table(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    draft_id = _draft(client)
    text = "measure_id,benchmark\nfuh_7d,40\n\ntier,min_share_met,earned_back\n0,0,0\n1,30,40\n2,75,100\n"
    r = client.post(
        f"/rules/{draft_id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/rules/{draft_id}/edit"),
            "file": (io.BytesIO(text.encode()), "rules.csv"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert _tiers(dbs, draft_id) == [(0.0, 0), (30.0, 40), (75.0, 100)]
    bad = "tier,min_share_met,earned_back\n0,0,0\n1,30,40.5\n2,50,60\n3,50,100\n"
    r = client.post(
        f"/rules/{draft_id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/rules/{draft_id}/edit"),
            "file": (io.BytesIO(bad.encode()), "tiers.csv"),
        },
        content_type="multipart/form-data",
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "line 3, earned_back: the share earned back 40.5 is not a whole percent" in body
    assert "line 5, min_share_met: 50 % is given twice" in body
    assert _tiers(dbs, draft_id) == [(0.0, 0), (30.0, 40), (75.0, 100)]


def test_a_new_year_is_started_in_the_page_from_the_newest_year(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/rules/").get_data(as_text=True)
    assert 'id="new-year"' in page and 'value="2016"' in page
    token = csrf_token(client, "/rules/")
    r = client.post("/rules/years", data={"csrf_token": token, "year": "2016"})
    assert r.status_code == 302
    draft = dbs.scalar(select(RuleSet).where(RuleSet.year == 2016))
    seed = dbs.scalar(select(RuleSet).where(RuleSet.year == 2015, RuleSet.status == "in_force"))
    assert (draft.status, draft.version) == ("draft", 1) and "2015" in draft.note
    assert {(m.measure_id, m.benchmark, m.withhold, m.gap_closure) for m in draft.measures} == {
        (m.measure_id, m.benchmark, m.withhold, m.gap_closure) for m in seed.measures
    }
    assert len(draft.tiers) == len(seed.tiers)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Draft 2016 v1" in page
    # a year that has rules is not started twice; a year that is not one is refused with a message
    for year, message in (
        ("2016", "has rule sets already"),
        ("2015", "has rule sets already"),
        ("١٠١٦", "four digits"),
        ("1850", "not a measurement year"),
    ):
        r = client.post("/rules/years", data={"csrf_token": token, "year": year}, follow_redirects=True)
        assert message in r.get_data(as_text=True), year
    assert dbs.scalar(select(RuleSet.id).where(RuleSet.year == 1850)) is None
    # it can be adopted: the year then has rules in force
    r = client.post(f"/rules/{draft.id}/adopt", data={"csrf_token": token})
    dbs.expire_all()
    assert dbs.get(RuleSet, draft.id).status == "in_force"
    # a state reviewer reads the rules but starts no year
    state = example.test_client()
    login(state, "state@example.org")
    assert 'id="new-year"' not in state.get("/rules/").get_data(as_text=True)
    assert (
        state.post("/rules/years", data={"csrf_token": csrf_token(state, "/rules/"), "year": "2017"}).status_code == 403
    )


def test_the_impact_marks_a_measure_newly_added_to_the_withhold(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    draft_id = _draft(client)
    in_force = {
        m.measure_id: m.withhold
        for m in dbs.scalar(select(RuleSet).where(RuleSet.year == 2015, RuleSet.status == "in_force")).measures
    }
    added = next(mid for mid, w in in_force.items() if not w)
    removed = next(mid for mid, w in in_force.items() if w)
    data = _form(client, draft_id)
    data[f"{added}.withhold"] = "true"
    data.pop(f"{removed}.withhold", None)
    data.pop(f"{removed}.gap_closure", None)
    assert client.post(f"/rules/{draft_id}/edit", data=data).status_code == 302
    page = client.get(f"/rules/{draft_id}/impact").get_data(as_text=True)
    marks = re.findall(r'<th scope="row">([^<]+)<strong data-withhold="(\w+)">', page)
    from measures import REGISTRY

    assert {(t.strip(), k) for t, k in marks} == {
        (REGISTRY[added].title, "added"),
        (REGISTRY[removed].title, "removed"),
    }
    table = _impact_rows(client, draft_id)
    assert {r["measure_id"] for r in table if r["withhold_change"] == "added"} == {added}
    assert {r["measure_id"] for r in table if r["withhold_change"] == "removed"} == {removed}


def _impact_rows(client, draft_id) -> list[dict]:
    """The impact CSV as a plain reader sees it: the header on the first row (issue 27 item 7)."""
    text = client.get(f"/rules/{draft_id}/impact.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0])[:2] == ["ico", "measure_id"]
    return rows


def test_saving_a_new_years_draft_before_its_results_lands_on_its_rules_not_a_404(example, dbs):
    """A reviewer starts next year's rules in advance and saves the form: the save led to the impact page, a 404
    telling them to run a command line ("compute the year first"). It leads to the year's rules, where the draft is
    listed with Adopt, and says why there is no impact yet; a year with results still leads to its impact."""
    client = example.test_client()
    login(client, "cms@example.org")
    r = client.post("/rules/years", data={"csrf_token": csrf_token(client, "/rules/"), "year": "2016"})
    draft = dbs.scalar(select(RuleSet).where(RuleSet.year == 2016))
    r = client.post(f"/rules/{draft.id}/edit", data=_form(client, draft.id, **{"fuh_7d.benchmark": "40"}))
    assert r.status_code == 302 and "/rules/?year=2016" in r.headers["Location"], r.headers.get("Location")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "2016 v1 saved." in page and "no impact to show" in page and "flask --app" not in page
    assert f'action="/rules/{draft.id}/adopt"' in page  # adopted from the history
    dbs.expire_all()
    assert {m.measure_id: m.benchmark for m in dbs.get(RuleSet, draft.id).measures}["fuh_7d"] == 40
    this_year = _draft(client)  # 2015, which has results: its impact, as before
    r = client.post(f"/rules/{this_year}/edit", data=_form(client, this_year, **{"fuh_7d.benchmark": "40"}))
    assert r.headers["Location"].endswith(f"/rules/{this_year}/impact")
