"""Queries shared by several stages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from reporting.storage.models import Organization, Submission


def in_force(session, organization_id: int | None = None) -> list[Submission]:
    """For every (ICO, period), the latest accepted version: the one in force. Its validation report (thousands of
    warnings, as JSON) is read only when asked for."""
    latest = (
        select(Submission.organization_id, Submission.period_code, func.max(Submission.version).label("v"))
        .where(Submission.status == "accepted")
        .group_by(Submission.organization_id, Submission.period_code)
    )
    if organization_id is not None:
        latest = latest.where(Submission.organization_id == organization_id)
    latest = latest.subquery()
    query = (
        select(Submission)
        .join(
            latest,
            (Submission.organization_id == latest.c.organization_id)
            & (Submission.period_code == latest.c.period_code)
            & (Submission.version == latest.c.v),
        )
        .order_by(Submission.organization_id, Submission.period_code)
        .options(defer(Submission.report))
    )
    return list(session.scalars(query))


def organizations_by_id(session) -> dict[int, Organization]:
    return {o.id: o for o in session.scalars(select(Organization))}
