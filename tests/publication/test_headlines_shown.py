"""The e-mail's headlines state the figures its PDF headlines: a survey measure's change is between its case-mix
adjusted scores (the PDF's headline), not its raw ones (found by a walk through the demo: the e-mail gave raw
scores beside a PDF headlining adjusted ones)."""

from types import SimpleNamespace

from measures import REGISTRY, Period
from reporting.publication import headlines
from reporting.publication.reports import ReportKind

SURVEY = next(m for m in REGISTRY.values() if getattr(m, "case_mix_items", None))


def _result(value, adjusted):
    return SimpleNamespace(status="reported", value=value, adjusted_value=adjusted, measure_id=SURVEY.id, ico="HA")


def test_a_survey_change_in_the_mail_is_between_the_adjusted_scores_the_pdf_headlines(app):
    pub = SimpleNamespace(benchmarks={}, withhold={}, case_mix={})
    spec = SimpleNamespace(programme=None, kind=ReportKind.SCORECARD, period="2015Q3", ico="HA")
    now = {(SURVEY.id, "HA"): _result(74.8, 75.3)}
    before = {(SURVEY.id, "HA"): _result(70.1, 71.9)}
    h = headlines._headline(None, pub, spec, None, Period.parse("2015Q3"), "HA", now, before)
    assert [c[:3] for c in h.changes] == [(SURVEY.title, 71.9, 75.3)]
    h = headlines._headline(
        None, pub, spec, None, Period.parse("2015Q3"), "HA", now, {(SURVEY.id, "HA"): _result(70.1, 75.3)}
    )
    assert h.changes == []  # the adjusted headline did not move, whatever the raw score did


def test_a_withhold_mail_counts_the_rows_its_pdf_lists(app, monkeypatch):
    """The withhold e-mail said "9 measures met, 6 not met ... 8 of 11 withhold measures met" beside a PDF listing
    11 measures, 8 met (two met by gap closure) and 3 not met: it counted every measure of the quarter and gap
    closure as not met. Its counts are the PDF's rows now."""
    from reporting.publication import figures
    from reporting.publication.benchmarks import MET, MET_GAP, NOT_MET, Withhold

    rows = [SimpleNamespace(status=s) for s in [MET] * 6 + [MET_GAP] * 2 + [NOT_MET] * 3]
    w = Withhold("HA", 2015, rows, eligible=11, met=8, share=8 / 11, earned_back=50)
    monkeypatch.setattr(figures, "withhold_for_year", lambda *a, **k: {"HA": w})
    pub = SimpleNamespace(benchmarks={}, withhold={}, case_mix={})
    spec = SimpleNamespace(programme=None, kind=ReportKind.WITHHOLD, period="2015", ico="HA")
    h = headlines._headline(None, pub, spec, None, Period.parse("2015"), "HA", {}, None)
    assert (h.met, h.not_met, h.na) == (8, 3, 0)
    assert (h.withhold_met, h.withhold_eligible, h.tier) == (8, 11, 50)
