"""The engine's inputs: the typed rows of each accepted package, read from the database once and then
from the Parquet copy in the instance folder, are the same frames either way (both databases); a
damaged copy is read from the database again; computing from either gives the same results."""

import pandas as pd

from measures import Period
from reporting.engine import inputs
from reporting.engine.inputs import in_force_up_to, rows_of
from reporting.storage import db
from reporting.storage.rows import read_rows


def test_rows_from_the_cache_equal_rows_from_the_database(example, tmp_path):
    with example.app_context():
        end = Period.parse("2015Q4").end
        cache = inputs._cache_dir
        for f in cache.glob("*"):
            f.unlink()
        loaded = in_force_up_to(end)
        assert loaded.packages and not loaded.memory
        assert len(list(cache.glob("*.done"))) == len(loaded.packages)
        with db.engine.connect() as connection:
            for package in loaded.packages:
                direct = read_rows(connection, [package.id])
                cached = rows_of(loaded, package)
                assert set(cached) == {name for name, f in direct.items() if len(f)}
                for name, frame in cached.items():
                    expected = direct[name].drop(columns=["submission_id"]).reset_index(drop=True)
                    pd.testing.assert_frame_equal(frame, expected, check_dtype=True)
        package = loaded.packages[0]
        victim = next(cache.glob(f"{package.id}-*-members.parquet"))
        victim.write_bytes(b"not parquet")
        with db.engine.connect() as connection:
            expected = read_rows(connection, [package.id])["members"].drop(columns=["submission_id"])
        pd.testing.assert_frame_equal(rows_of(loaded, package)["members"], expected.reset_index(drop=True))


def test_a_cache_that_cannot_be_written_keeps_the_rows_in_memory(example, tmp_path, monkeypatch):
    with example.app_context():
        monkeypatch.setattr(inputs, "_cache_dir", None)
        loaded = in_force_up_to(Period.parse("2014Q2").end)
        assert loaded.packages and set(loaded.memory) == {p.id for p in loaded.packages}
        assert len(rows_of(loaded, loaded.packages[0])["members"]) > 0
