"""The read model keyed by the edition (issue 11, item 10): anything published reads published editions only,
an edition's reports read the editions in force when it was made (trends included) and give the same figures
when rendered again; the pages show the newest computation, labelled unpublished. PUBLISH_MODE=approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reporting import pipeline
from reporting.publication import figures, reports, settings
from reporting.publication.render import _frozen, _report_html
from reporting.publication.reports import ReportKind, ReportSpec
from reporting.rules.store import as_recorded
from reporting.storage import db
from reporting.storage.models import Edition, ResultRun
from tests.conftest import login

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


def _cycle(app, period):
    with app.app_context():
        outcome = pipeline.run_cycle(period, trigger="test")
    assert outcome.status == "awaiting approval", outcome
    return outcome.edition_id


def _approve(app, edition_id):
    with app.app_context():
        pipeline.approve_edition(edition_id, "cms@example.org")


def _context(app, edition_id, kind, ico=None):
    with app.app_context(), db.transaction() as s:
        edition = s.get(Edition, edition_id)
        spec = ReportSpec(kind, edition.period_code, ico)
        return reports.context_for(
            s, as_recorded(s, edition.rule_versions), spec, figures.as_published(s, edition), edition
        )


def _html(app, edition_id, kind, ico=None):
    with app.app_context():
        with db.transaction() as s:
            edition = s.get(Edition, edition_id)
            frozen, pub = _frozen(edition), as_recorded(s, edition.rule_versions)
        return _report_html(ReportSpec(kind, frozen.period_code, ico), frozen, pub).html


def test_an_editions_trends_hold_only_what_was_published_when_it_was_made(example):
    example.config["PUBLISH_MODE"] = "approval"
    q3 = _cycle(example, "2015Q3")
    # every earlier quarter is computed (the example) but none published: the edition's reports show 2015Q3 alone
    for kind, ico in ((ReportKind.SCORECARD, "HA"), (ReportKind.STATEWIDE, None), (ReportKind.PUBLIC, None)):
        context = _context(example, q3, kind, ico)
        assert {p for t in context["trends"] for p in t.periods} == {"2015Q3"}, kind
    assert _context(example, q3, ReportKind.SCORECARD, "HA")["rows"][0]["prev"] is None  # 2015Q2: unpublished
    # the live read model (a reviewer's draft) still has every computed quarter
    with example.app_context(), db.transaction() as s:
        live = reports.context_for(s, settings(), ReportSpec(ReportKind.SCORECARD, "2015Q3", "HA"))
    assert len(live["trends"][0].periods) == 7 and live["rows"][0]["prev"] is not None

    # 2015Q2 published after 2015Q3's edition was made: the 2015Q3 edition does not take it up ...
    before = _html(example, q3, ReportKind.STATEWIDE)
    _approve(example, _cycle(example, "2015Q2"))
    assert {p for t in _context(example, q3, ReportKind.STATEWIDE)["trends"] for p in t.periods} == {"2015Q3"}
    # ... and a newer computation of 2015Q3 itself changes nothing in it: rendered again, the same report
    with example.app_context():
        pipeline.compute("2015Q3", trigger="test")
    assert _html(example, q3, ReportKind.STATEWIDE) == before

    # a new edition of 2015Q3 made now takes up 2015Q2, which is published by then
    with example.app_context():
        later = pipeline.run_cycle("2015Q3", trigger="test", new_edition=True)
    assert {p for t in _context(example, later.edition_id, ReportKind.STATEWIDE)["trends"] for p in t.periods} == {
        "2015Q2",
        "2015Q3",
    }


def test_published_pdfs_read_the_editions_run_not_a_newer_computation(example):
    example.config["PUBLISH_MODE"] = "approval"
    q3 = _cycle(example, "2015Q3")
    with example.app_context():
        pipeline.compute("2015Q3", trigger="test")  # newer than the edition's run
        with db.transaction() as s:
            edition_run = s.get(Edition, q3).run_id
            current = s.scalar(select(ResultRun).where(ResultRun.period_code == "2015Q3", ResultRun.is_current))
            assert current.id != edition_run
    _approve(example, q3)
    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")  # renders and delivers the approved edition
        with db.transaction() as s:
            from reporting.storage.models import Artifact

            runs = {a.run_id for a in s.scalars(select(Artifact).where(Artifact.edition_id == q3))}
    assert runs == {edition_run}
    assert _context(example, q3, ReportKind.STATEWIDE)["run"].id == edition_run


def test_the_pages_label_a_computation_that_is_not_published(example):
    example.config["PUBLISH_MODE"] = "approval"
    client = example.test_client()
    login(client, "cms@example.org")
    label = "Unpublished: these are the newest computed figures for 2015Q3"
    assert label in client.get("/overview?period=2015Q3").get_data(as_text=True)
    assert "unpublished" in client.get("/exports/overview.csv?period=2015Q3").get_data(as_text=True)
    q3 = _cycle(example, "2015Q3")
    assert label in client.get("/overview?period=2015Q3").get_data(as_text=True)  # awaiting approval
    _approve(example, q3)
    page = client.get("/overview?period=2015Q3").get_data(as_text=True)
    assert label not in page and "Computed" in page
    assert "unpublished" not in client.get("/exports/overview.csv?period=2015Q3").get_data(as_text=True)
    with example.app_context():
        pipeline.compute("2015Q3", trigger="test")  # a newer computation: labelled again
    assert label in client.get("/overview?period=2015Q3").get_data(as_text=True)
    # the public table stays the published edition's
    public = client.get("/exports/public.csv?period=2015Q3").get_data(as_text=True)
    with example.app_context(), db.transaction() as s:
        assert f"(run {s.get(Edition, q3).run_id})" in public


def test_a_report_rendered_again_uses_the_rules_its_edition_was_made_with(example):
    from reporting.rules import store as rules

    example.config["PUBLISH_MODE"] = "approval"
    q3 = _cycle(example, "2015Q3")
    with example.app_context(), db.transaction() as s:
        recorded = s.get(Edition, q3).rule_versions
        old = as_recorded(s, recorded).benchmarks[("fuh_30d", 2015)].value
        draft = rules.propose(s, 2015, f"measure_id,benchmark\nfuh_30d,{old + 7}\n", "cms@example.org")
        rules.adopt(s, draft.id, "cms@example.org")
    with example.app_context(), db.transaction() as s:
        assert settings().benchmarks[("fuh_30d", 2015)].value == old + 7
        assert as_recorded(s, recorded).benchmarks[("fuh_30d", 2015)].value == old
    row = next(r for r in _context(example, q3, ReportKind.STATEWIDE)["table"] if r["m"].id == "fuh_30d")
    assert {c.benchmark for c in row["cells"].values()} == {old}


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_a_report_outside_any_edition_says_it_is_a_draft(example, tmp_path):
    from tests.rendering.test_pdf import rendered

    _, text = rendered(example, tmp_path, "public-draft", "report", "--kind", "public", "--period", "2015Q2")
    assert "Draft: not a published report" in " ".join(text.split())


def test_a_preview_is_said_once_on_the_page_and_the_export_says_unpublished(example):
    example.config["PUBLISH_MODE"] = "preview"
    with example.app_context():
        assert pipeline.run_cycle("2015Q3", trigger="test").status == "preview"
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/overview?period=2015Q3").get_data(as_text=True)
    assert page.count("In preview: 2015Q3") == 1 and "Unpublished: these are the newest" not in page
    assert "Unpublished: these are the newest" in client.get("/overview?period=2015Q2").get_data(as_text=True)
    assert "unpublished" in client.get("/exports/overview.csv?period=2015Q3").get_data(as_text=True)
