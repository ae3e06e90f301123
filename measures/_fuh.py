"""The shared population of fuh_7d and fuh_30d (HEDIS FUH, quarterly adaptation)."""

from __future__ import annotations

from measures._toolkit import add_days, any_event, continuously_enrolled, in_period

DEFINITION = (
    "Candidate discharges: inpatient stays with principal diagnosis group mental_health or self_harm, "
    "not discharged dead, discharge date + 30 in the period, the member continuously enrolled from the "
    "discharge date to discharge date + 30. Excluded: the member has another inpatient stay, or a facility "
    "stay, admitted from the discharge date to discharge date + 30. Denominator: candidates not excluded. "
    "Numerator: a visit with a mental-health practitioner from discharge date + 1 to discharge date + {days} "
    "(a visit on the discharge day does not count)."
)


def population(data, period, days: int):
    base = data.shared(("fuh", period.code), lambda: _candidates(data, period))
    units = base.drop(columns="excluded")
    units.insert(units.columns.get_loc("day_1") + 1, "day_n", add_days(units["discharge_date"], days))
    visited = any_event(
        units, data.visits, "visit_date", "day_1", "day_n", where=data.visits["provider_type"] == "mental_health"
    )
    excluded = base["excluded"]
    return units.assign(excluded=excluded, denominator=~excluded, numerator=~excluded & visited)


def _candidates(data, period):
    """The candidate discharges and their exclusion: the same for the 7- and the 30-day measure."""
    ip = data.inpatient_stays
    units = ip[
        ip["principal_diagnosis_group"].isin(["mental_health", "self_harm"]) & (ip["discharge_status"] != "died")
    ]
    units = units[["stay_id", "member_id", "admission_date", "discharge_date", "principal_diagnosis_group"]].assign(
        day_1=lambda f: add_days(f["discharge_date"], 1), day_30=lambda f: add_days(f["discharge_date"], 30)
    )
    units = units[in_period(units["day_30"], period)]
    units = units[continuously_enrolled(data.members, units, "discharge_date", "day_30")]
    readmitted = any_event(units, ip, "admission_date", "discharge_date", "day_30", exclude_same="stay_id")
    to_facility = any_event(units, data.facility_stays, "admission_date", "discharge_date", "day_30")
    return units.assign(excluded=readmitted | to_facility)
