"""Test fixtures on real components: SQLite files and the PostgreSQL server of this machine.

Every test that takes ``app`` runs once per backend in ``TEST_BACKENDS`` (default: both)."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reporting import create_app  # noqa: E402
from reporting.storage import db, upgrade  # noqa: E402
from reporting.storage.models import Base  # noqa: E402

SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
EXAMPLES = SHARED / "spec" / "examples"
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def worker_name(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url(worker_name) -> str:
    name = f"reporting_test_{worker_name}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        c.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
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


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "REPORTING_ENV": "test", "TESTING": True, "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    })
    # No app context is held open: each request must get its own (its own g and db.session).
    yield app
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def dbs(app):
    """A plain session for the test's own reads and writes, separate from any request's."""
    from sqlalchemy.orm import Session
    with Session(db.engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    from reporting import accounts

    def make(email, role, ico=None, state=None, password=PASSWORD):
        with db.transaction() as s:
            user = accounts.create_user(s, email=email, role=role, password=password, ico=ico, state=state, actor="test")
            return user.id
    return make


@pytest.fixture
def make_ico(app):
    from reporting import accounts

    def make(code, name=None, state="MA", recipients=()):
        with db.transaction() as s:
            org = accounts.add_ico(s, code=code, name=name or f"ICO {code}", state=state,
                                   recipients=list(recipients), actor="test")
            return org.id
    return make


def csrf_token(client, path="/login") -> str:
    import re
    response = client.get(path, follow_redirects=True)
    page = response.get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client, email, password=PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def world(app, make_ico, make_user):
    """Two ICOs in MA, one in RI, and one user of every role."""
    make_ico("HA", "Health Alliance", recipients=["reports@ha.example.org"])
    make_ico("HB", "Harbor Care", recipients=["reports@hb.example.org"])
    make_ico("RI1", "Ocean State Care", state="RI")
    make_user("admin@example.org", "admin")
    make_user("cms@example.org", "cms_reviewer")
    make_user("state@example.org", "state_reviewer", state="MA")
    make_user("ha@example.org", "ico_submitter", ico="HA")
    make_user("hb@example.org", "ico_submitter", ico="HB")
    return app
