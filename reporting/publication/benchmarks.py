"""Benchmarks and the quality withhold (measures.md, "Benchmarks and the quality withhold").

A reported value **meets** its benchmark when it is at least the benchmark (higher is better) or
at most it (lower is better). Where gap closure is enabled, a value also meets it when it moved from
last year's value toward the benchmark by at least 10 % of last year's gap (the gap to this year's
benchmark). NA results and measures without a benchmark drop out of the withhold."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from measures import REGISTRY

MET, MET_GAP, NOT_MET, NA, NO_BENCHMARK = "met", "met by gap closure", "not met", "NA", "no benchmark"
TIERS = [(0.80, 100), (0.60, 75), (0.40, 50), (0.20, 25), (0.0, 0)]


class ConfigFileError(ValueError):
    pass


@dataclass(frozen=True)
class Benchmark:
    measure_id: str
    year: int
    value: float
    source: str


def load_benchmarks(path: str | Path) -> dict[tuple[str, int], Benchmark]:
    out = {}
    for n, row in enumerate(_rows(path, ["measure", "year", "value", "source"]), start=2):
        measure, year, value = row["measure"].strip(), _int(row["year"], path, n), _float(row["value"], path, n)
        _known(measure, path, n)
        if (measure, year) in out:
            raise ConfigFileError(f"{path} line {n}: a second benchmark for {measure} in {year}")
        out[(measure, year)] = Benchmark(measure, year, value, row["source"].strip())
    return out


def load_withhold(path: str | Path) -> dict[int, dict[str, bool]]:
    """year -> {measure id: gap closure enabled}"""
    out: dict[int, dict[str, bool]] = {}
    for n, row in enumerate(_rows(path, ["year", "measure", "gap_closure"]), start=2):
        year, measure, flag = _int(row["year"], path, n), row["measure"].strip(), row["gap_closure"].strip().lower()
        _known(measure, path, n)
        if flag not in ("on", "off"):
            raise ConfigFileError(f"{path} line {n}: gap_closure must be on or off, not {flag!r}")
        out.setdefault(year, {})[measure] = flag == "on"
    return out


def _rows(path, columns):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(columns) - set(reader.fieldnames or [])
        if missing:
            raise ConfigFileError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        yield from reader


def _int(v, path, n):
    try:
        return int(v)
    except ValueError:
        raise ConfigFileError(f"{path} line {n}: {v!r} is not a year") from None


def _float(v, path, n):
    try:
        return float(v)
    except ValueError:
        raise ConfigFileError(f"{path} line {n}: {v!r} is not a number") from None


def _known(measure, path, n):
    if measure not in REGISTRY:
        raise ConfigFileError(f"{path} line {n}: unknown measure {measure!r}")


def meets(measure_id: str, value: float, benchmark: float) -> bool:
    return value >= benchmark if REGISTRY[measure_id].higher_is_better else value <= benchmark


def closes_gap(measure_id: str, value: float, last_year: float, benchmark: float) -> bool:
    """Moved from last year's value toward the benchmark by at least 10 % of last year's gap."""
    sign = 1 if REGISTRY[measure_id].higher_is_better else -1
    gap = sign * (benchmark - last_year)
    # A move of exactly 10 % counts: compare with a tolerance far below any reported precision, so that binary
    # floating point (19.8 - 20 = -0.19999999999999929) does not turn "exactly" into "not quite".
    return gap > 0 and sign * (value - last_year) >= 0.1 * gap - 1e-9


@dataclass(frozen=True)
class Judged:
    """What benchmarks and the withhold compare: a survey result's case-mix adjusted value in place of its raw one."""

    status: str
    value: float | None


def judged(result, case_mix: bool):
    """``result`` as benchmarks and the withhold judge it: with ``case_mix`` (the rule set's
    ``case_mix_adjusted``) a survey measure's adjusted value, else the result itself (measures.md)."""
    if not case_mix or result is None or getattr(result, "adjusted_value", None) is None:
        return result
    return Judged(result.status, result.adjusted_value)


