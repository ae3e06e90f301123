"""assessment_90d: Assessment within 90 days of enrollment (CMS MMP Core 2.1)."""

from measures import _ninety_day
from measures._base import Measure


def _initial(data):
    return data.assessments[data.assessments["assessment_type"] == "initial"]


def population(data, period):
    return _ninety_day.population(data.members, _initial(data), period)


def upcoming(data, as_of, days=30):
    return _ninety_day.upcoming(data.members, _initial(data), as_of, days)


MEASURE = Measure(
    id="assessment_90d",
    title="Assessment within 90 days of enrollment",
    domain="care_coordination",
    order=1,
    version="1",
    reference="CMS MMP Core 2.1",
    unit="percent",
    direction="higher",
    unit_kind="enrollment span",
    definition=(
        "For each enrollment span, day 90 is enrollment_start + 89 (the start day is day 1). "
        "A (denominator): spans whose day 90 falls in the period and that still cover it. "
        "Considered events: the member's initial assessments dated from enrollment_start to day 90. "
        "D (numerator): at least one considered assessment completed. "
        "B: not D, and at least one refused. C: not D, not B, and at least three unable-to-reach attempts. "
        "Value = 100·D/A; also value_excl = 100·D/(A − B − C). Each span stands alone."
    ),
    population=population,
    elements={"A": "denominator", "B": "B", "C": "C", "D": "numerator"},
    extras=_ninety_day.extras,
    gap_label="no completed initial assessment by day 90",
    upcoming=upcoming,
)
