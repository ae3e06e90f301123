"""Short e-mails that carry news rather than a report (an inquiry's message, a preview reminder): queued under a
unique key, so a second attempt to queue the same news adds nothing, and claimed before sending, so that two
processes never send one twice. No member-level data is ever put in a notice."""
from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from reporting.delivery.providers import provider_from_config
from reporting.errors import DeliveryError
from reporting.storage import db
from reporting.storage.models import Notice, utcnow

log = logging.getLogger(__name__)


def queue(session, key: str, recipients: list[str], subject: str, body: str) -> int:
    """One pending notice per recipient not yet queued under ``key``; returns how many were added."""
    added = 0
    for email in sorted(set(recipients)):
        full = f"{key}:{email}"[:200]
        if session.scalar(select(Notice.id).where(Notice.key == full)):
            continue
        try:
            with session.begin_nested():
                session.add(Notice(key=full, recipient=email, subject=subject[:300], body=body))
            added += 1
        except IntegrityError:
            pass
    return added


def send_due() -> dict:
    """Send every pending notice once; a temporary failure is tried again at the next call (up to 5 times)."""
    cfg = current_app.config
    counts = {"sent": 0, "failed": 0}
    with db.transaction() as session:
        ids = list(session.scalars(select(Notice.id).where(Notice.status == "pending").order_by(Notice.id)))
    for notice_id in ids:
        with db.transaction() as session:
            claimed = session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == "pending")
                                      .values(status="sending", attempts=Notice.attempts + 1)).rowcount
            row = session.get(Notice, notice_id) if claimed else None
            message = _message(row, cfg) if row else None
        if message is None:
            continue
        try:
            provider_from_config(cfg).send(message, f"notice-{notice_id:06d}")
        except DeliveryError as e:
            with db.transaction() as session:
                row = session.get(Notice, notice_id)
                row.status = "failed" if e.permanent or row.attempts >= 5 else "pending"
                row.last_error = e.message[:1000]
            counts["failed"] += row.status == "failed"
            log.warning("notice %d: %s", notice_id, e.message)
            continue
        with db.transaction() as session:
            session.execute(update(Notice).where(Notice.id == notice_id).values(status="sent", sent_at=utcnow()))
        counts["sent"] += 1
    return counts


def _message(row: Notice, cfg) -> EmailMessage:
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = row.recipient
    if cfg.get("MAIL_REPLY_TO"):
        message["Reply-To"] = cfg["MAIL_REPLY_TO"]
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"notice-{row.id}",
                                       domain=cfg["MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "localhost")
    message.set_content(row.body + "\n-- \nOne Care Quality Reporting\n")
    return message
