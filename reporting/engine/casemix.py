"""Case-mix adjustment of the survey measures, and whether each ICO differs from statewide (measures.md,
"Case-mix adjustment").

For each survey item and period, over the respondents of every ICO who answer the item: the adjusters as
0/1 indicators (the first category the reference), a missing adjuster replaced by the ICO's mean of its
indicators (the programme's when none of the ICO's respondents has it), constant indicator columns dropped,
adjusters dropped from the last listed to the first while the design is rank-deficient, then ordinary least
squares with one indicator per ICO and no intercept (statsmodels, HC1 covariance). The ICO's adjusted item
mean is ``ȳ_j + Σ_k β_k·(x̄_k − x̄_jk)``; its difference from statewide is the contrast
``α_j − Σ_l w_l·α_l`` (w_l the ICOs' shares of respondents), with the contrast's HC1 standard error.
A composite's adjusted value is the mean of its items' adjusted means, its standard error the square root
of the sum of the items' squared errors divided by the number of items.

Pure: frames in, values out; no Flask, no database.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Z_SIGNIFICANT = 1.96

# The adjusters in the order the method lists them (the last listed is the first dropped), each with its
# categories (the first is the reference) and how a per-unit frame's column maps to a category.
AGE_BANDS = ("21-34", "35-44", "45-54", "55-64", "65 and over")
EDUCATION_GROUPS = ("1-2", "3", "4", "5-6")


def _age_band(age: pd.Series) -> pd.Series:
    bands = pd.cut(age.astype(float), [-np.inf, 35, 45, 55, 65, np.inf], right=False, labels=list(AGE_BANDS))
    return bands.astype(object).where(age.notna(), None)


def _education_group(education: pd.Series) -> pd.Series:
    groups = {1: "1-2", 2: "1-2", 3: "3", 4: "4", 5: "5-6", 6: "5-6"}
    return pd.to_numeric(education, errors="coerce").map(groups).astype(object)


def _level(values: pd.Series) -> pd.Series:
    """A 1..5 answer as its category label."""
    return pd.to_numeric(values, errors="coerce").map({k: str(k) for k in range(1, 6)}).astype(object)


def _as_is(values: pd.Series) -> pd.Series:
    return values.astype(object)


@dataclass(frozen=True)
class Adjuster:
    name: str
    column: str               # in the survey measures' per-unit frames
    categories: tuple[str, ...]
    categorise: object        # Series -> Series of category labels, None when missing
    label: str                # in the sentence that says what was adjusted for


ADJUSTERS = (
    Adjuster("age", "age", AGE_BANDS, _age_band, "age"),
    Adjuster("education", "education", EDUCATION_GROUPS, _education_group, "education"),
    Adjuster("general_health", "general_health", ("1", "2", "3", "4", "5"), _level, "self-rated general health"),
    Adjuster("mental_health", "mental_health", ("1", "2", "3", "4", "5"), _level, "self-rated mental health"),
    Adjuster("proxy", "proxy", ("N", "Y"), _as_is, "whether someone helped answer"),
    Adjuster("survey_language", "survey_language", ("english", "spanish", "other"), _as_is, "survey language"),
)
ADJUSTED_FOR = ", ".join(a.label for a in ADJUSTERS[:-1]) + " and " + ADJUSTERS[-1].label


@dataclass(frozen=True)
class ItemFit:
    """One item's model: per ICO its respondents, raw and adjusted means and the contrast's standard error."""
    item: str
    n: dict[str, int]
    raw: dict[str, float]
    adjusted: dict[str, float]
    se: dict[str, float]
    statewide: float
    kept: tuple[str, ...]                 # the adjusters left in the model
    coefficients: dict[str, float] = field(default_factory=dict)   # indicator column -> β


@dataclass(frozen=True)
class Adjusted:
    """An ICO's adjusted value of a survey measure and how it compares with statewide."""
    value: float | None
    se: float | None
    difference: float | None
    vs_statewide: str | None


