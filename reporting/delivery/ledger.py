"""The delivery ledger, the service's one outbox: one row per message, a report (one per artifact of an
edition and recipient, unique) or a notice (unique per news and recipient, ``delivery.notices``), claimed in
the database before the message is sent, so that a crash, a restart or two schedulers never send a message
twice. Reports and notices follow the same states, backoff and sweep below.

States: ``pending`` → ``sending`` (claimed; stage ``connect``, then ``data`` just before the message
is handed over) → ``sent``; a temporary failure goes back to ``pending`` with a later
``next_attempt_at`` (exponential backoff), a permanent one or too many attempts to ``failed``. A row
left in ``sending`` by a process that died goes back to ``pending`` if it never reached DATA (the
server cannot have it), or becomes ``uncertain`` (the crash fell between the server's acceptance and
the commit) and is shown to admins, who may resend it; an uncertain row is never resent by itself."""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from reporting.storage.models import Delivery, utcnow

WORKER = f"{socket.gethostname()}:{__import__('os').getpid()}"


def plan(session, edition_id: int, artifact_id: int, recipients: list[tuple[str, str]]) -> int:
    """Pending rows for every (artifact, recipient) not yet in the ledger; returns how many were added."""
    have = set(session.scalars(select(Delivery.recipient).where(Delivery.artifact_id == artifact_id)))
    added = 0
    for email, reason in recipients:
        if email in have:
            continue
        try:
            with session.begin_nested():
                session.add(Delivery(edition_id=edition_id, artifact_id=artifact_id, recipient=email, reason=reason))
            added += 1
        except IntegrityError:  # another process planned it at the same moment
            pass
    return added


def due(session, edition_id: int | None = None) -> list[int]:
    now = utcnow()
    query = select(Delivery.id).where(
        Delivery.status == "pending", or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)
    )
    if edition_id is not None:
        query = query.where(Delivery.edition_id == edition_id)
    return list(session.scalars(query.order_by(Delivery.id)))


def next_due_at(session, edition_id: int | None = None):
    query = select(Delivery.next_attempt_at).where(Delivery.status == "pending")
    if edition_id is not None:
        query = query.where(Delivery.edition_id == edition_id)
    times = [t for t in session.scalars(query) if t is not None]
    pending_now = session.scalar(
        select(Delivery.id).where(Delivery.status == "pending", Delivery.next_attempt_at.is_(None))
    )
    if pending_now:
        return utcnow()
    return min(times) if times else None


def claim(session, delivery_id: int) -> bool:
    """Take the row for sending; False when another process has it (or it is not due)."""
    now = utcnow()
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "pending",
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .values(status="sending", stage="connect", claimed_at=now, claimed_by=WORKER, attempts=Delivery.attempts + 1)
    )
    return result.rowcount == 1


def mark_sent(session, delivery_id: int, message_id: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(status="sent", stage="", sent_at=utcnow(), message_id=message_id, last_error="")
    )


def mark_failure(session, delivery_id: int, error: str, permanent: bool, max_attempts: int, retry_seconds: int) -> str:
    row = session.get(Delivery, delivery_id)
    if permanent or row.attempts >= max_attempts:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = utcnow() + timedelta(seconds=retry_seconds * 2 ** (row.attempts - 1))
    row.last_error = error[:2000]
    row.stage = ""
    return row.status


def mark_stage(session, delivery_id: int, stage: str) -> None:
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "sending").values(stage=stage)
    )


def sweep_stale(session, older_than_seconds: int = 900) -> tuple[int, int]:
    """Rows left in ``sending`` by a process that died. Before DATA the server cannot have the message:
    back to ``pending`` (it is sent again). At or after DATA it may have: ``uncertain``, for an admin."""
    limit = utcnow() - timedelta(seconds=older_than_seconds)
    stale = (Delivery.status == "sending") & (Delivery.claimed_at < limit)
    retried = session.execute(
        update(Delivery)
        .where(stale, Delivery.stage != "data")
        .values(
            status="pending",
            stage="",
            next_attempt_at=None,
            last_error="The sending process stopped before the message was handed over; it is sent again.",
        )
    ).rowcount
    uncertain = session.execute(
        update(Delivery)
        .where(stale, Delivery.stage == "data")
        .values(
            status="uncertain",
            last_error="The sending process stopped while handing the message over; it "
            "may or may not have been delivered.",
        )
    ).rowcount
    return retried, uncertain


def resend(session, delivery_id: int) -> bool:
    """An admin's resend: only failed or uncertain rows go back to pending."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(["failed", "uncertain"]))
        .values(status="pending", next_attempt_at=None)
    )
    return result.rowcount == 1


def listing(session, status: str = "", limit: int = 100, offset: int = 0) -> list[Delivery]:
    """Deliveries, newest first, of one status or all (the admin's Deliveries page)."""
    query = select(Delivery).order_by(Delivery.id.desc())
    if status:
        query = query.where(Delivery.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))
