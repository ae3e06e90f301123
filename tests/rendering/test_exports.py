"""Exports a data analyst can open (issue 27 item 7): every CSV the service offers loads with a plain
``pandas.read_csv(path)`` and every XLSX with a plain ``pandas.read_excel(path)``, the header in the first row;
the provenance is in ``about_*`` columns (CSV) or on the workbook's "About" sheet, never above the header."""

import re

import pandas as pd
import pytest
from sqlalchemy import select

from reporting.storage.models import Submission
from tests.conftest import login

# Every download route that answers a table, as the user reaches it (``{fmt}``: csv and xlsx; ``{draft}``,
# ``{sub}``: ids made below). The test fails when a route offering a CSV or XLSX is missing here.
EXPORTS = {
    "/exports/overview.<fmt>": "/exports/overview.{fmt}?period=2015Q2",
    "/exports/results_strata.<fmt>": "/exports/results_strata.{fmt}?period=2015Q2",
    "/exports/public.<fmt>": "/exports/public.{fmt}?period=2015Q2",
    "/icos/<code>/export.<fmt>": "/icos/HA/export.{fmt}",
    "/measures/<measure_id>/export.<fmt>": "/measures/fuh_7d/export.{fmt}",
    "/withhold/export.<fmt>": "/withhold/export.{fmt}?year=2015",
    "/gaps/<measure_id>/<code>/<period:period>/export.<fmt>": "/gaps/assessment_90d/HA/2015Q2/export.{fmt}",
    "/units/<measure_id>/<code>/<period:period>/export.<fmt>": "/units/assessment_90d/HA/2015Q2/export.{fmt}",
    "/upcoming/<measure_id>/<code>": "/upcoming/assessment_90d/HA?format={fmt}",
    "/rules/<int:rule_set_id>/impact.<fmt>": "/rules/{draft}/impact.{fmt}",
    "/admin/audit.csv": "/admin/audit.csv",
    "/submissions/<int:submission_id>/failures.csv": "/submissions/{sub}/failures.csv",
    "/submissions/template.xlsx": "/submissions/template.xlsx",
}
# Provenance every results export carries, by item.
RESULTS_ABOUT = ["about_export", "about_period", "about_audience"]


def _table_routes(app) -> set[str]:
    return {
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.endswith((".csv", ".xlsx", ".<fmt>")) or r.endpoint == "dashboards.upcoming"
    }


def test_every_export_loads_with_the_plain_pandas_calls(example, tmp_path):
    from reporting.engine.store import current_run
    from reporting.publication import editions
    from reporting.rules import store
    from reporting.storage import db

    assert _table_routes(example) == set(EXPORTS), "a new export route: add it to EXPORTS"
    with example.app_context(), db.transaction() as s:
        draft = store.create_draft(s, 2015, actor="test").id
        editions.create(s, "2015Q2", current_run(s, "2015Q2").id, publish=True, actor="test")  # the public table
        sub = s.scalars(select(Submission.id).order_by(Submission.id)).first()
    client = example.test_client()
    login(client, "admin@example.org")
    loaded = {}
    for _rule, template in EXPORTS.items():
        for fmt in ("csv", "xlsx") if "{fmt}" in template else (template.rsplit(".", 1)[-1],):
            url = template.format(fmt=fmt, draft=draft, sub=sub)
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
            path = tmp_path / f"export.{fmt}"
            path.write_bytes(response.data)
            frame = pd.read_csv(path) if fmt == "csv" else pd.read_excel(path)
            header = [str(c) for c in frame.columns]
            assert header and not any(c.startswith(("Unnamed", "#", "\ufeff")) for c in header), (url, header)
            assert not any(":" in c for c in header), (url, header)  # no "Period: 2015Q2" line as header
            loaded[url] = frame
    # The results exports: the same columns in both formats, the data's own first, then the provenance.
    overview = loaded["/exports/overview.csv?period=2015Q2"]
    assert list(overview.columns[:3]) == ["measure_id", "measure", "domain"]
    assert set(RESULTS_ABOUT) <= set(overview.columns)
    assert (overview["about_period"] == "2015Q2").all() and overview["about_data_versions"].str.contains(
        "HA: 2014Q1 v1"
    ).all()
    assert pd.api.types.is_numeric_dtype(overview["value_rounded"])
    xlsx = loaded["/exports/overview.xlsx?period=2015Q2"]
    assert list(xlsx.columns) == [c for c in overview.columns if not c.startswith("about_")]
    assert len(xlsx) == len(overview) and pd.api.types.is_numeric_dtype(xlsx["value"])
    about = pd.read_excel(_saved(tmp_path, client.get("/exports/overview.xlsx?period=2015Q2").data), sheet_name="About")
    assert list(about.columns) == ["item", "value"]
    assert dict(zip(about["item"], about["value"]))["Period"] == "2015Q2"
    for url in ("/icos/HA/export.csv", "/measures/fuh_7d/export.csv", "/exports/public.csv?period=2015Q2"):
        assert set(RESULTS_ABOUT) <= set(loaded[url].columns), url
    gaps = loaded["/gaps/assessment_90d/HA/2015Q2/export.csv"]
    assert gaps.columns[0] == "Member ID" and "about_audience" in gaps and len(gaps) > 0
    # The open data's results.csv (in the public ZIP) too.
    import zipfile

    bundle = zipfile.ZipFile(
        _saved(tmp_path, example.test_client().get("/public/ma-one-care/2015Q2.zip").data, "open.zip")
    )
    (tmp_path / "results.csv").write_bytes(bundle.read("results.csv"))
    public = pd.read_csv(tmp_path / "results.csv")
    assert len(public) > 0 and not any(str(c).startswith(("Unnamed", "#")) for c in public.columns)
    failures = loaded[f"/submissions/{sub}/failures.csv"]
    assert list(failures.columns[:2]) == ["file", "row"] or failures.columns[0] != "about_ico"


