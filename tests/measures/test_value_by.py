"""A measure's ``value_by`` (every group's value at once, for the strata) follows the same rule as its ``value``
applied to each group's units alone: checked on random responses, groups left empty and items left unanswered."""

import numpy as np
import pandas as pd
import pytest

from measures import REGISTRY

WITH_VALUE_BY = [m for m in REGISTRY.values() if m.value_by is not None]


def _units(measure, rng: np.random.Generator, n: int) -> pd.DataFrame:
    columns = {c for c, _ in measure.case_mix_items}
    frame = {}
    for c in sorted(columns):
        top = 10 if c == "rating_health_plan" else 4
        low = 0 if c == "rating_health_plan" else 1
        answers = pd.array(rng.integers(low, top + 1, n), dtype="Int64")
        answers[rng.random(n) < 0.3] = pd.NA  # unanswered items
        frame[c] = answers
    return pd.DataFrame(frame)


def test_some_measures_have_value_by():
    assert {m.id for m in WITH_VALUE_BY} >= {"rating_health_plan", "getting_care_quickly"}


@pytest.mark.parametrize("measure", WITH_VALUE_BY, ids=lambda m: m.id)
@pytest.mark.parametrize("seed", range(8))
def test_value_by_equals_value_per_group(measure, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 120))
    units = _units(measure, rng, n)
    groups_count = 6
    groups = rng.integers(0, groups_count - 1, n).astype(np.int8)  # the last group stays empty
    got = measure.value_by(units, groups, groups_count)
    assert len(got) == groups_count
    for g in range(groups_count):
        own = units[groups == g]
        expected = measure.value(own) if len(own) else None
        if expected is None or (isinstance(expected, float) and np.isnan(expected)):
            assert got[g] is None or np.isnan(got[g]), (g, got[g])
        else:
            assert got[g] == pytest.approx(expected, abs=1e-9), g
