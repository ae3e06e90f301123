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
from collections.abc import Callable
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
    column: str  # in the survey measures' per-unit frames
    categories: tuple[str, ...]
    categorise: Callable[[pd.Series], pd.Series]  # category labels, None when missing
    label: str  # in the sentence that says what was adjusted for


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
    kept: tuple[str, ...]  # the adjusters left in the model
    coefficients: dict[str, float] = field(default_factory=dict)  # indicator column -> β


@dataclass(frozen=True)
class Adjusted:
    """An ICO's adjusted value of a survey measure and how it compares with statewide."""

    value: float | None
    se: float | None
    difference: float | None
    vs_statewide: str | None


def indicators(frame: pd.DataFrame, ico: pd.Series) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The adjusters' indicator columns (reference categories left out), a missing adjuster replaced by the
    mean of its indicators over the ICO's respondents who have it (the programme's when none has it; 0 when
    nobody has it, a constant column). Returns the columns and, per adjuster, the names of its columns."""
    codes, labels = pd.factorize(ico.reset_index(drop=True), sort=True)
    columns, owned = {}, {}
    for adjuster in ADJUSTERS:
        raw = frame[adjuster.column] if adjuster.column in frame else pd.Series(None, index=frame.index, dtype=object)
        category = adjuster.categorise(raw.reset_index(drop=True)).to_numpy(dtype=object)
        known = pd.notna(category)
        have = np.bincount(codes, weights=known, minlength=len(labels))
        names = [f"{adjuster.name}={c}" for c in adjuster.categories[1:]]
        owned[adjuster.name] = names
        for c, name in zip(adjuster.categories[1:], names):
            x = (category == c).astype(float)
            overall = x.sum() / known.sum() if known.any() else 0.0
            own = np.where(
                have > 0, np.bincount(codes, weights=x, minlength=len(labels)) / np.maximum(have, 1), overall
            )
            columns[name] = np.where(known, x, own[codes])
    return pd.DataFrame(columns), owned


def fit_item(item: str, y: pd.Series, ico: pd.Series, adjusters: pd.DataFrame) -> ItemFit:
    """The case-mix model of one item over the respondents who answer it (``y`` on 0-100, one row each).

    The model ``y = Σ_j α_j·ICO_j + Σ_k β_k·x_k + ε`` is fitted as its Frisch-Waugh-Lovell equivalent: β by
    statsmodels OLS of the within-ICO deviations of y on those of the indicators (the same β and residuals as
    the full design, at a cost linear in the respondents with 18 columns instead of 18 + one per ICO). The HC1
    variance of each contrast ``α_j − Σ_l w_l·α_l = (ȳ_j − ȳ) − (x̄_j − x̄)·β`` is ``n/(n − p)·Σ_i a_i²·e_i²``
    with ``a_i`` the weight of y_i in it, summed per ICO (p = ICOs + indicator columns): exactly the full
    model's HC1 sandwich (tests/engine/test_casemix.py compares both)."""
    y_ = np.asarray(y, dtype=float)
    ico = ico.reset_index(drop=True).astype(str)
    codes, labels = pd.factorize(ico, sort=True)
    icos, n = list(labels), len(y_)
    n_j = np.bincount(codes, minlength=len(icos)).astype(float)
    x, owned = indicators(adjusters.reset_index(drop=True), ico)
    x = x.loc[:, [c for c in x.columns if np.ptp(x[c].to_numpy()) > 0]]  # constant columns dropped
    kept = [a.name for a in ADJUSTERS if any(c in x.columns for c in owned[a.name])]
    within = _within(x.to_numpy(), codes, n_j)
    while kept and _rank_deficient(within):
        dropped = kept.pop()  # the last listed first
        x = x.drop(columns=[c for c in owned[dropped] if c in x.columns])
        within = _within(x.to_numpy(), codes, n_j)
    means = np.bincount(codes, weights=y_, minlength=len(icos)) / n_j
    beta, residuals, cov_beta = _regression(y_ - means[codes], within)
    x_all, x_own = x.to_numpy().mean(axis=0), _group_means(x.to_numpy(), codes, n_j)
    adjusted = means + (x_all - x_own) @ beta
    variance = _contrast_variance(residuals, within, cov_beta, codes, n_j, x_own - x_all)
    p = len(icos) + within.shape[1]
    scaled = variance * (n / (n - p)) if n > p else np.full(len(icos), np.nan)  # HC1; none without residual df
    se = np.sqrt(np.maximum(scaled, 0.0))
    return ItemFit(
        item,
        {j: int(n_j[k]) for k, j in enumerate(icos)},
        {j: float(means[k]) for k, j in enumerate(icos)},
        {j: float(adjusted[k]) for k, j in enumerate(icos)},
        {j: float(se[k]) for k, j in enumerate(icos)},
        float(y_.mean()),
        tuple(kept),
        {c: float(b) for c, b in zip(x.columns, beta)},
    )


