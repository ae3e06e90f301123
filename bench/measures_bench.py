"""Benchmark (issue 4).

1. All fifteen measures for the demo data (three ICOs, eight quarters) computed and stored. Target < 3 s
   (issue 16; ``TARGET demo_compute``).
2. National scale: 400,000 members with a year of events, all measures for four quarters (computed and
   their per-unit frames serialised as stored): time and peak memory. Target < 60 s and 6 GB.
3. The case-mix adjustment at national size (issue 25): 40 ICOs and 400,000 members, a CAHPS-like sample of
   respondents (bench/synth.py) with a year of surveys in view; the five survey measures' per-unit frames of
   every ICO as the engine pools them, then the adjustment alone (``engine.compute.case_mix``), which runs once
   per period in the national cycle (``TARGET national_case_mix``; the cycle's budget is 60 s in all).
Usage: .venv/bin/python bench/measures_bench.py [--runs 3] [--members 400000] [--only demo|national|casemix]"""

import argparse
import tempfile
import time
from pathlib import Path

from common import fresh_database, make_app, peak_rss_mb, section, timed

QUARTERS = [f"{y}Q{q}" for y in (2014, 2015) for q in range(1, 5)]


def demo(runs: int):
    folder = Path(tempfile.mkdtemp(prefix="bench-measures-"))
    url = fresh_database("sqlite", folder)
    app = make_app(url, folder)
    with app.app_context():
        from reporting import demo_setup, pipeline

        demo_setup.ensure_accounts()
        t = time.perf_counter()
        demo_setup.load_data(2014)
        print(f"demo data generated and submitted in {time.perf_counter() - t:.1f} s")
        median, times, _ = timed(lambda: pipeline.compute_many(QUARTERS, trigger="bench", force=True), runs)
    print(
        f"demo: 15 measures x (3 ICOs + statewide) x 8 quarters computed and stored: median {median:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in times)})"
    )
    return median


def national(members: int, runs: int):
    from bench_synth_year import year_of_packages

    from measures import Period
    from reporting.engine import assemble_view, compute_period, encode_members
    from reporting.engine.store import frame_to_bytes

    t = time.perf_counter()
    packages = year_of_packages(members)
    rows = sum(len(f) for _, frames in packages for f in frames.values())
    print(
        f"national: {members:,} members, {rows:,} rows over four quarters, generated in {time.perf_counter() - t:.1f} s"
    )

    def once():
        stored = 0
        encoded, index = encode_members(packages)  # once, as the pipeline does per ICO
        for quarter in ("2015Q1", "2015Q2", "2015Q3", "2015Q4"):
            P = Period.parse(quarter)
            view = assemble_view([(c, f) for c, f in encoded if Period.parse(c).end <= P.end], member_ids=index)
            computation = compute_period({"NATION": view}, P)
            stored += sum(len(frame_to_bytes(u)) for u in computation.units.values())
        return stored

    median, times, stored = timed(once, runs)
    print(
        f"national: all measures for four quarters: median {median:.1f} s ({', '.join(f'{t:.1f}' for t in times)}); "
        f"peak memory {peak_rss_mb() / 1024:.2f} GB; per-unit frames {stored / 2**20:.0f} MB as Parquet; "
        f"targets < 60 s and < 6 GB"
    )


def case_mix_cost(icos: int, members: int, runs: int) -> float:
    from synth import quarter_package

    from measures import REGISTRY, Period
    from measures.dictionary import FILES, typed
    from reporting.engine import assemble_view
    from reporting.engine.compute import case_mix, compute_icos, pool_statewide

    survey = {k: m for k, m in REGISTRY.items() if m.case_mix_items}
    P, quarters = Period.parse("2015Q4"), ("2015Q1", "2015Q2", "2015Q3", "2015Q4")
    t = time.perf_counter()
    results, units = [], {}
    for i in range(icos):
        code = f"ICO{i + 1:02d}"
        packages = [
            (
                q,
                {
                    name: typed(f, FILES[name])
                    for name, f in quarter_package(q, members // icos, seed=100 * i + k, prefix=code).items()
                    if name in ("members", "survey_responses")
                },
            )
            for k, q in enumerate(quarters)
        ]
        found, frames = compute_icos({code: assemble_view(packages)}, P, survey)
        results += found
        units.update(frames)
    results += pool_statewide(units, P.code, survey)
    respondents = sum(len(f) for (m, _), f in units.items() if m == "rating_health_plan")
    print(
        f"case mix: {icos} ICOs, {members:,} members, {respondents:,} respondents with a rating in view "
        f"(survey frames built in {time.perf_counter() - t:.1f} s)"
    )
    cpu = time.process_time()
    median, times, adjusted = timed(lambda: case_mix(results, units, survey), runs)
    cpu = (time.process_time() - cpu) / runs
    shown = [r for r in adjusted if r.vs_statewide is not None]
    print(
        f"case mix: the five survey measures adjusted for {icos} ICOs: median {median:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in times)}), {cpu:.2f} s of CPU a run (the wall time of a busy machine is "
        f"larger); {len(shown)} comparisons with statewide"
    )
    return median


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--icos", type=int, default=40)
    parser.add_argument("--only", choices=["demo", "national", "casemix"])
    args = parser.parse_args()
    demo_time = case_mix_time = None
    if args.only in (None, "demo"):
        with section("demo data"):
            demo_time = demo(args.runs)
    if args.only in (None, "national"):
        with section("national scale"):
            national(args.members, max(1, args.runs - 1))
    if args.only in (None, "casemix"):
        with section("case-mix adjustment at national size"):
            case_mix_time = case_mix_cost(args.icos, args.members, args.runs)
    print()
    if demo_time is not None:
        print(f"TARGET demo_compute: {demo_time:.2f} s (target < 3)")
    if case_mix_time is not None:
        print(f"TARGET national_case_mix: {case_mix_time:.2f} s (part of national_cycle, target < 60 in all)")


if __name__ == "__main__":
    main()
