"""Data in view (measures.md, common definitions): for one ICO and period P, every period's
latest accepted package that ends on or before P.end, combined."""
from __future__ import annotations

import pandas as pd

from measures import DataInView
from measures.dictionary import FILES

# Files whose rows are keyed across periods: the row from the latest period counts.
LATEST_WINS = {"members": ["member_id", "enrollment_start"], "facility_stays": ["stay_id"]}


def assemble_view(packages: list[tuple[str, dict[str, pd.DataFrame]]]) -> DataInView:
    """Combine per-period frames ``[(period_code, {file: frame})]`` (any order) into the data in view.

    A ``source_period`` column says which period's package each row came from."""
    ordered = sorted(packages, key=lambda p: _period_sort_key(p[0]))
    frames = {}
    for name in FILES:
        parts = [f[name].assign(source_period=code) for code, f in ordered if name in f and len(f[name])]
        if not parts:
            continue
        combined = pd.concat(parts, ignore_index=True)
        if name in LATEST_WINS:
            combined = combined.drop_duplicates(LATEST_WINS[name], keep="last", ignore_index=True)
        frames[name] = combined
    return DataInView.from_frames(frames)


def _period_sort_key(code: str) -> tuple[int, int]:
    return (int(code[:4]), int(code[5:]) if "Q" in code else 0)
