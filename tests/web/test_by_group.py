"""Results by group where people see them: the "By group" view of a measure page (a reviewer sees every ICO and
statewide, an ICO user its own strata only, statewide hidden from it as the statewide figures are), the equity
summary on the ICO page, the results_strata export (CSV and XLSX, plain pandas), the CLI and the API; on the
worked example (two ICOs), against the stored strata read independently of the view."""

import csv
import io
from html.parser import HTMLParser

import pandas as pd
from sqlalchemy import select

from measures import REGISTRY
from reporting import programmes
from reporting.engine.strata import STRATIFIERS
from reporting.publication.strata import EXPORT_COLUMNS, STRATUM_LABELS, stratum_label
from reporting.rendering.filters import fmt_signed, format_value
from reporting.storage.models import ResultRun, ResultStratum
from tests.conftest import login
from tests.ingest.test_upload_paths import issue_token

ROWS_PER_ICO = len(REGISTRY) * sum(len(v) for v in STRATIFIERS.values())


class Tables(HTMLParser):
    """Every table of a page by id: its header cells and its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("id") or f"t{len(self.tables)}", [])
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.current = self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables_of(page: str) -> dict:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def stored(dbs, period="2015Q3"):
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == period, ResultRun.is_current))
    return {
        (s.ico, s.measure_id, s.stratifier, s.stratum): s
        for s in dbs.scalars(select(ResultStratum).where(ResultStratum.run_id == run.id))
    }


def test_the_by_group_view_of_a_measure_page(example, dbs):
    strata = stored(dbs)
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/measures/assessment_90d?period=2015Q3").get_data(as_text=True)
    assert "By group, 2015Q3" in page
    tables = tables_of(page)
    for name, values in STRATIFIERS.items():
        rows = tables[f"by-group-{name}"]
        assert rows[0][1:] == ["Health Alliance", "Harbor Care", "Statewide"]
        assert len(rows) == 1 + len(values)
        for row, stratum in zip(rows[1:], values):
            assert row[0] == stratum_label(stratum, programmes.get("ma-one-care"))
            assert (row[0][0].isupper() or row[0][0].isdigit()) and "_" not in row[0], row[0]  # words, capitalised
            for text, code in zip(row[1:], ["HA", "HB", "STATEWIDE"]):
                s = strata[(code, "assessment_90d", name, stratum)]
                if s.denominator == 0:
                    assert text == "none"
                    continue
                shown = "NA" if s.status == "NA" else format_value("percent", s.value) + "%"
                assert text.startswith(shown), (name, stratum, code, text)
                assert f"{s.numerator}/{s.denominator}" in text
                flagged = f"{s.flag} than the" in text
                assert flagged == (s.flag is not None), (text, s.flag)
    labels = [row[0] for row in tables["by-group-ethnicity"][1:]]
    assert labels == ["Hispanic", "Not Hispanic", "Declined to say", "Unknown (blank or no member)"]  # not "hispanic"
    assert [row[0] for row in tables["by-group-sex"][1:3]] == ["Female", "Male"]
    # an ICO user: its own strata, no other ICO's, no statewide (two ICOs: statewide hidden from ICO users)
    login(client, "ha@example.org")
    tables = tables_of(client.get("/measures/assessment_90d?period=2015Q3").get_data(as_text=True))
    assert tables["by-group-sex"][0][1:] == ["Health Alliance"]
    # a period without results: a clear 404 naming those there are
    r = client.get("/measures/assessment_90d?period=2013Q1")
    assert r.status_code == 404 and "Choose one of" in r.get_data(as_text=True)


def test_the_equity_summary_on_the_ico_page(example, dbs):
    strata = stored(dbs)
    client = example.test_client()
    login(client, "ha@example.org")
    page = client.get("/icos/HA?period=2015Q3").get_data(as_text=True)
    assert "Equity summary, 2015Q3" in page
    tables = tables_of(page)
    gaps = {row[0]: row for row in tables["equity-passive"][1:]}
    assert set(gaps) == {m.title for m in REGISTRY.values()}
    for m in REGISTRY.values():
        passive = strata[("HA", m.id, "enrollment_method", "passive")].value
        voluntary = strata[("HA", m.id, "enrollment_method", "voluntary")].value
        row = gaps[m.title]
        assert row[1] == (format_value(m.unit, passive) if passive is not None else "—")
        if passive is not None and voluntary is not None:
            assert row[3] == fmt_signed(passive - voluntary, m.unit)
    worse = [s for k, s in strata.items() if k[0] == "HA" and s.flag == "worse"]
    if worse:
        assert len(tables["equity-worse"]) == 1 + len(worse)
        assert {row[1] for row in tables["equity-worse"][1:]} <= {
            stratum_label(s, programmes.get("ma-one-care")) for s in [*STRATUM_LABELS, *programmes.RATING_GROUPS]
        }  # in words
    else:
        assert "No group is flagged worse" in page


def test_the_results_strata_export_the_cli_and_the_api(example, dbs):
    strata = stored(dbs)
    client = example.test_client()
    login(client, "cms@example.org")
    r = client.get("/exports/results_strata.csv?period=2015Q3")
    assert r.status_code == 200
    frame = pd.read_csv(io.BytesIO(r.data), encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns[: len(EXPORT_COLUMNS)]) == EXPORT_COLUMNS
    assert len(frame) == 3 * ROWS_PER_ICO and set(frame["programme"]) == {"ma-one-care"}
    assert {"hispanic", "not_hispanic", "declined", "unknown"} <= set(frame["stratum"])  # codes, not the words
    for row in frame.itertuples():
        s = strata[(row.ico, row.measure_id, row.stratifier, row.stratum)]
        assert row.denominator == s.denominator and row.flag == (s.flag or "") and row.suppressed == "No"
    book = pd.read_excel(io.BytesIO(client.get("/exports/results_strata.xlsx?period=2015Q3").data), engine="openpyxl")
    assert list(book.columns) == EXPORT_COLUMNS and len(book) == 3 * ROWS_PER_ICO
    login(client, "ha@example.org")
    own = pd.read_csv(io.BytesIO(client.get("/exports/results_strata.csv?period=2015Q3").data), encoding="utf-8-sig")
    assert set(own["ico"]) == {"HA"} and len(own) == ROWS_PER_ICO
    # the CLI: the same columns, every ICO and statewide of the current run
    out = example.test_cli_runner().invoke(args=["results", "--period", "2015Q3", "--strata"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert list(rows[0]) == EXPORT_COLUMNS and len(rows) == 3 * ROWS_PER_ICO
    for row in rows:
        s = strata[(row["ico"], row["measure_id"], row["stratifier"], row["stratum"])]
        assert int(row["denominator"]) == s.denominator
        assert (row["value"] == "") == (s.value is None) and (not row["value"] or float(row["value"]) == s.value)
    # the API: an ICO's token sees its own strata; a reviewer's every ICO's and statewide
    for email, icos in (("ha@example.org", {"HA"}), ("cms@example.org", {"HA", "HB", "STATEWIDE"})):
        token = issue_token(example, email)
        got = client.get("/api/v1/results?period=2015Q3&strata=1", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200
        records = got.get_json()
        assert {r["ico"] for r in records} == icos and len(records) == len(icos) * ROWS_PER_ICO
        assert set(EXPORT_COLUMNS) <= set(records[0])
    bad = client.get("/api/v1/results?period=2015Q3&strata=maybe", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "?strata= takes 1" in bad.get_json()["message"]
