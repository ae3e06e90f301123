"""reassessment_365d: Reassessment within 365 days (CMS MMP Core 2.2, adapted)."""

from measures._base import Measure
from measures._toolkit import add_days, any_event, continuously_enrolled, in_period


def population(data, period):
    done = data.assessments.loc[
        data.assessments["outcome"] == "completed", ["member_id", "event_date"]
    ].drop_duplicates(ignore_index=True)
    units = done.assign(day_1=add_days(done["event_date"], 1), day_365=add_days(done["event_date"], 365))
    units = units[in_period(units["day_365"], period)]
    units = units[continuously_enrolled(data.members, units, "event_date", "day_365")]
    return units.assign(denominator=True, numerator=any_event(units, done, "event_date", "day_1", "day_365"))


MEASURE = Measure(
    id="reassessment_365d",
    title="Reassessment within 365 days",
    domain="care_coordination",
    order=3,
    version="1",
    reference="CMS MMP Core 2.2 (adapted)",
    unit="percent",
    direction="higher",
    unit_kind="completed assessment",
    definition=(
        "Completed assessments (any type), one per member and date. Denominator: those whose date + 365 "
        "falls in the period, the member continuously enrolled from the assessment date to date + 365. "
        "Numerator: another completed assessment of the member dated from date + 1 to date + 365."
    ),
    population=population,
    gap_label="no completed reassessment within 365 days",
)
