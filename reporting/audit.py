"""The audit trail: who did what, when, from where. Never member data.

Service code does not know where it is called from: the edge that receives the call (the web layer) gives,
through ``set_origin``, a function that answers the signed-in user and the client address of the current
request; the CLI and the scheduler have none ("cli", or the actor they pass)."""
from __future__ import annotations

import logging
from typing import Callable

from reporting.storage import db
from reporting.storage.models import AuditEvent

log = logging.getLogger("reporting.audit")


_origin: Callable[[], tuple | None] = lambda: None      # () -> (signed-in user or None, client address)


def set_origin(fn: Callable[[], tuple | None]) -> None:
    """The edge's answer to "who, from where" for the call in progress (None outside a request)."""
    global _origin
    _origin = fn


def record(action: str, target: str = "", outcome: str = "ok", detail: dict | None = None,
           actor=None, session=None) -> None:
    """Add an audit event; in ``session`` when given (committed with the change), else on its own."""
    origin = _origin()
    if actor is None and origin is not None:
        actor = origin[0]
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or (actor if isinstance(actor, str) else "system"),
        action=action, target=str(target)[:254], outcome=outcome, detail=detail or {},
        ip=(origin[1][:64] if origin is not None else "cli"),
    )
    if session is not None:
        session.add(event)
    else:
        with db.transaction() as own:
            own.add(event)
    log.info("audit %s %s %s by %s", action, target, outcome, event.actor)


COLUMNS = ["at", "actor", "action", "target", "outcome", "ip", "detail"]


def events(session, filters, limit: int, offset: int = 0) -> list[AuditEvent]:
    """The trail, newest first, filtered as the admin page asks: ``action`` (prefix), ``actor`` (part of the
    address), ``outcome``, ``since`` and ``until`` (dates, YYYY-MM-DD, both included)."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from reporting.errors import ReportingError
    q = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.get("action"):
        q = q.where(AuditEvent.action.startswith(filters["action"].strip()))
    if filters.get("actor"):
        q = q.where(AuditEvent.actor.contains(filters["actor"].strip().lower()))
    if filters.get("outcome"):
        q = q.where(AuditEvent.outcome == filters["outcome"])
    for name in ("since", "until"):
        if filters.get(name):
            try:
                day = datetime.strptime(filters[name], "%Y-%m-%d")
            except ValueError:
                raise ReportingError(f"'{filters[name]}' is not a date: write it as YYYY-MM-DD.") from None
            q = q.where(AuditEvent.at >= day if name == "since" else AuditEvent.at < day + timedelta(days=1))
    return list(session.scalars(q.limit(limit).offset(offset)))


def rows(found: list[AuditEvent]) -> list[list]:
    """The trail as table rows (``COLUMNS``), for the CSV download."""
    return [[e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target, e.outcome, e.ip, e.detail] for e in found]
