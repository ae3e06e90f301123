"""Test fixtures on real components: SQLite files and the PostgreSQL server of this machine.

Every test that takes ``app`` runs once per backend in ``TEST_BACKENDS`` (default: both), except those marked
``one_backend``, which run on the first."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask

from reporting import create_app
from reporting.storage import db, upgrade
from reporting.storage.models import Base

EXAMPLES = ROOT / "tests" / "data" / "examples"  # the worked example of docs/measures.md, kept with the tests
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def cheapest_password_hashes():
    """Argon2id with its cheapest parameters (argon2-cffi's profile "for testing only") in this process: the same
    code and hash format, without ~0.4 s of both cores per user made and per sign-in (production keeps the
    library's defaults; a server process a test starts has them too)."""
    from argon2 import PasswordHasher, profiles

    from reporting import security

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", cheap)
        patch.setattr(security, "_DUMMY_HASH", cheap.hash("no such account"))
        yield


RUN = pytest.StashKey[str]()


def pytest_configure(config):
    """This run's own id, in its PostgreSQL database names: two checkouts testing at once on one server (or two
    helpers on one machine) never drop each other's databases. xdist's workers get their controller's."""
    config.stash[RUN] = getattr(config, "workerinput", {}).get("reporting_run") or uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(config, items):
    """A test marked ``one_backend`` (its subject is pages, rules, reports or files, not the storage) runs on the
    first backend of ``TEST_BACKENDS`` only; the tests of storage, ingest, jobs, delivery and publication run on
    every backend. Its other backends' runs are deselected (the summary counts them)."""

    def backend_and_rest(item) -> tuple[str | None, str]:
        params = getattr(item, "callspec", None)
        backend = next((v for v in params.params.values() if v in BACKENDS), None) if params else None
        return backend, item.nodeid.replace(f"[{backend}", "[*").replace(f"-{backend}", "-*") if backend else ""

    marked = [item for item in items if item.get_closest_marker("one_backend")]
    on_first = {rest for backend, rest in map(backend_and_rest, marked) if backend == BACKENDS[0]}
    keep, drop = [], []
    for item in items:
        backend, rest = backend_and_rest(item) if item.get_closest_marker("one_backend") else (None, "")
        (drop if backend not in (None, BACKENDS[0]) and rest in on_first else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["reporting_run"] = node.config.stash[RUN]


def pytest_sessionfinish(session):
    """The run's shared databases (snapshots) dropped once every worker is done: by the controller, or by the
    one process of a run without xdist."""
    if hasattr(session.config, "workerinput") or "postgresql" not in BACKENDS:
        return
    run = session.config.stash[RUN]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        names = c.scalars(text("SELECT datname FROM pg_database WHERE strpos(datname, :run) > 0"), {"run": run})
        for name in list(names):
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_name(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def run_tag(request, worker_name) -> str:
    """This worker's suffix for its own PostgreSQL databases."""
    return f"{request.config.stash[RUN]}_{worker_name}"


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_name) -> Path:
    """A folder every process of this run sees: the controller's base folder (each xdist worker's is in it)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_name == "main" else base.parent


def _pg_database(name: str, template: str | None = None) -> str:
    """A new, empty (or templated) database on the test server; its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- databases built once per run and copied for each test ---------------------------------------------

_BUILT: dict[tuple[str, str], str] = {}
_STEPS: dict[str, str] = {}


def snapshot(request, backend: str, name: str, source: str | None, step: Callable[[str, Path], None] | None) -> str:
    """The URL of this run's database ``name`` on ``backend``: a copy of the database at ``source`` (a URL; None: a
    new, migrated one) then ``step(url, folder)``. The first process of the run that asks builds it, holding a lock
    in the run's shared folder; the others wait for it and use it as it is. Tests never write to it: they get copies
    (``copy_for_test``)."""
    key = (name, backend)
    if key in _BUILT:
        return _BUILT[key]
    shared, run = request.getfixturevalue("shared_dir"), request.config.stash[RUN]
    done = shared / f"{name}-{backend}.url"
    with open(shared / f"{name}-{backend}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            folder = shared / f"{name}-{backend}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'db.sqlite3'}"
                if source:
                    shutil.copy(_sqlite_path(source), folder / "db.sqlite3")
            else:
                url = _pg_database(f"reporting_{name}_{run}", template=source.rsplit("/", 1)[1] if source else None)
            if source is None:
                upgrade(url)
            if step is not None:
                step(url, folder)
            if db.engine is not None:
                db.session.remove()
                db.engine.dispose()  # no connection left open: PostgreSQL copies a template nobody is connected to
            done.write_text(url)
        _BUILT[key] = done.read_text()
    return _BUILT[key]


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def copy_for_test(request, tmp_path: Path, source: str) -> Iterator[str]:
    """A test's own copy of the database at ``source`` (a snapshot's URL): a file in ``tmp_path``, or this worker's
    copy database on PostgreSQL, dropped afterwards."""
    if source.startswith("sqlite"):
        path = tmp_path / "copy.sqlite3"
        shutil.copy(_sqlite_path(source), path)
        yield f"sqlite:///{path}"
        return
    name = f"reporting_copy_{request.getfixturevalue('run_tag')}"
    yield _pg_database(name, template=source.rsplit("/", 1)[1])
    db.engine.dispose() if db.engine else None
    _drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(request) -> Path:
    return _sqlite_path(snapshot(request, "sqlite", "empty", None, None))


@pytest.fixture(scope="session")
def pg_url(run_tag) -> str:
    name = f"reporting_test_{run_tag}"
    url = _pg_database(name)
    upgrade(url)
    yield url
    db.engine.dispose() if db.engine else None
    _drop_pg_database(name)


def _truncate_pg(url: str) -> None:
    """Every table emptied, then the rule sets of a fresh database (migration 0003) seeded again."""
    from sqlalchemy.orm import Session

    from reporting.rules.store import seed_from_files

    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        c.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    with Session(engine) as s, s.begin():  # what 0003 seeds (ma-one-care's); others' at init-db (seed_programme)
        seed_from_files(s, str(ROOT / "config" / "benchmarks.csv"), str(ROOT / "config" / "withhold.csv"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate_pg(url)
        yield url


def _test_app(url: str, tmp_path: Path):
    """An app on ``url`` with its instance and outbox in ``tmp_path``; its connections closed afterwards.
    No app context is held open: each request must get its own (its own g and db.session)."""
    app = create_app(
        {
            "REPORTING_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PUBLISH_MODE": "auto",
            "OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    yield app
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    yield from _test_app(database_url, tmp_path)


class _LazySession:
    """A plain session on whichever app the test made (``app`` or ``example``), opened at first use."""

    def __init__(self):
        self._session = None

    def __getattr__(self, name):
        if self._session is None:
            from sqlalchemy.orm import Session

            self._session = Session(db.engine, expire_on_commit=False)
        return getattr(self._session, name)

    def close(self):
        if self._session is not None:
            self._session.close()


@pytest.fixture
def dbs():
    """A plain session for the test's own reads and writes, separate from any request's."""
    session = _LazySession()
    yield session
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    from reporting import accounts

    def make(email, role, ico=None, state=None, password=PASSWORD):
        with db.transaction() as s:
            user = accounts.create_user(
                s, email=email, role=role, password=password, ico=ico, state=state, actor="test"
            )
            return user.id

    return make


@pytest.fixture
def make_ico(app):
    from reporting import accounts

    def make(code, name=None, state="MA", recipients=()):
        with db.transaction() as s:
            org = accounts.add_ico(
                s, code=code, name=name or f"ICO {code}", state=state, recipients=list(recipients), actor="test"
            )
            return org.id

    return make


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_token(client, path="/login") -> str:
    import re

    response = client.get(path, follow_redirects=True)
    page = response.get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client, email, password=PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def ask(client, period, measure_id, message, **form):
    """An ICO user's inquiry through the web form (``/inquiries/new``), as they send it."""
    data = {"csrf_token": csrf_token(client, "/inquiries/new"), "period": period, "measure_id": measure_id}
    return client.post("/inquiries/new", data=data | {"message": message} | form)


@pytest.fixture
def world(app, make_ico, make_user):
    """Two ICOs in MA and one user of every role (no ICO in RI: no programme is Rhode Island's)."""
    make_ico("HA", "Health Alliance", recipients=["reports@ha.example.org"])
    make_ico("HB", "Harbor Care", recipients=["reports@hb.example.org"])
    make_user("admin@example.org", "admin")
    make_user("cms@example.org", "cms_reviewer")
    make_user("state@example.org", "state_reviewer", state="MA")
    make_user("ha@example.org", "ico_submitter", ico="HA")
    make_user("hb@example.org", "ico_submitter", ico="HB")
    return app


# --- the worked example loaded once per backend, copied per test ----------------------------------

EXAMPLE_PERIODS = ["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2015Q1", "2015Q2", "2015Q3", "2014", "2015"]
USERS = [
    ("admin@example.org", "admin", None, None),
    ("cms@example.org", "cms_reviewer", None, None),
    ("state@example.org", "state_reviewer", None, "MA"),
    ("ri@example.org", "state_reviewer", None, "RI"),
    ("ha@example.org", "ico_submitter", "HA", None),
    ("hb@example.org", "ico_submitter", "HB", None),
]


def load_example(url: str, instance: Path) -> None:
    from reporting import accounts, pipeline
    from reporting.cli_files import files_from_paths

    app = create_app(
        {"REPORTING_ENV": "test", "SECRET_KEY": "test-secret-key", "DATABASE_URL": url, "INSTANCE_PATH": str(instance)}
    )
    with app.app_context():
        with db.transaction() as s:
            accounts.add_ico(
                s, code="HA", name="Health Alliance", state="MA", recipients=["reports@ha.example.org"], actor="test"
            )
            accounts.add_ico(
                s,
                code="HB",
                name="Harbor Care",
                state="MA",
                recipients=["reports@hb.example.org", "cmo@hb.example.org"],
                actor="test",
            )
            for email, role, ico, state in USERS:
                accounts.create_user(s, email=email, role=role, password=PASSWORD, ico=ico, state=state, actor="test")
        for ico in ("HA", "HB"):
            for folder in sorted((EXAMPLES / "packages" / ico).iterdir()):
                assert pipeline.accept_package(
                    ico, folder.name, files_from_paths([folder]), uploader="test", via="cli"
                ).accepted
        pipeline.compute_many(EXAMPLE_PERIODS, trigger="test")
    db.session.remove()
    db.engine.dispose()


def example_snapshot(request, backend: str) -> str:
    """The URL of this run's worked example on ``backend`` (built once per run)."""
    empty = snapshot(request, "sqlite", "empty", None, None) if backend == "sqlite" else None
    return snapshot(request, backend, "example", empty, lambda url, folder: load_example(url, folder / "instance"))


@pytest.fixture(scope="session")
def example_sqlite(request) -> Path:
    return _sqlite_path(example_snapshot(request, "sqlite"))


@pytest.fixture(params=BACKENDS)
def example_url(request, tmp_path):
    """A fresh copy of the database with the worked example loaded and computed."""
    yield from copy_for_test(request, tmp_path, example_snapshot(request, request.param))


@pytest.fixture
def example(example_url, tmp_path):
    yield from _test_app(example_url, tmp_path)


def example_after(request, tmp_path: Path, name: str, step: Callable[[Flask], None]) -> Iterator[Flask]:
    """For a fixture parametrized on ``BACKENDS``: a test's own app on a copy of the worked example after
    ``step(app)``, which runs once per run and backend on an app like ``example``'s (``name`` is its database's),
    with the mail the step sent in the test's outbox."""
    where = f"{step.__module__}.{step.__qualname__}"
    if _STEPS.setdefault(name, where) != where:
        raise ValueError(f"{where} and {_STEPS[name]} both name their database {name!r}")

    def build(url: str, folder: Path) -> None:
        for app in _test_app(url, folder):
            step(app)

    url = snapshot(request, request.param, name, example_snapshot(request, request.param), build)
    sent = request.getfixturevalue("shared_dir") / f"{name}-{request.param}" / "outbox"
    if sent.is_dir():
        shutil.copytree(sent, tmp_path / "outbox")
    for copy in copy_for_test(request, tmp_path, url):
        yield from _test_app(copy, tmp_path)


ARTIFACTS = ROOT / "test-artifacts"


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def _cycles_2015q3_and_2015(app: Flask) -> None:
    from reporting import pipeline

    with app.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")  # editions, rendered reports, deliveries
        pipeline.run_cycle("2015", trigger="test")


@pytest.fixture(params=BACKENDS)
def cycled(request, tmp_path):
    """The worked example after the 2015Q3 and 2015 cycles (``example``'s settings), built once per run."""
    yield from example_after(request, tmp_path, "cycled_2015q3_2015", _cycles_2015q3_and_2015)
