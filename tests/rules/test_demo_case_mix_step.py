"""The demo's case-mix step (``demo_setup.case_mix_rules``) on the worked example: it drafts 2015's rules with the
case-mix adjustment on, previews their impact as the operator and adopts them. The start command runs it; a
signature change once broke the demo on a fresh clone and no test noticed."""

from sqlalchemy import select

from reporting import demo_setup
from reporting.rules import store
from reporting.storage.models import RuleSet


def test_the_demo_turns_the_case_mix_adjustment_on_for_2015(example, dbs):
    with example.app_context():
        said = demo_setup.case_mix_rules()
        assert "case-mix adjusted" in said and "Rules 2015 v2" in said, said
        in_force = store.in_force(dbs, 2015)
        assert in_force.version == 2 and in_force.case_mix_adjusted
        assert store.current_rules(dbs).case_mix[2015] is True
        # run again: nothing to change, nothing new drafted
        assert demo_setup.case_mix_rules().startswith("2015 rules: nothing to change")
        assert len(dbs.scalars(select(RuleSet).where(RuleSet.year == 2015)).all()) == 2
