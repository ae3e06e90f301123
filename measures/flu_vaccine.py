"""flu_vaccine: Flu vaccine (experience-of-care survey item)."""

from measures import _survey
from measures._base import Measure


def population(data, period):
    r = _survey.responses_in_view(data, period)
    units = r.loc[r["flu_vaccine"].isin(["Y", "N"]), _survey.RESPONSE_COLUMNS + ["flu_vaccine"]]
    return units.assign(denominator=True, numerator=units["flu_vaccine"] == "Y")


MEASURE = Measure(
    id="flu_vaccine",
    title="Flu vaccine",
    domain="experience_of_care",
    order=15,
    version="1",
    reference="CAHPS flu vaccination item",
    unit="percent",
    direction="higher",
    unit_kind="survey response",
    definition=(
        "Responses in view: surveys dated in the year ending on the last day of the period. Denominator: "
        "responses that answer the flu vaccine question Y or N. Numerator: those answering Y "
        "(a flu shot since July 1 of the prior year)."
    ),
    population=population,
    case_mix_items=(("flu_vaccine", _survey.flag_score),),
    gap_label="no flu shot reported",
)
