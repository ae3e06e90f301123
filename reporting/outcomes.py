"""What the pipeline's stages answer their callers (web views, the API, the CLI, the scheduler): one value per
stage, read by whoever shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubmissionOutcome:
    """An upload: the version stored, whether it was accepted, and its report (JSON)."""

    submission_id: int
    version: int
    accepted: bool
    late: bool
    report: dict


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
