"""Editions: a period's results frozen on one run, previewed, published, and revised when the data change after
publication. The one home of an edition's life: its states (``EditionStatus``), every transition and the queries
other modules ask ("the period's preview", "its published edition", "what is unfinished").

    create ──► preview ───────────┬──(publish)──► published ──(a newer one is published)──► superseded
           ──► awaiting_approval ─┤  (approve)
           ──► published          └──(a newer edition opens)──► withdrawn

``superseded`` and ``withdrawn`` are final. Publishing sets ``rendered_at`` back to empty: the published
reports are still to be rendered (a preview's were marked "Preview"), and an interrupted publication is found
again by ``unfinished``."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import func, select

from reporting import audit
from reporting.errors import ReportingError
from reporting.periods import stored
from reporting.storage.models import DEFAULT_PROGRAMME, Edition, ResultRun, utcnow


class EditionStatus(StrEnum):
    """What the ``editions.status`` column holds."""

    PREVIEW = "preview"  # ICOs see and question it; not public
    AWAITING_APPROVAL = "awaiting_approval"  # a reviewer approves it (PUBLISH_MODE=approval); ICOs do not see it
    PUBLISHED = "published"  # the period's public edition
    SUPERSEDED = "superseded"  # was published; a newer edition of the period replaced it
    WITHDRAWN = "withdrawn"  # never published; a newer edition of the period replaced it

    @property
    def is_preview(self) -> bool:
        return self is EditionStatus.PREVIEW

    @property
    def is_public(self) -> bool:
        """The period's edition in force for everyone (the public page, open data, FHIR)."""
        return self is EditionStatus.PUBLISHED

    @property
    def was_published(self) -> bool:
        """Published once (in force, or replaced since): part of what was in force at an earlier date."""
        return self in (EditionStatus.PUBLISHED, EditionStatus.SUPERSEDED)

    @property
    def is_pending(self) -> bool:
        """Not published yet and still the period's newest: in preview or awaiting approval."""
        return self in (EditionStatus.PREVIEW, EditionStatus.AWAITING_APPROVAL)

    @property
    def is_final(self) -> bool:
        return self in (EditionStatus.SUPERSEDED, EditionStatus.WITHDRAWN)

    @property
    def visible_to_icos(self) -> bool:
        """An ICO's users see a preview or a published edition, never one awaiting a reviewer's approval."""
        return self in (EditionStatus.PREVIEW, EditionStatus.PUBLISHED)


