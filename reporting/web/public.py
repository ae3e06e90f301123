"""The public pages, with no sign-in: ``/public`` lists the programmes; ``/public/<programme>`` shows one
programme's published periods, each with its public report (cell suppression applied), its open-data package and
its results by group (``/public/<programme>/<period>/by-group``, one measure at a time, the public strata of
``strata_release`` with their suppressed cells).
Read-only, cacheable for a few minutes, rate-limited; nothing in preview appears, and no programme's page, report
or package holds another's figures."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from measures import REGISTRY
from reporting import programmes
from reporting.access import PUBLIC
from reporting.errors import NotFound
from reporting.interop import opendata
from reporting.interop.published import published, published_periods
from reporting.publication import strata
from reporting.publication.reports import ReportKind
from reporting.storage import db
from reporting.storage.models import Artifact
from reporting.web import limiter
from reporting.web.downloads import download
from reporting.web.guards import allow

bp = Blueprint("public", __name__, url_prefix="/public")
PUBLIC_RATE = "120 per minute"


@bp.after_request
def _cacheable(response):
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


def _public_report(edition_id: int):
    return db.session.scalar(
        select(Artifact.id)
        .where(Artifact.edition_id == edition_id, Artifact.kind == ReportKind.PUBLIC)
        .order_by(Artifact.id.desc())
    )


def _programme(programme_id: str):
    """The programme of an address (a clear 404 naming the programmes for an unknown one), named by the page."""
    g.programme = programmes.get(programme_id)
    return g.programme


def _public_strata(pub):
    """The published edition's results by group with the public suppression (``strata_release``)."""
    from reporting.publication.strata_release import published_strata

    return published_strata(db.session, pub)


def open_data_name(programme, period_code: str) -> str:
    return f"{programme.id}-open-data-{period_code}.zip"


@bp.route("")
@bp.route("/")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def index():
    """Every programme, with its newest published period."""
    rows = []
    for p in programmes.all():
        newest = published_periods(db.session, p)
        rows.append((p, newest[0] if newest else None, len(newest)))
    return render_template("public/index.html", rows=rows)


@bp.route("/<programme_id>")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def programme(programme_id):
    prog = _programme(programme_id)
    editions = published_periods(db.session, prog)
    rows = [(e, _public_report(e.id)) for e in editions]
    return render_template("public/programme.html", prog=prog, rows=rows, open_data_name=open_data_name)


@bp.route("/<programme_id>/<period:period>.zip")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def open_data(programme_id, period):
    pub = published(db.session, period, _programme(programme_id))
    return download(
        opendata.zip_bytes(pub, current_app.config["BASE_URL"], _public_strata(pub)),
        open_data_name(pub.programme, pub.period.code),
        "application/zip",
    )


@bp.route("/<programme_id>/<period:period>/by-group")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def by_group(programme_id, period):
    """One measure's published results by group (``?measure=``; the programme's first by default): statewide and
    each ICO, suppressed cells saying so."""
    pub = published(db.session, period, _programme(programme_id))
    measure_id = request.args.get("measure") or next(iter(pub.programme.measures))
    if measure_id not in pub.programme.measures:
        raise NotFound(
            f"{pub.programme.name} has no measure '{measure_id}'. Choose one of: {', '.join(pub.programme.measures)}."
        )
    frame = _public_strata(pub)
    frame = frame[frame["measure_id"] == measure_id] if len(frame) else frame
    names = {o.code: o.name for o in pub.icos}
    view = strata.grouped(frame, pub.period.code, [pub.period.code], names, pub.programme) if len(frame) else None
    return render_template(
        "public/by_group.html",
        pub=pub,
        prog=pub.programme,
        m=REGISTRY[measure_id],
        view=view,
        flag_words=strata.flag_words,
    )


@bp.route("/<programme_id>/<period:period>/report.pdf")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def report(programme_id, period):
    pub = published(db.session, period, _programme(programme_id))
    artifact = _public_report(pub.edition.id)
    if artifact is None:
        raise NotFound(f"The public report of {pub.programme.name} {pub.period.code} has not been rendered yet.")
    row = db.session.get(Artifact, artifact)
    return download(row.content, row.filename, "application/pdf")


# Addresses from before programmes (in reports and e-mails already sent): the default programme's.
@bp.route("/<period:period>.zip")
@allow(PUBLIC)
def open_data_of_default(period):
    return redirect(url_for("public.open_data", programme_id=programmes.default().id, period=period), 302)


@bp.route("/<period:period>/report.pdf")
@allow(PUBLIC)
def report_of_default(period):
    return redirect(url_for("public.report", programme_id=programmes.default().id, period=period), 302)