def _saved(tmp_path, data: bytes, name: str = "again.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_an_empty_export_still_has_its_header_first(example, tmp_path):
    """A table without rows (no failures) still loads: the header alone, provenance as columns."""
    from reporting.rendering.exports import csv_bytes, xlsx_bytes

    path = tmp_path / "empty.csv"
    path.write_bytes(csv_bytes(["file", "row"], [], [("ICO", "HA"), ("Period", "2015Q2")]))
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["file", "row", "about_ico", "about_period"] and frame.empty
    path = tmp_path / "empty.xlsx"
    path.write_bytes(xlsx_bytes([("failures", ["file", "row"], [])], [("ICO", "HA")]))
    assert list(pd.read_excel(path).columns) == ["file", "row"]
    assert pd.read_excel(path, sheet_name="About").to_dict("records") == [{"item": "ICO", "value": "HA"}]


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_one_rounding_for_49_of_400_on_the_page_in_the_exports_and_in_the_pdf(example, dbs, tmp_path):
    """Issue 24: 49/400 = 12.25 % is 12.3 wherever a person reads it (half-up; Python's round() said 12.2 in
    the export): the overview, the chart's text alternative, the CSV and XLSX ``value_rounded``, the PDF."""
    import subprocess

    from reporting.engine.store import current_run
    from reporting.storage.models import Result

    with example.app_context():
        from reporting.storage import db

        with db.transaction() as s:
            run = current_run(s, "2015Q3").id
    r = dbs.scalar(
        select(Result).where(Result.run_id == run, Result.measure_id == "community_residence", Result.ico == "HA")
    )
    r.numerator, r.denominator, r.value, r.status, r.ci_low, r.ci_high = 49, 400, 49 / 400 * 100, "reported", 9.4, 15.8
    dbs.commit()
    assert round(r.value, 1) == 12.2  # what half-even rounding shows: the old export's answer
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/overview?period=2015Q3").get_data(as_text=True)
    cell = re.search(r'data-measure="community_residence".*?data-ico="HA".*?class="v">([^<]*)<', page, re.S)
    assert cell and cell.group(1).strip() == "12.3%"
    ico_page = client.get("/icos/HA").get_data(as_text=True)
    assert "Health Alliance latest 12.3% in 2015Q3" in ico_page  # the chart's text alternative
    for fmt in ("csv", "xlsx"):
        path = _saved(tmp_path, client.get(f"/exports/overview.{fmt}?period=2015Q3").data, f"overview.{fmt}")
        frame = pd.read_csv(path) if fmt == "csv" else pd.read_excel(path)
        row = frame[(frame["measure_id"] == "community_residence") & (frame["ico"] == "HA")].iloc[0]
        assert row["value_rounded"] == 12.3 and row["value"] == 12.25, fmt
    pdf = tmp_path / "scorecard.pdf"
    out = example.test_cli_runner().invoke(args=["scorecard", "--ico", "HA", "--period", "2015Q3", "-o", str(pdf)])
    assert out.exit_code == 0, out.output
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if "49/400" in line)
    near = "\n".join(lines[at - 3 : at + 1])  # the value, its interval and counts
    assert "12.3" in near and "12.2" not in near, near
