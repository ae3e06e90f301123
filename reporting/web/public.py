"""The public page, with no sign-in: each published period's public report (cell suppression applied) and
its open-data package. Read-only, cacheable for a few minutes, rate-limited; nothing in preview appears."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from reporting.access import PUBLIC
from reporting.errors import NotFound
from reporting.interop import opendata
from reporting.interop.published import published, published_periods
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


@bp.route("")
@bp.route("/")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def index():
    editions = published_periods(db.session)
    rows = [(e, _public_report(e.id)) for e in editions]
    return render_template("public/index.html", rows=rows)


@bp.route("/<period:period>.zip")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def open_data(period):
    pub = published(db.session, period)
    return download(
        opendata.zip_bytes(pub, current_app.config["BASE_URL"]),
        f"one-care-open-data-{pub.period.code}.zip",
        "application/zip",
    )


@bp.route("/<period:period>/report.pdf")
@allow(PUBLIC)
@limiter.limit(PUBLIC_RATE)
def report(period):
    pub = published(db.session, period)
    artifact = _public_report(pub.edition.id)
    if artifact is None:
        raise NotFound(f"The public report of {pub.period.code} has not been rendered yet.")
    row = db.session.get(Artifact, artifact)
    return download(row.content, row.filename, "application/pdf")