def indicators(frame: pd.DataFrame, ico: pd.Series) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The adjusters' indicator columns (reference categories left out), a missing adjuster replaced by the
    mean of its indicators over the ICO's respondents who have it (the programme's when none has it).
    Returns the columns and, per adjuster, the names of its columns."""
    columns, owned = {}, {}
    for adjuster in ADJUSTERS:
        raw = frame[adjuster.column] if adjuster.column in frame else pd.Series(None, index=frame.index, dtype=object)
        category = adjuster.categorise(raw.reset_index(drop=True))
        known = category.notna().to_numpy()
        names = [f"{adjuster.name}={c}" for c in adjuster.categories[1:]]
        owned[adjuster.name] = names
        for c, name in zip(adjuster.categories[1:], names):
            x = pd.Series(np.where(known, (category == c).to_numpy(dtype=float), np.nan))
            columns[name] = _fill_missing(x, ico.reset_index(drop=True))
    return pd.DataFrame(columns), owned


def _fill_missing(x: pd.Series, ico: pd.Series) -> np.ndarray:
    """Missing values take the ICO's mean over those who have a value; the programme's when the ICO has none;
    0 when nobody has one (the column is then constant and dropped)."""
    if not x.isna().any():
        return x.to_numpy()
    own = x.groupby(ico).transform("mean")
    overall = x.mean()
    return x.fillna(own).fillna(0.0 if math.isnan(overall) else overall).to_numpy()


def fit_item(item: str, y: pd.Series, ico: pd.Series, adjusters: pd.DataFrame) -> ItemFit:
    """The case-mix model of one item over the respondents who answer it (``y`` on 0-100, one row each)."""
    from statsmodels.regression.linear_model import OLS     # a second of import: only where a model is fitted

    y = y.reset_index(drop=True).astype(float)
    ico = ico.reset_index(drop=True).astype(str)
    x, owned = indicators(adjusters.reset_index(drop=True), ico)
    icos = sorted(ico.unique())
    dummies = pd.DataFrame({f"ico={j}": (ico == j).to_numpy(dtype=float) for j in icos})
    x = x.loc[:, [c for c in x.columns if np.ptp(x[c].to_numpy()) > 0]]          # constant columns dropped
    kept = [a.name for a in ADJUSTERS if any(c in x.columns for c in owned[a.name])]
    while kept and _rank_deficient(dummies, x):
        dropped = kept.pop()                                                     # the last listed first
        x = x.drop(columns=[c for c in owned[dropped] if c in x.columns])
    design = pd.concat([dummies, x], axis=1).to_numpy()
    model = OLS(y.to_numpy(), design)
    if len(y) > design.shape[1]:
        fit = model.fit(cov_type="HC1")
        covariance = np.asarray(fit.cov_params())[:len(icos), :len(icos)]
    else:                                   # no residual degrees of freedom: no standard error
        fit = model.fit()
        covariance = np.full((len(icos), len(icos)), np.nan)
    beta = pd.Series(fit.params[len(icos):], index=x.columns)
    n = ico.value_counts().reindex(icos)
    w = (n / n.sum()).to_numpy()
    means = y.groupby(ico).mean().reindex(icos)
    x_all, x_own = x.mean(), x.groupby(ico.to_numpy()).mean().reindex(icos)
    adjusted, se = {}, {}
    for k, j in enumerate(icos):
        adjusted[j] = float(means[j] + (beta * (x_all - x_own.loc[j])).sum())
        contrast = -w.copy()
        contrast[k] += 1.0
        variance = float(contrast @ covariance @ contrast)
        se[j] = math.sqrt(max(variance, 0.0)) if not math.isnan(variance) else math.nan
    return ItemFit(item, {j: int(n[j]) for j in icos}, {j: float(means[j]) for j in icos}, adjusted, se,
                   float(y.mean()), tuple(kept), {c: float(b) for c, b in beta.items()})


def _rank_deficient(dummies: pd.DataFrame, x: pd.DataFrame) -> bool:
    design = np.hstack([dummies.to_numpy(), x.to_numpy()])
    return int(np.linalg.matrix_rank(design)) < design.shape[1]


def adjust_measure(items, units: dict[str, pd.DataFrame], respondents: dict[str, int], statewide: float | None,
                   min_respondents: int) -> dict[str, Adjusted]:
    """Every ICO's adjusted value of one survey measure from its per-unit frames (``units``: ICO -> frame).

    ``items``: the measure's (column, score) pairs; ``respondents``: the ICO's denominator, which decides
    whether ``vs_statewide`` is given; ``statewide``: the measure's (raw, pooled) statewide value."""
    fits = []
    for column, score in items:
        parts = [frame.loc[_answers(frame[column])].assign(_ico=ico) for ico, frame in units.items() if len(frame)]
        parts = [p for p in parts if len(p)]
        if not parts:
            continue
        pooled = pd.concat(parts, ignore_index=True)
        fits.append(fit_item(column, score(pooled[column]), pooled["_ico"], pooled))
    out = {}
    for ico in units:
        own = [f for f in fits if ico in f.adjusted]
        if not own:
            out[ico] = Adjusted(None, None, None, None)
            continue
        value = sum(f.adjusted[ico] for f in own) / len(own)
        se = math.sqrt(sum(f.se[ico] ** 2 for f in own)) / len(own)
        difference = None if statewide is None else value - statewide
        out[ico] = Adjusted(value, se, difference,
                            compare(difference, se) if respondents.get(ico, 0) >= min_respondents else None)
    return out


def _answers(values: pd.Series) -> pd.Series:
    """Respondents who answer the item: a number, or Y/N for a flag."""
    if pd.api.types.is_numeric_dtype(values):
        return values.notna()
    return values.isin(["Y", "N"])


def compare(difference: float | None, se: float | None) -> str | None:
    """higher or lower when |d| / SE > 1.96, else no_difference."""
    if difference is None or se is None or math.isnan(se):
        return None
    if se > 0 and abs(difference) / se > Z_SIGNIFICANT:
        return "higher" if difference > 0 else "lower"
    return "no_difference"
