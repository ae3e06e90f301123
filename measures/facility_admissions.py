"""facility_admissions: Facility admissions from the community per 1,000 member-months."""

import pandas as pd

from measures._base import Measure
from measures._toolkit import (
    add_days,
    alive_on,
    any_event,
    covers,
    enrolled_on,
    in_facility_on,
    in_period,
    month_starts,
)


def _member_months(data, period) -> pd.DataFrame:
    """Every (member, first day of a month) enrolled that day, then kept when alive and not in a facility
    (the months together: each unit is decided on its own day)."""
    spans, months = data.members, []
    for first in month_starts(period):
        months.append(
            spans.loc[covers(spans["enrollment_start"], spans["enrollment_end"], first), ["member_id"]]
            .drop_duplicates(ignore_index=True)
            .assign(day=first)
        )
    units = pd.concat(months, ignore_index=True)
    units = units[alive_on(spans, units, "day")]
    units = units[~in_facility_on(data.facility_stays, units, "day")].reset_index(drop=True)
    return units.assign(kind="member_month", denominator=True, numerator=False)


def _admissions(data, period) -> pd.DataFrame:
    fs = data.facility_stays
    units = fs.loc[in_period(fs["admission_date"], period), ["stay_id", "member_id", "admission_date"]]
    units = units[enrolled_on(data.members, units, "admission_date")]
    units = units.assign(day_before=add_days(units["admission_date"], -1))
    transfer = any_event(units, fs, "discharge_date", "day_before", "admission_date", exclude_same="stay_id")
    return (
        units[~transfer]
        .rename(columns={"admission_date": "day"})
        .drop(columns="day_before")
        .assign(kind="admission", denominator=False, numerator=True)
    )


def population(data, period):
    return pd.concat([_member_months(data, period), _admissions(data, period)], ignore_index=True)


MEASURE = Measure(
    id="facility_admissions",
    title="Facility admissions from the community per 1,000 member-months",
    domain="community_living",
    order=8,
    version="1",
    reference='CMS MLTSS "Admission to an institution from the community" (adapted)',
    unit="per_1000",
    direction="lower",
    unit_kind="member-month or admission",
    definition=(
        "Denominator (community member-months): for every calendar month whose first day is in the period, "
        "one for each member who on that first day is enrolled, alive and not in a facility. "
        "Numerator: facility stays admitted in the period, the member enrolled on the admission date, that "
        "are not a transfer (no other facility stay of the member discharged on the admission date or the day "
        "before). Value per 1,000 member-months; lower is better."
    ),
    population=population,
    elements={"member_months": "denominator"},
    gap_label="admitted to a facility from the community",
)
