"""Issue 25: the statewide and the public report show the survey measures as the scorecard and the pages do: the
case-mix adjusted score as the headline, the raw score beside it, a marker where an ICO differs significantly from
statewide, and a sentence saying what was adjusted for; the public report only beside a value it shows (a
suppressed cell stays suppressed, adjusted score and comparison included). The trend charts plot the adjusted
score and their text alternatives say so. Pages are kept as PNGs in test-artifacts/ for a look."""

import re

import pytest

from measures import REGISTRY
from reporting.publication import figures, reports
from reporting.publication import settings as pub_settings
from reporting.publication.released import public_hidden
from reporting.publication.suppression import SUPPRESSED, suppress
from reporting.rendering.filters import fmt_value
from reporting.rendering.html import report_html
from reporting.storage import db
from tests.rendering.test_pdf import rendered, results

pytestmark = pytest.mark.slow  # renders PDFs with WeasyPrint and reads them back

SURVEY = [m for m in REGISTRY.values() if m.case_mix_items]
SENTENCE = "case-mix adjusted, as CMS adjusts CAHPS"


def _shown(r, m) -> str:
    return f"{fmt_value(r.adjusted_value, m.unit)}{'%' if m.unit == 'percent' else ''} raw {fmt_value(r.value, m.unit)}"


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_statewide_report_heads_survey_scores_with_the_adjusted_one(example, dbs, tmp_path):
    _, text = rendered(
        example, tmp_path, "casemix-statewide-2015Q3", "report", "--kind", "statewide", "--period", "2015Q3"
    )
    flat = " ".join(text.split())
    stored = results(dbs, "2015Q3")
    checked = 0
    for m in SURVEY:
        for ico in ("HA", "HB"):
            r = stored[(m.id, ico)]
            if r.status == "reported" and r.adjusted_value is not None:
                assert _shown(r, m) in flat, (m.id, ico, _shown(r, m))
                checked += 1
        sw = stored[(m.id, "STATEWIDE")]  # statewide is unchanged by adjustment: no "raw" beside it
        assert f"{fmt_value(sw.value, m.unit)}{'%' if m.unit == 'percent' else ''} raw" not in flat, m.id
    assert checked >= 6
    assert SENTENCE in flat and "The benchmark status judges the raw score (2015 rules)" in flat
    _, card = rendered(
        example, tmp_path, "casemix-scorecard-HA-2015Q3", "scorecard", "--ico", "HA", "--period", "2015Q3"
    )
    assert "The benchmark status judges the raw score (2015 rules)" in " ".join(card.split())
    marks = {r.vs_statewide for (mid, ico), r in stored.items() if ico != "STATEWIDE" and mid in {m.id for m in SURVEY}}
    if marks & {"higher", "lower"}:
        assert re.search(r"[▲▼] (higher|lower) than statewide", flat)
    # the charts plot the adjusted scores and say so (the survey measures' text alternatives)
    assert "Survey measures plot each ICO's case-mix adjusted score" in flat


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_public_report_shows_adjusted_scores_only_beside_shown_values(example, dbs, tmp_path):
    _, text = rendered(example, tmp_path, "casemix-public-2015Q3", "report", "--kind", "public", "--period", "2015Q3")
    flat = " ".join(text.split())
    stored = results(dbs, "2015Q3")
    with example.app_context():
        context = reports.statewide(db.session, pub_settings(), "2015Q3", figures.live(db.session), public=True)
    with example.app_context():
        run = figures.live(db.session).run("2015Q3")
        hidden = public_hidden(db.session, "2015Q3", run.id, None)
    shown_any = False
    for m in SURVEY:
        present = [stored[(m.id, c)] for c in ("HA", "HB", "STATEWIDE")]
        published = {p.ico: p for p in suppress(m.id, present, hidden)}  # what the public may see, read again
        row = next(row for row in context["table"] if row["m"].id == m.id)
        for ico in ("HA", "HB"):
            r, p = stored[(m.id, ico)], published[ico]
            visible = r.status == "reported" and p.value != SUPPRESSED and r.adjusted_value is not None
            assert (ico in row["adjusted"]) == visible, (m.id, ico, p.value)
            if visible:
                assert _shown(r, m) in flat, (m.id, ico)
                shown_any = True
    assert shown_any, "the public report of 2015Q3 shows some survey score"
    assert SENTENCE in flat or not shown_any
    # no counts from 1 to 10 came with the adjusted scores
    body = flat.split("Measure definitions")[0]
    pairs = re.findall(r"(\d[\d,]*|suppressed) / (\d[\d,]*|suppressed)", body)
    counts = [int(n.replace(",", "")) for pair in pairs for n in pair if n != "suppressed"]
    assert counts and all(n == 0 or n > 10 for n in counts)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_a_suppressed_survey_cell_shows_no_adjusted_score(example, dbs):
    """A public cell whose counts are suppressed: neither its adjusted score nor its comparison shows, even when
    handed to the template."""
    stored = results(dbs, "2015Q3")
    m = SURVEY[0]
    r = stored[(m.id, "HA")]
    assert r.status == "reported" and r.adjusted_value is not None
    [cell] = [p for p in suppress(m.id, [r], {(m.id, "2015Q3", "HA", "denominator")}) if p.ico == "HA"]
    assert cell.value == SUPPRESSED and not reports._adjusted_shown(cell, r)
    with example.test_request_context():
        ctx = reports.statewide(db.session, pub_settings(), "2015Q3", figures.live(db.session), public=True)
        row = next(row for row in ctx["table"] if row["m"].id == m.id)
        row["shown"] = dict(row["shown"], HA=cell)
        row["adjusted"] = dict(row["adjusted"], HA=r)  # the template's own guard
        html = report_html(reports.ReportKind.PUBLIC.entry.template, ctx)
    cells = re.search(rf"{re.escape(m.title)}.*?</tr>", html, re.S).group(0)
    assert [o.code for o in ctx["orgs"]] == ["HB", "HA"]  # by name: Harbor Care, then Health Alliance
    ha = cells.split("<td>")[2].split("</td>")[0]
    assert "suppressed" in ha and "raw" not in ha and "than statewide" not in ha, ha


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_scorecard_changes_are_those_of_its_headline(example, dbs):
    """A survey measure's change from the last quarter and the year before is that of the adjusted score the
    scorecard heads the row with (it was the raw score's); other measures' are their values'."""
    now, before, year_ago = results(dbs, "2015Q3"), results(dbs, "2015Q2"), results(dbs, "2014Q3")
    with example.app_context():
        ctx = reports.scorecard(db.session, pub_settings(), "HA", "2015Q3", figures.live(db.session))
    for row in ctx["rows"]:
        mid, r, prev = row["m"].id, now[(row["m"].id, "HA")], before.get((row["m"].id, "HA"))
        if r.status != "reported" or prev is None or prev.status != "reported":
            continue
        if row["m"].case_mix_items:
            assert row["change_prev"] == pytest.approx(r.adjusted_value - prev.adjusted_value), mid
        else:
            assert row["change_prev"] == pytest.approx(r.value - prev.value), mid
    assert any(row["change_year"] is not None and row["m"].case_mix_items for row in ctx["rows"]) == any(
        (m.id, "HA") in year_ago
        and year_ago[(m.id, "HA")].status == "reported"
        and now[(m.id, "HA")].status == "reported"
        for m in SURVEY
    )
