"""Issue 28 #3: what each hostile upload of tests/ingest/test_hostile_uploads.py costs the reading process, and
an honest package at the size limits for comparison. Each file is built here and read by ``read_package`` in a
fresh Python process three times; the medians of its time and its peak memory growth are printed.

    .venv/bin/python bench/upload_bench.py [--only CASE ...] [--runs 3]"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reporting.ingest.readers import Limits  # noqa: E402
from tests.ingest.test_hostile_uploads import CASES, MAX_GROWTH_MB, _zip_of_csv, read_in_a_child  # noqa: E402


def at_the_limits() -> bytes:
    """A ZIP of members.csv as large as the default limits let a package be (UPLOAD_MAX_CELLS cells, at most
    UPLOAD_MAX_CSV_MB of text), of random digits: read in full (validation, which fails it, is not run here)."""
    limits = Limits()
    lines = limits.max_cells // 8 - 8
    digits = min(12, limits.max_csv_bytes // lines // 8 - 1)
    return _zip_of_csv(lines * 8 * (digits + 1) // 2**20, (b"9" * digits + b",") * 7 + b"9" * digits + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = {name: (file, make) for name, (file, make, _) in CASES.items()}
    cases["honest_at_the_limits"] = ("package.zip", at_the_limits)
    worst = 0.0
    print(f"{'case':<26} {'file MB':>8} {'seconds':>8} {'growth MB':>10} {'peak MB':>8}  rules")
    with tempfile.TemporaryDirectory() as folder:
        for name, (file, make) in cases.items():
            if args.only and name not in args.only:
                continue
            content = make()
            results = [read_in_a_child(file, content, Path(folder)) for _ in range(args.runs)]
            seconds = statistics.median(r["seconds"] for r in results)
            growth = statistics.median(r["growth_mb"] for r in results)
            peak = statistics.median(r["peak_mb"] for r in results)
            worst = max(worst, growth)
            print(f"{name:<26} {len(content) / 2**20:>8.2f} {seconds:>8.2f} {growth:>10.1f} {peak:>8.1f}  "
                  f"{','.join(results[0]['rules']) or '-'}", flush=True)
    print(f"TARGET upload_peak_growth: {worst:.0f} MB (target < {MAX_GROWTH_MB})")


if __name__ == "__main__":
    main()
