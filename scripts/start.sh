#!/usr/bin/env bash
# One command from a fresh clone to a running service with demo data on the embedded defaults
# (SQLite in instance/, e-mail written to instance/outbox/): sets up, loads the demo, then runs
# the web server (gunicorn) and the one scheduler process until you press Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=wsgi
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export BASE_URL=${BASE_URL:-http://$HOST:$PORT}
# The demo's data end with 2015Q4: the service runs on a date in early 2016 (reporting/demo.py DEMO_TODAY), shown
# on every page. Set REPORTING_TODAY= (empty) to run on the calendar's date, or to another ISO date.
export REPORTING_TODAY=${REPORTING_TODAY-2016-03-15}

.venv/bin/flask --app wsgi init-db
.venv/bin/flask --app wsgi demo --no-sign-ins          # the sign-ins are printed once, at the end

# Sign-in limits are counted per process unless they are kept in Redis: use it when it is there.
if [ -z "${RATELIMIT_STORAGE_URI:-}" ] && .venv/bin/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  export RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0
  echo "Sign-in rate limits are kept in Redis (127.0.0.1:6379), shared by the web workers."
fi

# Their logs go to files, so that the address and the sign-ins stay the last thing on the screen.
mkdir -p instance
.venv/bin/flask --app wsgi scheduler >> instance/scheduler.log 2>&1 &
SCHED=$!
.venv/bin/gunicorn --workers "${WEB_WORKERS:-2}" --bind "$HOST:$PORT" --access-logfile instance/access.log \
  --error-logfile instance/web.log wsgi:app &
WEB=$!
trap 'kill $SCHED $WEB 2>/dev/null; wait' INT TERM EXIT
sleep 2
echo
echo "Logs: instance/web.log, instance/access.log, instance/scheduler.log"
echo "The service is running at $BASE_URL  (Ctrl-C stops it)"
echo "Demo sign-ins:"
.venv/bin/python - <<'PY'
import json, pathlib
for email, password in json.loads(pathlib.Path("instance/demo-credentials.json").read_text()).items():
    print(f"  {email:<40} {password}")
PY
wait $WEB
