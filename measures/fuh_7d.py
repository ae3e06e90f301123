"""fuh_7d: Follow-up within 7 days after hospitalization for mental illness (HEDIS FUH, adapted)."""

from measures import _fuh
from measures._base import Measure


def population(data, period):
    return _fuh.population(data, period, days=7)


MEASURE = Measure(
    id="fuh_7d",
    title="Follow-up within 7 days after hospitalization for mental illness",
    domain="care_coordination",
    order=4,
    version="1",
    reference="HEDIS FUH (quarterly adaptation)",
    unit="percent",
    direction="higher",
    unit_kind="inpatient discharge",
    definition=_fuh.DEFINITION.format(days=7),
    population=population,
    elements={"excluded": "excluded"},
    gap_label="no mental-health visit within 7 days of discharge",
)
