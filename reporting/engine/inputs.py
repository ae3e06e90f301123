"""The engine's inputs: which accepted packages are in force (their metadata, read once), the provenance
of each period's results, and one ICO's data in view for a period, built from that ICO's rows alone.

Rows come from a Parquet copy of each accepted package in the instance folder (an accepted package never
changes; the copy is written the first time its rows are read from the database, which stays the record),
so that a national quarter is computed one ICO at a time in each worker process, never holding the
whole nation's rows in one process."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from measures import DataInView, Period
from measures.dictionary import FILES
from reporting.engine.view import assemble_view, encode_members
from reporting.storage import db
from reporting.storage.queries import in_force, organizations_by_id
from reporting.storage.rows import read_rows

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Package:
    """An in-force accepted package (no rows)."""

    id: int
    code: str  # the ICO
    period_code: str
    version: int
    sha256: str

    @property
    def end(self):
        return Period.parse(self.period_code).end


@dataclass(frozen=True)
class InForce:
    packages: tuple[Package, ...]
    memory: dict  # package id -> file -> rows, for packages the row cache could not keep

    def reporting(self, period: Period) -> list[str]:
        """The ICOs with a package for one of the period's quarters."""
        quarters = {q.code for q in period.quarters}
        return sorted({p.code for p in self.packages if p.period_code in quarters})

    def used(self, code: str, period: Period) -> list[Package]:
        """The ICO's packages in its data in view for the period: every one ending on or before it."""
        return sorted((p for p in self.packages if p.code == code and p.end <= period.end), key=lambda p: p.period_code)

    def provenance(self, period: Period) -> dict[str, list[dict]]:
        return {
            code: [
                {"period": p.period_code, "version": p.version, "sha256": p.sha256, "submission_id": p.id}
                for p in self.used(code, period)
            ]
            for code in self.reporting(period)
        }


def in_force_up_to(up_to, only: str | None = None, programme_id: str | None = None) -> InForce:
    """The packages in force ending on or before ``up_to`` (of one ICO with ``only``; of the ICOs of one
    programme with ``programme_id``: a programme's figures never include another's ICOs), their rows copied
    to the row cache when they are not there yet."""
    with _engine().connect() as connection:
        with Session(bind=connection) as session:
            codes = {
                i: o.code
                for i, o in organizations_by_id(session).items()
                if programme_id is None or o.programme_id == programme_id
            }
            packages = tuple(
                Package(s.id, codes[s.organization_id], s.period_code, s.version, s.sha256)
                for s in in_force(session)
                if s.organization_id in codes
                and Period.parse(s.period_code).end <= up_to
                and (only is None or codes[s.organization_id] == only)
            )
        memory = {}
        missing = [p for p in packages if not _cached(p)]
        for start in range(0, len(missing), 20):  # a few packages at a time: bounded memory
            batch = missing[start : start + 20]
            frames = _split(read_rows(connection, [p.id for p in batch]))
            for p in batch:
                if not _to_cache(p, frames.get(p.id, {})):
                    memory[p.id] = frames.get(p.id, {})
    return InForce(packages, memory)


def views_of(inputs: InForce, code: str, periods: list[Period]) -> dict[str, DataInView]:
    """The ICO's data in view for each period (member ids encoded once for all of them)."""
    own = inputs.used(code, max(periods, key=lambda p: p.end))
    encoded, index = encode_members([(p.id, rows_of(inputs, p)) for p in own])
    by_id = dict(encoded)
    return {
        period.code: assemble_view([(p.period_code, by_id[p.id]) for p in inputs.used(code, period)], member_ids=index)
        for period in periods
    }


def rows_of(inputs: InForce, package: Package) -> dict:
    """One package's typed rows per file (the row cache, else what ``in_force_up_to`` kept in memory)."""
    if package.id in inputs.memory:
        return inputs.memory[package.id]
    found = _from_cache(package)
    if found is None:  # removed since: read it again
        if os.getpid() != _PARENT:
            _engine().dispose(close=False)  # a forked worker opens its own connection
        with _engine().connect() as connection:
            found = _split(read_rows(connection, [package.id])).get(package.id, {})
    return found


def _engine() -> Engine:
    if db.engine is None:
        raise RuntimeError("no database: the engine reads rows inside an application (create_app)")
    return db.engine


def _split(frames: dict) -> dict:
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for name, f in frames.items():
        for sid, part in f.groupby("submission_id"):
            out.setdefault(sid, {})[name] = part.drop(columns=["submission_id"]).reset_index(drop=True)
    return out


# --- the row cache ------------------------------------------------------------------------------

_cache_dir: Path | None = None
_PARENT = os.getpid()


def configure_cache(folder: str | None) -> None:
    global _cache_dir
    _cache_dir = Path(folder) if folder else None
    if _cache_dir:
        _cache_dir.mkdir(parents=True, exist_ok=True)


def _stem(package: Package) -> str:
    return f"{package.id}-{package.sha256[:16]}"


def _cached(package: Package) -> bool:
    return _cache_dir is not None and (_cache_dir / f"{_stem(package)}.done").exists()


def _from_cache(package: Package) -> dict | None:
    folder = _cache_dir
    if folder is None or not _cached(package):
        return None
    found = {}
    try:
        for name in FILES:
            path = folder / f"{_stem(package)}-{name}.parquet"
            if path.exists():
                table = pq.read_table(path, use_threads=False)
                found[name] = _as_read(table.to_pandas(use_threads=False), FILES[name])
    except (OSError, ValueError, pa.ArrowException):
        log.warning("unreadable cached rows of submission %s; reading them from the database", package.id)
        (folder / f"{_stem(package)}.done").unlink(missing_ok=True)
        return None
    return found


def _to_cache(package: Package, frames: dict) -> bool:
    if _cache_dir is None:
        return False
    try:
        for name, frame in frames.items():
            path = _cache_dir / f"{_stem(package)}-{name}.parquet"
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False, nthreads=1), tmp, compression="zstd")
            os.replace(tmp, path)
        (_cache_dir / f"{_stem(package)}.done").touch()
        return True
    except (OSError, pa.ArrowException) as e:  # a cache: never fails the computation
        log.warning("could not keep the rows of submission %s in the cache: %s", package.id, type(e).__name__)
        return False


def _as_read(frame, spec):
    """The columns typed exactly as ``read_rows`` types them: Parquet gives pandas strings for text and
    keeps dates in microseconds. A column the file was cached without (added by a later dictionary version)
    is blank."""
    for col in spec.columns:
        if col.name not in frame:
            frame[col.name] = pd.Series(pd.NA, index=frame.index, dtype="Float64") if col.type == "int" else None
            continue
        if col.type == "date":
            frame[col.name] = frame[col.name].astype("datetime64[us]")
        elif col.type != "int":
            s = frame[col.name]
            frame[col.name] = s.astype(object).where(s.notna(), None)
    return frame
