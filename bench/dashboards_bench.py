"""Benchmark (issues 5 and 16): gunicorn with 4 workers serving the demo data (or, with ``--national``,
40 ICOs and 400,000 members: ``bench/national.py``, four quarters and the year computed); 20 concurrent
clients browse the overview, ICO and measure pages for 60 s (after a warm-up). Reports requests per
second, p50/p95/p99 latency and errors. Target: p95 under 200 ms, no errors.
Usage: .venv/bin/python bench/dashboards_bench.py [--national] [--seconds 60] [--clients 20]"""

import argparse
import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import ROOT, fresh_database, make_app, section

PASSWORD = "benchmark password 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path) -> str:
    url = fresh_database("sqlite", folder)
    app = make_app(url, folder)
    with app.app_context():
        from reporting import accounts, demo_setup, pipeline
        from reporting.storage import db

        demo_setup.ensure_accounts()
        demo_setup.load_data(2014)
        pipeline.compute_many(demo_setup.demo.PERIODS + ["2014", "2015"], trigger="bench", warm=True)
        with db.transaction() as s:
            accounts.create_user(s, email="bench@example.org", role="cms_reviewer", password=PASSWORD, actor="bench")
    return url


def prepare_national(folder: Path) -> str:
    import national

    url = national.database(folder)
    national.instance_programmes(folder)
    app = make_app(url, folder)
    with app.app_context():
        from reporting import accounts, pipeline
        from reporting.storage import db

        t = time.perf_counter()
        for programme in national.PROGRAMMES:  # each programme's ICOs, never pooled across
            pipeline.compute_many(list(national.QUARTERS) + ["2015"], trigger="bench", warm=True, programme=programme)
        print(f"national: four quarters and the year computed in {time.perf_counter() - t:.0f} s (not timed below)")
        with db.transaction() as s:
            accounts.create_user(s, email="bench@example.org", role="cms_reviewer", password=PASSWORD, actor="bench")
    return url


class Client:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as r:
            body = r.read()
            # a real page for a signed-in viewer, not a redirect to the sign-in page
            if r.status == 200 and (
                urllib.parse.urlsplit(r.geturl()).path != urllib.parse.urlsplit(path).path or b"Sign out" not in body
            ):
                return "not the page asked for", body
            return r.status, body

    def login(self):
        _, page = self.get("/login")
        token = (
            re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
            or re.search(rb'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
            or re.search(rb'value="([^"]+)"', page[page.find(b"csrf_token") :])
        )
        data = urllib.parse.urlencode(
            {"email": "bench@example.org", "password": PASSWORD, "csrf_token": token.group(1).decode()}
        ).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=30) as r:
            r.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--national", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = prepare_national(folder) if args.national else prepare(folder)
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        INSTANCE_PATH=str(folder / "instance"),
        SECRET_KEY="bench",
        REPORTING_ENV="development",
        LOG_LEVEL="WARNING",
        LOGIN_RATE_PER_ADDRESS="1000 per minute",
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        from measures import REGISTRY

        if args.national:
            import national

            from reporting import programmes

            sets = {  # each programme's measures, the third's from the instance folder as the server reads it
                p.id: p.measures
                for p in programmes.load([programmes.SHIPPED, folder / "instance" / "programmes"]).values()
            }
            paths = [f"/icos/{c}" for c in national.codes(40)]
            for p in national.PROGRAMMES:  # every programme's overview and measure pages, "By group" included
                paths += [f"/overview?programme={p}", f"/overview?programme={p}&period=2015"]
                paths += [f"/overview?programme={p}&period={q}" for q in ("2015Q1", "2015Q3")]
                paths += [f"/measures/{m}?programme={p}" for m in REGISTRY if m in sets[p]]
                paths += [f"/measures/{m}?programme={p}&period=2015Q4#by-group" for m in REGISTRY if m in sets[p]]
        else:
            paths = (
                ["/overview", "/overview?period=2015Q2", "/overview?period=2015", "/overview?period=2014Q3"]
                + [f"/icos/{c}" for c in ("CCA", "FTC", "NHP")]
                + [f"/measures/{m}" for m in REGISTRY]
            )
        clients = [Client(base) for _ in range(args.clients)]
        for c in clients:
            c.login()
            status, body = c.get("/overview")
            assert status == 200 and b"bench@example.org" in body and b'data-measure="' in body, status
        latencies, errors, lock = [], [], threading.Lock()
        stop_at = [0.0]
        measuring = [False]

        def browse(client, seed):
            rnd = random.Random(seed)
            while time.monotonic() < stop_at[0]:
                path = rnd.choice(paths)
                t = time.perf_counter()
                try:
                    status, _ = client.get(path)
                    ok = status == 200
                except Exception as e:
                    ok, status = False, repr(e)
                elapsed = time.perf_counter() - t
                if measuring[0]:
                    with lock:
                        latencies.append(elapsed)
                        if not ok:
                            errors.append((path, status))

        with section(f"{args.clients} clients, gunicorn 4 workers, {args.seconds} s after {args.warmup} s warm-up"):
            stop_at[0] = time.monotonic() + args.warmup + args.seconds
            threads = [threading.Thread(target=browse, args=(c, i)) for i, c in enumerate(clients)]
            for t in threads:
                t.start()
            time.sleep(args.warmup)
            measuring[0] = True
            started = time.monotonic()
            for t in threads:
                t.join()
            duration = time.monotonic() - started
            q = statistics.quantiles(latencies, n=100)
            print(f"requests {len(latencies):,} in {duration:.0f} s: {len(latencies) / duration:.1f} per second")
            print(
                f"latency p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms; errors {len(errors)} (target: p95 < 200 ms, no errors)"
            )
            if errors:
                print("first errors:", errors[:5])
            if args.national:
                print()
                print(f"TARGET national_dashboards_p95: {q[94] * 1000:.0f} ms (target < 200)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
