"""The measure engine: data in view → per-unit frames → results (counts, values, intervals, status).

``compute`` is pure (frames in, frozen results out); ``inputs`` reads what is in force (and keeps each package's
rows as Parquet in the instance folder), ``store`` writes a run in the caller's transaction; the pipeline
calls them in that order."""

from reporting.engine.compute import STATEWIDE, MeasureResult, compute_period, compute_periods, summarise, wilson
from reporting.engine.view import assemble_view, encode_members

__all__ = [
    "MeasureResult",
    "STATEWIDE",
    "compute_period",
    "compute_periods",
    "summarise",
    "wilson",
    "assemble_view",
    "encode_members",
]
