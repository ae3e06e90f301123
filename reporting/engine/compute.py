"""Running the measures: per-unit frames, then counts, values, Wilson intervals and NA status.

``measures.md``: percent = 100·num/den with a 95 % Wilson score interval (z = 1.959964);
per_1000 = 1000·num/den; score measures compute their own value. ``status`` is ``NA`` when the
denominator is below the measure's minimum; an NA result keeps its counts. Statewide is the
same computation over the pooled per-unit frames of every ICO, never an average of rates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import pandas as pd

from measures import REGISTRY, DataInView, Measure, Period
from reporting.engine import casemix, strata

STATEWIDE = "STATEWIDE"
Z = 1.959964


@dataclass(frozen=True)
class MeasureResult:
    measure_id: str
    measure_version: str
    ico: str
    period: str
    numerator: int | None
    denominator: int
    value: float | None
    status: str
    ci_low: float | None
    ci_high: float | None
    elements: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    adjusted_value: float | None = None  # survey measures: case-mix adjusted (engine.casemix)
    vs_statewide: str | None = None  # higher | lower | no_difference; None below the minimum or not adjusted


def wilson(numerator: int, denominator: int, z: float = Z) -> tuple[float | None, float | None]:
    """The Wilson score interval for numerator/denominator, in percent."""
    if denominator <= 0:
        return None, None
    p = numerator / denominator
    z2n = z * z / denominator
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator * denominator)) / (1 + z2n)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


class Value(NamedTuple):
    """A measure's value from its counts, with its interval and status."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    status: str  # reported | NA


def value_of(
    measure: Measure,
    numerator: int | None,
    denominator: int,
    units: Callable[[], pd.DataFrame],
    score: Callable[[], float | None] | None = None,
) -> Value:
    """The one rule for a value (``measures.md``), for a total and for a stratum alike: the measure's own function
    over the units in the denominator (``units`` gives them; called only for such a measure, so a stratum's rows
    are not cut out for nothing; ``score``, when given, is that function's answer already computed with the
    measure's ``value_by``), else per 1,000, else a percent with its Wilson interval; ``NA`` below the
    measure's minimum denominator or without a value."""
    ci_low = ci_high = None
    if measure.value is not None:
        value = (score() if score is not None else measure.value(units())) if denominator else None
    elif denominator == 0 or numerator is None:
        value = None
    elif measure.unit == "per_1000":
        value = 1000.0 * numerator / denominator
    else:
        value = 100.0 * numerator / denominator
        ci_low, ci_high = wilson(numerator, denominator)
    status = "reported" if denominator >= measure.min_denominator and value is not None else "NA"
    return Value(value, ci_low, ci_high, status)


def summarise(measure: Measure, units: pd.DataFrame, ico: str, period: str) -> MeasureResult:
    """Count a per-unit frame into one result."""
    den = int(units["denominator"].sum()) if len(units) else 0
    num = (
        int(units["numerator"].sum())
        if (len(units) and measure.has_numerator)
        else (0 if measure.has_numerator else None)
    )
    elements = {name: int(units[col].sum()) if len(units) else 0 for name, col in measure.elements.items()}
    in_den = units[units["denominator"]] if len(units) else units
    value, ci_low, ci_high, status = value_of(measure, num, den, lambda: in_den)
    extras = measure.extras(in_den) if (measure.extras and den) else {}
    return MeasureResult(
        measure.id, measure.version, ico, period, num, den, value, status, ci_low, ci_high, elements, extras
    )


@dataclass(frozen=True)
class PeriodComputation:
    """Every result of one period, and the per-unit frames behind them keyed by (measure, ico)."""

    period: str
    results: list[MeasureResult]
    units: dict[tuple[str, str], pd.DataFrame]  # from workers: ``for_pooling`` (the stored frames are whole)
    stored: dict = field(default_factory=dict)  # (measure, ico) -> the frame as stored, when a worker made it
    strata: list[strata.StratumResult] = field(default_factory=list)  # results by group (engine.strata)


