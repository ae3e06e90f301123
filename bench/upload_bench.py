"""Issue 28 #3: what each hostile upload of tests/ingest/test_hostile_uploads.py costs the reading process, and
what a CSV package and a workbook at the default limits cost. Each file is built here and read by
``read_package`` in a fresh Python process three times; the medians of its time and peak memory growth are
printed.

    .venv/bin/python bench/upload_bench.py [--only CASE ...] [--runs 3]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ingest.test_hostile_uploads import CASES, MAX_GROWTH_MB, read_in_a_child  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = {name: (file, make) for name, (file, make, _) in CASES.items()}
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
            print(
                f"{name:<26} {len(content) / 2**20:>8.2f} {seconds:>8.2f} {growth:>10.1f} {peak:>8.1f}  "
                f"{','.join(results[0]['rules']) or '-'}",
                flush=True,
            )
    print(f"TARGET upload_peak_growth: {worst:.0f} MB (target < {MAX_GROWTH_MB})")


if __name__ == "__main__":
    main()
