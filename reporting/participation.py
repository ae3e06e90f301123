"""Whether an ICO takes part in the demonstration in a period, in one wording used everywhere
(overview, statewide report, withhold, submissions pages): an ICO whose ``active_to`` ends before a
period "left the demonstration after <its last quarter>"; one whose ``active_from`` is after a period's end
is "not yet taking part (joined in <its first quarter>)"; a year's withhold covers the months it took part."""

from __future__ import annotations

from datetime import date

from measures import Period
from reporting.errors import ReportingError

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def last_quarter(org) -> str | None:
    """The last quarter the ICO took part in (the quarter of its ``active_to``), or None while it takes part."""
    end: date | None = getattr(org, "active_to", None)
    return None if end is None else Period.quarter_of(end).code


def has_left(org, period: Period) -> bool:
    end = getattr(org, "active_to", None)
    return end is not None and period.begin > end


def not_joined_yet(org, period: Period) -> bool:
    """Whether ``period`` ends before the ICO's start date (``active_from``): nothing is due from it."""
    start = getattr(org, "active_from", None)
    return start is not None and period.end < start


def took_part(org, period: Period) -> bool:
    """Whether ``period`` lies within the ICO's participation (joined by its end, not left before it begins)."""
    return not not_joined_yet(org, period) and not has_left(org, period)


def takes_part(org, period: Period) -> bool:
    """Whether the ICO takes part in ``period``: enabled, joined by its end and not left before it begins."""
    return getattr(org, "enabled", True) and not not_joined_yet(org, period) and not has_left(org, period)


def first_quarter(org) -> str | None:
    """The first quarter the ICO took part in (the quarter of its ``active_from``), or None without a start date."""
    start: date | None = getattr(org, "active_from", None)
    return None if start is None else f"{start.year}Q{(start.month - 1) // 3 + 1}"


def joined_label(org) -> str:
    return f"not yet taking part (joined in {first_quarter(org)})"


def ended_by(org, day: date) -> bool:
    """Whether the ICO's participation ended on or before ``day`` (an end date still ahead does not count)."""
    end = getattr(org, "active_to", None)
    return end is not None and end <= day


def left_label(org) -> str:
    return f"left the demonstration after {last_quarter(org)}"


def departed(orgs, period: Period) -> list[tuple]:
    """The ICOs (of those the viewer may see) that left before ``period``: (org, label)."""
    return [(o, left_label(o)) for o in orgs if has_left(o, period)]


def months_covered(org, year: int) -> str | None:
    """For a year the ICO left (or joined) during: the months it took part, e.g. "January to September
    2015"; None for a whole year."""
    start = getattr(org, "active_from", None)
    end = getattr(org, "active_to", None)
    first = start.month if start is not None and start.year == year else 1
    last = end.month if end is not None and end.year == year else 12
    if (first, last) == (1, 12):
        return None
    return f"{MONTHS[first - 1]} to {MONTHS[last - 1]} {year}"


def check_may_submit(org, period: Period) -> None:
    """A package is taken from an enabled ICO for a quarter it takes part in: not from a disabled one, nor for a
    quarter after it left the demonstration (Fallon's upload form offered 2015Q4 after it left after 2015Q3)."""
    if not org.enabled:
        raise ReportingError(f"{org.name} is disabled and cannot submit packages. Ask an administrator.", 409)
    if has_left(org, period):
        raise ReportingError(
            f"{org.name} {left_label(org)}: it submits no package for {period.code}. Packages for the quarters "
            f"it took part in can still be sent again.",
            422,
        )
