"""Bulk writing and reading of package rows (one table per file kind, keyed by submission).

Writing uses COPY (of a CSV written by Arrow) on PostgreSQL and executemany on SQLite, inside the
caller's transaction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from measures.dictionary import FILES
from reporting.storage.models import ROW_TABLES


def _arrow_table(frame: pd.DataFrame, spec, submission_id: int) -> pa.Table:
    """The rows to store, typed for the database (dates, integers, text) as Arrow columns."""
    n = len(frame)
    columns = {
        "submission_id": pa.array(np.full(n, submission_id, dtype="int64")),
        "row_number": pa.array(frame["row_number"].to_numpy(dtype="int64")),
    }
    for col in spec.columns:
        s = frame[col.name]
        if col.type == "date":
            columns[col.name] = pa.array(s.to_numpy(dtype="datetime64[D]"), mask=s.isna().to_numpy(), type=pa.date32())
        elif col.type == "int":
            columns[col.name] = pa.array(s, from_pandas=True).cast(pa.int64())
        else:
            columns[col.name] = pa.array(s, type=pa.string(), from_pandas=True)
    return pa.table(columns)


def write_rows(session, submission_id: int, frames: dict[str, pd.DataFrame]) -> int:
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    postgres = connection.dialect.name == "postgresql"
    total = 0
    for name, frame in frames.items():
        if not len(frame):
            continue
        spec, table = FILES[name], ROW_TABLES[name]
        data = _arrow_table(frame, spec, submission_id)
        columns = ", ".join(data.column_names)
        cursor = raw.cursor()
        if postgres:
            # Arrow writes the CSV in C++; nulls unquoted-empty (COPY's NULL), text always quoted.
            buffer = pa.BufferOutputStream()
            pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(include_header=False))
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue().to_pybytes())
        else:
            values = [(c.cast(pa.string()) if pa.types.is_date(c.type) else c).to_pylist() for c in data.columns]
            cursor.executemany(
                f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(values))})", zip(*values)
            )
        total += len(data)
    return total


def read_rows(connection, submission_ids: list[int], files=None, chunk: int = 200_000) -> dict[str, pd.DataFrame]:
    """Typed frames per file for the given submissions, with ``submission_id`` and ``row_number``.

    Rows come through the driver untyped (no per-value conversion in Python), ``chunk`` at a time, and
    are typed per column as they come: a national quarter (millions of rows) never sits in memory as
    Python tuples."""
    out = {}
    if not submission_ids:
        return out
    ids = ", ".join(str(int(i)) for i in submission_ids)
    for name in files or FILES:
        spec, table = FILES[name], ROW_TABLES[name]
        columns = ["submission_id", "row_number"] + spec.column_names
        cursor = connection.connection.cursor()
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name} WHERE submission_id IN ({ids})")
        parts = []
        while batch := cursor.fetchmany(chunk):
            parts.append(typed_rows(pd.DataFrame.from_records(batch, columns=columns), spec))
        cursor.close()
        out[name] = (
            pd.concat(parts, ignore_index=True)
            if len(parts) > 1
            else parts[0]
            if parts
            else typed_rows(pd.DataFrame(columns=columns), spec)
        )
    return out


def typed_rows(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """The one typing of stored rows: dates as datetime64[us] (whatever pandas would infer), integers as
    Float64, text as str or None."""
    frame["submission_id"] = frame["submission_id"].astype("int64")
    frame["row_number"] = frame["row_number"].astype("int64")
    for col in spec.columns:
        s = frame[col.name]
        if col.type == "date":
            frame[col.name] = pd.to_datetime(s.astype("string"), format="%Y-%m-%d").astype("datetime64[us]")
        elif col.type == "int":
            frame[col.name] = pd.to_numeric(s).astype("Float64")
        else:
            frame[col.name] = s.astype(object).where(s.notna(), None)
    return frame


def same_rows(connection, submission_id: int, frames: dict[str, pd.DataFrame]) -> bool:
    """Whether the stored rows of ``submission_id`` are ``frames`` (typed as validated): for every file kind, the
    same values in the same order, whatever the bytes they were read from (line endings, file names, column order,
    CSV or XLSX)."""
    stored = read_rows(connection, [submission_id])
    return all(
        _comparable(stored[name], spec).equals(_comparable(frames.get(name, stored[name].iloc[:0]), spec))
        for name, spec in FILES.items()
    )


def _comparable(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """A file kind's values in row order, one dtype a column type (datetime64[us], Float64, object with None)."""
    frame = frame.sort_values("row_number", kind="stable")
    columns = {}
    for col in spec.columns:
        s = frame[col.name]
        if col.type == "date":
            columns[col.name] = s.astype("datetime64[us]")
        elif col.type == "int":
            columns[col.name] = s.astype("Float64")
        else:
            columns[col.name] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(columns).reset_index(drop=True)