S = EditionStatus
TRANSITIONS: dict[EditionStatus, frozenset[EditionStatus]] = {
    S.PREVIEW: frozenset({S.PUBLISHED, S.WITHDRAWN}),
    S.AWAITING_APPROVAL: frozenset({S.PUBLISHED, S.WITHDRAWN}),
    S.PUBLISHED: frozenset({S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
PUBLISHED_ONCE = (S.PUBLISHED, S.SUPERSEDED)
PENDING = (S.PREVIEW, S.AWAITING_APPROVAL)


class TransitionRefused(ReportingError):
    status = 409
    title = "Not possible in this edition's state"


def status_of(edition) -> EditionStatus:
    return EditionStatus(edition.status)


def allowed(now: EditionStatus | str, to: EditionStatus | str) -> bool:
    return EditionStatus(to) in TRANSITIONS[EditionStatus(now)]


def _move(edition: Edition, to: EditionStatus) -> None:
    now = status_of(edition)
    if to not in TRANSITIONS[now]:
        raise TransitionRefused(
            f"Edition {edition.number} of {edition.period_code} is {now.replace('_', ' ')}: it "
            f"cannot become {to.replace('_', ' ')}."
        )
    edition.status = to


# --- queries ------------------------------------------------------------------------------------


# Editions are numbered per (programme, period): each query takes the programme's id (default: One Care's).


def _of(period: str, programme_id: str):
    return (Edition.programme_id == programme_id, Edition.period_code == period)


def _newest(session, period: str, statuses, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    return session.scalar(
        select(Edition)
        .where(*_of(period, programme_id), Edition.status.in_(list(statuses)))
        .order_by(Edition.number.desc())
    )


def latest(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    return session.scalar(select(Edition).where(*_of(period, programme_id)).order_by(Edition.number.desc()))


def latest_published(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    """The newest edition ever published of the period (in force, or superseded)."""
    return _newest(session, period, PUBLISHED_ONCE, programme_id)


def published_of(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    """The period's published edition, in force now."""
    return _newest(session, period, [S.PUBLISHED], programme_id)


def preview_of(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    return _newest(session, period, [S.PREVIEW], programme_id)


def pending_of(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    """The period's edition not yet published (in preview or awaiting approval), if any."""
    return _newest(session, period, PENDING, programme_id)


def in_preview(session) -> list[Edition]:
    """Every edition in preview, by period (the banner that says a period's figures are not published yet)."""
    return list(session.scalars(select(Edition).where(Edition.status == S.PREVIEW).order_by(Edition.period_code)))


def awaiting_approval(session) -> list[Edition]:
    return list(
        session.scalars(select(Edition).where(Edition.status == S.AWAITING_APPROVAL).order_by(Edition.period_code))
    )


def shown_to_user(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    """The edition a period's results are shown from (the API's results): the newest pending or published."""
    return _newest(session, period, (S.PREVIEW, S.AWAITING_APPROVAL, S.PUBLISHED), programme_id)


def open_to_inquiries(session, programme_id: str = DEFAULT_PROGRAMME) -> list[Edition]:
    """For each period of the programme, its newest edition when inquiries may be opened on it: in preview, or
    published and revised. Newest first."""
    rows = session.scalars(
        select(Edition)
        .where(Edition.programme_id == programme_id, Edition.status.in_([S.PREVIEW, S.PUBLISHED]))
        .order_by(Edition.created_at.desc(), Edition.number.desc())
    ).all()
    seen, out = set(), []
    for e in rows:
        if e.period_code not in seen and (e.status == S.PREVIEW or e.revised):
            out.append(e)
        seen.add(e.period_code)
    return out


def published_periods(session, programme_id: str = DEFAULT_PROGRAMME) -> list[str]:
    """The programme's periods with a published edition (what the nightly recompute looks at)."""
    return sorted(
        set(
            session.scalars(
                select(Edition.period_code).where(Edition.programme_id == programme_id, Edition.status == S.PUBLISHED)
            )
        )
    )


def unfinished(session, programme_id: str | None = DEFAULT_PROGRAMME) -> list[str]:
    """The programme's periods whose published edition or open preview is not rendered yet (approved or published
    since the last cycle, opened by a web request that left its reports to the scheduler, or interrupted).
    ``programme_id=None``: ``(programme, period)`` pairs of every programme."""
    query = select(Edition.programme_id, Edition.period_code).where(
        Edition.status.in_([S.PUBLISHED, S.PREVIEW]), Edition.rendered_at.is_(None)
    )
    if programme_id is None:
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
    return [period for pid, period in session.execute(query) if pid == programme_id]


def rules_in_force(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> dict:
    """The rule set versions an edition of the programme's ``period`` made now records (year -> version)."""
    from reporting.rules.store import current_rules  # rules.store asks this module for editions: a cycle

    year = stored(period).year
    versions = current_rules(session, programme_id).versions
    return {str(year): versions[year]} if year in versions else {}


def stands_for_now(session, edition: Edition, run_id: int) -> bool:
    """Whether ``edition`` is made of the period's newest computation (``run_id``) with the rules in force."""
    return edition.run_id == run_id and (edition.rule_versions or {}) == rules_in_force(
        session, edition.period_code, edition.programme_id
    )


# --- transitions --------------------------------------------------------------------------------


def create(
    session, period: str, run_id: int, publish: bool, actor: str = "", preview_until=None, reason: str = ""
) -> Edition:
    """A new edition on ``run_id``: published at once, in preview until ``preview_until`` (ICOs see and question
    it), or awaiting a reviewer's approval. An earlier edition not yet published is withdrawn. The edition is
    the run's programme's, numbered within its (programme, period)."""
    programme_id = session.get(ResultRun, run_id).programme_id
    number = (session.scalar(select(func.max(Edition.number)).where(*_of(period, programme_id))) or 0) + 1
    revised = latest_published(session, period, programme_id) is not None
    for old in session.scalars(select(Edition).where(*_of(period, programme_id), Edition.status.in_(PENDING))):
        withdraw(session, old)
    edition = Edition(
        programme_id=programme_id,
        period_code=period,
        number=number,
        run_id=run_id,
        revised=revised,
        status=S.PREVIEW if preview_until is not None and not publish else S.AWAITING_APPROVAL,
        preview_until=None if publish else preview_until,
        rule_versions=rules_in_force(session, period, programme_id),
    )
    session.add(edition)
    session.flush()
    if publish:
        mark_published(session, edition, actor, reason)
    return edition


def open_preview(session, period: str, run_id: int, until, actor: str = "") -> Edition:
    return create(session, period, run_id, publish=False, actor=actor, preview_until=until)


def hold(session, period: str, run_id: int, actor: str = "") -> Edition:
    """A new edition awaiting a reviewer's approval (PUBLISH_MODE=approval)."""
    return create(session, period, run_id, publish=False, actor=actor)


def supersede(session, edition: Edition) -> None:
    """A published edition replaced by a newer published one of its period."""
    _move(edition, S.SUPERSEDED)


def withdraw(session, edition: Edition) -> None:
    """An edition never published, replaced by a newer one of its period."""
    _move(edition, S.WITHDRAWN)


def mark_published(session, edition: Edition, actor: str, reason: str = "") -> None:
    """Publish ``edition``: the period's edition published before it is superseded; its reports are to be rendered
    as published."""
    _move(edition, S.PUBLISHED)
    for old in session.scalars(
        select(Edition).where(
            *_of(edition.period_code, edition.programme_id), Edition.status == S.PUBLISHED, Edition.id != edition.id
        )
    ):
        supersede(session, old)
    edition.published_at = utcnow()
    edition.approved_by = actor
    edition.publish_reason = reason
    edition.rendered_at = None


def approve(session, edition_id: int, actor) -> Edition:
    """A reviewer's approval of an edition awaiting it: published now (and recorded)."""
    edition = session.get(Edition, edition_id)
    if edition is None or edition.status != S.AWAITING_APPROVAL:
        raise TransitionRefused("Only an edition awaiting approval can be approved.")
    mark_published(session, edition, getattr(actor, "email", str(actor)))
    audit.record(
        "publish",
        edition.period_code,
        detail={"edition": edition.number, "approved": True},
        actor=actor,
        session=session,
    )
    return edition


def rendered(session, edition_id: int) -> None:
    session.get(Edition, edition_id).rendered_at = utcnow()


def rules_label(edition, year: int, in_force: dict) -> str:
    """The rule set a report was (or is being) made with: the edition's record, else the one in force."""
    recorded = (getattr(edition, "rule_versions", None) or {}).get(str(year))
    if recorded is not None:
        return f"{year} v{recorded}"
    return f"{year} v{in_force[year]} (in force)" if year in in_force else "none for this year"
