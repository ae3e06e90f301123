"""The common definitions of ``measures.md``, each with exactly one implementation.

Every function is vectorised: it takes a frame of *units* (one row per span, stay,
member, assessment...) with a ``member_id`` column and a date column, and answers one
boolean per unit, aligned on the units' index. Dates are ``datetime64`` throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")  # ASCII digits only: \d would also take ٢٠١٥ or ２０１５
_YEAR = re.compile(r"^([0-9]{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period ``P = [begin, end]``, inclusive: a quarter (``2014Q3``) or a year (``2014``)."""

    begin: date
    end: date
    code: str

    @classmethod
    def parse(cls, code: str) -> Period:
        """A period code written in ASCII: ``2014Q3`` or ``2014``, any case, spaces around ignored. Digits of
        other scripts (Arabic-Indic ``٢٠١٥Q3``, full-width ``２０１５Q3``, mathematical...) are refused: read as
        its own code, such a period would be a second, rogue 2015Q3."""
        code = (code or "").strip()
        if not code.isascii():
            raise ValueError(
                f"'{code}' is not a period: it holds characters other than the ASCII digits 0-9 and Q "
                f"(digits of another script, such as Arabic-Indic or full-width digits). Write the "
                f"period with the digits 0-9, e.g. 2014Q3 or 2014"
            )
        code = code.upper()
        if m := _QUARTER.match(code):
            year, q = int(m.group(1)), int(m.group(2))
            begin = date(year, 3 * q - 2, 1)
            end = (date(year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
            return cls(begin, end, code)
        if m := _YEAR.match(code):
            year = int(m.group(1))
            return cls(date(year, 1, 1), date(year, 12, 31), code)
        raise ValueError(f"'{code}' is not a period: write a quarter like 2014Q3 or a year like 2014")

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code

    @property
    def year(self) -> int:
        return self.begin.year

    @property
    def quarter(self) -> int | None:
        """1 to 4 for a quarter, None for a year."""
        return (self.begin.month + 2) // 3 if self.is_quarter else None

    @property
    def sort_key(self) -> tuple[date, bool]:
        """The one chronological order of periods: by their end, a year just after its fourth quarter."""
        return self.end, not self.is_quarter

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        """The quarter that contains ``day``."""
        return cls.parse(f"{day.year}Q{(day.month - 1) // 3 + 1}")

    @property
    def quarters(self) -> list[Period]:
        if self.is_quarter:
            return [self]
        return [Period.parse(f"{self.year}Q{q}") for q in range(1, 5)]

    def previous(self, steps: int = 1) -> Period:
        """The period ``steps`` quarters (or years) earlier."""
        if not self.is_quarter:
            return Period.parse(str(self.year - steps))
        index = self.year * 4 + (self.quarter or 1) - 1 - steps
        return Period.parse(f"{index // 4}Q{index % 4 + 1}")

    @property
    def ts_begin(self) -> pd.Timestamp:
        return pd.Timestamp(self.begin)

    @property
    def ts_end(self) -> pd.Timestamp:
        return pd.Timestamp(self.end)

    def __str__(self) -> str:
        return self.code


def add_days(dates, n: int):
    """``d + n``: the date n calendar days after d (scalar or Series)."""
    return dates + pd.Timedelta(days=n)


def in_window(dates, a, b) -> pd.Series:
    """True where ``a <= date <= b``: every window includes both ends. Blank dates are False."""
    return (dates >= a) & (dates <= b)


def in_period(dates, period: Period) -> pd.Series:
    return in_window(dates, period.ts_begin, period.ts_end)


def _pairs(units: pd.DataFrame, others: pd.DataFrame, carry: tuple = ()) -> pd.DataFrame:
    """Every (unit, other row) pair of the same member; the unit's index is kept as ``_unit``
    and the unit's ``carry`` columns come along."""
    left = units[["member_id", *carry]].assign(_unit=units.index)
    return left.merge(others, on="member_id", how="inner", suffixes=("", "_o"))


def _any_per_unit(units: pd.DataFrame, pairs: pd.DataFrame, mask: pd.Series) -> pd.Series:
    hits = pd.Index(pairs.loc[mask, "_unit"].unique())
    return pd.Series(units.index.isin(hits), index=units.index)


def covers(span_start, span_end, d) -> pd.Series:
    """A span covers day d: ``enrollment_start <= d`` and (``enrollment_end`` blank or ``>= d``)."""
    return (span_start <= d) & (span_end.isna() | (span_end >= d))


def enrolled_on(spans: pd.DataFrame, units: pd.DataFrame, day: str) -> pd.Series:
    """**Enrolled** on day d: a span of the member with ``enrollment_start <= d`` and (end blank or ``>= d``)."""
    pairs = _pairs(units.assign(_d=units[day]), spans[["member_id", "enrollment_start", "enrollment_end"]], ("_d",))
    return _any_per_unit(units, pairs, covers(pairs["enrollment_start"], pairs["enrollment_end"], pairs["_d"]))


def continuously_enrolled(spans: pd.DataFrame, units: pd.DataFrame, a: str, b: str) -> pd.Series:
    """**Continuously enrolled** from a to b: one span covers both a and b."""
    pairs = _pairs(
        units.assign(_a=units[a], _b=units[b]), spans[["member_id", "enrollment_start", "enrollment_end"]], ("_a", "_b")
    )
    s, e = pairs["enrollment_start"], pairs["enrollment_end"]
    return _any_per_unit(units, pairs, covers(s, e, pairs["_a"]) & covers(s, e, pairs["_b"]))


def covering_span(spans: pd.DataFrame, units: pd.DataFrame, day: str, columns: list[str]) -> pd.DataFrame:
    """The columns of the span that covers each unit's day (spans of a member never overlap); NaN where none."""
    pairs = _pairs(
        units.assign(_d=units[day]), spans[["member_id", "enrollment_start", "enrollment_end", *columns]], ("_d",)
    )
    hit = pairs[covers(pairs["enrollment_start"], pairs["enrollment_end"], pairs["_d"])]
    hit = hit.drop_duplicates("_unit").set_index("_unit")
    return hit[["enrollment_start", "enrollment_end", *columns]].reindex(units.index)


def in_facility_on(stays: pd.DataFrame, units: pd.DataFrame, day: str) -> pd.Series:
    """**In a facility** on day d: ``admission_date <= d`` and (``discharge_date`` blank or ``> d``).

    The discharge day is a community day."""
    pairs = _pairs(units.assign(_d=units[day]), stays[["member_id", "admission_date", "discharge_date"]], ("_d",))
    inside = (pairs["admission_date"] <= pairs["_d"]) & (
        pairs["discharge_date"].isna() | (pairs["discharge_date"] > pairs["_d"])
    )
    return _any_per_unit(units, pairs, inside)


def death_dates(spans: pd.DataFrame) -> pd.Series:
    """The member's death date (from any of their spans), indexed by member_id."""
    return spans.groupby("member_id")["death_date"].max()


def alive_on(spans: pd.DataFrame, units: pd.DataFrame, day: str) -> pd.Series:
    """**Alive** on day d: ``death_date`` blank or ``death_date > d``."""
    death = units["member_id"].map(death_dates(spans))
    return death.isna() | (death > units[day])


def any_event(
    units: pd.DataFrame,
    events: pd.DataFrame,
    date_col: str,
    start: str,
    end: str,
    where: pd.Series | None = None,
    exclude_same: str | None = None,
) -> pd.Series:
    """True where the member has an event (optionally filtered by ``where``) dated in ``[unit[start], unit[end]]``.

    ``exclude_same`` names an id column: an event with the unit's own id does not count ("another stay")."""
    ev = events if where is None else events[where]
    ev_cols = {date_col: "_ev"} | ({exclude_same: "_ev_id"} if exclude_same else {})
    ev = ev[["member_id", *ev_cols]].rename(columns=ev_cols)
    carry = ("_s", "_e") + ((exclude_same,) if exclude_same else ())
    pairs = _pairs(units.assign(_s=units[start], _e=units[end]), ev, carry)
    mask = in_window(pairs["_ev"], pairs["_s"], pairs["_e"])
    if exclude_same:
        mask &= pairs["_ev_id"] != pairs[exclude_same]
    return _any_per_unit(units, pairs, mask)


def count_events(
    units: pd.DataFrame, events: pd.DataFrame, date_col: str, start: str, end: str, where: pd.Series | None = None
) -> pd.Series:
    """How many of the member's events (optionally filtered by ``where``) are dated in ``[unit[start], unit[end]]``."""
    ev = events if where is None else events[where]
    pairs = _pairs(
        units.assign(_s=units[start], _e=units[end]),
        ev[["member_id", date_col]].rename(columns={date_col: "_ev"}),
        ("_s", "_e"),
    )
    hits = pairs.loc[in_window(pairs["_ev"], pairs["_s"], pairs["_e"]), "_unit"]
    return hits.value_counts().reindex(units.index, fill_value=0).astype(np.int64)


def month_starts(period: Period) -> list[pd.Timestamp]:
    """The first day of every calendar month whose first day is in P."""
    return list(pd.date_range(period.ts_begin, period.ts_end, freq="MS"))
