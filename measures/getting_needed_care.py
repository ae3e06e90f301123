"""getting_needed_care: Getting needed care composite (experience of care)."""

from measures import _survey
from measures._base import Measure

ITEMS = ("gnc_specialist", "gnc_care_tests")

MEASURE = Measure(
    id="getting_needed_care",
    title="Getting needed care",
    domain="experience_of_care",
    order=12,
    version="1",
    reference="CAHPS getting needed care composite",
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
