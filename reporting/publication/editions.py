"""Editions: a period's results frozen on one run, previewed, published, and revised when the
data change after publication."""
from __future__ import annotations

from sqlalchemy import func, select

from reporting import audit
from reporting.errors import ReportingError
from reporting.periods import stored
from reporting.storage.models import Edition, utcnow


def latest(session, period: str) -> Edition | None:
    return session.scalar(select(Edition).where(Edition.period_code == period).order_by(Edition.number.desc()))


def latest_published(session, period: str) -> Edition | None:
    return session.scalar(select(Edition).where(Edition.period_code == period, Edition.status.in_(["published", "superseded"]))
                          .order_by(Edition.number.desc()))


def create(session, period: str, run_id: int, publish: bool, actor: str = "", preview_until=None) -> Edition:
    """A new edition on ``run_id``: published at once, in preview until ``preview_until`` (ICOs see and question
    it), or awaiting a reviewer's approval. An earlier edition not yet published is withdrawn."""
    number = (session.scalar(select(func.max(Edition.number)).where(Edition.period_code == period)) or 0) + 1
    revised = latest_published(session, period) is not None
    for old in session.scalars(select(Edition).where(Edition.period_code == period,
                                                     Edition.status.in_(["preview", "awaiting_approval"]))):
        old.status = "withdrawn"
    from reporting.rules.store import current_rules
    year = stored(period).year
    versions = current_rules(session).versions
    edition = Edition(period_code=period, number=number, run_id=run_id, revised=revised,
                      status="preview" if preview_until is not None else "awaiting_approval", preview_until=preview_until,
                      rule_versions={str(year): versions[year]} if year in versions else {})
    session.add(edition)
    session.flush()
    if publish:
        mark_published(session, edition, actor)
    return edition


def mark_published(session, edition: Edition, actor: str, reason: str = "") -> None:
    for old in session.scalars(select(Edition).where(Edition.period_code == edition.period_code,
                                                     Edition.status == "published", Edition.id != edition.id)):
        old.status = "superseded"
    edition.status = "published"
    edition.published_at = utcnow()
    edition.approved_by = actor
    edition.publish_reason = reason


def approve(session, edition_id: int, actor) -> Edition:
    """A reviewer's approval of an edition awaiting it: published now (and recorded)."""
    edition = session.get(Edition, edition_id)
    if edition is None or edition.status != "awaiting_approval":
        raise ReportingError("Only an edition awaiting approval can be approved.", 409)
    mark_published(session, edition, getattr(actor, "email", str(actor)))
    audit.record("publish", edition.period_code, detail={"edition": edition.number, "approved": True},
                 actor=actor, session=session)
    return edition


def rules_label(edition, year: int, in_force: dict) -> str:
    """The rule set a report was (or is being) made with: the edition's record, else the one in force."""
    recorded = (getattr(edition, "rule_versions", None) or {}).get(str(year))
    if recorded is not None:
        return f"{year} v{recorded}"
    return f"{year} v{in_force[year]} (in force)" if year in in_force else "none for this year"


def published_periods(session) -> list[str]:
    """The periods with a published edition (what the nightly recompute looks at)."""
    return sorted(set(session.scalars(select(Edition.period_code).where(Edition.status == "published"))))


def unfinished(session) -> list[str]:
    """Periods whose published edition is not rendered yet (approved since the last cycle, or interrupted)."""
    return list(session.scalars(select(Edition.period_code).where(Edition.status == "published",
                                                                  Edition.rendered_at.is_(None))))
