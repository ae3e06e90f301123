"""Alembic environment: the service's metadata, one connection from the configured URL."""

from alembic import context

from reporting.storage import make_engine
from reporting.storage.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # APScheduler owns its job store table.
    return not (type_ == "table" and name == "apscheduler_jobs")


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A migration that copies a table (batch mode: a new unique key) drops the old one: with foreign keys
            # on, that would cascade into, or be refused for, the rows referring to it. Off for the migration
            # (outside any transaction, where SQLite accepts it), checked afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=include_object, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.rollback()
            if broken:
                raise RuntimeError(f"the migration left rows referring to missing rows: {broken[:5]}")
    engine.dispose()


run_migrations_online()
