"""ltss_coordinator_care_plan: LTSS members whose care plan involved an LTS Coordinator."""

from measures._base import Measure
from measures._toolkit import covering_span, in_period
from measures.dictionary import LTSS_CATEGORIES


def population(data, period):
    cp = data.care_plans
    plans = cp.loc[
        (cp["outcome"] == "completed") & in_period(cp["event_date"], period),
        ["member_id", "event_date", "ltss_coordinator"],
    ]
    category = covering_span(data.members, plans, "event_date", ["rating_category"])["rating_category"]
    ltss = plans.loc[category.isin(LTSS_CATEGORIES), "member_id"].unique()
    latest = plans.groupby("member_id")["event_date"].transform("max")
    on_latest = plans[plans["event_date"] == latest]
    units = (
        on_latest.assign(with_lts=on_latest["ltss_coordinator"] == "Y")
        .groupby("member_id", as_index=False)
        .agg(latest_care_plan=("event_date", "max"), numerator=("with_lts", "any"))
    )
    units = units[units["member_id"].isin(ltss)]
    return units.assign(denominator=True, numerator=units["numerator"].astype(bool))


MEASURE = Measure(
    id="ltss_coordinator_care_plan",
    title="LTSS members whose care plan involved an LTS Coordinator",
    domain="community_living",
    order=10,
    version="1",
    reference="One Care's independent LTS Coordinator requirement",
    unit="percent",
    direction="higher",
    unit_kind="member",
    definition=(
        "Counted per member. Denominator: members with a completed care plan dated in the period whose "
        "enrollment span covering that date has rating category F1, C3A or C3B. Numerator: those whose latest "
        "completed care plan in the period has an independent LTS Coordinator (several on that latest date: "
        "any Y counts)."
    ),
    population=population,
    gap_label="latest care plan without an LTS Coordinator",
)