def benchmark_status(
    measure_id: str, result, benchmark: Benchmark | None, last_year=None, gap_closure: bool = False
) -> str:
    """met / met by gap closure / not met / NA / no benchmark, on unrounded values."""
    if result is None or result.status != "reported" or result.value is None:
        return NA
    if benchmark is None:
        return NO_BENCHMARK
    if meets(measure_id, result.value, benchmark.value):
        return MET
    if (
        gap_closure
        and last_year is not None
        and last_year.status == "reported"
        and last_year.value is not None
        and closes_gap(measure_id, result.value, last_year.value, benchmark.value)
    ):
        return MET_GAP
    return NOT_MET


def tier(share: float, tiers=None) -> int:
    """The share of the withhold earned back (percent) for the share of measures met (``tiers``: (minimum
    share 0-1, earned back %), the rule set's; the demonstration's by default)."""
    return next((earned for floor, earned in sorted(tiers or TIERS, reverse=True) if share >= floor), 0)


def tier_floor(share: float, tiers=None) -> float:
    """The least share met (0-1) of the tier ``share`` reaches: "a share met of 60 % or more earns back 75 %"."""
    return next((floor for floor, _ in sorted(tiers or TIERS, reverse=True) if share >= floor), 0.0)


@dataclass(frozen=True)
class WithholdRow:
    measure_id: str
    value: float | None
    benchmark: float | None
    status: str
    counts: bool  # takes part in the share
    last_year: float | None = None  # the year before's value, where gap closure applies
    gap_target: float | None = None  # the value that closes 10 % of last year's gap to the benchmark
    gap_closure: bool = False  # the rules let this measure be met by gap closure


@dataclass(frozen=True)
class Withhold:
    ico: str
    year: int
    rows: list[WithholdRow]
    eligible: int
    met: int
    share: float | None
    earned_back: int | None
    next_tier: tuple[int, int] | None = None  # (more measures to meet, the share earned back then)
    tier_floor: float | None = None  # the least share met (0-1) of the tier reached


def withhold(
    ico: str,
    year: int,
    results: dict,
    last_year: dict,
    benchmarks: dict,
    chosen: dict[str, bool],
    tiers=None,
    case_mix: bool = False,
) -> Withhold:
    """Quality withhold for one ICO and calendar year. ``results``/``last_year``: measure id -> result for
    P = that year / the year before; ``case_mix``: survey measures judged on their adjusted values."""
    rows = []
    for measure_id, gap_closure in chosen.items():
        bench = benchmarks.get((measure_id, year))
        r = judged(results.get(measure_id), case_mix)
        last = judged(last_year.get(measure_id), case_mix)
        status = benchmark_status(measure_id, r, bench, last, gap_closure)
        before = last.value if (gap_closure and last is not None and last.status == "reported") else None
        rows.append(
            WithholdRow(
                measure_id,
                r.value if r else None,
                bench.value if bench else None,
                status,
                status in (MET, MET_GAP, NOT_MET),
                before,
                gap_target(measure_id, before, bench.value) if before is not None and bench else None,
                bool(gap_closure),
            )
        )
    eligible = sum(r.counts for r in rows)
    met = sum(r.status in (MET, MET_GAP) for r in rows)
    share = met / eligible if eligible else None
    earned = tier(share, tiers) if share is not None else None
    floor = tier_floor(share, tiers) if share is not None else None
    return Withhold(ico, year, rows, eligible, met, share, earned, next_tier(met, eligible, earned, tiers), floor)


def gap_target(measure_id: str, last_year: float, benchmark: float) -> float | None:
    """The value that closes 10 % of last year's gap to the benchmark; None when last year met it."""
    sign = 1 if REGISTRY[measure_id].higher_is_better else -1
    gap = sign * (benchmark - last_year)
    return last_year + sign * 0.1 * gap if gap > 0 else None


def next_tier(met: int, eligible: int, earned: int | None, tiers=None) -> tuple[int, int] | None:
    """How many more measures met would earn back more, and how much: None at the top or with nothing eligible."""
    if not eligible or earned is None:
        return None
    for more in range(1, eligible - met + 1):
        better = tier((met + more) / eligible, tiers)
        if better > earned:
            return more, better
    return None
