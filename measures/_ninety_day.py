"""The shared population of assessment_90d and care_plan_90d (CMS MMP Core 2.1 / 3.2)."""

from __future__ import annotations

import pandas as pd

from measures._toolkit import Period, add_days, any_event, count_events, in_period


def population(spans: pd.DataFrame, events: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Spans whose 90th day falls in P and that still cover it, with elements B, C, D.

    ``D90 = enrollment_start + 89``; considered events are dated in ``[enrollment_start, D90]``
    of the same span. D: one completed; B: not D and one refused; C: not D, not B, and at least
    three unable_to_reach. Each span stands alone."""
    units = spans[["member_id", "enrollment_start", "enrollment_end", "rating_category"]].assign(
        d90=lambda f: add_days(f["enrollment_start"], 89)
    )
    units = units[
        in_period(units["d90"], period) & (units["enrollment_end"].isna() | (units["enrollment_end"] >= units["d90"]))
    ]
    considered = events[events["outcome"].isin(["completed", "refused", "unable_to_reach"])]
    considered = considered[considered["member_id"].isin(units["member_id"])]  # the same events, fewer pairs
    outcome = considered["outcome"]
    completed = any_event(units, considered, "event_date", "enrollment_start", "d90", where=outcome == "completed")
    refused = any_event(units, considered, "event_date", "enrollment_start", "d90", where=outcome == "refused")
    attempts = count_events(
        units, considered, "event_date", "enrollment_start", "d90", where=outcome == "unable_to_reach"
    )
    b = ~completed & refused
    return units.assign(
        denominator=True,
        numerator=completed,
        B=b,
        C=~completed & ~b & (attempts >= 3),
        outreach_attempts=attempts,
    )


def extras(units: pd.DataFrame) -> dict:
    """``value_excl = 100·D/(A − B − C)`` when ``A − B − C > 0``."""
    a, b, c, d = len(units), int(units["B"].sum()), int(units["C"].sum()), int(units["numerator"].sum())
    return {"value_excl": 100.0 * d / (a - b - c)} if a - b - c > 0 else {}


def upcoming(spans: pd.DataFrame, events: pd.DataFrame, as_of, days: int = 30) -> pd.DataFrame:
    """The spans whose day 90 is still ahead (after ``as_of``, at most ``days`` later), still enrolled on
    ``as_of``, with no completed event yet: the gap that can still be closed before it counts. With the
    unable-to-reach attempts so far and the days left."""
    today = pd.Timestamp(as_of)
    units = spans[["member_id", "enrollment_start", "enrollment_end", "rating_category"]].assign(
        d90=lambda f: add_days(f["enrollment_start"], 89), _asof=today
    )
    units = units[
        (units["d90"] > today)
        & (units["d90"] <= today + pd.Timedelta(days=days))
        & (units["enrollment_start"] <= today)
        & (units["enrollment_end"].isna() | (units["enrollment_end"] >= units["d90"]))
    ]
    outcome = events["outcome"]
    done = any_event(units, events, "event_date", "enrollment_start", "_asof", where=outcome == "completed")
    attempts = count_events(
        units, events, "event_date", "enrollment_start", "_asof", where=outcome == "unable_to_reach"
    )
    units = units[~done].assign(outreach_attempts=attempts[~done], days_left=(units.loc[~done, "d90"] - today).dt.days)
    return units.drop(columns=["_asof", "enrollment_end"]).sort_values(["d90", "member_id"]).reset_index(drop=True)
