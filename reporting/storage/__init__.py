"""Storage: one SQLAlchemy engine per app, a session per request (``db.session``; a view changes data in
``db.changes()``) and a fresh one per unit of service work (``db.transaction()``), Alembic migrations."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from reporting.storage.models import Base  # noqa: F401  (re-exported)

MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """The app's engine and its request-scoped session (``db.session``)."""

    def __init__(self):
        self.engine: Engine | None = None
        self.session: scoped_session | None = None
        self.url: str = ""

    def init_app(self, app) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.extensions["db"] = self

        @app.teardown_appcontext
        def _remove_session(exc=None):
            self.session.remove()

    def configure(self, url: str) -> None:
        from reporting.storage import changes

        changes.install()  # every session records the data version it changes
        self.url = url
        self.engine = make_engine(url)
        self.session = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False))

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self):
        """A fresh session whose work is committed as a whole, or rolled back as a whole: the one way service
        code (pipeline, jobs, CLI) changes data."""
        with Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def changes(self):
        """The request's session (``db.session``, which the page also reads) as one unit of work: committed when
        the block ends, rolled back when it raises, the error going on to the caller. The one way a web view
        changes data."""
        try:
            yield self.session
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a database error names the statement, never the values (member data, file bytes).
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def upgrade(url: str) -> None:
    """Apply every Alembic migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


db = Database()
