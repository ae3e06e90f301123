"""Results by group (``measures.md``, "Results by group"): each measure's units split by a member's strata.

A member's strata come from the latest enrollment span that starts on or before the period's end (the newest
accepted package's row of that span); each denominator unit takes its member's strata, a unit without a member
in view (a survey response not linked to a member) is ``unknown`` in every stratifier. A stratum's counts,
value, interval and NA status are the measure's own over the stratum's units (``compute.value_of``, the rule a
total follows; the counts as one ``bincount`` per stratifier rather than a run per stratum; survey scores raw,
not case-mix adjusted), so the strata's denominators add up to the total's. Percent measures: each stratum against the rest of its ICO
(or of the state), a two-sided two-proportion z test with the pooled proportion, flagged ``better`` or ``worse``
by the measure's direction when p < 0.05 and both denominators are at least 30."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy.stats import norm

from measures import Measure, Period
from measures.dictionary import ETHNICITIES, MEMBER_LANGUAGES, RACES

UNKNOWN = "unknown"
RATING_GROUPS = {"F1": "F1", "C3A": "C3", "C3B": "C3", "C2A": "C2", "C2B": "C2", "C1": "C1"}
AGE_BANDS = ("21-44", "45-54", "55-64", "65+")
STRATIFIERS: dict[str, tuple[str, ...]] = {
    "rating_category": ("F1", "C3", "C2", "C1", UNKNOWN),
    "enrollment_method": ("voluntary", "passive", UNKNOWN),
    "age_band": (*AGE_BANDS, UNKNOWN),
    "sex": ("F", "M", "U", UNKNOWN),
    "race": (*RACES, UNKNOWN),
    "ethnicity": (*ETHNICITIES, UNKNOWN),
    "language": (*MEMBER_LANGUAGES, UNKNOWN),
}
NAMES = tuple(STRATIFIERS)
ALPHA = 0.05
MIN_FLAG_DENOMINATOR = 30


@dataclass(frozen=True)
class StratumResult:
    measure_id: str
    ico: str
    period: str
    stratifier: str
    stratum: str
    numerator: int | None
    denominator: int
    value: float | None
    status: str  # reported | NA, by the measure's own minimum denominator
    ci_low: float | None
    ci_high: float | None
    flag: str | None = None  # better | worse (percent measures, against the rest of the ICO), or None
    p_value: float | None = None
    difference: float | None = None  # the stratum's value minus the rest's, in points (percent measures)


def member_strata(members: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One row per member (indexed by member_id as the frame holds it), one int8 column per stratifier: the code
    of the member's stratum in ``STRATIFIERS[name]`` (its last entry is ``unknown``)."""
    spans = members[members["enrollment_start"] <= period.ts_end]
    latest = spans.sort_values(["member_id", "enrollment_start"], kind="stable").drop_duplicates(
        "member_id", keep="last"
    )
    age = _age_on(pd.DatetimeIndex(latest["birth_date"]), period.ts_end)
    bands = pd.cut(pd.Series(age, index=latest.index), [-np.inf, 44, 54, 64, np.inf], labels=AGE_BANDS).astype(object)
    values = {
        "rating_category": latest["rating_category"].map(RATING_GROUPS),
        "enrollment_method": latest["enrollment_method"],
        "age_band": bands.where(pd.notna(age), None),
        "sex": latest["sex"],
        "race": _column(latest, "race"),
        "ethnicity": _column(latest, "ethnicity"),
        "language": _column(latest, "language"),
    }
    return pd.DataFrame(
        {name: _codes(values[name], STRATIFIERS[name]) for name in NAMES}, index=pd.Index(latest["member_id"])
    )


