"""Issue 27 item 13: set-up on a shared machine. The start command waits, saying so, while another process holds
the package manager's lock (a real POSIX lock held by another process here, on a file of the test's own, so the
machine's apt is never blocked); each installation counts sign-in attempts under its own Redis keys."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import redis

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # shell scripts and processes of their own

WAIT = ROOT / "scripts" / "wait-for-apt.sh"
HOLD = (
    "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); "
    "print('locked', flush=True); time.sleep(float(sys.argv[2]))"
)


def _hold(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _wait(lock, limit: int) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(
        os.environ,
        APT_LOCK_FILES=f"{lock.parent / 'no-such-lock'} {lock}",
        APT_LOCK_WAIT_SECONDS=str(limit),
        APT_LOCK_POLL_SECONDS="1",
    )
    start = time.monotonic()
    done = subprocess.run(["bash", str(WAIT)], env=env, capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - start


def test_the_start_command_waits_for_the_package_managers_lock_and_says_so(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    done, took = _wait(lock, 30)
    assert done.returncode == 0 and done.stdout == "" and took < 5  # nobody holds it: straight on

    holder = _hold(lock, 3)
    done, took = _wait(lock, 30)
    holder.wait()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Waiting for the package manager: ")
    assert f"(process {holder.pid}) holds {lock}" in done.stdout
    assert took >= 2, took  # it did wait for the release

    holder = _hold(lock, 20)
    try:
        done, _ = _wait(lock, 2)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1
    assert "The package manager is still busy after 2 s: " in done.stderr and "run this command again" in done.stderr

    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert setup.index("./scripts/wait-for-apt.sh") < setup.index('apt-get "${APT[@]}" update')
    assert "./scripts/setup.sh" in (ROOT / "scripts" / "start.sh").read_text()


# One installation signing in with a wrong password N times, in a process of its own as a real installation is
# (Flask-Limiter keeps its key prefix per process): prints its prefix and the answers.
ATTEMPTS = """
import json, sys
from reporting import create_app
from tests.conftest import csrf_token
instance, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"REPORTING_ENV": "test", "SECRET_KEY": "k", "INSTANCE_PATH": instance, "DATABASE_URL": url,
                  "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "LOGIN_RATE_PER_ADDRESS": "3 per minute"})
codes = []
for _ in range(n):
    client = app.test_client()
    token = csrf_token(client)
    codes.append(client.post("/login", data={"email": "nobody@example.org", "password": "wrong password!",
                                             "csrf_token": token}).status_code)
print(json.dumps([app.config["RATELIMIT_KEY_PREFIX"], codes]))
"""


def _sign_in_failures(tmp_path, sqlite_template, name: str, n: int) -> tuple[str, list[int]]:
    instance = tmp_path / name
    instance.mkdir(exist_ok=True)
    if not (instance / "db.sqlite3").exists():
        shutil.copy(sqlite_template, instance / "db.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", ATTEMPTS, str(instance), f"sqlite:///{instance / 'db.sqlite3'}", str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    prefix, codes = json.loads(done.stdout.strip().splitlines()[-1])
    return prefix, codes


def test_two_installations_on_one_redis_count_sign_in_attempts_apart(tmp_path, sqlite_template):
    store = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefixes = []
    try:
        prefix, codes = _sign_in_failures(tmp_path, sqlite_template, "first", 4)
        prefixes.append(prefix)
        assert codes == [401, 401, 401, 429]
        assert store.keys(f"*/{prefix}/*"), "the first installation's counts are in Redis under its prefix"
        prefix, codes = _sign_in_failures(tmp_path, sqlite_template, "second", 1)  # another checkout, same machine
        prefixes.append(prefix)
        assert prefixes[0] != prefixes[1] and all(p.startswith("reporting-") for p in prefixes)
        assert codes == [401]  # not locked out by the first one's attempts
        prefix, codes = _sign_in_failures(tmp_path, sqlite_template, "first", 1)  # the first, restarted
        assert prefix == prefixes[0] and codes == [429]  # keeps its keys, and its count
    finally:
        for p in prefixes:
            keys = store.keys(f"*/{p}/*")
            if keys:
                store.delete(*keys)
