"""Running the measures: per-unit frames, then counts, values, Wilson intervals and NA status.

``measures.md``: percent = 100·num/den with a 95 % Wilson score interval (z = 1.959964);
per_1000 = 1000·num/den; score measures compute their own value. ``status`` is ``NA`` when the
denominator is below the measure's minimum; an NA result keeps its counts. Statewide is the
same computation over the pooled per-unit frames of every ICO, never an average of rates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from measures import REGISTRY, DataInView, Measure, Period

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


def wilson(numerator: int, denominator: int, z: float = Z) -> tuple[float | None, float | None]:
    """The Wilson score interval for numerator/denominator, in percent."""
    if denominator <= 0:
        return None, None
    p = numerator / denominator
    z2n = z * z / denominator
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator * denominator)) / (1 + z2n)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def summarise(measure: Measure, units: pd.DataFrame, ico: str, period: str) -> MeasureResult:
    """Count a per-unit frame into one result."""
    den = int(units["denominator"].sum()) if len(units) else 0
    num = int(units["numerator"].sum()) if (len(units) and measure.has_numerator) else (0 if measure.has_numerator else None)
    elements = {name: int(units[col].sum()) if len(units) else 0 for name, col in measure.elements.items()}
    in_den = units[units["denominator"]] if len(units) else units
    ci_low = ci_high = None
    if measure.value is not None:
        value = measure.value(in_den) if den else None
    elif den == 0:
        value = None
    elif measure.unit == "per_1000":
        value = 1000.0 * num / den
    else:
        value = 100.0 * num / den
        ci_low, ci_high = wilson(num, den)
    extras = measure.extras(in_den) if (measure.extras and den) else {}
    status = "reported" if den >= measure.min_denominator and value is not None else "NA"
    return MeasureResult(measure.id, measure.version, ico, period, num, den, value, status,
                         ci_low, ci_high, elements, extras)


@dataclass(frozen=True)
class PeriodComputation:
    """Every result of one period, and the per-unit frames behind them keyed by (measure, ico)."""
    period: str
    results: list[MeasureResult]
    units: dict[tuple[str, str], pd.DataFrame]


def compute_period(views: dict[str, DataInView], period: Period,
                   measures: dict[str, Measure] | None = None) -> PeriodComputation:
    """All measures for every ICO in ``views`` and statewide (pooled per-unit frames)."""
    measures = measures or REGISTRY
    results, units = [], {}
    for measure in measures.values():
        per_ico = []
        for ico, view in sorted(views.items()):
            frame = view.restore_members(measure.population(view, period).reset_index(drop=True))
            units[(measure.id, ico)] = frame
            results.append(summarise(measure, frame, ico, period.code))
            per_ico.append(frame.assign(ico=ico))
        if views:
            pooled = pd.concat(per_ico, ignore_index=True)
            results.append(summarise(measure, pooled, STATEWIDE, period.code))
    return PeriodComputation(period.code, results, units)
