"""Preview windows and their publication. In ``PUBLISH_MODE=preview`` a new edition opens in preview for
``PREVIEW_DAYS``; the cycle publishes it once the window has passed and none of the period's inquiries is open.
While inquiries stay open past the window it publishes nothing and reminds the reviewers once a day. A reviewer
(or the operator, with ``publish``) may publish anyway, with a written reason."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from reporting import audit
from reporting.access import reviewers_of
from reporting.delivery import notices
from reporting.errors import ReportingError
from reporting.publication import editions
from reporting.engine.store import current_run
from reporting.review.inquiries import note, open_for_period, resubmission_allowed
from reporting.storage.queries import in_force
from reporting.storage.models import Edition, ResultRun, utcnow
from reporting.links import external_url


def window_end():
    return utcnow() + timedelta(days=current_app.config["PREVIEW_DAYS"])


def edition_for(session, period: str, trigger: str, force_new: bool = False) -> tuple[Edition, bool]:
    """The period's edition for its current run: the latest one when its inputs are the same (and not
    ``force_new``), else a new one opened as PUBLISH_MODE says: in preview (its window noted on the period's
    inquiries), awaiting approval, or published at once. Returns the edition and whether it is new."""
    mode = current_app.config["PUBLISH_MODE"]
    latest, current = editions.latest(session, period), current_run(session, period)
    if latest is not None and latest.status != "withdrawn" and not force_new and \
            session.get(ResultRun, latest.run_id).inputs_digest == current.inputs_digest:
        return latest, False
    edition = editions.create(session, period, current.id, publish=mode == "auto", actor=f"auto ({trigger})",
                              preview_until=window_end() if mode == "preview" else None)
    audit.record("publish" if edition.status == "published" else edition.status, period, actor=trigger,
                 session=session, detail={"edition": edition.number, "run": current.id, "revised": edition.revised})
    if edition.status == "preview":
        note(session, period, f"Revised preview: edition {edition.number}, open until "
                              f"{edition.preview_until:%Y-%m-%d %H:%M} UTC.")
    return edition, True


def preview_of(session, period: str) -> Edition | None:
    return session.scalar(select(Edition).where(Edition.period_code == period, Edition.status == "preview")
                          .order_by(Edition.number.desc()))


def settle(session, edition: Edition, actor: str) -> str:
    """At a cycle: publish a preview whose window has passed with no inquiry open; otherwise leave it (and remind
    the reviewers once a day when inquiries keep it past its window). Returns the edition's status."""
    if edition.status != "preview" or edition.preview_until is None or edition.preview_until > utcnow():
        return edition.status
    still_open = open_for_period(session, edition.period_code)
    if not still_open:
        editions.mark_published(session, edition, actor)
        audit.record("publish", edition.period_code, detail={"edition": edition.number, "after_preview": True},
                     actor=actor, session=session)
        return edition.status
    reviewers = [u.email for u in reviewers_of(session, set(), cms_only=True)]
    ids = ", ".join(str(i.id) for i in still_open)
    link = external_url("inquiries.index", period=edition.period_code, status="open")
    notices.queue(session, f"preview-reminder:{edition.period_code}:{utcnow():%Y-%m-%d}", reviewers,
                  f"One Care {edition.period_code}: preview past its window, {len(still_open)} inquiries open",
                  f"The preview of {edition.period_code} (edition {edition.number}) ended on {edition.preview_until:%Y-%m-%d} "
                  f"but is not published: inquiries {ids} are open. Close them, or publish with a reason: {link}\n")
    return edition.status


def publish_now(session, period: str, actor, reason: str = "") -> Edition:
    """Publish the period's preview now. With inquiries open, only with a written reason (kept on the edition)."""
    edition = preview_of(session, period)
    if edition is None:
        raise ReportingError(f"{period} has no edition in preview.", 409)
    still_open = open_for_period(session, period)
    reason = (reason or "").strip()
    if still_open and not reason:
        raise ReportingError(f"{period} has open inquiries ({', '.join(str(i.id) for i in still_open)}): close them, or "
                             f"publish anyway with a reason.", 409)
    who = getattr(actor, "email", None) or str(actor)
    editions.mark_published(session, edition, who, reason[:2000])
    audit.record("publish", period, detail={"edition": edition.number, "reason": reason[:500], "open": len(still_open)},
                 actor=actor, session=session)
    return edition


def resubmission_in_preview(session, org, period: str) -> bool:
    """During a period's preview an ICO resubmits only when a reviewer allowed it on one of its inquiries."""
    if preview_of(session, period) is None or \
            not any(s.period_code == period for s in in_force(session, org.id)):
        return False
    if not resubmission_allowed(session, org.id, period):
        raise ReportingError(f"{period} is in preview: a resubmission needs a reviewer's permission. Open an inquiry "
                             f"on the result you question; a reviewer can allow {org.code} to resubmit.", 409)
    return True
