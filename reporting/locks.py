"""Named locks shared by every process of the service: a PostgreSQL advisory lock, or on the
embedded SQLite default a file lock in the instance folder. Used so that two cycles for one period
(a scheduler and a CLI run, or two schedulers) never work at the same time."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from contextlib import contextmanager

from sqlalchemy import text

log = logging.getLogger(__name__)


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


class Leadership:
    """The scheduler's lock, held on a connection kept for it alone. ``held()`` asks the database whether this
    session still holds it: a PostgreSQL restart (or a terminated backend) ends the session and its advisory
    locks, and the active scheduler must then stand by rather than run beside a new one. On SQLite the file
    lock belongs to the process and cannot be lost."""

    def __init__(self, database, lock_dir: str, name: str):
        self.database, self.lock_dir, self.name = database, lock_dir, name
        self.connection = self.handle = None

    def acquire(self, poll: float = 1.0) -> None:
        """Wait until the lock is this process's (through database outages: it keeps trying)."""
        while True:
            try:
                if self._try():
                    return
            except Exception as e:  # the database is down or restarting: try again
                log.warning("scheduler lock: %s; trying again", type(e).__name__)
                self.release()
            time.sleep(poll)

    def _try(self) -> bool:
        if self.database.is_postgres:
            if self.connection is None:
                self.connection = self.database.engine.connect()
            return _pg_acquire(self.connection, _key(self.name), False, 0)
        os.makedirs(self.lock_dir, exist_ok=True)
        if self.handle is None:
            self.handle = open(
                os.path.join(self.lock_dir, hashlib.sha1(self.name.encode()).hexdigest()[:16] + ".lock"), "w"
            )
        return _file_acquire(self.handle, False, 0)

    def held(self) -> bool:
        if not self.database.is_postgres:
            return self.handle is not None
        if self.connection is None:
            return False
        try:
            count = self.connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
                    "AND objid = (:k & 4294967295) AND classid = ((:k >> 32) & 4294967295)"
                ),
                {"k": _key(self.name)},
            ).scalar()
            self.connection.commit()
            return bool(count)
        except Exception:
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()  # never returned to the pool: its session (and lock) ends
                self.connection.close()
            except Exception:
                pass
            self.connection = None
        if self.handle is not None:
            self.handle.close()
            self.handle = None


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
