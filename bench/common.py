"""Helpers shared by the benchmarks: an app on a given database, medians, peak memory."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(kind: str, folder: Path) -> str:
    from sqlalchemy import create_engine, text

    from reporting.storage import upgrade

    if kind == "sqlite":
        path = folder / "bench.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        name = f"reporting_bench_{os.getpid()}"  # this run's own: two benchmarks at once never share one
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    return url


def make_app(url: str, folder: Path, **extra):
    from reporting import create_app

    return create_app(
        {
            "REPORTING_ENV": "test",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "OUTBOX_DIR": str(folder / "outbox"),
            **extra,
        }
    )


def timed(fn, runs: int = 3):
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def section(title: str):
    print(f"\n== {title}", flush=True)
    yield
