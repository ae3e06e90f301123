"""What a measure module declares, and the data it reads.

A measure returns its per-unit frame: one row per unit (span, member, stay, assessment,
response, member-month) that takes part, with boolean population columns
(``denominator``, ``numerator`` and its named elements) and the dates that explain why.
The engine does all the counting, intervals, NA status and pooling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from measures._toolkit import Period
from measures.dictionary import FILES

DOMAINS = ("care_coordination", "community_living", "experience_of_care")
DOMAIN_TITLES = {
    "care_coordination": "Care coordination",
    "community_living": "Community living",
    "experience_of_care": "Experience of care",
}
UNITS = ("percent", "per_1000", "score")


def encode_member_ids(frames: list[pd.DataFrame]) -> tuple[list[pd.DataFrame], pd.Index]:
    """Replace member_id by integer codes across ``frames`` at once (one factorize pass, in Arrow when available);
    returns the encoded frames and the index (code -> member_id). Joins on integers are much faster than on
    strings; ``DataInView.restore_members`` turns a per-unit frame's codes back into ids."""
    if not frames:
        return [], pd.Index([])
    ids = pd.concat([f["member_id"] for f in frames], ignore_index=True).astype("string")
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    bounds = np.cumsum([len(f) for f in frames])[:-1]
    return (
        [f.assign(member_id=part) for f, part in zip(frames, np.split(codes.astype(np.int64), bounds))],
        pd.Index(uniques.astype(object)),
    )


@dataclass(frozen=True)
class DataInView:
    """The data in view for one ICO (or the pooled state) and one period: one frame per file.

    Member spans are unique on (member_id, enrollment_start) and facility stays on stay_id
    (the latest period's row); the other files are the concatenation of every period's rows."""

    members: pd.DataFrame
    assessments: pd.DataFrame
    care_plans: pd.DataFrame
    inpatient_stays: pd.DataFrame
    visits: pd.DataFrame
    facility_stays: pd.DataFrame
    survey_responses: pd.DataFrame
    member_ids: pd.Index | None = None  # when member_id holds integer codes: code -> the ICO's member_id
    _shared: dict = field(default_factory=dict, repr=False, compare=False)

    def shared(self, key, build):
        """What two measures both derive from this data (e.g. the FUH candidates of the 7- and 30-day
        measures), built once per data in view. ``build`` must not depend on anything but the key."""
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    @classmethod
    def from_frames(
        cls, frames: dict[str, pd.DataFrame], encode_members: bool = True, member_ids: pd.Index | None = None
    ) -> DataInView:
        """Build from frames keyed by file name; missing files become empty frames with typed columns.

        With ``encode_members`` every member_id becomes an integer code (joins on integers are much
        faster than on strings); ``restore_members`` turns a per-unit frame's codes back into ids."""
        out = {}
        for name, spec in FILES.items():
            frame = frames.get(name)
            if frame is None:
                frame = pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.type)) for c in spec.columns})
            out[name] = frame.reset_index(drop=True)
        index = member_ids  # the frames' member_id are already codes into member_ids
        if encode_members and member_ids is None:
            encoded, index = encode_member_ids(list(out.values()))
            out = dict(zip(out, encoded))
        return cls(**out, member_ids=index)

    def restore_members(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.member_ids is None or "member_id" not in frame:
            return frame
        codes = frame["member_id"].to_numpy()
        if not len(codes):  # an empty population (a small ICO's first quarter) may come back untyped
            return frame.assign(member_id=pd.Series(index=frame.index, dtype=object))
        ids = pd.Series(self.member_ids.to_numpy(dtype=object)[codes], index=frame.index).where(codes >= 0, None)
        return frame.assign(member_id=ids)


def _dtype(kind: str) -> str:
    return {"date": "datetime64[ns]", "int": "Float64"}.get(kind, "object")


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    domain: str
    order: int
    version: str
    reference: str
    unit: str  # percent | per_1000 | score
    direction: str  # higher | lower (is better)
    definition: str
    unit_kind: str  # what one row of the per-unit frame is
    population: Callable[[DataInView, Period], pd.DataFrame]
    elements: dict[str, str] = field(default_factory=dict)  # element name -> boolean column counted
    min_denominator: int = 30
    value: Callable[[pd.DataFrame], float | None] | None = None  # score measures
    # The same rule as ``value`` for several groups of units at once (the strata of a stratifier): (units, each
    # unit's group number, number of groups) -> each group's value (None for a group without one). Optional; it
    # spares cutting a frame out per stratum.
    value_by: Callable[[pd.DataFrame, np.ndarray, int], list[float | None]] | None = None
    extras: Callable[[pd.DataFrame], dict] | None = None
    has_numerator: bool = True
    gap_label: str = ""  # what a unit on the gap list is waiting for
    upcoming: Callable[[DataInView, object, int], pd.DataFrame] | None = None  # (data, as_of, days): deadlines ahead
    # Survey measures: the items the engine adjusts for case mix, each (column, its score on 0-100 from the answers)
    case_mix_items: tuple[tuple[str, Callable[[pd.Series], pd.Series]], ...] = ()

    def __post_init__(self):
        if self.domain not in DOMAINS:
            raise ValueError(f"{self.id}: unknown domain {self.domain}")
        if self.unit not in UNITS:
            raise ValueError(f"{self.id}: unknown unit {self.unit}")
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"{self.id}: direction must be higher or lower")

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def has_interval(self) -> bool:
        return self.unit == "percent"

    @property
    def decimals(self) -> int:
        return 2 if self.unit == "per_1000" else 1
