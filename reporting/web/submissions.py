"""Submissions: templates and dictionary, upload, the validation report, version history."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from measures.dictionary import FILES
from reporting import audit, clock, pipeline
from reporting.access import SIGNED_IN, SUBMIT, can_submit_for, is_admin, visible_icos
from reporting.errors import ReportingError
from reporting.ingest import PackageFile, records
from reporting.ingest.report import RULES, Summary
from reporting.participation import has_left
from reporting.periods import ended_quarters, stored
from reporting.storage import db
from reporting.storage.models import Organization
from reporting.web.downloads import download
from reporting.web.forms import UploadForm
from reporting.web.guards import allow

bp = Blueprint("submissions", __name__, url_prefix="/submissions")


@bp.route("/")
@allow(SIGNED_IN)
def index():
    orgs, periods, grid = records.status_grid(db.session, current_user, clock.today())
    return render_template("submissions/index.html", orgs=orgs, periods=periods, grid=grid)


@bp.route("/dictionary")
@allow(SIGNED_IN)
def dictionary():
    return render_template("submissions/dictionary.html", files=FILES.values(), rules=RULES)


@bp.route("/template.zip")
@allow(SIGNED_IN)
def template_zip():
    audit.record("download", "template.zip")
    return download(records.template_zip(), "one-care-package-template.zip", "application/zip")


@bp.route("/template.xlsx")
@allow(SIGNED_IN)
def template_xlsx():
    audit.record("download", "template.xlsx")
    return download(
        records.template_xlsx(),
        "one-care-package-template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _submit_orgs():
    if is_admin(current_user):
        return db.session.scalars(select(Organization).where(Organization.enabled).order_by(Organization.name)).all()
    return [o for o in visible_icos(db.session, current_user) if can_submit_for(current_user, o)]


@bp.route("/upload", methods=["GET", "POST"])
@allow(SUBMIT)
def upload():
    form = UploadForm()
    orgs = _submit_orgs()
    periods = [
        p
        for p in ended_quarters(clock.today(), current_app.config["PROGRAM_FIRST_PERIOD"])
        if not any(has_left(o, stored(p)) for o in orgs) or len(orgs) > 1  # a departed ICO: its own quarters only
    ]
    if not form.period.data:
        form.period.data = records.default_upload_period(db.session, orgs[0] if len(orgs) == 1 else None, periods)
    if form.validate_on_submit():
        code = request.form.get("ico") or (orgs[0].code if len(orgs) == 1 else "")
        org = next((o for o in orgs if o.code == code), None)
        if org is None:
            flash("Choose the ICO this package is for.", "error")
        else:
            files = [PackageFile(f.filename or "upload", f.read()) for f in request.files.getlist("files") if f]
            try:
                outcome = pipeline.accept_package(org.code, form.period.data, files, uploader=current_user, via="web")
            except ReportingError as e:
                flash(e.message, "error")
            else:
                return redirect(url_for("submissions.report", submission_id=outcome.submission_id))
    return render_template("submissions/upload.html", form=form, orgs=orgs, periods=periods), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:submission_id>")
@allow(SIGNED_IN)
def report(submission_id):
    sub = records.visible_submission(db.session, current_user, submission_id)
    args = {k: request.args.get(k, "") for k in ("severity", "file", "rule")}
    failures = records.filtered_failures(sub.report, **args)
    page = max(1, request.args.get("page", 1, type=int))
    per_page = 100
    return render_template(
        "submissions/report.html",
        sub=sub,
        report=Summary.from_json(sub.report),
        args=args,
        failures=failures[(page - 1) * per_page : page * per_page],
        total=len(failures),
        page=page,
        has_next=page * per_page < len(failures),
        in_force=records.in_force_version(db.session, sub),
    )


@bp.route("/<int:submission_id>/failures.csv")
@allow(SIGNED_IN)
def failures_csv(submission_id):
    sub = records.visible_submission(db.session, current_user, submission_id)
    audit.record("download", f"{sub.organization.code} {sub.period_code} v{sub.version} failures.csv")
    name = f"{sub.organization.code}-{sub.period_code}-v{sub.version}-validation.csv"
    return download(records.failures_csv(sub.report), name, "text/csv")


@bp.route("/<int:submission_id>/original")
@allow(SIGNED_IN)
def original(submission_id):
    sub = records.visible_submission(db.session, current_user, submission_id)
    name, content, kind = records.original_bytes(sub)
    audit.record("download", f"{sub.organization.code} {sub.period_code} v{sub.version} original")
    return download(content, name, kind)


@bp.route("/history/<code>/<period:period>")
@allow(SIGNED_IN)
def history(code, period):
    org, period_row, subs = records.history(db.session, current_user, code, period)
    return render_template("submissions/history.html", org=org, period=period_row, period_code=period.code, subs=subs)
