"""Submissions: templates and dictionary, upload, the validation report, version history."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from measures.dictionary import FILES
from reporting import audit, clock, pipeline, programmes
from reporting.access import SIGNED_IN, SUBMIT, can_submit_for, is_admin, is_ico_user, visible_icos
from reporting.errors import ReportingError
from reporting.freshness import stale_periods
from reporting.ingest import PackageFile, records
from reporting.ingest.report import RULES, Summary
from reporting.participation import has_left
from reporting.periods import ended_quarters, stored
from reporting.review import preview
from reporting.storage import db
from reporting.storage.models import Organization
from reporting.web.downloads import download
from reporting.web.forms import UploadForm
from reporting.web.guards import allow
from reporting.web.params import programme_arg

bp = Blueprint("submissions", __name__, url_prefix="/submissions")


def _programme():
    """The programme these pages are of: an ICO user's own ICO's, else the one chosen (``programme_arg``); the
    default for a reviewer of a state with no programme."""
    org = current_user.organization if is_ico_user(current_user) else None
    return programme_arg(current_user, org.programme_id if org is not None else None) or programmes.default()


@bp.route("/")
@allow(SIGNED_IN)
def index():
    prog = _programme()
    orgs, periods, grid = records.status_grid(db.session, current_user, clock.today(), prog)
    return render_template("submissions/index.html", orgs=orgs, periods=periods, grid=grid, programme=prog)


@bp.route("/dictionary")
@allow(SIGNED_IN)
def dictionary():
    prog = _programme()
    rules = {**RULES, "age_eligibility": ("error", f"a member aged outside {prog.ages} on enrollment_start")}
    return render_template(
        "submissions/dictionary.html",
        files=FILES.values(),
        rules=rules,
        programme=prog,
        own_rules=records.column_rules(prog),
        measures=prog.measure_set.values(),
    )


@bp.route("/template.zip")
@allow(SIGNED_IN)
def template_zip():
    prog = _programme()
    audit.record("download", "template.zip")
    return download(records.template_zip(), f"{prog.id}-package-template.zip", "application/zip")


@bp.route("/template.xlsx")
@allow(SIGNED_IN)
def template_xlsx():
    prog = _programme()
    audit.record("download", "template.xlsx")
    return download(
        records.template_xlsx(prog),
        f"{prog.id}-package-template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _submit_orgs(prog):
    """The ICOs of ``prog`` the user may submit for: an admin every enabled one, an ICO user their own."""
    if is_admin(current_user):
        return db.session.scalars(
            select(Organization)
            .where(Organization.enabled, Organization.programme_id == prog.id)
            .order_by(Organization.name)
        ).all()
    return [o for o in visible_icos(db.session, current_user, prog) if can_submit_for(current_user, o)]


@bp.route("/upload", methods=["GET", "POST"])
@allow(SUBMIT)
def upload():
    form = UploadForm()
    prog = _programme()
    orgs = _submit_orgs(prog)
    periods = [
        p
        for p in ended_quarters(clock.today(), prog)  # the programme's quarters, from its first
        if not any(has_left(o, stored(p)) for o in orgs) or len(orgs) > 1  # a departed ICO: its own quarters only
    ]
    one = orgs[0] if len(orgs) == 1 else None
    if not form.period.data:
        refused = {p for p in periods if one is not None and preview.resubmission_refused(db.session, one, p)}
        form.period.data = records.default_upload_period(db.session, one, periods, refused)
    if form.validate_on_submit():
        code = request.form.get("ico") or (one.code if one is not None else "")
        org = next((o for o in orgs if o.code == code), None)
        files = [PackageFile(f.filename or "upload", f.read()) for f in request.files.getlist("files") if f]
        if not files:  # before any other refusal: nothing was chosen
            flash(
                "Choose the package's files first: a ZIP of the CSV files, the CSV files themselves, or one XLSX "
                "workbook, then press Upload and check.",
                "error",
            )
        elif org is None:
            flash("Choose the ICO this package is for.", "error")
        else:
            try:
                outcome = pipeline.accept_package(org.code, form.period.data, files, uploader=current_user, via="web")
            except ReportingError as e:
                flash(e.message, "error")
            else:
                if outcome.identical_to is not None:  # the version in force, shown again: nothing new
                    flash(f"{org.name}, {outcome.report['period']}: {outcome.identical_message}", "success")
                return redirect(url_for("submissions.report", submission_id=outcome.submission_id))
    return render_template("submissions/upload.html", form=form, orgs=orgs, periods=periods, programme=prog), (
        400 if request.method == "POST" else 200
    )


@bp.route("/<int:submission_id>")
@allow(SIGNED_IN)
def report(submission_id):
    sub = records.visible_submission(db.session, current_user, submission_id)
    programme_arg(current_user, sub.organization.programme_id)  # the page names the submission's programme
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
        updating=sub.period_code in stale_periods(db.session, sub.organization.programme_id),
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
    programme_arg(current_user, org.programme_id)
    return render_template("submissions/history.html", org=org, period=period_row, period_code=period.code, subs=subs)
