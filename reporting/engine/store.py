"""Storing and reading results: a run per computation of a period, its results and per-unit frames.

Recomputing a period adds a new run and makes it current in one transaction; earlier runs stay
retrievable for comparison."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, fields

import pandas as pd
from sqlalchemy import insert, select, update

from reporting.engine.compute import MeasureResult, PeriodComputation
from reporting.storage.models import DEFAULT_PROGRAMME, Result, ResultRun, ResultStratum, ResultUnits, utcnow


def inputs_digest(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    """A per-unit frame as Parquet (zstd): typed, compact, and safe to read back (no code runs).
    One thread: a frame is a few thousand rows, and Arrow's thread pool costs ten times the work."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False, nthreads=1), buffer, compression="zstd")
    return buffer.getvalue().to_pybytes()


def frame_from_bytes(content: bytes) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(content), use_threads=False).to_pandas(use_threads=False)


def save_run(
    session,
    computation: PeriodComputation,
    *,
    inputs: dict,
    trigger: str,
    code_version: str,
    spec_version: str,
    started_at,
    programme_id: str = DEFAULT_PROGRAMME,
) -> ResultRun:
    """A new current run of the (programme, period); the one before it stays, no longer current."""
    run = ResultRun(
        programme_id=programme_id,
        period_code=computation.period,
        started_at=started_at,
        finished_at=utcnow(),
        status="done",
        is_current=True,
        trigger=trigger,
        code_version=code_version,
        spec_version=spec_version,
        inputs=inputs,
        inputs_digest=inputs_digest(inputs),
    )
    session.execute(
        update(ResultRun)
        .where(
            ResultRun.programme_id == programme_id, ResultRun.period_code == computation.period, ResultRun.is_current
        )
        .values(is_current=False)
    )
    session.add(run)
    session.flush()
    session.add_all(
        Result(run_id=run.id, period_code=r.period, **{k: v for k, v in asdict(r).items() if k != "period"})
        for r in computation.results
    )
    session.add_all(
        ResultUnits(
            run_id=run.id,
            measure_id=m,
            ico=ico,
            row_count=len(frame),
            content=computation.stored.get((m, ico)) or frame_to_bytes(frame),
        )
        for (m, ico), frame in computation.units.items()
    )
    if computation.strata:  # results by group: one executemany, tens of thousands of rows at national size
        names = [f.name for f in fields(computation.strata[0]) if f.name != "period"]  # flat: no asdict per row
        session.execute(
            insert(ResultStratum),
            [
                {"run_id": run.id, "period_code": s.period, **{k: getattr(s, k) for k in names}}
                for s in computation.strata
            ],
        )
    return run


def current_run(session, period_code: str, programme_id: str = DEFAULT_PROGRAMME) -> ResultRun | None:
    """The (programme, period)'s current run."""
    return session.scalar(
        select(ResultRun).where(
            ResultRun.programme_id == programme_id, ResultRun.period_code == period_code, ResultRun.is_current
        )
    )


def results_of(session, run_id: int) -> list[MeasureResult]:
    rows = session.scalars(select(Result).where(Result.run_id == run_id)).all()
    return [
        MeasureResult(
            r.measure_id,
            r.measure_version,
            r.ico,
            r.period_code,
            r.numerator,
            r.denominator,
            r.value,
            r.status,
            r.ci_low,
            r.ci_high,
            r.elements or {},
            r.extras or {},
            r.adjusted_value,
            r.vs_statewide,
        )
        for r in rows
    ]


def units_of(session, run_id: int, measure_id: str, ico: str) -> pd.DataFrame | None:
    row = session.scalar(
        select(ResultUnits).where(
            ResultUnits.run_id == run_id, ResultUnits.measure_id == measure_id, ResultUnits.ico == ico
        )
    )
    return frame_from_bytes(row.content) if row else None
