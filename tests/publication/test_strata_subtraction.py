"""An ICO user's statewide strata: none from which it could subtract its own to learn a small count of the other
ICOs together (publication.strata.without_subtractable)."""

import pandas as pd

from reporting.engine import STATEWIDE
from reporting.publication.strata import without_subtractable


def _row(ico, stratifier, stratum, numerator, denominator, measure="assessment_90d"):
    return {
        "ico": ico,
        "measure_id": measure,
        "stratifier": stratifier,
        "stratum": stratum,
        "numerator": numerator,
        "denominator": denominator,
    }


def test_a_stratifier_whose_statewide_minus_own_is_small_is_left_out_whole():
    frame = pd.DataFrame(
        [
            # sex: statewide F minus own F leaves the others 5 members: every statewide sex stratum goes
            _row("CCA", "sex", "F", 40, 60),
            _row("CCA", "sex", "M", 30, 50),
            _row(STATEWIDE, "sex", "F", 43, 65),
            _row(STATEWIDE, "sex", "M", 60, 100),
            # age band: the others have 0 or at least 11 of every count: shown
            _row("CCA", "age_band", "21-44", 20, 40),
            _row("CCA", "age_band", "45-54", 50, 70),
            _row(STATEWIDE, "age_band", "21-44", 20, 40),
            _row(STATEWIDE, "age_band", "45-54", 83, 125),
        ]
    )
    kept = without_subtractable(frame, 11)
    statewide = kept[kept["ico"] == STATEWIDE]
    assert set(statewide["stratifier"]) == {"age_band"}
    assert len(kept[kept["ico"] == "CCA"]) == 4  # the ICO's own strata always stay


def test_the_complement_counts_too():
    # the others' numerators (40) and denominators (45) are large, but 5 of them were not numerator events
    frame = pd.DataFrame([_row("CCA", "race", "white", 10, 20), _row(STATEWIDE, "race", "white", 50, 65)])
    assert (without_subtractable(frame, 11)["ico"] != STATEWIDE).all()


def test_every_statewide_stratum_left_is_safe_by_a_second_computation():
    import numpy as np

    rng = np.random.default_rng(7)
    rows = []
    for stratifier in ("sex", "race", "age_band"):
        for stratum in ("a", "b", "c"):
            own_d = int(rng.integers(0, 40))
            own_n = int(rng.integers(0, own_d + 1))
            other_d = int(rng.integers(0, 25))
            other_n = int(rng.integers(0, other_d + 1))
            rows += [_row("CCA", stratifier, stratum, own_n, own_d)]
            rows += [_row(STATEWIDE, stratifier, stratum, own_n + other_n, own_d + other_d)]
    frame = pd.DataFrame(rows)
    kept = without_subtractable(frame, 11)
    for stratifier, group in kept[kept["ico"] == STATEWIDE].groupby("stratifier"):
        for _, r in group.iterrows():
            own = frame[
                (frame["ico"] == "CCA") & (frame["stratifier"] == stratifier) & (frame["stratum"] == r["stratum"])
            ]
            n = r["numerator"] - int(own["numerator"].iloc[0])
            d = r["denominator"] - int(own["denominator"].iloc[0])
            assert all(c == 0 or c >= 11 for c in (n, d, d - n))
        # and no stratifier is shown with only some of its strata
        assert len(group) == len(frame[(frame["ico"] == STATEWIDE) & (frame["stratifier"] == stratifier)])
