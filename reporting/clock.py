"""Today and now, as the service sees them: the one home of the date and time that decide what a user is shown
as due, late and submittable, what the homes and the upload form show, which periods the scheduler's cycle
takes up, when a preview window opened and ends (``preview_until``, "in preview until ..."), when the scheduler
publishes a preview whose window has passed, and on which day a reminder is due.

``REPORTING_TODAY`` (an ISO date, checked once in ``reporting.config``) fixes the date, so that a demonstration
or a training installation whose data end in the past reads as a live quarter does; unset, the service runs on
the calendar. While it is set, ``now()`` is that date with the real time of day (UTC): every process (web
workers, the scheduler) tells the same time without sharing a start, a restart does not move it back, and the
date stays the one every page shows. The service's day does not advance by itself: a preview window of
``PREVIEW_DAYS`` passes on the service clock once the operator sets a later ``REPORTING_TODAY`` (or unsets it).

What stays on the real clock (``storage.models.utcnow``): timestamps of what happened, that is the audit trail,
the delivery ledger (claims, retries, sweeps, sent times), job runs, uploads' receipt, sign-in limits and token
expiry, inquiries' messages and the rate limit of opening them."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, has_app_context

from reporting.storage.models import utcnow

SETTING = "REPORTING_TODAY"


def read_setting(raw: str | date | None) -> date | None:
    """The setting's value as a date (None when unset); ``ValueError`` with the reason when it is not one."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{SETTING}={raw!r} is not a date: write it as YYYY-MM-DD (e.g. 2016-03-15), or leave it "
            f"unset to use today's date"
        ) from None


def fixed() -> date | None:
    """The date ``REPORTING_TODAY`` sets, or None when the service runs on the calendar's date."""
    if not has_app_context():
        return None
    return read_setting(current_app.config.get(SETTING))  # a date once the configuration check has read it


def today() -> date:
    """The service's today: ``REPORTING_TODAY`` when set, else the calendar's date."""
    return fixed() or date.today()


def now() -> datetime:
    """The service's now (naive UTC, as stored): ``REPORTING_TODAY`` with the real time of day when set, else the
    real time. For what a user is shown as a date (preview windows, reminders), never for a record of an event."""
    real = utcnow()
    fixed_date = fixed()
    return datetime.combine(fixed_date, real.time()) if fixed_date else real
