"""Preview windows and their publication. In ``PUBLISH_MODE=preview`` a new edition opens in preview for
``PREVIEW_DAYS``; the cycle publishes it once the window has passed and none of the period's inquiries is open.
While inquiries stay open past the window it publishes nothing and reminds the reviewers once a day. A reviewer
(or the operator, with ``publish``) may publish anyway, with a written reason."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from reporting import audit, clock, programmes
from reporting.access import reviewers_of
from reporting.delivery import notices
from reporting.engine.store import current_run
from reporting.errors import ReportingError
from reporting.links import external_url
from reporting.publication import editions
from reporting.publication.editions import EditionStatus
from reporting.review.inquiries import note, open_for_period, resubmission_allowed
from reporting.storage.models import DEFAULT_PROGRAMME, Edition, ResultRun
from reporting.storage.queries import in_force


def window_end():
    """The end of a preview window opened now, on the service clock."""
    return clock.now() + timedelta(days=current_app.config["PREVIEW_DAYS"])


def edition_for(
    session, period: str, trigger: str, force_new: bool = False, programme_id: str = DEFAULT_PROGRAMME
) -> tuple[Edition, bool]:
    """The (programme's) period's edition for its current run: the latest one when its inputs are the same (and
    not ``force_new``), else a new one opened as PUBLISH_MODE says: in preview (its window noted on the period's
    inquiries), awaiting approval, or published at once. Returns the edition and whether it is new."""
    mode = current_app.config["PUBLISH_MODE"]
    latest, current = editions.latest(session, period, programme_id), current_run(session, period, programme_id)
    if (
        latest is not None
        and latest.status != EditionStatus.WITHDRAWN
        and not force_new
        and session.get(ResultRun, latest.run_id).inputs_digest == current.inputs_digest
    ):
        return latest, False
    actor = f"auto ({trigger})"
    if mode == "auto":
        edition = editions.create(session, period, current.id, publish=True, actor=actor)
    elif mode == "preview":
        edition = editions.open_preview(session, period, current.id, window_end(), actor)
    else:
        edition = editions.hold(session, period, current.id, actor)
    status = editions.status_of(edition)
    audit.record(
        "publish" if status.is_public else status,
        period,
        actor=trigger,
        session=session,
        detail={"edition": edition.number, "run": current.id, "revised": edition.revised, "programme": programme_id},
    )
    if status.is_preview:
        note(
            session,
            period,
            f"Revised preview: edition {edition.number}, open until {edition.preview_until:%Y-%m-%d %H:%M} UTC.",
            programme_id=programme_id,
        )
    return edition, True


def preview_of(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition | None:
    return editions.preview_of(session, period, programme_id)


def settle(session, edition: Edition, actor: str) -> Edition:
    """At a cycle: publish a preview whose window has passed with no inquiry open (as ``publish_now`` does: with
    the rules in force); otherwise leave it (and remind the reviewers once a day when inquiries keep it past its
    window). Returns the period's edition after it."""
    if (
        not editions.status_of(edition).is_preview
        or edition.preview_until is None
        or edition.preview_until > clock.now()
    ):
        return edition
    still_open = open_for_period(session, edition.period_code, edition.programme_id)
    if not still_open:
        published = _publish(session, edition, actor)
        audit.record(
            "publish",
            edition.period_code,
            detail={"edition": published.number, "after_preview": True},
            actor=actor,
            session=session,
        )
        return published
    reviewers = [u.email for u in reviewers_of(session, set(), cms_only=True)]
    ids = ", ".join(str(i.id) for i in still_open)
    link = external_url("inquiries.index", period=edition.period_code, status="open", programme=edition.programme_id)
    notices.queue(
        session,
        f"preview-reminder:{edition.programme_id}:{edition.period_code}:{clock.today():%Y-%m-%d}",
        reviewers,
        f"{programmes.get(edition.programme_id).name} {edition.period_code}: preview past its window, "
        f"{len(still_open)} inquiries open",
        f"The preview of {edition.period_code} (edition {edition.number}) ended on {edition.preview_until:%Y-%m-%d} "
        f"but is not published: inquiries {ids} are open. Close them, or publish with a reason: {link}\n",
    )
    return edition


def publishable(session, period: str, reason: str = "", programme_id: str = DEFAULT_PROGRAMME) -> Edition:
    """The (programme's) period's preview, when it may be published now: with inquiries open, only with a written
    reason."""
    edition = editions.preview_of(session, period, programme_id)
    if edition is None:
        raise ReportingError(f"{period} has no edition in preview: there is nothing to publish.", 409)
    still_open = open_for_period(session, period, programme_id)
    if still_open and not (reason or "").strip():
        raise ReportingError(
            f"{period} has open inquiries ({', '.join(str(i.id) for i in still_open)}): close them, or "
            f"publish anyway with a reason.",
            409,
        )
    return edition


def publish_now(session, period: str, actor, reason: str = "", programme_id: str = DEFAULT_PROGRAMME) -> Edition:
    """Publish the period now. What is published is the newest computation with the rules in force: the preview
    itself when it still stands for them, else a new edition made of them, published at once (the preview is
    withdrawn; a resubmission accepted or rules adopted during the preview are in it). The reason, required
    while inquiries are open, is kept on the edition."""
    edition = publishable(session, period, reason, programme_id)
    reason = (reason or "").strip()[:2000]
    who = getattr(actor, "email", None) or str(actor)
    edition = _publish(session, edition, who, reason)
    audit.record(
        "publish",
        period,
        detail={
            "edition": edition.number,
            "run": edition.run_id,
            "reason": reason[:500],
            "open": len(open_for_period(session, period, programme_id)),
        },
        actor=actor,
        session=session,
    )
    return edition


def _publish(session, preview: Edition, actor: str, reason: str = "") -> Edition:
    """Publish the newest computation with the rules in force: ``preview`` when it is made of them, else a new
    edition made of them (``preview`` is withdrawn)."""
    current = current_run(session, preview.period_code, preview.programme_id)
    if editions.stands_for_now(session, preview, current.id):
        editions.mark_published(session, preview, actor, reason)
        return preview
    return editions.create(session, preview.period_code, current.id, publish=True, actor=actor, reason=reason)


def _resubmits_in_preview(session, org, period: str) -> bool:
    """A package of ``org`` for ``period`` would replace a version in force while the period is in preview."""
    return preview_of(session, period, org.programme_id) is not None and any(
        s.period_code == period for s in in_force(session, org.id)
    )


def resubmission_refused(session, org, period: str) -> bool:
    """``resubmission_in_preview`` would refuse ``org``'s package for ``period`` (the upload form offers another)."""
    return _resubmits_in_preview(session, org, period) and not resubmission_allowed(session, org.id, period)


def resubmission_in_preview(session, org, period: str) -> bool:
    """During a period's preview an ICO resubmits only when a reviewer allowed it on one of its inquiries."""
    if not _resubmits_in_preview(session, org, period):
        return False
    if not resubmission_allowed(session, org.id, period):
        raise ReportingError(
            f"{period} is in preview: a resubmission needs a reviewer's permission. Open an inquiry "
            f"on the result you question; a reviewer can allow {org.code} to resubmit.",
            409,
        )
    return True
