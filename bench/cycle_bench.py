"""Benchmark (issues 7 and 16): a whole quarter's cycle, each stage timed.

Default: the demo's three ICOs, 2015Q1-Q3 (compute, render every PDF, deliver over SMTP on loopback).
``--national``: 40 ICOs and 400,000 members (synthetic, 10,000 per ICO, a year of quarterly packages
each, validated and stored through the same path as an upload; not timed), then one quarter's cycle end
to end: compute, publish, render 40 scorecards and the statewide and public reports, deliver about 80
messages to an SMTP server on loopback (aiosmtpd). Peak memory is that of the process and of its
worker processes. Targets: under 60 s and under 4 GB.
Usage: .venv/bin/python bench/cycle_bench.py [--national] [--icos 40] [--members 400000] [--backend sqlite|postgresql]"""
import argparse
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import ROOT, fresh_database, make_app, section

sys.path.insert(0, str(ROOT))
from tests.smtp_server import SmtpServer  # noqa: E402

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
                print(f"{period}: {o.rendered} PDFs, {o.sent} sent, {o.failed} failed; "
                      + ", ".join(f"{k} {v:.2f} s" for k, v in o.timings.items()) + f"; total {total:.2f} s")
            print("median: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items()))
            print(f"messages received by the SMTP server: {len(smtp.recorder.messages)}")
    smtp.stop()


def _package(args):
    """One ICO's quarter as CSV files (in a worker process: generating is not what is measured)."""
    code, index, period, members = args
    from synth import quarter_package, write
    folder = Path(tempfile.mkdtemp(prefix=f"bench-national-{code}-{period}-"))
    return code, period, [str(p) for p in write(quarter_package(period, members, seed=index, prefix=code), folder)]


def national(icos: int, members: int, backend: str):
    folder = Path(tempfile.mkdtemp(prefix="bench-national-"))
    smtp = SmtpServer()
    smtp.start()
    app = make_app(fresh_database(backend, folder), folder, PUBLISH_MODE="auto", **smtp.config())
    codes = [f"ICO{i:02d}" for i in range(1, icos + 1)]
    per_ico = members // icos
    with app.app_context():
        from reporting import accounts, pipeline
        from reporting.ingest import PackageFile
        from reporting.rendering.pdf import check_environment
        from reporting.storage import db
        check_environment()
        t = time.perf_counter()
        with db.transaction() as s:
            for i, code in enumerate(codes):
                accounts.add_ico(s, code=code, name=f"Integrated Care Organization {i + 1:02d}", state="MA",
                                 recipients=[f"quality@{code.lower()}.example.org", f"medical.director@{code.lower()}.example.org"], actor="bench")
            accounts.create_user(s, email="cms@bench.example.org", role="cms_reviewer", password="Bench-password-1",
                                 name="CMS reviewer")
            accounts.create_user(s, email="state@bench.example.org", role="state_reviewer", state="MA",
                                 password="Bench-password-1", name="State reviewer")
            for code in codes:
                accounts.create_user(s, email=f"submitter@{code.lower()}.example.org", role="ico_submitter", ico=code,
                                     password="Bench-password-1", name=f"{code} submitter")
        jobs = [(code, i, q, per_ico) for q in QUARTERS for i, code in enumerate(codes)]
        with ProcessPoolExecutor(2) as pool:
            stored = 0
            for code, period, paths in pool.map(_package, jobs):
                files = [PackageFile(Path(p).name, Path(p).read_bytes()) for p in paths]
                outcome = pipeline.accept_package(code, period, files, uploader="bench", via="cli")
                assert outcome.accepted, outcome.report["by_rule"][:3]
                stored += outcome.report.get("rows", 0) or 0
        db.engine.dispose()
        print(f"setup: {icos} ICOs x {per_ico:,} members, {len(jobs)} packages validated and stored "
              f"in {time.perf_counter() - t:.0f} s (not timed below)")
        with section(f"one quarter's cycle at national size: {icos} ICOs, {members:,} members ({backend})"):
            t = time.perf_counter()
            o = pipeline.run_cycle("2015Q4", trigger="bench", wait_for_retries=0)
            total = time.perf_counter() - t
            print(f"2015Q4: {o.status}, {o.rendered} PDFs, {o.sent} sent, {o.failed} failed, {o.pending} pending")
            for k, v in o.timings.items():
                print(f"  {k:8} {v:6.1f} s")
            print(f"  {'total':8} {total:6.1f} s")
            print(f"messages received by the SMTP server: {len(smtp.recorder.messages)}")
    smtp.stop()
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    peak_gb = peak / 2**20
    print(f"peak memory: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB, "
          f"largest worker {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20:.2f} GB")
    print()
    print(f"TARGET national_cycle: {total:.1f} s (target < 60)")
    print(f"TARGET national_cycle_memory: {peak_gb:.2f} GB (target < 4)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--icos", type=int, default=40)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    if args.national:
        national(args.icos, args.members, args.backend)
    else:
        demo()


if __name__ == "__main__":
    main()
