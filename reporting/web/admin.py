"""Administration pages: users, ICOs, API tokens, the audit trail, schedules and runs, deliveries. Thin views:
what they read and change is in ``accounts``, ``audit``, ``jobs.schedules`` and ``delivery.ledger``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reporting import access, accounts, audit, programmes
from reporting.access import ADMINISTER, PUBLISH
from reporting.delivery import ledger
from reporting.errors import Forbidden, NotFound, ReportingError
from reporting.jobs import schedules as schedules_
from reporting.rendering.exports import csv_bytes
from reporting.storage import db
from reporting.storage.models import Edition, User, utcnow
from reporting.web.downloads import download
from reporting.web.forms import ActionForm, IcoForm, TokenForm, UserForm
from reporting.web.guards import allow

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_PAGE = 100_000  # of a listing: past it, the offset means nothing


def _get(model, ident):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound("That record does not exist (any more).")
    return row


@bp.route("/")
@allow(ADMINISTER)
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@allow(ADMINISTER)
def users():
    form = UserForm()
    orgs = accounts.organizations(db.session)
    form.ico.choices = [("", "—")] + [(o.code, f"{o.name} ({o.code})") for o in orgs]
    if form.validate_on_submit():
        try:
            with db.changes() as s:
                accounts.create_user(
                    s,
                    email=form.email.data,
                    role=form.role.data,
                    password=form.password.data,
                    name=form.name.data or "",
                    ico=form.ico.data or None,
                    state=form.state.data or None,
                )
            flash(f"User {form.email.data} created.", "success")
            return redirect(url_for("admin.users"))
        except ReportingError as e:
            flash(e.message, "error")
    return render_template("admin/users.html", form=form, users=accounts.users(db.session), action=ActionForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(ADMINISTER)
def user_active(user_id):
    user = _other_user(user_id, "You cannot disable your own account.")
    with db.changes() as s:
        accounts.set_user_active(s, user, not user.active)
    flash(f"{user.email} is now {'enabled' if user.active else 'disabled'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(ADMINISTER)
def user_password(user_id):
    """A temporary password for a user who forgot theirs: shown once, here, and changed at their next sign-in."""
    user = _other_user(user_id, "Change your own password on your account page.")
    try:
        with db.changes() as s:
            password = accounts.issue_temporary_password(s, user)
    except ReportingError as e:
        flash(e.message, "error")
        return redirect(url_for("admin.users"))
    response = Response(render_template("admin/temporary_password.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


def _programme_choices(form) -> None:
    form.programme.choices = [(p.id, f"{p.name} ({p.state})") for p in programmes.all()]


@bp.route("/icos", methods=["GET", "POST"])
@allow(ADMINISTER)
def icos():
    form = IcoForm()
    _programme_choices(form)
    form.programme.default = programmes.default().id
    if not form.is_submitted():
        form.process()
    if form.validate_on_submit():
        try:
            with db.changes() as s:
                accounts.add_ico(
                    s,
                    code=form.code.data,
                    name=form.name.data,
                    state=form.state.data or None,
                    recipients=(form.recipients.data or "").splitlines(),
                    active_from=form.active_from.data,
                    active_to=form.active_to.data,
                    programme=form.programme.data,
                )
            flash(f"ICO {form.code.data.upper()} created.", "success")
            return redirect(url_for("admin.icos"))
        except ReportingError as e:
            flash(e.message, "error")
    return render_template("admin/icos.html", form=form, icos=accounts.organizations(db.session))


@bp.route("/icos/<code>", methods=["GET", "POST"])
@allow(ADMINISTER)
def ico_edit(code):
    org = accounts.organization(db.session, code)
    form = IcoForm(obj=org) if request.method == "GET" else IcoForm()
    if request.method == "GET":
        form.recipients.data = "\n".join(r.email for r in org.recipients)
    form.code.data, form.state.data = org.code, org.state
    _programme_choices(form)
    form.programme.data = org.programme_id  # an ICO stays in its programme: its history is that programme's
    if form.validate_on_submit():
        try:
            with db.changes() as s:
                accounts.update_ico(
                    s,
                    org,
                    name=form.name.data,
                    active_from=form.active_from.data,
                    active_to=form.active_to.data,
                    enabled=form.enabled.data,
                    recipients=(form.recipients.data or "").splitlines(),
                )
            flash(f"ICO {org.code} saved.", "success")
            return redirect(url_for("admin.icos"))
        except ReportingError as e:
            flash(e.message, "error")
    return render_template("admin/ico_edit.html", form=form, org=org, programme=programmes.get(org.programme_id))


@bp.route("/tokens", methods=["GET", "POST"])
@allow(ADMINISTER)
def tokens():
    form = TokenForm()
    form.user.choices = [(str(u.id), f"{u.email} ({u.role})") for u in accounts.users(db.session, active_only=True)]
    secret = expires = None
    days = current_app.config["API_TOKEN_DAYS"]
    if form.validate_on_submit():
        try:
            with db.changes() as s:
                row, secret = accounts.issue_api_token(s, form.user.data, form.name.data, days)
                expires = row.expires_at
        except ReportingError as e:
            flash(e.message, "error")
    page = render_template(
        "admin/tokens.html",
        form=form,
        tokens=accounts.tokens(db.session),
        secret=secret,
        expires=expires,
        days=days,
        now=utcnow(),
        action=ActionForm(),
    )
    return page, (400 if request.method == "POST" and secret is None else 200)  # a form error: nothing issued


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@allow(ADMINISTER)
def token_revoke(token_id):
    ActionForm().validate_on_submit() or _bad_form()
    with db.changes() as s:
        row = accounts.revoke_api_token(s, token_id)
    if row is not None:
        flash(f"Token {row.prefix}… revoked.", "success")
    return redirect(url_for("admin.tokens"))


@bp.route("/audit")
@allow(ADMINISTER)
def audit_log():
    page = min(max(1, request.args.get("page", 1, type=int)), MAX_PAGE)
    try:
        rows = audit.events(db.session, request.args, limit=101, offset=(page - 1) * 100)
    except ReportingError as e:  # a bad filter: the page, with what to write instead
        flash(e.message, "error")
        return render_template("admin/audit.html", events=[], page=1, has_next=False, args=request.args), 400
    return render_template(
        "admin/audit.html", events=rows[:100], page=page, has_next=len(rows) > 100, args=request.args
    )


@bp.route("/audit.csv")
@allow(ADMINISTER)
def audit_csv():
    data = audit.rows(audit.events(db.session, request.args, limit=100_000))
    audit.record("download", "audit.csv", detail={"rows": len(data)})
    return download(csv_bytes(audit.COLUMNS, data), "audit-events.csv", "text/csv")


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
@allow(ADMINISTER)
def schedules():
    if request.method == "POST":
        ActionForm().validate_on_submit() or _bad_form()
        try:
            with db.changes() as s:
                row = schedules_.update(
                    s,
                    request.form.get("schedule_id", ""),
                    request.form.get("cron", ""),
                    bool(request.form.get("enabled")),
                    current_user._get_current_object(),
                )
            flash(f"Schedule {row.id} saved; the scheduler picks it up within a minute.", "success")
        except ReportingError as e:
            if e.status == 404:
                raise
            flash(e.message, "error")
        return redirect(url_for("admin.schedules"))
    return render_template("admin/schedules.html", **schedules_.listing(db.session), action=ActionForm())


@bp.route("/editions/<int:edition_id>/approve", methods=["POST"])
@allow(PUBLISH)
def approve(edition_id):
    ActionForm().validate_on_submit() or _bad_form()
    from reporting import pipeline

    edition = db.session.get(Edition, edition_id)
    if edition is None:
        raise NotFound(f"There is no edition {edition_id}.")
    if not access.may_publish(db.session, current_user, edition):
        raise Forbidden(
            f"Edition {edition.number} of {edition.period_code} covers ICOs of another state: only "
            f"their state's reviewers or CMS may publish it."
        )
    pipeline.approve_edition(edition_id, current_user)
    flash("Edition published. The scheduler renders and sends it within a minute.", "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("dashboards.reports")
    )


@bp.route("/deliveries")
@allow(ADMINISTER)
def deliveries():
    status = request.args.get("status", "")
    page = max(1, request.args.get("page", 1, type=int))
    rows = ledger.listing(db.session, status, limit=101, offset=(page - 1) * 100)
    return render_template(
        "admin/deliveries.html",
        deliveries=rows[:100],
        status=status,
        page=page,
        has_next=len(rows) > 100,
        action=ActionForm(),
    )


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
@allow(ADMINISTER)
def resend(delivery_id):
    ActionForm().validate_on_submit() or _bad_form()
    with db.changes() as s:
        queued = ledger.resend(s, delivery_id)
        if queued:
            audit.record("send.retry", str(delivery_id), session=s)
    if queued:
        flash("Queued again: it goes out within a minute.", "success")
    else:
        flash("Only failed or uncertain deliveries can be sent again.", "error")
    return redirect(url_for("admin.deliveries", status=request.args.get("status", "")))
