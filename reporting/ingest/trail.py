"""What an upload leaves behind besides its rows: the audit trail's entry, a note on the period's preview when an
accepted resubmission will refresh it, and the log line (counts only, never member data)."""

from __future__ import annotations

import logging

from reporting import audit
from reporting.ingest.readers import PackageFile
from reporting.ingest.report import Summary
from reporting.review import inquiries

log = logging.getLogger(__name__)


def on_stored(
    org_id: int,
    org_code: str,
    period_code: str,
    summary: Summary,
    files: list[PackageFile],
    uploader,
    via: str,
    *,
    in_preview: bool,
    programme_id: str,
):
    """The callback ``ingest.store`` runs inside the transaction that stores the version (``session``,
    ``submission``): both entries are written with the version or not at all. ``in_preview``: the period's
    preview is open to this ICO's resubmission. ``identical``: the package repeats ``submission``, the newest
    accepted version, and nothing was stored: the audit says so, the preview has nothing new."""
    accepted = summary.verdict == "accepted"

    def record(session, submission, identical: bool = False) -> None:
        if identical:
            audit.record(
                "upload",
                f"{org_code} {period_code} v{submission.version}",
                "identical",
                actor=uploader,
                session=session,
                detail={"via": via, "sha256": submission.sha256, "files": [f.name for f in files]},
            )
            return
        if in_preview and accepted:
            inquiries.note(
                session,
                period_code,
                f"Resubmission v{submission.version} of {org_code} accepted: the preview is refreshed at the next "
                f"cycle.",
                org_id,
                programme_id,
            )
        audit.record(
            "upload",
            f"{org_code} {period_code} v{submission.version}",
            "accepted" if accepted else "rejected",
            actor=uploader,
            session=session,
            detail={
                "via": via,
                "sha256": submission.sha256,
                "errors": summary.errors,
                "warnings": summary.warnings,
                "files": [f.name for f in files],
            },
        )

    return record


def logged(org_code: str, period_code: str, stored, summary: Summary) -> None:
    if stored.identical_to is not None:
        log.info("submission %s %s identical to v%d: nothing stored", org_code, period_code, stored.identical_to)
        return
    log.info(
        "submission %s %s v%d %s (%d errors, %d warnings)",
        org_code,
        period_code,
        stored.version,
        stored.status,
        summary.errors,
        summary.warnings,
    )
