"""Inquiries, one state machine:

    open ──(message by either side)──► open ──(reviewer closes: corrected | no_change, with a reason)──► closed
    closed ──(reviewer reopens)──► open

An ICO user opens one on a result (measure, its own ICO, period) or on the edition as a whole while the period
is in preview, or after publication when the period has a revised edition. Reviewers (CMS, and a state
reviewer for the ICOs of their state; admins) answer, may allow the ICO to resubmit the period during the
preview, and close it. Every step is in the audit trail and queues one e-mail to the other side."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from measures import REGISTRY, Period
from reporting import audit, programmes
from reporting.access import (
    can_see_ico,
    ico_users,
    is_ico_user,
    may_answer_inquiry,
    may_open_inquiry,
    may_write_in_inquiry,
    refusal,
    reviewers_of,
    reviews,
    visible_icos,
)
from reporting.delivery import notices
from reporting.errors import Forbidden, NotFound, ReportingError
from reporting.links import external_url
from reporting.participation import has_left, left_label
from reporting.publication import editions
from reporting.storage.models import (
    DEFAULT_PROGRAMME,
    Edition,
    Inquiry,
    InquiryMessage,
    Organization,
    Result,
    User,
    utcnow,
)

MAX_MESSAGE = 5000
RESOLUTIONS = ("corrected", "no_change")


class TooMany(ReportingError):
    status = 429
    title = "Too many inquiries"


def _text(message: str) -> str:
    text = (message or "").replace("\r\n", "\n").strip()
    if not text:
        raise ReportingError("Write a message: what looks wrong, and why.", 422)
    if len(text) > MAX_MESSAGE:
        raise ReportingError(
            f"The message is {len(text):,} characters long; the limit is {MAX_MESSAGE:,}. "
            f"Shorten it, or add a second message.",
            422,
        )
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in "\n\t" for c in text):  # Cs: a lone surrogate
        raise ReportingError("The message contains control characters. Write it as plain text.", 422)
    return text


def _edition_open_to_inquiries(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> Edition:
    """The edition an inquiry may be opened on: the (programme's) period's preview, or a revised published
    edition."""
    latest = next((e for e in editions.open_to_inquiries(session, programme_id) if e.period_code == period), None)
    if latest is None:
        raise ReportingError(
            f"{period} is not open to inquiries: results can be questioned while a period is in "
            f"preview, or after publication when its edition was revised.",
            422,
        )
    return latest


def visible(
    session,
    user,
    period: Period | None = None,
    ico: str | None = None,
    status: str | None = None,
    programme=None,
) -> list[Inquiry]:
    """The inquiries this user may see: an ICO user its own ICO's, a state reviewer its state's, CMS and admins all;
    of one programme (an id or a ``Programme``) when given."""
    codes = [o.id for o in visible_icos(session, user, programme)]
    query = select(Inquiry).where(Inquiry.organization_id.in_(codes)).order_by(Inquiry.id.desc())
    if period:
        query = query.where(Inquiry.period_code == period.code)
    if ico:
        query = query.join(Organization, Inquiry.organization_id == Organization.id).where(
            Organization.code == ico.upper()
        )
    if status in ("open", "closed"):
        query = query.where(Inquiry.status == status)
    return list(session.scalars(query))


def get(session, user, inquiry_id: int) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound("There is no such inquiry.")
    if user is not None and not can_see_ico(user, inquiry.organization):
        raise Forbidden(refusal(user, "inquiries"))
    return inquiry


def open_count(session, user, programme=None) -> int:
    """The open inquiries the user may see (the menu's count): of one programme (an id or a ``Programme``) when
    given, the one the page shows."""
    codes = [o.id for o in visible_icos(session, user, programme)]
    return (
        session.scalar(
            select(func.count(Inquiry.id)).where(Inquiry.status == "open", Inquiry.organization_id.in_(codes))
        )
        or 0
    )


def open_for_period(session, period: str, programme_id: str = DEFAULT_PROGRAMME) -> list[Inquiry]:
    """The open inquiries of the programme's period (an inquiry is its ICO's programme's)."""
    return list(
        session.scalars(
            select(Inquiry)
            .join(Organization, Organization.id == Inquiry.organization_id)
            .where(Organization.programme_id == programme_id, Inquiry.period_code == period, Inquiry.status == "open")
        )
    )


def open_inquiry(session, user: User, period: Period, measure_id: str | None, message: str) -> Inquiry:
    if not may_open_inquiry(user):
        raise Forbidden("Inquiries are opened by an ICO's users, on their own ICO's results.")
    if measure_id is not None and not isinstance(measure_id, str):
        raise ReportingError(
            'measure_id is a measure\'s id as text, e.g. "fuh_7d" (or null for the edition as a '
            "whole), not a list or an object.",
            400,
        )
    org = user.organization
    if org is not None and has_left(org, period):
        raise ReportingError(f"{org.name} {left_label(org)}: it has no results of {period.code} to question.", 422)
    if measure_id and measure_id not in REGISTRY:
        raise ReportingError(
            f"There is no measure '{measure_id}'. Leave measure_id empty for the edition as a whole.", 422
        )
    programme = programmes.get(org.programme_id if org else DEFAULT_PROGRAMME)
    if measure_id and measure_id not in programme.measures:
        raise ReportingError(
            f"{REGISTRY[measure_id].title} is not a measure of {programme.name}: question one of its measures "
            f"({', '.join(programme.measures)}), or leave measure_id empty for the edition as a whole.",
            422,
        )
    text = _text(message)
    edition = _edition_open_to_inquiries(session, period.code, org.programme_id if org else DEFAULT_PROGRAMME)
    limit = current_app.config["INQUIRIES_PER_HOUR"]
    recent = session.scalar(
        select(func.count(Inquiry.id)).where(
            Inquiry.opened_by == user.email, Inquiry.opened_at >= utcnow() - timedelta(hours=1)
        )
    )
    if recent >= limit:
        raise TooMany(
            f"You opened {recent} inquiries in the last hour; the limit is {limit}. Add a message to an "
            f"open inquiry instead, or try again later."
        )
    inquiry = Inquiry(
        period_code=period.code,
        organization_id=user.organization_id,
        measure_id=measure_id or None,
        edition_number=edition.number,
        opened_by=user.email,
        status="open",
        resolution="",
        reason="",
        resubmission_allowed=False,
        closed_by="",
    )
    inquiry.messages.append(InquiryMessage(author=user.email, role=user.role, text=text))
    session.add(inquiry)
    session.flush()
    audit.record(
        "inquiry.open",
        f"inquiry {inquiry.id}",
        actor=user,
        session=session,
        detail={"period": period.code, "ico": user.ico_code, "measure": measure_id},
    )
    _tell(session, inquiry, user, "opened", text)
    return inquiry


def _can_answer(user, inquiry: Inquiry) -> bool:
    return may_answer_inquiry(user, inquiry.organization)


def add_message(session, user, inquiry: Inquiry, message: str) -> InquiryMessage:
    if not may_write_in_inquiry(user, inquiry.organization):
        raise Forbidden("You may not write in this inquiry.")
    if inquiry.status != "open":
        raise ReportingError("This inquiry is closed. A reviewer can reopen it; or open a new one.", 409)
    text = _text(message)
    row = InquiryMessage(author=user.email, role=user.role, text=text)
    inquiry.messages.append(row)
    session.flush()
    audit.record("inquiry.message", f"inquiry {inquiry.id}", actor=user, session=session, detail={"message": row.id})
    _tell(session, inquiry, user, f"message {row.id}", text)
    return row


def close(session, user, inquiry: Inquiry, resolution: str, reason: str, via: str = "") -> None:
    if user is not None and not _can_answer(user, inquiry):
        raise Forbidden("Only a reviewer of this ICO closes an inquiry.")
    if resolution not in RESOLUTIONS:
        raise ReportingError("The resolution is corrected or no_change.", 422)
    reason = _text(reason)
    who = user.email if user is not None else (via or "command line")
    # Closed by a conditional update: of two reviewers closing at once exactly one wins (one message, one e-mail).
    won = session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry.id, Inquiry.status == "open")
        .values(status="closed", resolution=resolution, reason=reason, closed_by=who, closed_at=utcnow())
    ).rowcount
    if not won:
        raise ReportingError(f"Inquiry {inquiry.id} is already closed.", 409)
    session.refresh(inquiry)
    inquiry.messages.append(
        InquiryMessage(
            author=who, role=getattr(user, "role", "operator"), text=f"Closed: {resolution.replace('_', ' ')}. {reason}"
        )
    )
    session.flush()
    audit.record(
        "inquiry.close",
        f"inquiry {inquiry.id}",
        actor=user or who,
        session=session,
        detail={"resolution": resolution, "via": via or "web"},
    )
    _tell(
        session, inquiry, user, f"closed {len(inquiry.messages)}", f"Closed as {resolution.replace('_', ' ')}: {reason}"
    )


