"""successful_transition_60d: Successful return to the community after a long facility stay."""

from measures._base import Measure
from measures._toolkit import add_days, any_event, covering_span, covers, death_dates, in_period, in_window


def population(data, period):
    fs, spans = data.facility_stays, data.members
    long = fs[(fs["discharge_to"] == "community") & ((fs["discharge_date"] - fs["admission_date"]).dt.days >= 101)]
    units = long[["stay_id", "member_id", "admission_date", "discharge_date"]].assign(
        day_1=lambda f: add_days(f["discharge_date"], 1),
        day_2=lambda f: add_days(f["discharge_date"], 2),
        day_60=lambda f: add_days(f["discharge_date"], 60),
    )
    units = units[in_period(units["day_60"], period)]
    units = units.assign(death_date=units["member_id"].map(death_dates(spans)))
    span = covering_span(spans, units, "discharge_date", [])
    died_early = units["death_date"].notna() & (units["death_date"] <= units["day_1"])
    stays_enrolled = (
        covers(span["enrollment_start"], span["enrollment_end"], units["day_60"]) & span["enrollment_start"].notna()
    )
    ends_on_death = span["enrollment_end"].notna() & (span["enrollment_end"] == units["death_date"])
    units = units[~died_early & (stays_enrolled | ends_on_death)]
    readmitted = any_event(units, data.inpatient_stays, "admission_date", "day_1", "day_60") | any_event(
        units, fs, "admission_date", "day_1", "day_60"
    )
    died = in_window(units["death_date"], units["day_2"], units["day_60"])
    return units.assign(denominator=True, readmitted=readmitted, died=died, numerator=~readmitted & ~died)


MEASURE = Measure(
    id="successful_transition_60d",
    title="Successful return to the community after a long facility stay",
    domain="community_living",
    order=9,
    version="1",
    reference='CMS MLTSS "Successful transition after long-term institutional stay" (adapted, unadjusted)',
    unit="percent",
    direction="higher",
    unit_kind="long facility stay discharge",
    definition=(
        "Long-stay discharges: facility stays discharged to the community at least 101 days after admission. "
        "Denominator: those with discharge date + 60 in the period, leaving out members who died on or before "
        "discharge date + 1 and members whose enrollment span covering the discharge date neither covers "
        "discharge date + 60 nor ends on their death date. Numerator: no inpatient or facility admission from "
        "discharge date + 1 to + 60, and no death from discharge date + 2 to + 60."
    ),
    population=population,
    gap_label="readmitted or died within 60 days of returning home",
)
