"""Experience of care: responses in view and the composite scores shared by the survey measures."""
from __future__ import annotations

import pandas as pd

from measures._toolkit import Period

RESPONSE_COLUMNS = ["response_id", "member_id", "survey_date"]


def responses_in_view(data, period: Period) -> pd.DataFrame:
    """Responses dated after ``P.end`` minus one calendar year and on or before ``P.end``."""
    r = data.survey_responses
    after = period.ts_end - pd.DateOffset(years=1)
    return r[(r["survey_date"] > after) & (r["survey_date"] <= period.ts_end)]


def composite_population(items: tuple[str, ...]):
    def population(data, period):
        r = responses_in_view(data, period)
        units = r[RESPONSE_COLUMNS + list(items)]
        return units[units[list(items)].notna().any(axis=1)].assign(denominator=True, numerator=False)
    return population


def composite_value(items: tuple[str, ...]):
    """The mean of the item scores of the items with at least one answer; an item score is the mean,
    over responses that answer it, of ``100 × (answer − 1) / 3``."""
    def value(units: pd.DataFrame) -> float | None:
        scores = [(100.0 * (units[i].dropna().astype(float) - 1) / 3).mean()
                  for i in items if units[i].notna().any()]
        return float(sum(scores) / len(scores)) if scores else None
    return value


def composite_extras(items: tuple[str, ...]):
    def extras(units: pd.DataFrame) -> dict:
        out: dict[str, float] = {}
        for i in items:
            answered = units[i].dropna().astype(float)
            out[f"{i}_n"] = int(len(answered))
            if len(answered):
                out[f"{i}_score"] = float((100.0 * (answered - 1) / 3).mean())
        return out
    return extras


COMPOSITE_DEFINITION = (
    "Responses in view: surveys dated in the year ending on the last day of the period. Items: {items}. "
    "Item score: the mean, over responses that answer the item, of 100 × (answer − 1) / 3 "
    "(1 = Never … 4 = Always). Denominator: responses answering at least one item. Value: the mean of the "
    "item scores of the items with at least one answer (0-100).")