def _age_on(born: pd.DatetimeIndex, day: pd.Timestamp) -> np.ndarray:
    years = day.year - born.year.to_numpy(float)
    before_birthday = (day.month * 100 + day.day) < (born.month * 100 + born.day).to_numpy(float)
    return years - before_birthday


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A dictionary version 3 column; a package written before it has none (every member ``unknown``)."""
    return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)


def _codes(values: pd.Series, strata: tuple[str, ...]) -> np.ndarray:
    codes = pd.Categorical(values.astype(object).where(values.notna(), None), categories=strata[:-1]).codes
    return np.where(codes < 0, len(strata) - 1, codes).astype(np.int8)


def unit_strata(units: pd.DataFrame, strata: pd.DataFrame) -> np.ndarray:
    """Each unit's stratum codes (rows aligned with ``units``, one column per stratifier): its member's, or
    ``unknown`` everywhere when the unit has no member in view."""
    unknown = np.array([len(STRATIFIERS[n]) - 1 for n in NAMES], dtype=np.int8)
    if "member_id" not in units or not len(units):
        return np.tile(unknown, (len(units), 1))
    position = strata.index.get_indexer(units["member_id"].to_numpy())
    found = (
        strata.to_numpy()[np.where(position >= 0, position, 0)] if len(strata) else np.tile(unknown, (len(units), 1))
    )
    return np.where((position >= 0)[:, None], found, unknown).astype(np.int8)


def stratify(measure: Measure, units: pd.DataFrame, codes: np.ndarray, ico: str, period: str) -> list[StratumResult]:
    """Every stratum of every stratifier of one (measure, ICO or statewide, period), from the per-unit frame and
    its units' stratum codes: the measure's counts, value, interval and NA rule over each stratum's units."""
    from reporting.engine.compute import value_of  # compute imports this module: the cycle is broken here

    den_w = units["denominator"].to_numpy(bool) if len(units) else np.zeros(0, bool)
    num_w = units["numerator"].to_numpy(bool) if (len(units) and measure.has_numerator) else np.zeros(len(units), bool)
    out = []
    for j, name in enumerate(NAMES):
        strata = STRATIFIERS[name]
        c = codes[:, j] if len(units) else np.zeros(0, np.int8)
        dens = np.bincount(c, weights=den_w, minlength=len(strata)).astype(int)
        nums = np.bincount(c, weights=num_w, minlength=len(strata)).astype(int)
        total_den, total_num = int(dens.sum()), int(nums.sum())
        scores = measure.value_by(units[den_w], c[den_w], len(strata)) if measure.value_by is not None else None
        for k, stratum in enumerate(strata):
            den, num = int(dens[k]), (int(nums[k]) if measure.has_numerator else None)
            score = partial(scores.__getitem__, k) if scores is not None else None
            value, ci_low, ci_high, status = value_of(
                measure, num, den, partial(_units_in, units, c == k, den_w), score
            )
            flag = p = difference = None
            if ci_low is not None and num is not None and value is not None:  # a percent (it has an interval)
                rest_den, rest_num = total_den - den, total_num - num
                if rest_den > 0:
                    p, z = two_proportion_z(num, den, rest_num, rest_den)
                    difference = value - 100.0 * rest_num / rest_den
                    if p is not None and p < ALPHA and min(den, rest_den) >= MIN_FLAG_DENOMINATOR:
                        flag = "better" if (z > 0) == measure.higher_is_better else "worse"
            out.append(
                StratumResult(
                    measure.id,
                    ico,
                    period,
                    name,
                    stratum,
                    num,
                    den,
                    value,
                    status,
                    ci_low,
                    ci_high,
                    flag,
                    p,
                    difference,
                )
            )
    return out


def _units_in(units: pd.DataFrame, in_stratum: np.ndarray, in_denominator: np.ndarray) -> pd.DataFrame:
    """A stratum's units in the denominator (what a measure's own value function reads)."""
    return units[in_stratum & in_denominator]


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float]:
    """Two-sided two-proportion z test with the pooled proportion: (p value, z); p is None when the pooled
    proportion is 0 or 1 (no variance: the two proportions are equal)."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None, 0.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * norm.sf(abs(z))), z


def stratify_icos(views: dict, period: Period, units: dict, measures: dict) -> tuple[list[StratumResult], dict]:
    """The strata of every (measure, ICO) in ``units`` (the per-unit frames ``compute.compute_icos`` made from
    ``views``), and each frame's units' stratum codes (kept for pooling statewide)."""
    tables = {ico: member_strata(view.restore_members(view.members), period) for ico, view in views.items()}
    out, codes = [], {}
    for (measure_id, ico), frame in units.items():
        if ico not in tables or measure_id not in measures:
            continue
        codes[(measure_id, ico)] = unit_strata(frame, tables[ico])
        out += stratify(measures[measure_id], frame, codes[(measure_id, ico)], ico, period.code)
    return out, codes


def pool_strata(units: dict, codes: dict, period: str, measures: dict, statewide: str) -> list[StratumResult]:
    """Statewide strata: each measure over every ICO's units and their codes pooled (as ``pool_statewide``)."""
    out = []
    for measure in measures.values():
        keys = sorted(k for k in units if k[0] == measure.id and k in codes)
        if keys:
            frames = pd.concat([units[k] for k in keys], ignore_index=True)
            out += stratify(measure, frames, np.concatenate([codes[k] for k in keys]), statewide, period)
    return out
