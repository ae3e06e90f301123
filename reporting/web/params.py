"""Reading what arrives in an address or a query string, once, at the edge: a period becomes a ``Period``
(``<period:name>`` in a route, ``period_arg`` for ``?period=``) and the views pass it on as such."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import BaseConverter

from measures import Period
from reporting.errors import NotFound, ReportingError
from reporting.periods import parse


class UnknownPeriod(HTTPNotFound):
    """An address whose period is not one: the page says how to write it."""


class PeriodConverter(BaseConverter):
    """``<period:name>``: the view receives a ``Period``; an address with something else gets a clear 404."""

    def to_python(self, value: str) -> Period:
        try:
            return parse(value)
        except ReportingError as e:
            raise UnknownPeriod(e.message) from None

    def to_url(self, value) -> str:
        return value.code if isinstance(value, Period) else str(value).strip().upper()


def period_arg(name: str = "period", default: str | None = None) -> Period | None:
    """``?period=`` (or the form field ``name``) as a ``Period``; ``default`` when absent or empty; a clear 400
    when it is not a period."""
    raw = (request.values.get(name) or "").strip() or default
    return parse(raw) if raw else None


def year_arg(choices: list[int], required: bool = False) -> int | None:
    """``?year=`` as one of ``choices`` (the years with results, newest first): read as a period is, so only a
    year in ASCII digits passes (a clear 400 otherwise), and a year without results is a 404 naming those that
    have; the newest when absent, unless ``required``."""
    raw = (request.values.get("year") or "").strip()
    if not raw:
        if required:
            raise ReportingError("Say which year: ?year=2015", 400)
        return choices[0] if choices else None
    period = parse(raw)
    if period.is_quarter:
        raise ReportingError(
            f"'{raw}' is a quarter; the quality withhold is per calendar year, e.g. ?year={period.year}.", 400
        )
    if period.year not in choices:
        listed = ", ".join(str(y) for y in choices) or "none yet"
        raise NotFound(f"There are no results for the year {period.year}. Years with results: {listed}.")
    return period.year


def programme_arg(user, programme=None, *, required=False):
    """The programme a page shows: ``programme`` when the page knows it (an ICO's), else ``?programme=`` if the
    viewer may see it (``access.programme_for``: 404 for no such programme, 403 for another state's), else the first
    the viewer may see (none: None, or 403 when the page is ``required`` to show one). Kept in ``g.programme`` so that every page names it (``base.html``)."""
    from flask import session

    from reporting import access, programmes

    asked = request.values.get("programme")
    if programme is not None:
        prog = programmes.get(programme)
    elif asked:
        prog = access.programme_for(user, asked)
        session["programme"] = prog.id  # the reviewer's choice holds as they follow links, until they choose again
    else:
        kept = session.get("programme")
        prog = access.programme_for(
            user, kept if kept in programmes.ids() and access.may_see_programme(user, kept) else None
        )
    g.programme, g.programme_fixed = prog, programme is not None
    if prog is None and required:
        raise Forbidden(
            "Your account covers no state with a programme in this service, so there is nothing here for you."
        )
    return prog


def init_app(app) -> None:
    app.url_map.converters["period"] = PeriodConverter
