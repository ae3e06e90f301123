"""Today, as the service sees it: the one home of the date that decides what is due, late and submittable,
what the homes and the upload form show and which periods the scheduler's cycle takes up.

``REPORTING_TODAY`` (an ISO date, checked once in ``reporting.config``) fixes it, so that a demonstration or a
training installation whose data end in the past reads as a live quarter does; unset, it is the calendar's
date. Timestamps (audit trail, deliveries, preview windows, sign-in limits) stay on the real clock."""

from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context

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
