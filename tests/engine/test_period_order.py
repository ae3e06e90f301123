"""Issue 24: periods are ``Period`` values past the edges, with one chronological order (a year just after its
fourth quarter) used by the read model, the engine's data in view and the charts alike."""

from __future__ import annotations

import pandas as pd

from measures import Period
from reporting.engine.view import assemble_view
from reporting.periods import chronological

MIXED = ["2015", "2015Q4", "2014", "2015Q1", "2014Q4", "2014Q1"]
ORDER = ["2014Q1", "2014Q4", "2014", "2015Q1", "2015Q4", "2015"]


def test_one_order_of_periods():
    assert sorted(MIXED, key=chronological) == ORDER
    assert [p.code for p in sorted(map(Period.parse, MIXED), key=lambda p: p.sort_key)] == ORDER
    assert [Period.parse(c).quarter for c in ORDER] == [1, 4, None, 1, 4, None]
    assert Period.parse("2015Q1").previous(1).code == "2014Q4" and Period.parse("2015").previous(1).code == "2014"


def _members(source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["M1"],
            "enrollment_start": [pd.Timestamp("2014-01-01")],
            "enrollment_end": [pd.NaT],
            "rating_category": [source],
        }
    )


def test_the_data_in_view_takes_the_latest_row_in_that_same_order():
    # The same member span sent in several packages: the package latest in the one order wins, whatever the
    # order the packages come in; a year's package (if ever there is one) comes after its fourth quarter's.
    for given in (MIXED, list(reversed(MIXED))):
        view = assemble_view([(code, {"members": _members(code)}) for code in given])
        members = view.members
        assert list(members["source_period"]) == ["2015"]
        assert list(members["rating_category"]) == ["2015"]
