"""Benchmark (issue 7): a full cycle for the demo's three ICOs: compute, render every PDF, deliver to
the recipients over SMTP on loopback (aiosmtpd); the time of each stage, median of several periods.
Usage: .venv/bin/python bench/cycle_bench.py"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, fresh_database, make_app, section

sys.path.insert(0, str(ROOT))
from tests.smtp_server import SmtpServer  # noqa: E402


def main():
    folder = Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    smtp = SmtpServer()
    smtp.start()
    app = make_app(fresh_database("sqlite", folder), folder, **smtp.config())
    with app.app_context():
        from reporting import demo_setup, pipeline
        from reporting.rendering.pdf import check_environment
        check_environment()
        demo_setup.ensure_accounts()
        demo_setup.load_data(2014)
        stages = {"compute": [], "render": [], "deliver": [], "total": []}
        with section("the cycle for 2015Q1, 2015Q2 and 2015Q3 (3 ICOs; 5 PDFs and 6 e-mails each)"):
            for period in ("2015Q1", "2015Q2", "2015Q3"):
                t = time.perf_counter()
                o = pipeline.run_cycle(period, trigger="bench", wait_for_retries=0)
                total = time.perf_counter() - t
                for k in ("compute", "render", "deliver"):
                    stages[k].append(o.timings[k])
                stages["total"].append(total)
                print(f"{period}: {o.rendered} PDFs, {o.sent} sent, {o.failed} failed; "
                      + ", ".join(f"{k} {v:.2f} s" for k, v in o.timings.items()) + f"; total {total:.2f} s")
            print("median: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items()))
            print(f"messages received by the SMTP server: {len(smtp.recorder.messages)}")
    smtp.stop()


if __name__ == "__main__":
    main()
