"""The audit trail: who did what, when, from where. Never member data.

Service code does not know where it is called from: the edge that receives the call (the web layer) gives,
through ``set_origin``, a function that answers the signed-in user and the client address of the current
request; the CLI and the scheduler have none ("cli", or the actor they pass)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from reporting.errors import ReportingError
from reporting.storage import db
from reporting.storage.models import AuditEvent

log = logging.getLogger("reporting.audit")


_origin: Callable[[], tuple | None] = lambda: None  # () -> (signed-in user or None, client address)


def set_origin(fn: Callable[[], tuple | None]) -> None:
    """The edge's answer to "who, from where" for the call in progress (None outside a request)."""
    global _origin
    _origin = fn


def record(
    action: str, target: str = "", outcome: str = "ok", detail: dict | None = None, actor=None, session=None
) -> None:
    """Add an audit event; in ``session`` when given (committed with the change), else on its own."""
    origin = _origin()
    if actor is None and origin is not None:
        actor = origin[0]
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or (actor if isinstance(actor, str) else "system"),
        action=action,
        target=str(target)[:254],
        outcome=outcome,
        detail=detail or {},
        ip=(origin[1][:64] if origin is not None else "cli"),
    )
    if session is not None:
        session.add(event)
    else:
        with db.transaction() as own:
            own.add(event)
    log.info("audit %s %s %s by %s", action, target, outcome, event.actor)


COLUMNS = ["at", "actor", "action", "target", "outcome", "ip", "detail"]


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # the dates a filter may name


def events(session, filters, limit: int, offset: int = 0) -> list[AuditEvent]:
    """The trail, newest first, filtered as the admin page asks: ``action`` (prefix), ``actor`` (part of the
    address), ``outcome``, ``since`` and ``until`` (dates, YYYY-MM-DD, both included). A filter that is not one
    raises ``ReportingError`` saying what to write instead."""
    q = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    for name in ("action", "actor", "outcome"):
        value = filters.get(name) or ""
        if len(value) > 254 or any(ord(c) < 32 for c in value):
            raise ReportingError(
                f"The {name} filter is not plain text of at most 254 characters: clear it and try again."
            )
    if filters.get("action"):
        q = q.where(AuditEvent.action.startswith(filters["action"].strip()))
    if filters.get("actor"):
        q = q.where(AuditEvent.actor.contains(filters["actor"].strip().lower()))
    if filters.get("outcome"):
        q = q.where(AuditEvent.outcome == filters["outcome"])
    days = {}
    for name, label in (("since", "From"), ("until", "To")):
        raw = (filters.get(name) or "").strip()
        if not raw:
            continue
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").date() if raw.isascii() else None
        except ValueError:
            day = None
        if day is None:
            raise ReportingError(f"{label} '{raw[:40]}' is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31.")
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ReportingError(
                f"{label} {raw} is outside the dates the trail covers: give a date from "
                f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}, or leave it empty."
            )
        days[name] = day
        start = datetime.combine(day, time.min)
        q = q.where(AuditEvent.at >= start if name == "since" else AuditEvent.at < start + timedelta(days=1))
    if "since" in days and "until" in days and days["since"] > days["until"]:
        raise ReportingError(
            f"From ({days['since'].isoformat()}) is after To ({days['until'].isoformat()}): swap them."
        )
    return list(session.scalars(q.limit(limit).offset(offset)))


def rows(found: list[AuditEvent]) -> list[list]:
    """The trail as table rows (``COLUMNS``), for the CSV download."""
    return [[e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target, e.outcome, e.ip, e.detail] for e in found]
