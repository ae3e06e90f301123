"""Which value headlines a result is decided once, in the read model (``figures.adjusted_headline`` and
``figures.headline``): an ICO's reported survey score is headlined by its case-mix adjusted score wherever it has
one, whatever the year's rules judge; statewide, a result without an adjusted score, and anything not reported
are not. The pages, reports, charts and e-mails ask it (the templates through the filters of the same names);
the value a status judges is the cell's (``Cell.judged_value``), which differs where the rules judge raw scores."""

from types import SimpleNamespace

from flask import render_template_string

from reporting.engine import STATEWIDE
from reporting.publication import figures
from reporting.storage.models import Result

SURVEY = "flu_vaccine"  # a survey measure: case-mix adjusted (measures.md)


def _result(value, adjusted, ico="HA", status="reported"):
    return Result(measure_id=SURVEY, ico=ico, status=status, value=value, adjusted_value=adjusted)


def test_an_ico_survey_score_is_headlined_by_its_adjusted_score():
    r = _result(70.1, 71.9)
    assert figures.adjusted_headline(r) == 71.9
    assert figures.headline(r) == 71.9


def test_without_an_adjusted_score_the_value_headlines():
    r = _result(70.1, None)
    assert figures.adjusted_headline(r) is None
    assert figures.headline(r) == 70.1


def test_statewide_is_headlined_by_its_value():
    r = _result(69.0, 69.5, ico=STATEWIDE)  # the engine stores its value as its adjusted one; its value it is
    assert figures.adjusted_headline(r) is None
    assert figures.headline(r) == 69.0


def test_nothing_headlines_a_result_not_reported():
    for r in (None, _result(None, None, status="NA"), _result(40.0, 41.0, status="NA")):
        assert figures.adjusted_headline(r) is None
        assert figures.headline(r) is None


def test_the_value_judged_follows_the_rules_the_headline_does_not():
    r = _result(64.3, 67.2)
    raw_rules = SimpleNamespace(benchmarks={}, withhold={}, case_mix={2015: False})
    adjusted_rules = SimpleNamespace(benchmarks={}, withhold={}, case_mix={2015: True})
    assert figures.cell(raw_rules, SURVEY, r, 2015).judged_value == 64.3
    assert figures.cell(adjusted_rules, SURVEY, r, 2015).judged_value == 67.2
    assert figures.headline(r) == 67.2  # under either rules
    assert figures.cell(raw_rules, SURVEY, None, 2015).judged_value is None


def test_the_templates_ask_the_same_functions(app):
    with app.test_request_context():
        text = render_template_string(
            '{% from "macros/casemix.html" import headline %}{{ headline(r, "percent") }}|'
            "{{ r | adjusted_headline }}|{{ s | adjusted_headline }}|{{ s | headline }}",
            r=_result(70.1, 71.9),
            s=_result(69.0, 69.5, ico=STATEWIDE),
        )
    assert text == "71.9%|71.9|None|69.0"


def test_a_change_compares_adjusted_scores_only_where_both_have_one():
    """The PDF and its e-mail state one change: never an adjusted score against a raw one."""
    assert figures.headline_change(_result(72.0, 73.5), _result(70.0, 71.0)) == (71.0, 73.5)
    assert figures.headline_change(_result(72.0, 73.5), _result(70.0, None)) == (70.0, 72.0)
    assert figures.headline_change(_result(72.0, None), _result(70.0, 71.0)) == (70.0, 72.0)
    assert figures.headline_change(_result(72.0, 73.5), _result(None, None, status="NA")) is None
