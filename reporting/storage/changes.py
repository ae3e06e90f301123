"""The data version: every committed transaction that wrote anything a page can show adds one row to
``data_changes``, from SQLAlchemy's session events, for every session of the process (web requests, the
scheduler, the CLI, services opening their own ``Session``). The page cache keys pages by the newest id, so
a page can never be older than the data behind it, and no writer has to remember to say it wrote (an audit
event used to stand in for this). The row is written inside the transaction, so the version a reader sees
changes exactly when the data does (and not at all on a rollback).

Only what pages show counts: bookkeeping (``BOOKKEEPING``: the audit trail, API tokens' last use, users' sign-in
times and sessions, job runs, deliveries, notices, schedules) never moves the version, so that sign-ins,
downloads and API calls leave the page cache alone. The table keeps the newest ``KEEP`` rows (pruned every
``PRUNE_EVERY`` versions), which is all the version needs."""

from __future__ import annotations

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from reporting.storage.models import ApiToken, AuditEvent, DataChange, Delivery, JobRun, Schedule, User, utcnow

_KEY = "reporting.data_changed"
# what no cached page shows (a page's viewer is keyed by role, ICO and state; the name in the header is filled
# in per request)
BOOKKEEPING = (DataChange, AuditEvent, ApiToken, User, JobRun, Delivery, Schedule)
_IGNORED_TABLES = {m.__tablename__ for m in BOOKKEEPING}
KEEP = 1000
VERSION_LOCK = 0x646174615F766572  # the advisory lock the data versions are numbered under (PostgreSQL)
PRUNE_EVERY = 100
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _clear)
    event.listen(Session, "after_rollback", _clear)
    _installed = True


def data_version(session) -> int:
    return session.scalar(select(func.max(DataChange.id))) or 0


def _counts(objects) -> bool:
    return any(getattr(o, "__tablename__", None) not in _IGNORED_TABLES for o in objects)


def _after_flush(session, flush_context) -> None:
    if _counts(session.new) or _counts(session.dirty) or _counts(session.deleted):
        session.info[_KEY] = True


def _on_execute(state) -> None:
    """Bulk UPDATE/DELETE/INSERT statements (a conditional close, a row COPY) change data without objects."""
    if (state.is_update or state.is_delete or state.is_insert) and getattr(
        getattr(state.statement, "table", None), "name", None
    ) not in _IGNORED_TABLES:
        state.session.info[_KEY] = True


def _before_commit(session) -> None:
    pending = _counts(session.new) or _counts(session.dirty) or _counts(session.deleted)
    if pending or session.info.get(_KEY):
        if session.connection().dialect.name == "postgresql":
            # A sequence numbers transactions in the order they ask, not the order they commit: one numbered n
            # committing after n + 1 would leave pages rendered in between (without its data) current. Numbers are
            # handed out under a lock held to the commit, so they commit in order; the rows this transaction writes
            # are flushed first, so that holding the lock it waits for nothing else (no deadlock with a writer
            # waiting for it).
            session.flush()
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": VERSION_LOCK})
        version = session.execute(insert(DataChange).values(at=utcnow())).inserted_primary_key[0]
        if version and version % PRUNE_EVERY == 0:
            session.execute(delete(DataChange).where(DataChange.id <= version - KEEP))


def _clear(session) -> None:
    session.info.pop(_KEY, None)
