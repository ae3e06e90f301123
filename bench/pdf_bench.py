"""Benchmark (issue 6): median time and peak memory to render one ICO scorecard and the statewide
report with WeasyPrint, and the same HTML printed to a tagged PDF (as WeasyPrint writes) by headless
Chromium (Playwright, Debian's chromium) in the same run as the reference. Targets (issue 16): each
report within 2x the running Chromium (``TARGET scorecard_vs_chromium``, ``statewide_vs_chromium``).
Usage: .venv/bin/python bench/pdf_bench.py [--runs 5]"""

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from common import fresh_database, make_app, section


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    app = make_app(fresh_database("sqlite", folder), folder)
    with app.app_context():
        from reporting import demo_setup, pipeline
        from reporting.publication import reports, settings
        from reporting.rendering.html import report_html
        from reporting.rendering.pdf import STATIC, check_environment, html_to_pdf
        from reporting.storage import db

        check_environment()
        demo_setup.ensure_accounts()
        demo_setup.load_data(2014)
        pipeline.compute_many(
            ["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2015Q1", "2015Q2", "2015Q3", "2015"], trigger="bench"
        )
        ratios = {}
        specs = {
            "scorecard (CCA 2015Q3)": reports.ReportSpec("scorecard", "2015Q3", "CCA"),
            "statewide report (2015Q3)": reports.ReportSpec("statewide", "2015Q3"),
        }
        html = {}
        for name, spec in specs.items():
            with db.transaction() as s:
                html[name] = report_html(reports.TEMPLATES[spec.kind], reports.context_for(s, settings(), spec))
        html_to_pdf(html[next(iter(html))])  # warm-up: imports, fonts
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            for name, spec in specs.items():
                with section(name):
                    full, weasy, chromium = [], [], []
                    before = rss_mb()
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        with db.transaction() as s:
                            h = report_html(reports.TEMPLATES[spec.kind], reports.context_for(s, settings(), spec))
                        pdf = html_to_pdf(h)
                        full.append(time.perf_counter() - t)
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        html_to_pdf(html[name])
                        weasy.append(time.perf_counter() - t)
                    path = folder / "report.html"
                    path.write_text(
                        html[name].replace('href="reports.css"', f'href="{(STATIC / "reports.css").as_uri()}"')
                    )
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        page.goto(path.as_uri())
                        page.pdf(format="Letter", print_background=True, tagged=True)
                        chromium.append(time.perf_counter() - t)
                    cold = []
                    for _ in range(args.runs):  # a browser started per report, as BI tools' render jobs do
                        t = time.perf_counter()
                        b = p.chromium.launch(
                            executable_path="/usr/bin/chromium",
                            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                        )
                        pg = b.new_page()
                        pg.goto(path.as_uri())
                        pg.pdf(format="Letter", print_background=True, tagged=True)
                        b.close()
                        cold.append(time.perf_counter() - t)
                    m_full, m_weasy, m_chrome = (statistics.median(x) for x in (full, weasy, chromium))
                    m_cold = statistics.median(cold)
                    print(
                        f"data + HTML + charts + WeasyPrint PDF: median {m_full:.2f} s over {args.runs} runs "
                        f"({len(pdf) / 1024:.0f} KB)"
                    )
                    print(f"WeasyPrint, HTML to PDF only:         median {m_weasy:.2f} s")
                    print(f"headless Chromium, same HTML to PDF:  median {m_chrome:.2f} s (browser already running)")
                    print(f"headless Chromium started per report: median {m_cold:.2f} s")
                    print(
                        f"ratio WeasyPrint / Chromium: {m_weasy / m_chrome:.2f} (warm), {m_weasy / m_cold:.2f} (per report); "
                        f"peak RSS of this process "
                        f"{rss_mb():.0f} MB (was {before:.0f} MB before these renders)"
                    )
                    ratios[spec.kind] = m_weasy / m_chrome
            browser.close()
    print()
    for kind, ratio in ratios.items():
        print(f"TARGET {kind}_vs_chromium: {ratio:.2f} x (target < 2)")


if __name__ == "__main__":
    main()