def reopen(session, user, inquiry: Inquiry) -> None:
    if not _can_answer(user, inquiry):
        raise Forbidden("Only a reviewer of this ICO reopens an inquiry.")
    if inquiry.status != "closed":
        raise ReportingError(f"Inquiry {inquiry.id} is open already.", 409)
    inquiry.status, inquiry.resolution = "open", ""
    inquiry.messages.append(InquiryMessage(author=user.email, role=user.role, text="Reopened."))
    session.flush()
    audit.record("inquiry.reopen", f"inquiry {inquiry.id}", actor=user, session=session)
    _tell(session, inquiry, user, f"reopened {len(inquiry.messages)}", "The inquiry was reopened.")


def allow_resubmission(session, user, inquiry: Inquiry) -> None:
    if not _can_answer(user, inquiry):
        raise Forbidden("Only a reviewer of this ICO allows a resubmission.")
    if inquiry.status != "open":
        raise ReportingError("Reopen the inquiry first.", 409)
    if not inquiry.resubmission_allowed:
        inquiry.resubmission_allowed = True
        inquiry.messages.append(
            InquiryMessage(
                author=user.email,
                role=user.role,
                text=(
                    f"{inquiry.organization.code} may resubmit {inquiry.period_code} during the preview. The accepted package "
                    f"is computed at the next cycle and the preview refreshed."
                ),
            )
        )
        session.flush()
        audit.record("inquiry.allow_resubmission", f"inquiry {inquiry.id}", actor=user, session=session)
        _tell(session, inquiry, user, "resubmission", inquiry.messages[-1].text)


