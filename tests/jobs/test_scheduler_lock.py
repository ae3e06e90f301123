"""The scheduler's lock survives a real PostgreSQL restart: the active scheduler notices that the restart
ended its lock and stands by, so a scheduler started after the restart never runs beside it.

The test runs a private PostgreSQL server of its own (initdb in a temporary folder, on its own port), so
that restarting it disturbs nothing else the suite runs."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from reporting.storage import upgrade
from tests.conftest import free_port
from tests.jobs.test_faults import flask, stop, wait_for

pytestmark = pytest.mark.slow  # a private PostgreSQL server restarted

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(*args, **kw):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + list(args), check=True, capture_output=True, text=True, **kw)


@pytest.fixture
def private_pg():
    if not BIN:
        pytest.fail("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are needed for this test")
    folder = tempfile.mkdtemp(prefix="pg-restart-")
    os.chmod(folder, 0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = os.path.join(folder, "data"), free_port()
    _as_postgres(f"{BIN[-1]}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
    ctl = [
        f"{BIN[-1]}/pg_ctl",
        "-D",
        data,
        "-l",
        os.path.join(folder, "server.log"),
        "-w",
        "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
    ]

    class Server:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def restart(self):
            _as_postgres(*ctl, "-m", "fast", "restart")

    _as_postgres(*ctl, "start")
    try:
        yield Server()
    finally:
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + ctl + ["-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _state(log: str) -> str:
    """What a scheduler's log says it is now: the last of its active / standing-by lines."""
    marks = [(log.rfind("is the active scheduler"), "active"), (log.rfind("waiting to become"), "standby")]
    position, state = max(marks)
    return state if position >= 0 else "starting"


def test_after_a_postgresql_restart_only_one_scheduler_is_active(private_pg, tmp_path):
    upgrade(private_pg.url)
    env = dict(
        os.environ,
        DATABASE_URL=private_pg.url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="test-secret-key",
        REPORTING_ENV="test",
        SCHEDULER_POLL_SECONDS="1",
        LOG_LEVEL="INFO",
        CYCLE_FIRST_PERIOD="2015Q3",
    )
    paths = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    first = flask(["scheduler"], env, open(paths[0], "w"))
    procs = [first]

    def logs() -> list[str]:
        return [p.read_text() if p.exists() else "" for p in paths]

    def report() -> str:
        return "".join(f"\n--- {p.name}\n{text[-2500:]}" for p, text in zip(paths, logs()))

    try:
        assert wait_for(lambda: _state(logs()[0]) == "active", timeout=60), report()
        private_pg.restart()  # ends the active scheduler's session, and its lock with it
        procs.append(flask(["scheduler"], env, open(paths[1], "w")))
        assert wait_for(lambda: "scheduler lock" in logs()[0] or _state(logs()[1]) == "standby", timeout=60), report()
        time.sleep(12)  # past the lock check of both
        states = [_state(text) for text in logs()]
        assert sorted(states) == ["active", "standby"], report()
        if states[1] == "active":  # the newcomer took the lock: the first must have noticed
            assert "lost the scheduler lock" in logs()[0], report()
    finally:
        for p in procs:
            stop(p)
