"""Issue #28 item 2: the disclosure plan (``suppression.plan``: primary and complementary suppression over every
release, the auditor of the published counts) for synthetic editions of 3, 10, 20 and 40 ICOs, each over 8
quarters and 2 years with all fifteen measures: time (median of 3 where affordable) and the number of
determined-count checks (suppressed counts tested against the equations). No database: the plan reads the
results as the engine returns them. Target: under 5 s for 40 ICOs.

    .venv/bin/python bench/disclosure_bench.py [--icos 3 10 20 40] [--runs 3] [--profile N]

With ``--strata`` (issue 26): the same editions broken down by every stratifier (each cell's units shared out over
the strata with realistic shares: small strata such as Native Hawaiian or Pacific Islander give many counts from 1
to 10), and the public strata's plan (``strata_release.plan_strata``) timed on top of the totals' plan: time, the
stratum cells and how many are suppressed.

    .venv/bin/python bench/disclosure_bench.py --strata [--icos 3 10 40] [--runs 1]"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time

from common import section, timed

QUARTERS_OF = {"2014": [f"2014Q{q}" for q in range(1, 5)], "2015": [f"2015Q{q}" for q in range(1, 5)]}
ORDER = ["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2014", "2015Q1", "2015Q2", "2015Q3", "2015Q4", "2015"]


def _counts(rng: random.Random, mid: str, unit: str, size: int) -> tuple:
    """(numerator, denominator, elements) of one ICO's quarter: most counts above 10, some from 1 to 10."""
    den = max(0, int(rng.lognormvariate(0, 0.8) * size * 0.03))
    if unit == "per_1000":
        months = size * 3
        return min(months, int(den * 0.4)), months, {}
    num = int(den * rng.uniform(0.3, 0.95)) if unit == "percent" else None
    elements = {}
    if mid in ("assessment_90d", "care_plan_90d"):
        b = rng.randint(0, max(0, den - (num or 0)))
        elements = {"B": b, "C": max(0, den - (num or 0) - b)}
    elif mid.startswith("fuh"):
        elements = {"excluded": rng.randint(0, max(1, den // 8))}
    return num, den, elements


def editions(icos: int, seed: int = 28) -> list:
    """One release per period in publication order (a year after its fourth quarter), each with every measure for
    every ICO and statewide; years add up from their quarters where the measure's units do (``TIME_RULE``)."""
    from measures import REGISTRY
    from reporting.engine import STATEWIDE, MeasureResult
    from reporting.publication.suppression import LAST_QUARTER, QUARTERS, TIME_RULE, Release

    rng = random.Random(seed)
    codes = [f"I{n:02d}" for n in range(icos)]
    sizes = {c: int(rng.lognormvariate(7.5, 0.7)) for c in codes}  # members, ~600 to ~8,000
    cell: dict = {}  # (mid, period, ico) -> (num, den, el)
    for year, quarters in QUARTERS_OF.items():
        for mid, m in REGISTRY.items():
            for c in codes:
                for q in quarters:
                    cell[(mid, q, c)] = _counts(rng, mid, m.unit, sizes[c])
                qs = [cell[(mid, q, c)] for q in quarters]
                if TIME_RULE[mid] == QUARTERS:
                    num = None if qs[0][0] is None else sum(x[0] for x in qs)
                    el = {k: sum(x[2][k] for x in qs) for k in qs[0][2]}
                    cell[(mid, year, c)] = (num, sum(x[1] for x in qs), el)
                elif TIME_RULE[mid] == LAST_QUARTER:
                    cell[(mid, year, c)] = qs[-1]
                else:  # per member, or a survey's own year
                    cell[(mid, year, c)] = _counts(rng, mid, m.unit, int(sizes[c] * 2.5))

    def result(mid, period, ico, num, den, el):
        value = None if not den or num is None else 100.0 * num / den
        return MeasureResult(mid, REGISTRY[mid].version, ico, period, num, den, value, "reported", None, None, el)

    out = []
    for period in ORDER:
        rows = []
        for mid in REGISTRY:
            mine = [cell[(mid, period, c)] for c in codes]
            rows += [result(mid, period, c, *x) for c, x in zip(codes, mine)]
            num = None if mine[0][0] is None else sum(x[0] for x in mine)
            el = {k: sum(x[2][k] for x in mine) for k in mine[0][2]}
            rows.append(result(mid, period, STATEWIDE, num, sum(x[1] for x in mine), el))
        out.append(Release(period, rows))
    return out


SHARES = {  # of a cell's units, per stratifier (the last: unknown)
    "rating_category": (0.12, 0.3, 0.18, 0.38, 0.02),
    "enrollment_method": (0.55, 0.43, 0.02),
    "age_band": (0.32, 0.3, 0.33, 0.03, 0.02),
    "sex": (0.52, 0.46, 0.01, 0.01),
    "race": (0.01, 0.05, 0.16, 0.004, 0.6, 0.03, 0.04, 0.04, 0.066),
    "ethnicity": (0.12, 0.78, 0.04, 0.06),
    "language": (0.8, 0.12, 0.04, 0.02, 0.02),
}


def strata_of_releases(releases: list, seed: int = 26) -> list:
    """``(name, totals, strata)`` for ``strata_release.plan_strata``: every ICO cell's numerator and denominator
    shared out over each stratifier's strata (multinomial, the numerator within the denominator); a year's strata
    are its quarters' sums where its totals are, the statewide strata the ICOs' sums."""
    import numpy as np

    from reporting.engine import STATEWIDE
    from reporting.engine.strata import STRATIFIERS
    from reporting.publication.released import Counted
    from reporting.publication.strata_release import StratumCounted
    from reporting.publication.suppression import LAST_QUARTER, QUARTERS, TIME_RULE

    rng = np.random.default_rng(seed)
    split: dict = {}  # (mid, period, ico, stratifier) -> (numerators, denominators)
    out = []
    for release in releases:
        totals, strata = [], []
        by_cell: dict = {}
        for r in release.results:
            totals.append(Counted(r.measure_id, r.period, r.ico, r.numerator, r.denominator))
            by_cell[(r.measure_id, r.ico)] = r
        for (mid, ico), r in by_cell.items():
            if ico == STATEWIDE:
                continue
            year = "Q" not in r.period
            for name, values in STRATIFIERS.items():
                shares = np.array(SHARES[name], dtype=float)
                if year and TIME_RULE[mid] == QUARTERS:
                    parts = [split[(mid, f"{r.period}Q{q}", ico, name)] for q in range(1, 5)]
                    nums, dens = sum(p[0] for p in parts), sum(p[1] for p in parts)
                elif year and TIME_RULE[mid] == LAST_QUARTER:
                    nums, dens = split[(mid, f"{r.period}Q4", ico, name)]
                else:
                    dens = rng.multinomial(r.denominator, shares / shares.sum())
                    if r.numerator is None:
                        nums = None
                    else:
                        nums = rng.multivariate_hypergeometric(dens, r.numerator) if dens.sum() else dens * 0
                split[(mid, r.period, ico, name)] = (nums, dens)
                for i, stratum in enumerate(values):
                    n = None if nums is None else int(nums[i])
                    strata.append(StratumCounted(mid, r.period, ico, name, stratum, n, int(dens[i])))
        icos = sorted({ico for _, ico in by_cell} - {STATEWIDE})
        for mid in {m for m, _ in by_cell}:
            period = by_cell[(mid, icos[0])].period
            for name, values in STRATIFIERS.items():
                parts = [split[(mid, period, ico, name)] for ico in icos]
                dens = sum(p[1] for p in parts)
                nums = None if parts[0][0] is None else sum(p[0] for p in parts)
                for i, stratum in enumerate(values):
                    n = None if nums is None else int(nums[i])
                    strata.append(StratumCounted(mid, period, STATEWIDE, name, stratum, n, int(dens[i])))
        out.append((release.name, totals, strata))
    return out


def strata_bench(args) -> None:
    from reporting.publication.strata_release import plan_strata
    from reporting.publication.suppression import plan

    for icos in args.icos:
        with section(f"{icos} ICOs, 8 quarters and 2 years, 15 measures, 7 stratifiers"):
            releases = editions(icos)
            totals_plan = plan(releases).hidden
            broken = strata_of_releases(releases)
            cells = sum(len(s) for _, _, s in broken)
            runs = []
            for _ in range(args.runs):
                t = time.perf_counter()
                hidden = plan_strata(broken, totals_plan, 11)
                runs.append(time.perf_counter() - t)
            runs.sort()
            suppressed = sum(len(h) for h in hidden.values())
            print(f"stratum cells {cells}, suppressed stratum counts {suppressed}")
            print(
                f"strata plan: median {runs[len(runs) // 2]:.2f} s of {len(runs)} ({', '.join(f'{x:.2f}' for x in runs)})"
            )


def counted(fn):
    """``fn`` run while counting the auditor's determined-count checks: suppressed counts tested against the
    equations, by whichever path tests them (one elimination, the updated one, or several readers together)."""
    from reporting.publication import disclosure, suppression

    checks = [0]
    patched = []

    def wrap(owner, name, count):
        original = getattr(owner, name)

        def counting(*args, **kwargs):
            checks[0] += count(*args, **kwargs)
            return original(*args, **kwargs)

        setattr(owner, name, counting)
        patched.append((owner, name, original))

    wrap(disclosure, "determined_in", lambda relations, unknown, targets: len(list(targets)))
    if hasattr(disclosure, "_Elimination"):
        wrap(disclosure._Elimination, "determined", lambda self, targets: len(targets))
    if hasattr(suppression, "holds_each"):
        wrap(
            suppression,
            "holds_each",
            lambda members, relations, counts, known, **_: sum(
                1 for extra in known for k in members if k in counts and counts[k].must_hold and k not in extra
            ),
        )
    try:
        return fn(), checks[0]
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--icos", type=int, nargs="+", default=[3, 10, 20, 40])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="one run only beyond this many seconds")
    parser.add_argument("--profile", type=int, default=0, help="profile the plan for this many ICOs instead")
    parser.add_argument("--strata", action="store_true", help="the public strata's plan on top of the totals'")
    args = parser.parse_args()
    if args.strata:
        strata_bench(args)
        return
    from reporting.publication.suppression import plan

    if args.profile:
        releases = editions(args.profile)
        profile = cProfile.Profile()
        profile.runcall(plan, releases)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return
    figures = {}
    for icos in args.icos:
        with section(f"{icos} ICOs, 8 quarters and 2 years, 15 measures"):
            releases = editions(icos)
            cells = sum(len(r.results) for r in releases)
            t = time.perf_counter()
            done, checks = counted(lambda: plan(releases))  # noqa: B023 (called within this iteration)
            first = time.perf_counter() - t
            runs = [first]
            if args.runs > 1 and first * (args.runs - 1) < args.budget:
                median, runs, done = timed(lambda: plan(releases), args.runs - 1)  # noqa: B023 (called within this iteration)
                runs = [first] + runs
            runs.sort()
            median = runs[len(runs) // 2]
            hidden = sum(len(h) for h in done.hidden.values())
            print(
                f"results {cells}, suppressed counts {hidden}, unfixable {len(done.unfixable)}, "
                f"determined-count checks {checks}"
            )
            print(f"plan: median {median:.2f} s of {len(runs)} ({', '.join(f'{x:.2f}' for x in runs)})", flush=True)
            figures[icos] = median
    if 40 in figures:
        print(f"TARGET disclosure_plan_40: {figures[40]:.2f} s (target < 5)")


if __name__ == "__main__":
    main()
