"""The data version: every committed transaction that wrote anything a page can show adds one row to
``data_changes``, from SQLAlchemy's session events, for every session of the process (web requests, the
scheduler, the CLI, services opening their own ``Session``). The page cache keys pages by the newest id, so
a page can never be older than the data behind it, and no writer has to remember to say it wrote (an audit
event used to stand in for this). The row is written inside the transaction, so the version a reader sees
changes exactly when the data does (and not at all on a rollback). Job bookkeeping does not count."""
from __future__ import annotations

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from reporting.storage.models import DataChange, JobRun, utcnow

_KEY = "reporting.data_changed"
_IGNORED = (JobRun, DataChange)
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
    return any(not isinstance(o, _IGNORED) for o in objects)


def _after_flush(session, flush_context) -> None:
    if _counts(session.new) or _counts(session.dirty) or _counts(session.deleted):
        session.info[_KEY] = True


def _on_execute(state) -> None:
    """Bulk UPDATE/DELETE/INSERT statements (a conditional close, a row COPY) change data without objects."""
    if (state.is_update or state.is_delete or state.is_insert) and not state.statement.table.name == "data_changes":
        state.session.info[_KEY] = True


def _before_commit(session) -> None:
    pending = _counts(session.new) or _counts(session.dirty) or _counts(session.deleted)
    if pending or session.info.get(_KEY):
        session.execute(insert(DataChange).values(at=utcnow()))


def _clear(session) -> None:
    session.info.pop(_KEY, None)
