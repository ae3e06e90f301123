"""care_plan_90d: Care plan within 90 days of enrollment (CMS MMP Core 3.2)."""

from measures import _ninety_day
from measures._base import Measure


def upcoming(data, as_of, days=30):
    return _ninety_day.upcoming(data.members, data.care_plans, as_of, days)


def population(data, period):
    return _ninety_day.population(data.members, data.care_plans, period)


MEASURE = Measure(
    id="care_plan_90d",
    title="Care plan within 90 days of enrollment",
    domain="care_coordination",
    order=2,
    version="1",
    reference="CMS MMP Core 3.2",
    unit="percent",
    direction="higher",
    unit_kind="enrollment span",
    definition=(
        "Exactly as assessment_90d, with every care-plan event (there is no type) in place of the "
        "initial assessments. A: spans whose day 90 (enrollment_start + 89) falls in the period and that "
        "still cover it; D: a completed care plan from enrollment_start to day 90; B: not D and a refusal; "
        "C: not D, not B, and at least three unable-to-reach attempts."
    ),
    population=population,
    elements={"A": "denominator", "B": "B", "C": "C", "D": "numerator"},
    extras=_ninety_day.extras,
    gap_label="no completed care plan by day 90",
    upcoming=upcoming,
)
