"""Experience of care: responses in view and the composite scores shared by the survey measures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from measures._toolkit import Period

# What a survey measure's per-unit frame carries besides its items: the response, and the case-mix
# adjusters (measures.md, "Case-mix adjustment"): ``age`` on survey_date from the linked member's birth_date
# (blank when member_id is blank or not in members.csv) and the dictionary's five adjuster columns.
ADJUSTER_COLUMNS = ["age", "education", "general_health", "mental_health", "proxy", "survey_language"]
RESPONSE_COLUMNS = ["response_id", "member_id", "survey_date"] + ADJUSTER_COLUMNS


def responses_in_view(data, period: Period) -> pd.DataFrame:
    """Responses dated after ``P.end`` minus one calendar year and on or before ``P.end``, with the
    respondent's ``age`` (whole years on survey_date) from the linked member; built once per data in view."""

    def build():
        r = data.survey_responses
        after = period.ts_end - pd.DateOffset(years=1)
        r = r[(r["survey_date"] > after) & (r["survey_date"] <= period.ts_end)]
        missing = {c: None for c in ADJUSTER_COLUMNS[1:] if c not in r}  # frames built before version 2
        return r.assign(**missing, age=_age(r, data.members))

    return data.shared(("survey_responses_in_view", period.code), build)


def _age(responses: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Whole years from the linked member's birth_date to survey_date; NaN when not linked."""
    births = members.drop_duplicates("member_id").set_index("member_id")["birth_date"]
    born = pd.DatetimeIndex(births.reindex(responses["member_id"].to_numpy()).to_numpy(dtype="datetime64[ns]"))
    said = pd.DatetimeIndex(responses["survey_date"])
    years = said.year.to_numpy(float) - born.year.to_numpy(float)
    before_birthday = (said.month * 100 + said.day).to_numpy(float) < (born.month * 100 + born.day).to_numpy(float)
    return pd.Series(years - before_birthday, index=responses.index, dtype=float)


def rating_score(answers: pd.Series) -> pd.Series:
    """A 0-10 rating on 0-100: 10 × answer."""
    return 10.0 * answers.astype(float)


def frequency_score(answers: pd.Series) -> pd.Series:
    """A composite item (1 Never .. 4 Always) on 0-100: 100 × (answer − 1) / 3."""
    return 100.0 * (answers.astype(float) - 1) / 3


def flag_score(answers: pd.Series) -> pd.Series:
    """A Y/N item on 0-100: 100 for Y, 0 for N."""
    return 100.0 * (answers == "Y").astype(float)


def composite_items(items: tuple[str, ...]) -> tuple:
    """The case-mix items of a composite: each item with its 0-100 score."""
    return tuple((i, frequency_score) for i in items)


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
        scores = [frequency_score(units[i].dropna()).mean() for i in items if units[i].notna().any()]
        return float(sum(scores) / len(scores)) if scores else None

    return value


def group_means(scores: pd.Series, groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group (0..n-1) the mean of the answered scores (NaN where none) and how many answered."""
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    answered = ~np.isnan(values)
    counts = np.bincount(groups[answered], minlength=n)
    sums = np.bincount(groups[answered], weights=values[answered], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts, counts


def composite_value_by(items: tuple[str, ...]):
    """``composite_value`` for several groups of units at once: per group, the mean of its item scores (items
    with at least one answer in the group, summed in the items' order as ``composite_value`` sums them)."""

    def value_by(units: pd.DataFrame, groups: np.ndarray, n: int) -> list[float | None]:
        total, used = np.zeros(n), np.zeros(n, dtype=int)
        for i in items:
            means, counts = group_means(frequency_score(units[i]), groups, n)
            total = total + np.where(counts > 0, means, 0.0)
            used += counts > 0
        return [float(total[g] / used[g]) if used[g] else None for g in range(n)]

    return value_by


def composite_extras(items: tuple[str, ...]):
    def extras(units: pd.DataFrame) -> dict:
        out: dict[str, float] = {}
        for i in items:
            answered = units[i].dropna().astype(float)
            out[f"{i}_n"] = int(len(answered))
            if len(answered):
                out[f"{i}_score"] = float(frequency_score(answered).mean())
        return out

    return extras


COMPOSITE_DEFINITION = (
    "Responses in view: surveys dated in the year ending on the last day of the period. Items: {items}. "
    "Item score: the mean, over responses that answer the item, of 100 × (answer − 1) / 3 "
    "(1 = Never … 4 = Always). Denominator: responses answering at least one item. Value: the mean of the "
    "item scores of the items with at least one answer (0-100)."
)