def compute_period(
    views: dict[str, DataInView], period: Period, measures: dict[str, Measure] | None = None
) -> PeriodComputation:
    """All measures for every ICO in ``views`` and statewide (pooled per-unit frames)."""
    results, units = compute_icos(views, period, measures)
    by_group, codes = strata.stratify_icos(views, period, units, measures or REGISTRY)
    by_group += strata.pool_strata(units, codes, period.code, measures or REGISTRY, STATEWIDE)
    results = case_mix(results + pool_statewide(units, period.code, measures), units, measures)
    return PeriodComputation(period.code, ordered(results), units, strata=by_group)


def compute_periods(
    inputs, periods: list[Period], measure_ids: tuple[str, ...] | None = None
) -> list[PeriodComputation]:
    """``compute_period`` for several periods on every core. Each job is one ICO and some of its periods:
    the worker builds that ICO's data in view from its rows alone (a national quarter never sits in one
    process), computes and serialises its per-unit frames; the statewide figures are pooled here. ``inputs``
    are one programme's ICOs and ``measure_ids`` its measure set (None: every measure of the library)."""
    measures = None if measure_ids is None else {m: REGISTRY[m] for m in REGISTRY if m in measure_ids}
    from reporting.workers import cores, in_processes

    codes = sorted({c for p in periods for c in inputs.reporting(p)})
    chunks = max(1, min(len(periods), -(-2 * cores() // max(len(codes), 1))))  # about two jobs per core
    jobs = []
    for code in codes:
        own = [p for p in periods if code in inputs.reporting(p)]
        size = max(1, -(-len(own) // chunks))
        jobs += [(inputs, code, own[k : k + size], measure_ids) for k in range(0, len(own), size)]
    results: dict[str, list[MeasureResult]] = {p.code: [] for p in periods}
    by_group: dict[str, list[strata.StratumResult]] = {p.code: [] for p in periods}
    units: dict[str, dict] = {p.code: {} for p in periods}
    stored: dict[str, dict] = {p.code: {} for p in periods}
    unit_codes: dict[str, dict] = {p.code: {} for p in periods}
    for answer in in_processes(_compute_job, jobs):
        for code, (found, frames, serialised, groups, group_codes) in answer.items():
            results[code] += found
            by_group[code] += groups
            units[code].update(frames)
            stored[code].update(serialised)
            unit_codes[code].update(group_codes)
    out = []
    for p in periods:
        pooled = strata.pool_strata(units[p.code], unit_codes[p.code], p.code, measures or REGISTRY, STATEWIDE)
        final = ordered(
            case_mix(results[p.code] + pool_statewide(units[p.code], p.code, measures), units[p.code], measures)
        )
        out.append(PeriodComputation(p.code, final, units[p.code], stored[p.code], by_group[p.code] + pooled))
    return out


def _compute_job(job) -> dict:
    from reporting.engine.inputs import views_of
    from reporting.engine.store import frame_to_bytes

    inputs, code, periods, measure_ids = job
    measures = None if measure_ids is None else {m: REGISTRY[m] for m in REGISTRY if m in measure_ids}
    views, out = views_of(inputs, code, periods), {}
    for period in periods:
        view = {code: views.pop(period.code)}
        results, units = compute_icos(view, period, measures)
        by_group, codes = strata.stratify_icos(view, period, units, measures or REGISTRY)
        stored = {k: frame_to_bytes(f) for k, f in units.items()}
        pooled = {k: for_pooling(REGISTRY[k[0]], f) for k, f in units.items()}
        out[period.code] = (results, pooled, stored, by_group, codes)
    return out


IDENTIFIERS = ("member_id", "stay_id", "response_id")


def for_pooling(measure: Measure, frame: pd.DataFrame) -> pd.DataFrame:
    """What the statewide figures, the statewide strata and the case-mix model read of a per-unit frame (the frame
    as stored keeps it all): a survey measure's answers and adjusters (its identifiers and dates left out); any
    other measure's boolean population and element columns, all that counting reads. A national quarter's units
    come back to one process: held whole, its memory would grow with the members' identifiers."""
    if measure.value is not None or measure.case_mix_items:
        drop = [c for c in frame.columns if c in IDENTIFIERS or pd.api.types.is_datetime64_any_dtype(frame[c])]
        return frame.drop(columns=drop)
    counted = {"denominator", "numerator", *measure.elements.values()}
    return frame[[c for c in frame.columns if c in counted or pd.api.types.is_bool_dtype(frame[c])]]


def compute_icos(
    views: dict[str, DataInView], period: Period, measures: dict[str, Measure] | None = None
) -> tuple[list[MeasureResult], dict]:
    """All measures for each ICO in ``views`` (a part of the ICOs may be computed in each process)."""
    results, units = [], {}
    for measure in (measures or REGISTRY).values():
        for ico, view in sorted(views.items()):
            frame = view.restore_members(measure.population(view, period).reset_index(drop=True))
            units[(measure.id, ico)] = frame
            results.append(summarise(measure, frame, ico, period.code))
    return results, units


def pool_statewide(units: dict, period: str, measures: dict[str, Measure] | None = None) -> list[MeasureResult]:
    """Statewide: each measure over every ICO's per-unit frames pooled, never an average of rates."""
    out = []
    for measure in (measures or REGISTRY).values():
        per_ico = [frame.assign(ico=ico) for (m, ico), frame in sorted(units.items()) if m == measure.id]
        if per_ico:
            out.append(summarise(measure, pd.concat(per_ico, ignore_index=True), STATEWIDE, period))
    return out


def case_mix(
    results: list[MeasureResult], units: dict, measures: dict[str, Measure] | None = None
) -> list[MeasureResult]:
    """The survey measures' results with their case-mix adjusted values and comparison with statewide
    (``casemix.adjust_measure``), over every ICO's per-unit frames of the period; statewide keeps its value
    as its adjusted value. The standard error and difference are kept in ``extras`` for auditing."""
    out = []
    by_measure: dict[str, list[MeasureResult]] = {}
    for r in results:
        by_measure.setdefault(r.measure_id, []).append(r)
    for measure_id, group in by_measure.items():
        measure = (measures or REGISTRY).get(measure_id)
        if measure is None or not measure.case_mix_items:
            out += group
            continue
        statewide = next((r.value for r in group if r.ico == STATEWIDE), None)
        frames = {
            r.ico: units[(measure_id, r.ico)] for r in group if r.ico != STATEWIDE and (measure_id, r.ico) in units
        }
        adjusted = casemix.adjust_measure(
            measure.case_mix_items, frames, {r.ico: r.denominator for r in group}, statewide, measure.min_denominator
        )
        for r in group:
            if r.ico == STATEWIDE:
                out.append(replace(r, adjusted_value=r.value))
            elif r.ico in adjusted and adjusted[r.ico].value is not None:
                a = adjusted[r.ico]
                out.append(
                    replace(
                        r,
                        adjusted_value=_finite(a.value),
                        vs_statewide=a.vs_statewide,
                        extras={**r.extras, "adjusted_se": _finite(a.se), "adjusted_difference": _finite(a.difference)},
                    )
                )
            else:
                out.append(r)
    return out


def _finite(x: float | None) -> float | None:
    """A number JSON and the database keep: None for a missing or undefined one (no residual degrees of freedom)."""
    return None if x is None or not math.isfinite(x) else float(x)


def ordered(results: list[MeasureResult]) -> list[MeasureResult]:
    """By measure (registry order), then ICO, statewide last."""
    order = {m: i for i, m in enumerate(REGISTRY)}
    return sorted(results, key=lambda r: (order.get(r.measure_id, len(order)), r.ico == STATEWIDE, r.ico))
