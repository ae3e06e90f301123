"""getting_care_quickly: Getting care quickly composite (experience of care)."""

from measures import _survey
from measures._base import Measure

ITEMS = ("gcq_urgent", "gcq_routine")

MEASURE = Measure(
    id="getting_care_quickly",
    title="Getting care quickly",
    domain="experience_of_care",
    order=13,
    version="1",
    reference="CAHPS getting care quickly composite",
    unit="score",
    direction="higher",
    unit_kind="survey response",
    definition=_survey.COMPOSITE_DEFINITION.format(items=" and ".join(ITEMS)),
    population=_survey.composite_population(ITEMS),
    value=_survey.composite_value(ITEMS),
    value_by=_survey.composite_value_by(ITEMS),
    extras=_survey.composite_extras(ITEMS),
    case_mix_items=_survey.composite_items(ITEMS),
    has_numerator=False,
)
