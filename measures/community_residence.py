"""community_residence: Members living in the community."""

from measures._base import Measure
from measures._toolkit import alive_on, covers, in_facility_on


def population(data, period):
    spans = data.members
    day = period.ts_end
    units = (
        spans.loc[covers(spans["enrollment_start"], spans["enrollment_end"], day), ["member_id", "rating_category"]]
        .drop_duplicates("member_id", ignore_index=True)
        .assign(day=day)
    )
    units = units[alive_on(spans, units, "day")]
    return units.assign(denominator=True, numerator=~in_facility_on(data.facility_stays, units, "day"))


MEASURE = Measure(
    id="community_residence",
    title="Members living in the community",
    domain="community_living",
    order=7,
    version="1",
    reference="One Care community living",
    unit="percent",
    direction="higher",
    unit_kind="member",
    definition=(
        "Counted per member. Denominator: members enrolled and alive on the last day of the period. "
        "Numerator: of those, members not in a facility on that day (the discharge day is a community day)."
    ),
    population=population,
    gap_label="in a facility on the last day of the period",
)
