"""Short e-mails that carry news rather than a report (an inquiry's message, a preview reminder, the admins'
failure summary). A notice is a row of the one outbox, the delivery ledger (``delivery.ledger``), without an
artifact: queued under a key unique per news and recipient, so that a second attempt to queue the same news adds
nothing, then claimed, staged, swept and retried with backoff as every report is. Nothing sends a notice where it
is queued: the scheduler's every-minute delivery job does, within a minute. No member-level data is ever put in a
notice."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reporting.storage.models import Delivery


def queue(session, key: str, recipients: list[str], subject: str, body: str) -> int:
    """One pending notice per recipient not yet queued under ``key``; returns how many were added."""
    added = 0
    for email in sorted(set(recipients)):
        full = f"{key}:{email}"[:200]
        if session.scalar(select(Delivery.id).where(Delivery.key == full)):
            continue
        try:
            with session.begin_nested():
                session.add(Delivery(key=full, recipient=email, reason="notice", subject=subject[:300], body=body))
            added += 1
        except IntegrityError:  # another process queued it at the same moment
            pass
    return added


def queued(session, key_prefix: str = "") -> list[Delivery]:
    """The notices queued (under keys starting with ``key_prefix``), oldest first."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.artifact_id.is_(None), Delivery.key.startswith(key_prefix, autoescape=True))
            .order_by(Delivery.id)
        )
    )
