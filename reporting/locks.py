"""Named locks shared by every process of the service: a PostgreSQL advisory lock, or on the
embedded SQLite default a file lock in the instance folder. Used so that two cycles for one period
(a scheduler and a CLI run, or two schedulers) never work at the same time."""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager

from sqlalchemy import text


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(database, lock_dir: str, name: str, wait: bool = True, timeout: float = 3600):
    """Hold the lock ``name`` for the block; with ``wait=False`` yield False at once when it is taken."""
    if database.is_postgres:
        with database.engine.connect() as connection:
            got = _pg_acquire(connection, _key(name), wait, timeout)
            try:
                yield got
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                    connection.commit()
        return
    os.makedirs(lock_dir, exist_ok=True)
    path = os.path.join(lock_dir, hashlib.sha1(name.encode()).hexdigest()[:16] + ".lock")
    with open(path, "w") as handle:
        got = _file_acquire(handle, wait, timeout)
        try:
            yield got
        finally:
            if got:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _pg_acquire(connection, key: int, wait: bool, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        connection.commit()
        if got or not wait or time.monotonic() > deadline:
            return bool(got)
        time.sleep(0.5)


def _file_acquire(handle, wait: bool, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not wait or time.monotonic() > deadline:
                return False
            time.sleep(0.2)
