"""What a measure module declares, and the data it reads.

A measure returns its per-unit frame: one row per unit (span, member, stay, assessment,
response, member-month) that takes part, with boolean population columns
(``denominator``, ``numerator`` and its named elements) and the dates that explain why.
The engine does all the counting, intervals, NA status and pooling.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from measures.dictionary import FILES
from measures._toolkit import Period

DOMAINS = ("care_coordination", "community_living", "experience_of_care")
DOMAIN_TITLES = {
    "care_coordination": "Care coordination",
    "community_living": "Community living",
    "experience_of_care": "Experience of care",
}
UNITS = ("percent", "per_1000", "score")


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

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame]) -> "DataInView":
        """Build from frames keyed by file name; missing files become empty frames with typed columns."""
        out = {}
        for name, spec in FILES.items():
            frame = frames.get(name)
            if frame is None:
                frame = pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.type)) for c in spec.columns})
            out[name] = frame.reset_index(drop=True)
        return cls(**out)


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
    unit: str                 # percent | per_1000 | score
    direction: str            # higher | lower (is better)
    definition: str
    unit_kind: str            # what one row of the per-unit frame is
    population: Callable[[DataInView, Period], pd.DataFrame]
    elements: dict[str, str] = field(default_factory=dict)   # element name -> boolean column counted
    min_denominator: int = 30
    value: Callable[[pd.DataFrame], float | None] | None = None      # score measures
    extras: Callable[[pd.DataFrame], dict] | None = None
    has_numerator: bool = True
    gap_label: str = ""       # what a unit on the gap list is waiting for

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
