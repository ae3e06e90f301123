"""The measure engine: data in view → per-unit frames → results (counts, values, intervals, status).

Pure code: it takes frames and returns frozen results; the pipeline stores them."""
from reporting.engine.compute import MeasureResult, STATEWIDE, compute_period, compute_periods, summarise, wilson
from reporting.engine.view import assemble_view, encode_members

__all__ = ["MeasureResult", "STATEWIDE", "compute_period", "compute_periods", "summarise", "wilson", "assemble_view", "encode_members"]
