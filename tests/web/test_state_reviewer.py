"""Issue 28 item 4: a state reviewer of another state (RI) walks every page, export, download and API route of
Massachusetts data (the worked example: HA and HB, both MA) and gets no MA figure, neither an ICO's nor the
statewide one, also of a year still in preview; the MA state reviewer, on the same routes, does see them."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import login
from tests.web.test_access import SAMPLES

# what gives MA figures away: its ICOs' names and codes in a table, page or JSON, and the statewide rows
TRACES = ("Health Alliance", "Harbor Care", ",HA,", ",HB,", ">HA<", ">HB<", '"HA"', '"HB"', "STATEWIDE", ">Statewide<")


def _text(r) -> str:
    if r.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(r.data), read_only=True)
        return "\n".join(
            "," + ",".join("" if v is None else str(v) for v in row) + ","
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
        )
    if r.mimetype == "text/csv":
        return "\n".join(f",{line}," for line in r.get_data(as_text=True).splitlines())
    if r.mimetype.startswith("text/") or "json" in r.mimetype:
        return r.get_data(as_text=True)
    return ""


def _walk(app, email, draft_id):
    from tests.ingest.test_upload_paths import issue_token

    client = app.test_client()
    assert login(client, email).status_code == 302
    with app.app_context():
        token = issue_token(app, email)
    seen = {}
    for rule in app.url_map.iter_rules():
        if (
            rule.endpoint == "static"
            or "GET" not in rule.methods
            or rule.endpoint == "auth.logout"
            or "public" in app.view_functions[rule.endpoint].access
            and rule.endpoint != "dashboards.home"
        ):
            continue  # what is published is for everyone
        measures = ["fuh_7d", "assessment_90d"] if "measure_id" in rule.arguments else [None]
        formats = ["csv", "xlsx"] if "fmt" in rule.arguments else [None]
        for mid in measures:
            for fmt in formats:
                sample = dict(
                    SAMPLES,
                    code="HA",
                    ico="HA",
                    period="2015Q3",
                    year="2015",
                    rule_set_id=str(draft_id),
                    measure_id=mid or "",
                    fmt=fmt or "",
                )
                path = rule.rule
                for arg in rule.arguments:
                    path = re.sub(rf"<(?:[a-z]+:)?{arg}>", sample[arg], path)
                for query in ("", "?period=2015Q3", "?period=2015&year=2015", "?ico=HA"):
                    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
                    r = client.get(path + query, headers=headers)
                    assert r.status_code < 500, (path + query, r.status_code)
                    seen[path + query] = (r.status_code, _text(r) if r.status_code == 200 else "")
    return seen


@pytest.mark.one_backend  # the policy, not the database
def test_another_states_reviewer_gets_no_massachusetts_figure(cycled):
    from reporting.rules import store
    from reporting.storage import db
    from reporting.storage.models import Edition

    example = cycled  # after the 2015Q3 and 2015 cycles: editions, rendered reports
    with example.app_context():
        with db.transaction() as s:
            draft_id = store.create_draft(s, 2015, "test").id
            # the year is still in preview (an edition not yet published)
            year = s.scalar(select(Edition).where(Edition.period_code == "2015").order_by(Edition.number.desc()))
            year.status = "preview"
    ri = _walk(example, "ri@example.org", draft_id)
    leaks = {path: [t for t in TRACES if t in body] for path, (_, body) in ri.items()}
    assert not {p: t for p, t in leaks.items() if t}, (
        "MA figures reach the RI state reviewer",
        {p: t for p, t in leaks.items() if t},
    )
    # the walk covers the attack's routes; the MA reviewer, on the same walk, sees MA's figures there
    ma = _walk(example, "state@example.org", draft_id)
    for path in (
        f"/rules/{draft_id}/impact.csv",
        f"/rules/{draft_id}/impact",
        "/exports/overview.csv?period=2015Q3",
        "/measures/fuh_7d/export.csv",
        "/measures/fuh_7d/export.xlsx",
        "/overview?period=2015Q3",
        "/measures/fuh_7d",
        "/api/v1/results?period=2015Q3",
        "/",
    ):
        assert ma[path][0] == 200 and any(t in ma[path][1] for t in TRACES), (path, ma[path][0], ma[path][1][:300])
        assert ri[path][0] in (200, 403, 404), (path, ri[path][0])  # nothing, or a refusal
    assert "STATEWIDE" in ma["/exports/overview.csv?period=2015Q3"][1]
    assert ",HA," in ma[f"/rules/{draft_id}/impact.csv"][1]
