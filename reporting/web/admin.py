"""Administration: users, ICOs, API tokens and the audit trail."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from reporting import accounts, audit
from reporting.errors import NotFound, ReportingError
from reporting.rendering.exports import csv_bytes
from reporting.security import issue_token
from reporting.storage import db
from reporting.storage.models import ApiToken, AuditEvent, Organization, User, utcnow
from reporting.web.access import allow
from reporting.web.downloads import download
from reporting.web.forms import ActionForm, IcoForm, TokenForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _get(model, ident):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound("That record does not exist (any more).")
    return row


@bp.route("/")
@allow("admin")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@allow("admin")
def users():
    form = UserForm()
    orgs = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    form.ico.choices = [("", "—")] + [(o.code, f"{o.name} ({o.code})") for o in orgs]
    if form.validate_on_submit():
        try:
            accounts.create_user(db.session, email=form.email.data, role=form.role.data, password=form.password.data,
                                 name=form.name.data or "", ico=form.ico.data or None, state=form.state.data or None)
            db.session.commit()
            flash(f"User {form.email.data} created.", "success")
            return redirect(url_for("admin.users"))
        except ReportingError as e:
            db.session.rollback()
            flash(e.message, "error")
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", form=form, users=rows, action=ActionForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow("admin")
def user_active(user_id):
    user = _other_user(user_id, "You cannot disable your own account.")
    accounts.set_user_active(db.session, user, not user.active)
    db.session.commit()
    flash(f"{user.email} is now {'enabled' if user.active else 'disabled'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow("admin")
def user_password(user_id):
    """A temporary password for a user who forgot theirs: shown once, here, and changed at their next sign-in."""
    user = _other_user(user_id, "Change your own password on your account page.")
    password = accounts.issue_temporary_password(db.session, user)
    db.session.commit()
    response = Response(render_template("admin/temporary_password.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/icos", methods=["GET", "POST"])
@allow("admin")
def icos():
    form = IcoForm()
    if form.validate_on_submit():
        try:
            accounts.add_ico(db.session, code=form.code.data, name=form.name.data, state=form.state.data,
                             recipients=(form.recipients.data or "").splitlines(),
                             active_from=form.active_from.data, active_to=form.active_to.data)
            db.session.commit()
            flash(f"ICO {form.code.data.upper()} created.", "success")
            return redirect(url_for("admin.icos"))
        except ReportingError as e:
            db.session.rollback()
            flash(e.message, "error")
    rows = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template("admin/icos.html", form=form, icos=rows)


@bp.route("/icos/<code>", methods=["GET", "POST"])
@allow("admin")
def ico_edit(code):
    org = accounts.organization(db.session, code)
    form = IcoForm(obj=org) if request.method == "GET" else IcoForm()
    if request.method == "GET":
        form.recipients.data = "\n".join(r.email for r in org.recipients)
    form.code.data, form.state.data = org.code, org.state
    if form.validate_on_submit():
        try:
            accounts.update_ico(db.session, org, name=form.name.data, active_from=form.active_from.data,
                                active_to=form.active_to.data, enabled=form.enabled.data,
                                recipients=(form.recipients.data or "").splitlines())
            db.session.commit()
            flash(f"ICO {org.code} saved.", "success")
            return redirect(url_for("admin.icos"))
        except ReportingError as e:
            db.session.rollback()
            flash(e.message, "error")
    return render_template("admin/ico_edit.html", form=form, org=org)


@bp.route("/tokens", methods=["GET", "POST"])
@allow("admin")
def tokens():
    form = TokenForm()
    people = db.session.scalars(select(User).where(User.active).order_by(User.email)).all()
    form.user.choices = [(str(u.id), f"{u.email} ({u.role})") for u in people]
    secret = None
    if form.validate_on_submit():
        user = db.session.get(User, int(form.user.data)) if (form.user.data or "").isdigit() else None
        if user is None:
            flash("Choose a user for the token.", "error")
        else:
            row, secret = issue_token(db.session, user, form.name.data.strip())
            audit.record("token.issue", user.email, detail={"token": row.prefix, "name": row.name}, session=db.session)
            db.session.commit()
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    return render_template("admin/tokens.html", form=form, tokens=rows, secret=secret, action=ActionForm())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@allow("admin")
def token_revoke(token_id):
    ActionForm().validate_on_submit() or _bad_form()
    row = _get(ApiToken, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("token.revoke", row.user.email, detail={"token": row.prefix}, session=db.session)
        db.session.commit()
        flash(f"Token {row.prefix}… revoked.", "success")
    return redirect(url_for("admin.tokens"))


AUDIT_COLUMNS = ["at", "actor", "action", "target", "outcome", "ip", "detail"]


def _audit_query():
    q = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    args = request.args
    if args.get("action"):
        q = q.where(AuditEvent.action.startswith(args["action"].strip()))
    if args.get("actor"):
        q = q.where(AuditEvent.actor.contains(args["actor"].strip().lower()))
    if args.get("outcome"):
        q = q.where(AuditEvent.outcome == args["outcome"])
    for name, op in (("since", "ge"), ("until", "lt")):
        if args.get(name):
            try:
                day = datetime.strptime(args[name], "%Y-%m-%d")
            except ValueError:
                raise ReportingError(f"'{args[name]}' is not a date: write it as YYYY-MM-DD.") from None
            q = q.where(AuditEvent.at >= day if op == "ge" else AuditEvent.at < day + timedelta(days=1))
    return q


@bp.route("/audit")
@allow("admin")
def audit_log():
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.scalars(_audit_query().limit(101).offset((page - 1) * 100)).all()
    return render_template("admin/audit.html", events=rows[:100], page=page, has_next=len(rows) > 100,
                           args=request.args)


@bp.route("/audit.csv")
@allow("admin")
def audit_csv():
    rows = db.session.scalars(_audit_query().limit(100_000)).all()
    data = [[e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target, e.outcome, e.ip, e.detail] for e in rows]
    audit.record("download", "audit.csv", detail={"rows": len(data)})
    return download(csv_bytes(AUDIT_COLUMNS, data), "audit-events.csv", "text/csv")


def _other_user(user_id: int, refusal: str) -> User:
    """The user a button acts on, after its CSRF check; never the administrator pressing it."""
    ActionForm().validate_on_submit() or _bad_form()
    user = _get(User, user_id)
    if user.id == current_user.id:
        raise ReportingError(refusal)
    return user


def _bad_form():
    raise ReportingError("The form had expired. Reload the page and try again.")


# --- schedules, runs and deliveries -------------------------------------------------------------

@bp.route("/schedules", methods=["GET", "POST"])
@allow("admin")
def schedules():
    from reporting.jobs.scheduler import ensure_schedules
    from reporting.storage.models import Edition, JobRun, Schedule
    ensure_schedules()
    if request.method == "POST":
        ActionForm().validate_on_submit() or _bad_form()
        row = db.session.get(Schedule, request.form.get("schedule_id", ""))
        if row is None:
            raise NotFound("There is no such schedule.")
        cron = (request.form.get("cron") or "").strip()
        try:
            from apscheduler.triggers.cron import CronTrigger
            CronTrigger.from_crontab(cron)
        except ValueError as e:
            flash(f"'{cron}' is not a cron expression ({e}). Write five fields: minute hour day month day-of-week, "
                  f"e.g. 0 6 * * *.", "error")
            return redirect(url_for("admin.schedules"))
        row.cron, row.enabled, row.updated_at, row.updated_by = cron, bool(request.form.get("enabled")), utcnow(), current_user.email
        audit.record("schedule.update", row.id, detail={"cron": cron, "enabled": row.enabled}, session=db.session)
        db.session.commit()
        flash(f"Schedule {row.id} saved; the scheduler picks it up within a minute.", "success")
        return redirect(url_for("admin.schedules"))
    rows = db.session.scalars(select(Schedule).order_by(Schedule.id)).all()
    runs = db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc()).limit(50)).all()
    previews = db.session.scalars(select(Edition).where(Edition.status == "awaiting_approval")).all()
    editions = db.session.scalars(select(Edition).order_by(Edition.created_at.desc()).limit(30)).all()
    return render_template("admin/schedules.html", schedules=rows, runs=runs, previews=previews, editions=editions,
                           action=ActionForm())


@bp.route("/editions/<int:edition_id>/approve", methods=["POST"])
@allow("admin", "reviewer")
def approve(edition_id):
    ActionForm().validate_on_submit() or _bad_form()
    from reporting import pipeline
    pipeline.approve_edition(edition_id, current_user)
    flash("Edition published. The scheduler renders and sends it within a minute.", "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("dashboards.reports"))


@bp.route("/deliveries")
@allow("admin")
def deliveries():
    from reporting.storage.models import Delivery
    status = request.args.get("status", "")
    query = select(Delivery).order_by(Delivery.id.desc())
    if status:
        query = query.where(Delivery.status == status)
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.scalars(query.limit(101).offset((page - 1) * 100)).all()
    return render_template("admin/deliveries.html", deliveries=rows[:100], status=status, page=page,
                           has_next=len(rows) > 100, action=ActionForm())


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
@allow("admin")
def resend(delivery_id):
    ActionForm().validate_on_submit() or _bad_form()
    from reporting.delivery import ledger
    if ledger.resend(db.session, delivery_id):
        audit.record("send.retry", str(delivery_id), session=db.session)
        db.session.commit()
        flash("Queued again: it goes out within a minute.", "success")
    else:
        flash("Only failed or uncertain deliveries can be sent again.", "error")
    return redirect(url_for("admin.deliveries", status=request.args.get("status", "")))
