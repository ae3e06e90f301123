"""The sign-in rate limit under gunicorn with several workers, counted in Redis (127.0.0.1:6379) as the
README says to configure it: the limit holds for the address across the workers."""

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow  # gunicorn with three workers

REDIS = "redis://127.0.0.1:6379/0"


def attempt(base: str, email: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": email, "password": "wrong password!", "csrf_token": token}).encode()
    try:
        with opener.open(base + "/login", data=data, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_sign_in_rate_limit_holds_across_gunicorn_workers(example_sqlite, tmp_path):
    store = redis.Redis.from_url(REDIS)
    store.ping()
    prefix = f"test-{uuid.uuid4().hex}"
    path = tmp_path / "db.sqlite3"
    shutil.copy(example_sqlite, path)
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{path}",
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="test-secret-key",
        REPORTING_ENV="development",
        LOG_LEVEL="WARNING",
        RATELIMIT_STORAGE_URI=REDIS,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_PER_ADDRESS="4 per minute",
    )
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "3", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        # three at a time, so that the three sync workers all serve some of them
        with ThreadPoolExecutor(3) as pool:
            codes = list(pool.map(lambda i: attempt(base, f"nobody{i}@example.org"), range(12)))
        assert sorted(codes) == [401] * 4 + [429] * 8, codes
        assert store.keys(f"*{prefix}*"), "the counts are kept in Redis"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        keys = store.keys(f"*{prefix}*")
        if keys:
            store.delete(*keys)
