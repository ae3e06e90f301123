"""The audit trail: who did what, when, from where. Never member data."""
from __future__ import annotations

import logging

from flask import has_request_context, request
from flask_login import current_user

from reporting.storage import db
from reporting.storage.models import AuditEvent

log = logging.getLogger("reporting.audit")


def record(action: str, target: str = "", outcome: str = "ok", detail: dict | None = None,
           actor=None, session=None) -> None:
    """Add an audit event; in ``session`` when given (committed with the change), else on its own."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or (actor if isinstance(actor, str) else "system"),
        action=action, target=str(target)[:254], outcome=outcome, detail=detail or {},
        # remote_addr is the client as the configured proxies (TRUSTED_PROXIES, ProxyFix) report it; a header a
        # client sends itself is never believed.
        ip=((request.remote_addr or "")[:64] if has_request_context() else "cli"),
    )
    if session is not None:
        session.add(event)
    else:
        with db.transaction() as own:
            own.add(event)
    log.info("audit %s %s %s by %s", action, target, outcome, event.actor)
