"""care_coordination_survey: Care coordination (survey) composite (experience of care)."""

from measures import _survey
from measures._base import Measure

ITEMS = ("cc_records", "cc_followup")

MEASURE = Measure(
    id="care_coordination_survey",
    title="Care coordination (survey)",
    domain="experience_of_care",
    order=14,
    version="1",
    reference="CAHPS care coordination composite",
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