def resubmission_allowed(session, org_id: int, period: str) -> bool:
    return (
        session.scalar(
            select(Inquiry.id).where(
                Inquiry.organization_id == org_id,
                Inquiry.period_code == period,
                Inquiry.status == "open",
                Inquiry.resubmission_allowed,
            )
        )
        is not None
    )


def note(session, period: str, text: str, org_id: int | None = None, programme_id: str = DEFAULT_PROGRAMME) -> None:
    """A note of the service on the programme's period's open inquiries (a resubmission accepted, a revised
    preview)."""
    from reporting import programmes

    author = f"{programmes.get(programme_id).name} Quality Reporting"
    for inquiry in open_for_period(session, period, programme_id):
        if org_id is None or inquiry.organization_id == org_id:
            inquiry.messages.append(InquiryMessage(author=author, role="system", text=text))


EVENTS = {
    "opened": "opened",
    "message": "a new message",
    "closed": "closed",
    "reopened": "reopened",
    "resubmission": "resubmission allowed",
}


def _tell(session, inquiry: Inquiry, author, event: str, text: str) -> None:
    """One e-mail to the other side: reviewers when the ICO writes, the ICO's users when a reviewer does."""
    org = inquiry.organization
    people = reviewers_of(session, {org.state}) if is_ico_user(author) else ico_users(session, org)
    to = [u.email for u in people]
    what = REGISTRY[inquiry.measure_id].title if inquiry.measure_id else "the edition as a whole"
    link = external_url("inquiries.thread", inquiry_id=inquiry.id)
    # The message itself stays in the service: what an ICO writes may name members, and e-mail is no place for it.
    body = (
        f"Inquiry {inquiry.id} on {what}, {org.name} ({org.code}), {inquiry.period_code}: "
        f"{EVENTS.get(event.split(' ')[0], 'new message')} by {getattr(author, 'email', None) or 'the service operator'}."
        f"\n\nRead and answer it in the service (sign in): {link}\n"
    )
    notices.queue(
        session,
        f"inquiry:{inquiry.id}:{event}",
        to,
        f"{programmes.get(org.programme_id).name} inquiry {inquiry.id}: {org.code} {inquiry.period_code} "
        f"({event.split(' ')[0]})",
        body,
    )


# --- the figure an inquiry questions -------------------------------------------------------------


@dataclass(frozen=True)
class Questioned:
    """An inquiry with the figure it questions and whether a reviewer answered (the ICO home, the thread)."""

    inquiry: Inquiry
    result: Result | None  # the questioned result in the edition it was opened on (None: the whole edition)
    answered_at: object = None  # when a reviewer last wrote, if they did after the ICO's last message


def questioned(session, inquiries: list[Inquiry]) -> list[Questioned]:
    """Each inquiry with the result it questions (in the edition it was opened on) and a reviewer's answer."""
    out = []
    for i in sorted(inquiries, key=lambda i: i.id):
        result = None
        if i.measure_id:
            run_id = session.scalar(
                select(Edition.run_id).where(
                    Edition.programme_id == i.organization.programme_id,
                    Edition.period_code == i.period_code,
                    Edition.number == i.edition_number,
                )
            )
            result = session.scalar(
                select(Result).where(
                    Result.run_id == run_id, Result.measure_id == i.measure_id, Result.ico == i.organization.code
                )
            )
        last = i.messages[-1] if i.messages else None
        answered = last.at if last is not None and reviews(last) else None  # a message has its author's role
        out.append(Questioned(i, result, answered))
    return out
