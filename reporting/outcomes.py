"""What the pipeline's stages answer their callers (web views, the API, the CLI, the scheduler): one value per
stage, read by whoever shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubmissionOutcome:
    """An upload: the version stored, whether it was accepted, and its report (JSON); ``identical_to``: the package
    repeats that version (the newest accepted), answered instead, and nothing was stored or is recomputed."""

    submission_id: int
    version: int
    accepted: bool
    late: bool
    report: dict
    identical_to: int | None = None

    @classmethod
    def of(cls, stored, accepted: bool, report: dict) -> SubmissionOutcome:
        """From what ``ingest.store`` answered (``StoredSubmission``)."""
        return cls(stored.id, stored.version, accepted, stored.late, report, stored.identical_to)

    @property
    def identical_message(self) -> str:
        return f"Identical to version {self.identical_to}; nothing changed (no new version, nothing recomputed)."


@dataclass(frozen=True)
class RunOutcome:
    """A computation of one period."""

    run_id: int
    period: str
    icos: list[str]
    results: int
    unchanged: bool  # the inputs equal those of the current run: nothing was recomputed


@dataclass(frozen=True)
class CycleOutcome:
    """A cycle (or a publication) of one period: its edition, and what was rendered and sent."""

    period: str
    edition_id: int | None
    edition_number: int | None
    status: str  # published | awaiting approval | busy
    new_edition: bool
    rendered: int
    sent: int
    failed: int
    pending: int
    timings: dict
