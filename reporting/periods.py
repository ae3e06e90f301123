"""Reporting periods: reading one written by a person (``parse``), the quarters that can be submitted, due
dates."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date
from functools import lru_cache

import click
from sqlalchemy.exc import IntegrityError

from measures import Period
from reporting.errors import ReportingError
from reporting.storage.models import ReportingPeriod


def parse(code: str | Period, quarter_only: bool = False) -> Period:
    """The one reading of a period a person wrote (CLI option, address, form field, API parameter): a quarter
    such as 2015Q3 or a year such as 2015, any case, spaces around ignored. A ``Period`` passes through, so code
    that received one at the edge never parses it again."""
    if isinstance(code, Period):
        period = code
    else:
        try:
            period = Period.parse(code)
        except ValueError:
            raise ReportingError(_not_a_period(str(code or "").strip())) from None
    if quarter_only and not period.is_quarter:
        raise ReportingError(f"'{code}' is a year; packages are submitted per quarter, e.g. {code}Q1.")
    return period


def parse_year(text: str | int) -> int:
    """A calendar year a person wrote (``--year``), read as a period is: ASCII digits only (``٢٠١٥`` or ``２０１５``
    would pass ``int``), and a year, not a quarter."""
    period = parse(str(text))
    if period.is_quarter:
        raise ReportingError(f"'{str(text).strip()}' is a quarter; give a calendar year, e.g. {period.year}.")
    return period.year


def _not_a_period(text: str) -> str:
    """Why ``text`` is not a period, in words. A period is written in ASCII: ``٢٠١٥Q3`` or ``２０１５Q3`` would
    otherwise be a second, rogue 2015Q3, so the message names the first foreign character."""
    if text.isascii():
        return f"'{text}' is not a period: write a quarter such as 2015Q3 or a year such as 2015."
    foreign = next(ch for ch in text if not ch.isascii())
    shown = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text[:40])
    name = unicodedata.name(foreign, f"U+{ord(foreign):04X}").lower()
    first = f"'{foreign}', {name}" if foreign.isprintable() else name
    return (
        f"'{shown}' is not a period: it is written with characters other than the digits 0-9 and Q (the first is "
        f"{first}). Write the period with the ASCII digits 0-9, e.g. 2015Q3 or 2015."
    )


@lru_cache(maxsize=4096)
def stored(code: str) -> Period:
    """A period code read from the database (already checked when it came in) as a ``Period``."""
    return Period.parse(code)


def chronological(code: str | Period) -> tuple:
    """The sort key of a stored period code (or a ``Period``): ``Period.sort_key``, the one order of periods."""
    return (code if isinstance(code, Period) else stored(code)).sort_key


def last_ended_quarter(today: date) -> Period:
    return Period.quarter_of(today).previous(1)


def submittable(period: Period, today: date, first) -> Period:
    """A package is for a quarter of the programme (``first``: a ``programmes.Programme``, or its first quarter's
    code) that has ended (and not after a programme's last quarter); anything else is refused before anything is
    stored."""
    name = f" of {first.name} ({first.id})" if hasattr(first, "first_period") else ""
    start, last = _span(first, today)
    if period.begin < start.begin:
        raise ReportingError(
            f"{period.code} is before the programme's first quarter{name}, {start.code}. Check the period: "
            f"packages are accepted for {start.code} to {last.code}.",
            422,
        )
    if getattr(first, "last_period", None) is not None and period.begin > first.last_period.begin:
        raise ReportingError(
            f"{period.code} is after the programme's last quarter{name}, {first.last_period.code}: it ended. "
            f"Packages are accepted for {start.code} to {last.code}.",
            422,
        )
    if period.end >= today:
        raise ReportingError(
            f"{period.code} has not ended yet (it ends on {period.end}). Submit a quarter's package "
            f"once the quarter is over; the latest quarter you can submit is {last.code}.",
            422,
        )
    return period


def _span(first, today: date) -> tuple[Period, Period]:
    """The programme's first quarter and the last one that can be submitted today (ended, not after its last)."""
    if hasattr(first, "first_period"):
        last = last_ended_quarter(today)
        if first.last_period is not None and first.last_period.begin < last.begin:
            last = first.last_period
        return first.first_period, last
    return Period.parse(first), last_ended_quarter(today)


def ended_quarters(today: date, first) -> list[str]:
    """The quarters of the programme (a ``programmes.Programme``, or its first quarter's code) that have ended,
    newest first."""
    p, last = _span(first, today)
    out = []
    while p.begin <= last.begin:
        out.append(p.code)
        p = p.previous(-1)
    return out[::-1]


def default_due_date(period: Period, months_after: int) -> date:
    """The last day of the ``months_after``-th month after the period ends."""
    index = period.end.year * 12 + period.end.month - 1 + months_after
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def ensure_period(session, period: Period, months_after: int) -> ReportingPeriod:
    row = session.get(ReportingPeriod, period.code)
    if row is None:
        try:
            with session.begin_nested():  # another upload may create the same period at the same moment
                row = ReportingPeriod(
                    code=period.code,
                    begin=period.begin,
                    end=period.end,
                    due_date=default_due_date(period, months_after),
                )
                session.add(row)
        except IntegrityError:
            row = session.get(ReportingPeriod, period.code)
    return row


class PeriodParam(click.ParamType):
    """``--period`` on the command line, read by ``parse`` once: the command receives a ``Period``."""

    name = "period"

    def __init__(self, quarter_only: bool = False):
        self.quarter_only = quarter_only

    def convert(self, value, param, ctx) -> Period:
        try:
            return parse(value, quarter_only=self.quarter_only)
        except ReportingError as e:
            self.fail(e.message, param, ctx)


class YearParam(click.ParamType):
    """``--year`` on the command line, read by ``parse_year`` once: the command receives the year as an int."""

    name = "year"

    def convert(self, value, param, ctx) -> int:
        try:
            return value if isinstance(value, int) else parse_year(value)
        except ReportingError as e:
            self.fail(e.message, param, ctx)


PERIOD, QUARTER, YEAR = PeriodParam(), PeriodParam(quarter_only=True), YearParam()
