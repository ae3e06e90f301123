"""Benchmark (issues 7 and 16): a whole quarter's cycle, each stage timed.

Default: the demo's three ICOs, 2015Q1-Q3 (compute, render every PDF, deliver over SMTP on loopback).
``--national``: 40 ICOs and 400,000 members (``bench/national.py``: synthetic, 10,000 per ICO, a year of
quarterly packages each, validated and stored through the same path as an upload; not timed), then one quarter's cycle end
to end: compute, publish, render 40 scorecards and the statewide and public reports, deliver about 80
messages to an SMTP server on loopback (aiosmtpd). Peak memory is that of the process and of its
worker processes. Targets: under 60 s and under 4 GB.
Usage: .venv/bin/python bench/cycle_bench.py [--national] [--icos 40] [--members 400000]"""

import argparse
import resource
import statistics
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--icos", type=int, default=40)
    parser.add_argument("--members", type=int, default=400_000)
    args = parser.parse_args()
    if args.national:
        national_cycle(args.icos, args.members)
    else:
        demo()


if __name__ == "__main__":
    main()
