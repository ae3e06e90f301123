#!/usr/bin/env bash
# The whole test suite, on SQLite and on the PostgreSQL server of this machine (and its Redis), with a real SMTP
# server (aiosmtpd) and a real browser (Debian's Chromium driven by Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# PostgreSQL on 127.0.0.1:5432 (database "test", trust auth): start it when it is down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi

# Redis on 127.0.0.1:6379 (the shared sign-in limit across web workers): start it when it is down.
if ! .venv/bin/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    redis-server --bind 127.0.0.1 --port 6379 --save "" --daemonize yes >/dev/null || true
    sleep 1
  fi
fi

# The style holds without anyone policing it: lint, format and types (pyproject.toml) before any test runs.
echo "ruff check, ruff format --check, mypy (measures/ and reporting/engine/)"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy --no-error-summary

mkdir -p test-artifacts
exec .venv/bin/python -m pytest -p no:cacheprovider -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