def _group_means(values: np.ndarray, codes: np.ndarray, n_j: np.ndarray) -> np.ndarray:
    """Per ICO (rows) the mean of each column of ``values``."""
    if not values.shape[1]:
        return np.zeros((len(n_j), 0))
    return (
        np.stack(
            [np.bincount(codes, weights=values[:, k], minlength=len(n_j)) for k in range(values.shape[1])], axis=1
        ).reshape(len(n_j), values.shape[1])
        / n_j[:, None]
    )


def _within(values: np.ndarray, codes: np.ndarray, n_j: np.ndarray) -> np.ndarray:
    """Each column's deviation from its ICO's mean (what is left once the ICO indicators are partialled out)."""
    return values - _group_means(values, codes, n_j)[codes] if values.shape[1] else values


def _rank_deficient(within: np.ndarray) -> bool:
    """The full design [ICO indicators, x] is rank-deficient exactly when the within-ICO x is."""
    if not within.shape[1]:
        return False
    gram = within.T @ within
    return int(np.linalg.matrix_rank(gram, hermitian=True)) < within.shape[1]


def _regression(y_within: np.ndarray, within: np.ndarray):
    """β, the residuals and β's HC0 covariance, by statsmodels OLS on the within-ICO deviations."""
    if not within.shape[1]:
        return np.zeros(0), y_within, np.zeros((0, 0))
    from statsmodels.regression.linear_model import OLS  # a second of import: only where a model is fitted

    fit = OLS(y_within, within).fit()
    return np.asarray(fit.params), np.asarray(fit.resid), np.asarray(fit.cov_HC0)


def _contrast_variance(
    e: np.ndarray, within: np.ndarray, cov_beta: np.ndarray, codes: np.ndarray, n_j: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """Σ_i a_i²·e_i² for each ICO's contrast, with a_i = [i in j]/n_j − 1/n − d_j·h_i and h_i the weight of
    y_i in β: S_j/n_j² − 2·S_j/(n_j·n) + S/n² − 2·d_j·(H_j/n_j − H/n) + d_j·Cov_HC0(β)·d_j."""
    n = float(n_j.sum())
    e2 = e * e
    s_j = np.bincount(codes, weights=e2, minlength=len(n_j))
    out = s_j / n_j**2 - 2 * s_j / (n_j * n) + s_j.sum() / n**2
    if within.shape[1]:
        # Σ over the ICO of e²·h_i, with h_i = (X̃'X̃)⁻¹·x̃_i: the ICO's sums of e²·x̃ times the inverse
        h_j = (_group_means(within * e2[:, None], codes, n_j) * n_j[:, None]) @ np.linalg.inv(within.T @ within)
        out = (
            out
            - 2 * np.einsum("jk,jk->j", d, h_j / n_j[:, None] - h_j.sum(axis=0) / n)
            + np.einsum("jk,kl,jl->j", d, cov_beta, d)
        )
    return out


def adjust_measure(
    items, units: dict[str, pd.DataFrame], respondents: dict[str, int], statewide: float | None, min_respondents: int
) -> dict[str, Adjusted]:
    """Every ICO's adjusted value of one survey measure from its per-unit frames (``units``: ICO -> frame).

    ``items``: the measure's (column, score) pairs; ``respondents``: the ICO's denominator, which decides
    whether ``vs_statewide`` is given; ``statewide``: the measure's (raw, pooled) statewide value."""
    fits = []
    needed = [a.column for a in ADJUSTERS] + [column for column, _ in items]
    present = [(ico, frame) for ico, frame in units.items() if len(frame)]
    if not present:
        return {ico: Adjusted(None, None, None, None) for ico in units}
    pooled = pd.concat(
        [f[needed] if set(needed) <= set(f.columns) else f.reindex(columns=needed) for _, f in present],
        ignore_index=True,
    )
    icos = pd.Series(np.repeat([ico for ico, _ in present], [len(f) for _, f in present]))
    for column, score in items:
        answering = _answers(pooled[column]).to_numpy()
        if answering.any():
            fits.append(fit_item(column, score(pooled[column][answering]), icos[answering], pooled[answering]))
    out = {}
    for ico in units:
        own = [f for f in fits if ico in f.adjusted]
        if not own:
            out[ico] = Adjusted(None, None, None, None)
            continue
        value = sum(f.adjusted[ico] for f in own) / len(own)
        se = math.sqrt(sum(f.se[ico] ** 2 for f in own)) / len(own)
        difference = None if statewide is None else value - statewide
        out[ico] = Adjusted(
            value, se, difference, compare(difference, se) if respondents.get(ico, 0) >= min_respondents else None
        )
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
