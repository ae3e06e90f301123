"""Benchmark (issue 3): a package of about 1,000,000 rows (about 100,000 members) validated and stored,
on SQLite and PostgreSQL; rows per second and the ratio to a plain pandas.read_csv of the same files.
Target: under 30 s, ratio under 6. Usage: .venv/bin/python bench/ingest.py [--runs 3]"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from common import fresh_database, make_app, section, timed
from synth import quarter_package, write


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    frames = quarter_package("2015Q2", args.members, rows_target=1_000_000)
    paths = write(frames, folder / "package")
    rows = sum(len(f) for f in frames.values())
    size = sum(p.stat().st_size for p in paths) / 2**20
    print(f"package: {rows:,} rows, {args.members:,} members, {size:.0f} MB of CSV")
    from reporting.ingest import PackageFile

    files = [PackageFile(p.name, p.read_bytes()) for p in paths]
    reference, _, _ = timed(lambda: [pd.read_csv(p) for p in paths], args.runs)
    print(f"reference pandas.read_csv of the same files: {reference:.2f} s (median of {args.runs})")
    later = [
        PackageFile(p.name, p.read_bytes())
        for p in write(quarter_package("2015Q3", args.members, rows_target=1_000_000), folder / "next")
    ]
    for kind in ("sqlite", "postgresql"):
        with section(f"validate and store on {kind}"):
            times = sorted(upload(kind, folder, [], files)[0] for _ in range(args.runs))
            median = times[len(times) // 2]
            print(
                f"{kind}: median {median:.2f} s over {args.runs} runs ({', '.join(f'{t:.2f}' for t in times)}); "
                f"{rows / median:,.0f} rows/s; ratio to read_csv {median / reference:.1f}"
                f" (targets: < 30 s, ratio < 6)"
            )
            # The next quarter of the same ICO: its cross-quarter rules read the quarter in force.
            runs = sorted(upload(kind, folder, [("2015Q2", files)], later, "2015Q3") for _ in range(args.runs))
            m, warnings = runs[len(runs) // 2]
            print(
                f"{kind}: the next quarter (2015Q3) with 2015Q2 in force: median {m:.2f} s over {args.runs} runs "
                f"({warnings:,} warnings: the synthetic spans' start dates differ between quarters)"
            )


def upload(kind, folder, before, files, period="2015Q2") -> tuple[float, int]:
    """On a fresh database with one ICO and the ``before`` packages accepted: the time to validate and
    store ``files`` for ``period``, and the warnings it got."""
    app = make_app(fresh_database(kind, folder), folder)
    from reporting import accounts, pipeline
    from reporting.storage import db

    with app.app_context():
        with db.transaction() as s:
            accounts.add_ico(s, code="BIG", name="Big ICO", state="MA", actor="bench")
        for code, package in before:
            assert pipeline.accept_package("BIG", code, package, uploader="bench", via="cli").accepted
        t = time.perf_counter()
        outcome = pipeline.accept_package("BIG", period, files, uploader="bench", via="cli")
        elapsed = time.perf_counter() - t
        assert outcome.accepted, outcome.report["by_rule"][:5]
    db.engine.dispose()
    return elapsed, outcome.report["warnings"]


if __name__ == "__main__":
    main()
