"""Bulk writing and reading of package rows (one table per file kind, keyed by submission).

Writing uses COPY on PostgreSQL and executemany on SQLite, inside the caller's transaction."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from measures.dictionary import FILES
from reporting.storage.models import ROW_TABLES


def _storable(frame: pd.DataFrame, spec, submission_id: int) -> pd.DataFrame:
    out = {"submission_id": submission_id, "row_number": frame["row_number"].astype("int64")}
    for col in spec.columns:
        s = frame[col.name]
        if col.type == "date":
            text = np.datetime_as_string(s.to_numpy(dtype="datetime64[D]"), unit="D").astype(object)
            out[col.name] = np.where(s.isna().to_numpy(), None, text)
        elif col.type == "int":
            out[col.name] = s.astype("Int64").astype(object).where(s.notna(), None)
        else:
            out[col.name] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out)


def write_rows(session, submission_id: int, frames: dict[str, pd.DataFrame]) -> int:
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    postgres = connection.dialect.name == "postgresql"
    total = 0
    for name, frame in frames.items():
        if not len(frame):
            continue
        spec, table = FILES[name], ROW_TABLES[name]
        data = _storable(frame, spec, submission_id)
        columns = list(data.columns)
        if postgres:
            buffer = io.StringIO()
            data.to_csv(buffer, index=False, header=False, na_rep="\\N")
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN "
                             f"WITH (FORMAT csv, NULL '\\N')") as copy:
                copy.write(buffer.getvalue())
        else:
            cursor = raw.cursor()
            cursor.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               list(data.itertuples(index=False, name=None)))
        total += len(data)
    return total


def read_rows(connection, submission_ids: list[int], files=None) -> dict[str, pd.DataFrame]:
    """Typed frames per file for the given submissions, with ``submission_id`` and ``row_number``.

    Rows come through the driver untyped (no per-value conversion in Python) and are typed per column."""
    out = {}
    if not submission_ids:
        return out
    ids = ", ".join(str(int(i)) for i in submission_ids)
    for name in (files or FILES):
        spec, table = FILES[name], ROW_TABLES[name]
        columns = ["submission_id", "row_number"] + spec.column_names
        cursor = connection.connection.cursor()
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name} WHERE submission_id IN ({ids})")
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        cursor.close()
        for col in spec.columns:
            s = frame[col.name]
            if col.type == "date":
                frame[col.name] = pd.to_datetime(s.astype("string"), format="%Y-%m-%d")
            elif col.type == "int":
                frame[col.name] = pd.to_numeric(s).astype("Float64")
            else:
                frame[col.name] = s.astype(object).where(s.notna(), None)
        out[name] = frame
    return out
