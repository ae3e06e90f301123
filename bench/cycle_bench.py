"""Benchmark (issues 7 and 16): a whole quarter's cycle, each stage timed.

Default: the demo's three ICOs, 2015Q1-Q3 (compute, render every PDF, deliver over SMTP on loopback).
``--national``: 40 ICOs and 400,000 members (``bench/national.py``: synthetic, 10,000 per ICO, a year of
quarterly packages each, validated and stored through the same path as an upload; not timed), then one quarter's cycle end
to end: compute, publish, render 40 scorecards and the statewide and public reports, deliver about 80
messages to an SMTP server on loopback (aiosmtpd). Peak memory is that of the process and of its
worker processes. Targets: under 60 s and under 4 GB. The results by group (issue 26) are computed and stored with
every run, so both figures include them.
``--scale``: how the cost grows (issue 26): the same quarter (2015Q4) computed for every programme, with its
strata, and stored at 100,000, 400,000 and 1,600,000 members (10,000 per ICO: 10, 40 and 160 ICOs), each size in
a fresh process (building the data is not timed; the 1.6 M ICOs past the 40th take copies of the 40's validated
packages, ``national._clone``), printing time and peak memory of each; TARGET scale_time_ratio = time at 1.6 M / (4 x time at 400 k), target < 1.2, and TARGET
scale_memory_ratio = peak at 1.6 M / peak at 400 k, target < 1.5.
Usage: .venv/bin/python bench/cycle_bench.py [--national] [--icos 40] [--members 400000] [--scale [--sizes ...]]"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, fresh_database, make_app, section

sys.path.insert(0, str(ROOT))
from tests.smtp_server import SmtpServer

QUARTERS = ("2015Q1", "2015Q2", "2015Q3", "2015Q4")


def demo():
    folder = Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    smtp = SmtpServer()
    smtp.start()
    app = make_app(fresh_database("sqlite", folder), folder, PUBLISH_MODE="auto", **smtp.config())
    with app.app_context():
        from reporting import demo_setup, pipeline
        from reporting.rendering.pdf import check_environment

        check_environment()
        demo_setup.ensure_accounts()
        demo_setup.load_data(2014)
        stages = {}
        with section("the cycle for 2015Q1, 2015Q2 and 2015Q3 (3 ICOs; 5 PDFs and 6 e-mails each)"):
            for period in ("2015Q1", "2015Q2", "2015Q3"):
                t = time.perf_counter()
                o = pipeline.run_cycle(period, trigger="bench", wait_for_retries=0)
                total = time.perf_counter() - t
                for k, v in {**o.timings, "total": total}.items():
                    stages.setdefault(k, []).append(v)
                print(
                    f"{period}: {o.rendered} PDFs, {o.sent} sent, {o.failed} failed; "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in o.timings.items())
                    + f"; total {total:.2f} s"
                )
            print("median: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items()))
            print(f"messages received by the SMTP server: {len(smtp.recorder.messages)}")
    smtp.stop()


def national_cycle(icos: int, members: int):
    import national

    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    url = national.database(folder, icos, members)
    national.instance_programmes(folder)
    smtp = SmtpServer()
    smtp.start()
    app = make_app(url, folder, PUBLISH_MODE="auto", **smtp.config())
    with app.app_context():
        from reporting import pipeline
        from reporting.rendering.pdf import check_environment

        check_environment()
        spread = ", ".join(
            f"{p} {sum(national.programme_of(i) == p for i in range(icos))}" for p in national.PROGRAMMES
        )
        with section(f"one quarter's cycle at national size: {icos} ICOs ({spread}), {members:,} members (SQLite)"):
            t = time.perf_counter()
            for programme in national.PROGRAMMES:  # the scheduler runs each programme's cycle in turn
                o = pipeline.run_cycle("2015Q4", trigger="bench", wait_for_retries=0, programme=programme)
                print(
                    f"{programme} 2015Q4: {o.status}, {o.rendered} PDFs, {o.sent} sent, {o.failed} failed, "
                    f"{o.pending} pending"
                )
                for k, v in o.timings.items():
                    print(f"  {k:8} {v:6.1f} s")
            total = time.perf_counter() - t
            print(f"  {'total':8} {total:6.1f} s")
            print(f"messages received by the SMTP server: {len(smtp.recorder.messages)}")
    smtp.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(f"peak memory: this process {own:.2f} GB, largest worker process {workers:.2f} GB")
    print()
    print(f"TARGET national_cycle: {total:.1f} s (target < 60)")
    print(f"TARGET national_cycle_memory: {max(own, workers):.2f} GB (target < 4)")


def scale_one(members: int) -> dict:
    """One size of ``--scale``, in its own process: compute (measures, strata, statewide, case mix) and store
    2015Q4 at ``members`` members; time and peak memory (this process and its largest worker)."""
    import national

    icos = max(1, members // 10_000)
    folder = Path(tempfile.mkdtemp(prefix=f"bench-scale-{members}-"))
    url = national.database(folder, icos, members)
    national.instance_programmes(folder)
    app = make_app(url, folder, PUBLISH_MODE="auto")
    with app.app_context():
        from reporting import pipeline

        t, results = time.perf_counter(), 0
        for programme in national.PROGRAMMES:  # each programme's ICOs in turn, as the scheduler computes them
            results += pipeline.compute("2015Q4", trigger="bench", programme=programme).results
        seconds = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return {
        "members": members,
        "icos": icos,
        "results": results,
        "seconds": seconds,
        "peak_gb": max(own, workers),
    }


def scale(sizes: list[int]) -> None:
    figures = {}
    with section("one quarter (2015Q4) computed with its strata and stored, by size (10,000 members per ICO)"):
        for members in sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--scale-one", str(members)], capture_output=True, text=True, check=False
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode or not lines:
                print(f"{members:>9,} members: failed\n{done.stderr[-2000:]}")
                continue
            figures[members] = json.loads(lines[-1])
            f = figures[members]
            print(f"{members:>9,} members, {f['icos']:>3} ICOs: {f['seconds']:7.1f} s, peak {f['peak_gb']:.2f} GB")
    if 400_000 in figures and 1_600_000 in figures:
        small, large = figures[400_000], figures[1_600_000]
        print(f"TARGET scale_time_ratio: {large['seconds'] / (4 * small['seconds']):.2f} x (target < 1.2)")
        print(f"TARGET scale_memory_ratio: {large['peak_gb'] / small['peak_gb']:.2f} x (target < 1.5)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--icos", type=int, default=40)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 400_000, 1_600_000])
    parser.add_argument("--scale-one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        print(json.dumps(scale_one(args.scale_one)))
    elif args.scale:
        scale(args.sizes)
    elif args.national:
        national_cycle(args.icos, args.members)
    else:
        demo()


if __name__ == "__main__":
    main()
