"""Data in view (measures.md, common definitions): for one ICO and period P, every period's
latest accepted package that ends on or before P.end, combined."""

from __future__ import annotations

from typing import TypeVar

import pandas as pd

from measures import DataInView, Period
from measures._base import encode_member_ids
from measures.dictionary import FILES

# Files whose rows are keyed across periods: the row from the latest period counts.
K = TypeVar("K")  # what names a package: its period code, or its submission id

LATEST_WINS = {"members": ["member_id", "enrollment_start"], "facility_stays": ["stay_id"]}


def encode_members(
    packages: list[tuple[K, dict[str, pd.DataFrame]]],
) -> tuple[list[tuple[K, dict[str, pd.DataFrame]]], pd.Index]:
    """Member ids as integer codes in every frame of one ICO's packages, at once (``measures.encode_member_ids``);
    returns the encoded packages and the index (code -> member_id). Encode once, then assemble many views."""
    parts = [(i, name, f) for i, (_, frames) in enumerate(packages) for name, f in frames.items()]
    frames, index = encode_member_ids([f for _, _, f in parts])
    encoded: list[tuple[K, dict[str, pd.DataFrame]]] = [(code, {}) for code, _ in packages]
    for (i, name, _), frame in zip(parts, frames):
        encoded[i][1][name] = frame
    return encoded, index


def assemble_view(
    packages: list[tuple[str, dict[str, pd.DataFrame]]], member_ids: pd.Index | None = None
) -> DataInView:
    """Combine per-period frames ``[(period_code, {file: frame})]`` (any order) into the data in view.

    A ``source_period`` column says which period's package each row came from. With ``member_ids``
    the frames were encoded by ``encode_members`` already."""
    ordered = sorted(packages, key=lambda p: Period.parse(p[0]).sort_key)
    frames = {}
    for name in FILES:
        parts = [f[name].assign(source_period=code) for code, f in ordered if name in f and len(f[name])]
        if not parts:
            continue
        combined = pd.concat(parts, ignore_index=True)
        if name in LATEST_WINS:
            combined = combined.drop_duplicates(LATEST_WINS[name], keep="last", ignore_index=True)
        frames[name] = combined
    return DataInView.from_frames(frames, member_ids=member_ids)
