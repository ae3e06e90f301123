"""Storing a checked package: the submission version, its original files, its report and (when
accepted) its rows, in one transaction. Two uploads at once get distinct versions."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from reporting import clock
from reporting.ingest.readers import PackageFile
from reporting.ingest.report import Summary
from reporting.storage.models import Organization, Submission, SubmissionFile, utcnow
from reporting.storage.rows import write_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    version: int
    status: str
    late: bool
    received_at: datetime


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
    """Write one version. ``on_stored(session, submission)`` runs inside the same transaction (audit)."""
    for attempt in range(attempts):
        try:
            with database.transaction() as session:
                # Serialise version numbers per ICO (a row lock on PostgreSQL; SQLite serialises writers).
                session.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())
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
                    on_stored(session, submission)
                return StoredSubmission(submission.id, version, status, submission.late, received)
        except (IntegrityError, OperationalError) as e:
            if attempt == attempts - 1:
                raise
            log.info(
                "version collision or lock while storing a submission (attempt %d): %s", attempt + 1, type(e).__name__
            )
            time.sleep(0.05 * (attempt + 1))
    raise RuntimeError("unreachable")
