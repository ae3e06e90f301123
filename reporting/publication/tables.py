"""Results arranged for reading: in the specification's measure order, ICOs by code, statewide last."""
from __future__ import annotations

from measures import REGISTRY
from reporting.engine import STATEWIDE

_ORDER = {m: i for i, m in enumerate(REGISTRY)}


def ordered_results(results):
    return sorted(results, key=lambda r: (_ORDER.get(r.measure_id, 99), r.ico == STATEWIDE, r.ico))
