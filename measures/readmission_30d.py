"""readmission_30d: All-cause readmissions within 30 days (HEDIS PCR, observed rate only)."""

from measures._base import Measure
from measures._toolkit import add_days, any_event, continuously_enrolled, in_period


def population(data, period):
    ip = data.inpatient_stays
    units = ip[~ip["discharge_status"].isin(["died", "transfer_acute"]) & (ip["admission_date"] < ip["discharge_date"])]
    units = units[["stay_id", "member_id", "admission_date", "discharge_date", "discharge_status"]].assign(
        day_1=lambda f: add_days(f["discharge_date"], 1), day_30=lambda f: add_days(f["discharge_date"], 30)
    )
    units = units[in_period(units["day_30"], period)]
    units = units[continuously_enrolled(data.members, units, "discharge_date", "day_30")]
    readmitted = any_event(
        units, ip, "admission_date", "day_1", "day_30", where=ip["planned"] == "N", exclude_same="stay_id"
    )
    return units.assign(denominator=True, numerator=readmitted)


MEASURE = Measure(
    id="readmission_30d",
    title="All-cause readmissions within 30 days",
    domain="care_coordination",
    order=6,
    version="1",
    reference="HEDIS PCR, observed rate only",
    unit="percent",
    direction="lower",
    unit_kind="index hospital stay",
    definition=(
        "Index stays: inpatient stays of any diagnosis, not discharged dead or transferred to another acute "
        "hospital, admitted before the discharge date, discharge date + 30 in the period, the member "
        "continuously enrolled from the discharge date to discharge date + 30. Numerator: index stays "
        "followed by another unplanned inpatient admission from discharge date + 1 to discharge date + 30. "
        "Lower is better."
    ),
    population=population,
    gap_label="readmitted within 30 days",
)
