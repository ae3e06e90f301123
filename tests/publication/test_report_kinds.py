"""Issue 24: a registry of report kinds in the style of the measure registry. Every kind has one entry (template,
title, audience, per ICO or not, periods, recipients) and its template; an edition's reports, their templates,
their e-mail subjects and who receives them all come from it; a kind without a template fails at import."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reporting import pipeline
from reporting.delivery.messages import Letter, subject
from reporting.publication.audience import expected_reports
from reporting.publication.render import _frozen, _report_html
from reporting.publication.reports import REPORT_KINDS, ReportKind, check_registry
from reporting.rules.store import as_recorded
from reporting.storage import db
from reporting.storage.models import Edition


def test_every_kind_has_one_entry_and_its_template(tmp_path):
    assert set(REPORT_KINDS) == set(ReportKind)
    for kind, entry in REPORT_KINDS.items():
        assert entry.kind == kind and kind.per_ico == entry.per_ico and kind.entry is entry
        letter = Letter("a@example.org", kind.value, "2015Q3", None, 1, False, "x.pdf", b"", 1, "http://x")
        assert subject(letter) == f"One Care {entry.title}: 2015Q3"
        mi = replace(letter, programme="MI Health Link")  # the subject names the programme the report is of
        assert subject(mi) == f"MI Health Link {entry.title}: 2015Q3"

    entries = list(REPORT_KINDS.values())
    missing = replace(entries[0], template="reports/no-such-kind.html")
    with pytest.raises(RuntimeError, match="report kind scorecard: its template reports/no-such-kind.html is missing"):
        check_registry([missing, *entries[1:]])
    with pytest.raises(RuntimeError, match="report kind withhold has no entry in REPORT_KINDS"):
        check_registry([e for e in entries if e.kind != ReportKind.WITHHOLD])
    with pytest.raises(RuntimeError, match="report kind public has two entries"):
        check_registry(entries + [entries[-1]])


def _edition(app, period):
    app.config["PUBLISH_MODE"] = "approval"
    with app.app_context():
        outcome = pipeline.run_cycle(period, trigger="test")
    assert outcome.status == "awaiting approval", outcome
    return outcome.edition_id


def test_an_editions_reports_come_from_the_registry_and_render_with_its_templates(example):
    for period, kinds in (
        ("2015Q3", {"scorecard", "statewide", "public"}),
        ("2015", {"withhold", "statewide", "public"}),
    ):
        edition_id = _edition(example, period)
        with example.app_context():
            with db.transaction() as s:
                edition = s.get(Edition, edition_id)
                specs = expected_reports(s, edition)
                frozen, pub = _frozen(edition), as_recorded(s, edition.rule_versions)
            assert {spec.kind.value for spec in specs} == kinds
            per_ico = [spec for spec in specs if REPORT_KINDS[spec.kind].per_ico]
            assert sorted(spec.ico for spec in per_ico) == ["HA", "HB"]
            for spec in specs:
                html = _report_html(spec, frozen, pub).html
                assert ("Health Alliance" if spec.ico == "HA" else "One Care") in html, spec
