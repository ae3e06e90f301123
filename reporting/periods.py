"""Reporting periods and their due dates."""
from __future__ import annotations

import calendar
from datetime import date

from measures import Period
from sqlalchemy.exc import IntegrityError

from reporting.errors import ReportingError
from reporting.storage.models import ReportingPeriod


def parse(code: str, quarter_only: bool = False) -> Period:
    try:
        period = Period.parse(code)
    except ValueError as e:
        raise ReportingError(str(e)) from None
    if quarter_only and not period.is_quarter:
        raise ReportingError(f"'{code}' is a year; packages are submitted per quarter, e.g. {code}Q1.")
    return period


def default_due_date(period: Period, months_after: int) -> date:
    """The last day of the ``months_after``-th month after the period ends."""
    index = period.end.year * 12 + period.end.month - 1 + months_after
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def ensure_period(session, period: Period, months_after: int) -> ReportingPeriod:
    row = session.get(ReportingPeriod, period.code)
    if row is None:
        try:
            with session.begin_nested():      # another upload may create the same period at the same moment
                row = ReportingPeriod(code=period.code, begin=period.begin, end=period.end,
                                      due_date=default_due_date(period, months_after))
                session.add(row)
        except IntegrityError:
            row = session.get(ReportingPeriod, period.code)
    return row
