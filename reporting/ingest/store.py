"""Storing a checked package: the submission version, its original files, its report and (when
accepted) its rows, in one transaction. Two uploads at once get distinct versions; an accepted package whose bytes
(its SHA-256, ``readers.package_sha256``) or whose rows as parsed (``rows.same_rows``: line endings, file names,
column order, CSV or XLSX aside) equal the newest accepted version's is that version again, and nothing is stored
(nothing is recomputed either), also when two identical uploads arrive at once."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from reporting import clock
from reporting.ingest.readers import PackageFile
from reporting.ingest.report import Summary
from reporting.storage.models import Organization, Submission, SubmissionFile, utcnow
from reporting.storage.rows import same_rows, write_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    version: int
    status: str
    late: bool
    received_at: datetime
    identical_to: int | None = None  # the newest accepted version, whose package this one repeats: nothing stored


def store(
    database,
    *,
    org_id: int,
    period_code: str,
    due_date,
    files: list[PackageFile],
    sha256: str,
    status: str,
    report: Summary,
    frames: dict | None,
    uploader_id: int | None,
    uploader: str,
    via: str,
    on_stored=None,
    attempts: int = 8,
    received_at=None,
) -> StoredSubmission:
    """Write one version. ``on_stored(session, submission, identical)`` runs inside the same transaction (audit):
    ``identical`` when an accepted package repeats the newest accepted version, which is then answered (with
    ``identical_to``) and nothing is written. Checked with the version, under the ICO's lock: of two identical
    uploads at once, the second finds the first's version (or collides with its number and looks again)."""
    for attempt in range(attempts):
        try:
            with database.transaction() as session:
                # Serialise version numbers per ICO: a write first, so that what follows reads under it (a row lock
                # on PostgreSQL; on SQLite the database's write lock, which a SELECT ... FOR UPDATE does not take:
                # the driver begins a transaction at the first write, and three identical uploads at once made two
                # versions under load).
                session.execute(update(Organization).where(Organization.id == org_id).values(id=Organization.id))
                same = newest_accepted(session, org_id, period_code) if status == "accepted" else None
                if same is not None and _repeats(session, same, sha256, frames):
                    if on_stored:
                        on_stored(session, same, True)
                    return StoredSubmission(
                        same.id, same.version, same.status, same.late, same.received_at, same.version
                    )
                version = (
                    session.scalar(
                        select(func.max(Submission.version)).where(
                            Submission.organization_id == org_id, Submission.period_code == period_code
                        )
                    )
                    or 0
                ) + 1
                received = received_at or utcnow()
                submission = Submission(
                    organization_id=org_id,
                    period_code=period_code,
                    version=version,
                    status=status,
                    via=via,
                    uploader_id=uploader_id,
                    uploader=uploader,
                    received_at=received,
                    late=(received_at or clock.now()).date() > due_date,  # late on the service's date
                    sha256=sha256,
                    report=replace(report, version=version).as_json(),
                    error_count=report.errors,
                    warning_count=report.warnings,
                    files=[
                        SubmissionFile(name=f.name, sha256=f.sha256, size=len(f.content), content=f.content)
                        for f in files
                    ],
                )
                session.add(submission)
                session.flush()
                if frames:
                    submission.row_count = write_rows(session, submission.id, frames)
                if on_stored:
                    on_stored(session, submission, False)
                return StoredSubmission(submission.id, version, status, submission.late, received)
        except (IntegrityError, OperationalError) as e:
            if attempt == attempts - 1:
                raise
            log.info(
                "version collision or lock while storing a submission (attempt %d): %s", attempt + 1, type(e).__name__
            )
            time.sleep(0.05 * (attempt + 1))
    raise RuntimeError("unreachable")


def _repeats(session, same: Submission, sha256: str, frames: dict | None) -> bool:
    """An accepted package repeats the version ``same``: the same bytes, or the same rows as parsed (read only when
    the counts agree)."""
    if same.sha256 == sha256:
        return True
    return (
        frames is not None
        and same.row_count == sum(len(f) for f in frames.values())
        and same_rows(session.connection(), same.id, frames)
    )


def newest_accepted(session, org_id: int, period_code: str) -> Submission | None:
    """The newest accepted version of the ICO's period: the one in force."""
    return session.scalar(
        select(Submission)
        .where(
            Submission.organization_id == org_id,
            Submission.period_code == period_code,
            Submission.status == "accepted",
        )
        .order_by(Submission.version.desc())
        .limit(1)
    )
