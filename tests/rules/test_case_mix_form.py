"""Issue 25: a CMS reviewer turns the case-mix adjustment on in the rules form, as `rules propose
--case-mix-adjusted yes` does from the command line: the draft's box is ticked, the impact page shows, for each ICO,
the survey values it would judge (adjusted in place of raw) and the statuses that change, and adopting it puts the
2015 rules on adjusted scores; the step is in the audit trail. A value other than ticked or empty is refused by
name, and nothing is saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.rendering.filters import format_value
from reporting.rules import store
from reporting.storage.models import AuditEvent, Result, ResultRun, RuleSet
from tests.conftest import login
from tests.rules.test_rule_values import _draft, _form

SURVEY = {m.id for m in REGISTRY.values() if getattr(m, "case_mix_items", None)}


def _impact_rows(page: str) -> list[dict]:
    table = page.split('id="impact-measures"', 1)[1].split("</table>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr( class=\"changed\")?>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr[1], re.S)]
        rows.append(
            {
                "changed": bool(tr[0]),
                "ico": cells[0],
                "measure": cells[1],
                "value": cells[2],
                "value_draft": cells[3],
                "status_now": cells[6],
                "status_draft": cells[7],
            }
        )
    return rows


def _adopt(client, draft_id):
    page = client.get(f"/rules/{draft_id}/impact").get_data(as_text=True)
    token = re.search(rf'action="/rules/{draft_id}/adopt".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    r = client.post(f"/rules/{draft_id}/adopt", data={"csrf_token": token})
    assert r.status_code == 302


def _title(cell: str) -> str:
    return cell.split(" withhold")[0].split(" new ")[0].split(" removed")[0]


@pytest.mark.parametrize("example_url", ["sqlite", "postgresql"], indirect=True)
def test_the_form_turns_the_case_mix_adjustment_on_and_the_impact_shows_it(example, dbs):
    client = example.test_client()
    login(client, "cms@example.org")
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == "2015", ResultRun.is_current))
    stored = {
        (r.ico, r.measure_id): r
        for r in dbs.scalars(select(Result).where(Result.run_id == run.id, Result.measure_id.in_(SURVEY)))
        if r.ico != "STATEWIDE"  # the impact is per ICO
    }
    reported = [r for r in stored.values() if r.status == "reported" and r.adjusted_value is not None]
    moved = max(reported, key=lambda r: abs(r.adjusted_value - r.value))
    assert abs(moved.adjusted_value - moved.value) > 0.05, "the worked example's adjustment moves a 2015 score"
    # first a benchmark between that ICO's raw and adjusted score is put in force (raw scores judged)
    benchmark = round((moved.value + moved.adjusted_value) / 2, 2)
    assert min(moved.value, moved.adjusted_value) < benchmark < max(moved.value, moved.adjusted_value)
    first = _draft(client)
    r = client.post(
        f"/rules/{first}/edit", data=_form(client, first, **{f"{moved.measure_id}.benchmark": str(benchmark)})
    )
    assert r.status_code == 302
    _adopt(client, first)

    draft_id = _draft(client)
    page = client.get(f"/rules/{draft_id}/edit").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" id="case_mix_adjusted"[^>]*>', page)
    assert box and "checked" not in box.group(0), "2015 judges raw scores so far: the box starts empty"
    assert "Case-mix adjusted</label>" in page

    # a forged value is refused by name; nothing is saved
    r = client.post(f"/rules/{draft_id}/edit", data=_form(client, draft_id, case_mix_adjusted="yes please"))
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "case-mix adjusted: tick the box or leave it empty" in body
    dbs.expire_all()
    assert dbs.get(RuleSet, draft_id).case_mix_adjusted is False
    # without the form's token nothing changes either
    data = _form(client, draft_id, case_mix_adjusted="true")
    r = client.post(f"/rules/{draft_id}/edit", data={k: v for k, v in data.items() if k != "csrf_token"})
    assert r.status_code != 302
    dbs.expire_all()
    assert dbs.get(RuleSet, draft_id).case_mix_adjusted is False

    # tick it: saved, audited, the box stays ticked
    r = client.post(f"/rules/{draft_id}/edit", data=_form(client, draft_id, case_mix_adjusted="true"))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/rules/{draft_id}/impact")
    dbs.expire_all()
    assert dbs.get(RuleSet, draft_id).case_mix_adjusted is True
    events = dbs.scalars(select(AuditEvent).where(AuditEvent.action == "rules.case_mix")).all()
    assert [(e.actor, e.detail) for e in events] == [("cms@example.org", {"case_mix_adjusted": True})]
    box = re.search(
        r'<input type="checkbox" id="case_mix_adjusted"[^>]*>',
        client.get(f"/rules/{draft_id}/edit").get_data(as_text=True),
    )
    assert box and "checked" in box.group(0)

    # the impact page: for each ICO, the survey values now (raw) and in the draft (adjusted), the statuses that change
    impact = client.get(f"/rules/{draft_id}/impact").get_data(as_text=True)
    assert "judge the survey measures on their case-mix adjusted scores" in impact
    rows = _impact_rows(impact)
    titles = {REGISTRY[m].title: m for m in SURVEY}
    survey_rows = [row for row in rows if _title(row["measure"]) in titles]
    assert {row["ico"] for row in survey_rows} == {ico for ico, _ in stored}
    for row in survey_rows:  # read again from the store, independently of the impact module
        mid = titles[_title(row["measure"])]
        r = stored[(row["ico"], mid)]
        if r.status != "reported":
            assert row["value"] == row["value_draft"] == "NA"
            continue
        assert row["value"] == format_value(REGISTRY[mid], r.value)
        assert row["value_draft"] == format_value(REGISTRY[mid], r.adjusted_value), (row, r.adjusted_value)
        assert row["changed"] == (r.adjusted_value != r.value or row["status_now"] != row["status_draft"])
    [row] = [x for x in survey_rows if (x["ico"], titles[_title(x["measure"])]) == (moved.ico, moved.measure_id)]
    higher_better = REGISTRY[moved.measure_id].direction != "lower"
    met_adjusted = (moved.adjusted_value >= benchmark) == higher_better
    assert (row["status_now"], row["status_draft"]) == (("not met", "met") if met_adjusted else ("met", "not met")), row
    assert row["changed"]
    assert not [row for row in rows if row not in survey_rows and row["changed"]]  # nothing else moves

    # adopt it: the 2015 rules in force judge adjusted scores
    _adopt(client, draft_id)
    dbs.expire_all()
    in_force = store.in_force(dbs, 2015)
    assert in_force.id == draft_id and in_force.case_mix_adjusted
    assert "2015 v3" in client.get("/rules/?year=2015").get_data(as_text=True)
