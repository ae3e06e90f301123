"""The one outbox's sending: an edition's reports planned as one ledger row per report and recipient
(``plan_deliveries``; notices are queued by ``delivery.notices``), then each due row, report or notice, claimed,
built into a message by the one builder (``delivery.messages``) and sent (``deliver_due``). A message that cannot
be built fails its own row; temporary SMTP failures are retried with backoff."""

from __future__ import annotations

import logging
import time

from flask import current_app
from sqlalchemy import select

from reporting import audit, programmes
from reporting.access import ico_by_code
from reporting.artifacts import run_states
from reporting.delivery import ledger
from reporting.delivery.messages import Letter, NoticeLetter, build
from reporting.delivery.providers import provider_from_config
from reporting.errors import DeliveryError
from reporting.links import external_url
from reporting.publication import editions, figures, headlines
from reporting.publication.audience import recipients_for
from reporting.publication.reports import ReportSpec
from reporting.rules.store import as_recorded
from reporting.storage import db
from reporting.storage.models import Artifact, Delivery, Edition, utcnow

log = logging.getLogger(__name__)


def plan_deliveries(edition_id: int) -> int:
    with db.transaction() as session:
        edition = session.get(Edition, edition_id)
        states = run_states(session, edition.run_id)
        added = 0
        preview = editions.status_of(edition).is_preview
        for artifact in session.scalars(
            select(Artifact).where(Artifact.edition_id == edition_id, Artifact.preview == preview)
        ):
            added += ledger.plan(session, edition_id, artifact.id, recipients_for(session, artifact, states))
    return added


def deliver_due(edition_id: int | None = None, wait_seconds: float = 0) -> dict:
    """Send every due message of the outbox (of one edition, or all: reports and notices); wait up to
    ``wait_seconds`` for retries."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with db.transaction() as session:
            ids = ledger.due(session, edition_id)
        for delivery_id in ids:
            _deliver_one(delivery_id)
        with db.transaction() as session:
            statuses = _statuses(session, edition_id)
            next_at = ledger.next_due_at(session, edition_id)
        pending = statuses.count("pending")
        if not pending or next_at is None or time.monotonic() >= deadline:
            break
        time.sleep(max(0.05, min((next_at - utcnow()).total_seconds(), deadline - time.monotonic())))
    counts = {s: statuses.count(s) for s in ("sent", "failed", "pending", "uncertain")}
    return counts


def _statuses(session, edition_id: int | None) -> list[str]:
    """The ledger's statuses: every row, or an edition's as it stands (a published edition's reports, not the
    scorecards of its preview)."""
    if edition_id is None:
        return list(session.scalars(select(Delivery.status)))
    preview = editions.status_of(session.get(Edition, edition_id)).is_preview
    return list(
        session.scalars(
            select(Delivery.status)
            .join(Artifact, Delivery.artifact_id == Artifact.id)
            .where(Delivery.edition_id == edition_id, Artifact.preview == preview)
        )
    )


def _letter(session, row: Delivery) -> Letter | NoticeLetter:
    """What one row of the outbox says: a notice its own subject and body; a report its PDF and the headlines
    stored with it."""
    if row.is_notice:
        return NoticeLetter(row.recipient, row.subject, row.body, row.id)
    artifact, edition = row.artifact, session.get(Edition, row.edition_id)
    org = ico_by_code(session, artifact.ico) if artifact.ico else None
    link = (
        external_url("dashboards.ico", code=org.code, period=artifact.period_code)
        if org
        else external_url("dashboards.overview", period=artifact.period_code, programme=edition.programme_id)
    )
    return Letter(
        row.recipient,
        artifact.kind,
        artifact.period_code,
        org.name if org else None,
        edition.number,
        edition.revised,
        artifact.filename,
        artifact.content,
        row.id,
        link,
        edition.preview_until if artifact.preview else None,
        _headlines(session, artifact, edition),
        programmes.get(edition.programme_id).name,
    )


def _headlines(session, artifact: Artifact, edition: Edition) -> list:
    """The headlines stored with the artifact when it was rendered; for one rendered before they were stored,
    the same computed again from what its PDF read (the edition's recorded rules, the editions in force then)."""
    if artifact.headlines is not None:
        return headlines.from_json(artifact.headlines)
    return headlines.for_report(
        session,
        as_recorded(session, edition.rule_versions, edition.programme_id),
        ReportSpec(artifact.kind, artifact.period_code, artifact.ico, edition.programme_id),
        figures.as_published(session, edition),
    )


def _report_stem(session, row: Delivery) -> str:
    """An outbox file's name for a report: the delivery, the programme, the report and its period (two
    programmes' mails of one period are told apart)."""
    programme_id = session.get(Edition, row.edition_id).programme_id
    return f"{row.id:06d}-{programme_id}-{row.artifact.kind}-{row.artifact.period_code}"


def _deliver_one(delivery_id: int) -> None:
    cfg = current_app.config
    with db.transaction() as session:
        if not ledger.claim(session, delivery_id):
            return
    try:
        with db.transaction() as session:
            row = session.get(Delivery, delivery_id)
            what, recipient = row.what, row.recipient
            stem = f"{delivery_id:06d}-notice" if row.is_notice else _report_stem(session, row)
            message = build(_letter(session, row), cfg["MAIL_FROM"], cfg.get("MAIL_REPLY_TO"))
    except Exception as e:  # a message that cannot be built fails its own delivery, never the whole job
        log.exception("delivery %d: the message could not be built", delivery_id)
        with db.transaction() as session:
            ledger.mark_failure(
                session,
                delivery_id,
                f"The message could not be built ({type(e).__name__}: "
                f"{str(e)[:300]}). Correct the ICO's name or the recipient, then send it again.",
                True,
                cfg["DELIVERY_MAX_ATTEMPTS"],
                cfg["DELIVERY_RETRY_SECONDS"],
            )
        return

    def before_data():
        with db.transaction() as s:
            ledger.mark_stage(s, delivery_id, "data")

    try:
        provider_from_config(cfg).send(message, stem, before_data=before_data)
    except DeliveryError as e:
        with db.transaction() as session:
            status = ledger.mark_failure(
                session,
                delivery_id,
                e.message,
                e.permanent,
                cfg["DELIVERY_MAX_ATTEMPTS"],
                cfg["DELIVERY_RETRY_SECONDS"],
            )
            if status == "failed":
                audit.record(
                    "send",
                    what,
                    "failure",
                    actor="system",
                    session=session,
                    detail={"delivery": delivery_id, "error": e.message[:200]},
                )
        log.warning("delivery %d: %s (%s)", delivery_id, e.message, status)
        return
    with db.transaction() as session:
        ledger.mark_sent(session, delivery_id, message["Message-ID"])
        audit.record(
            "send",
            what,
            "success",
            actor="system",
            session=session,
            detail={"delivery": delivery_id, "recipient_domain": recipient.rsplit("@", 1)[-1]},
        )
