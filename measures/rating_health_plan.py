"""rating_health_plan: Rating of health plan (0-10, as a 0-100 score)."""

from measures import _survey
from measures._base import Measure


def population(data, period):
    r = _survey.responses_in_view(data, period)
    units = r.loc[r["rating_health_plan"].notna(), _survey.RESPONSE_COLUMNS + ["rating_health_plan"]]
    return units.assign(denominator=True, numerator=False)


def value(units):
    return float(10.0 * units["rating_health_plan"].astype(float).mean()) if len(units) else None


def value_by(units, groups, n):
    """``value`` for several groups of units at once."""
    means, counts = _survey.group_means(units["rating_health_plan"].astype(float), groups, n)
    return [float(10.0 * means[g]) if counts[g] else None for g in range(n)]


def extras(units):
    if not len(units):
        return {}
    return {"top_box": float(100.0 * (units["rating_health_plan"].astype(float) >= 9).mean())}


MEASURE = Measure(
    id="rating_health_plan",
    title="Rating of health plan",
    domain="experience_of_care",
    order=11,
    version="1",
    reference="CAHPS rating of health plan",
    unit="score",
    direction="higher",
    unit_kind="survey response",
    definition=(
        "Responses in view: surveys dated in the year ending on the last day of the period. Denominator: "
        "responses with a rating of the health plan (0 = worst, 10 = best). Value: 10 × the mean rating. "
        "Also reported: top box, the percent rating 9 or 10."
    ),
    population=population,
    value=value,
    value_by=value_by,
    extras=extras,
    has_numerator=False,
    case_mix_items=(("rating_health_plan", _survey.rating_score),),
)
