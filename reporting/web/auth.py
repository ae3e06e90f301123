"""Sign-in, sign-out and the signed-in user's own account (password change)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from limits import parse as parse_rate

from reporting import accounts, audit
from reporting.access import PUBLIC, SIGNED_IN
from reporting.errors import ReportingError
from reporting.security import check_credentials, failures_from, recent_failures
from reporting.storage import db
from reporting.storage.models import utcnow
from reporting.web import error_response, limiter
from reporting.web.forms import LoginForm, PasswordChangeForm
from reporting.web.guards import allow

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboards.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@allow(PUBLIC)
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        cfg = current_app.config
        rate = parse_rate(cfg["LOGIN_RATE_PER_ADDRESS"])
        if failures_from(db.session, request.remote_addr or "", rate.get_expiry()) >= rate.amount:
            # counted in the database, so the limit holds across web workers even while Redis is down
            audit.record("login", email, "limited")
            return error_response(
                429, "Too many failed sign-ins from your address. Wait a minute, then try again.", "Too many sign-ins"
            )
        if recent_failures(db.session, email, cfg["LOGIN_LOCKOUT_MINUTES"]) >= cfg["LOGIN_MAX_FAILURES"]:
            audit.record("login", email, "locked")
            return error_response(
                429,
                f"Too many failed sign-ins for this account. It is locked for "
                f"{cfg['LOGIN_LOCKOUT_MINUTES']} minutes; try again later or ask an "
                f"administrator to reset your password.",
                "Account locked",
            )
        with db.changes() as s:
            user = check_credentials(s, email, form.password.data)  # a wrong password changes nothing
            if user is not None:
                user.last_login_at = utcnow()
        if user is None:
            audit.record("login", email, "failure")
            flash("The e-mail or password is wrong.", "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(user)
        session.permanent = True
        audit.record("login", email, "success", actor=user)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    with db.changes() as s:
        accounts.sign_out(s, current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@allow(SIGNED_IN)
def account():
    """The signed-in user's account: who they are, and a form to change their password."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        if recent_failures(db.session, current_user.email, cfg["LOGIN_LOCKOUT_MINUTES"]) >= cfg["LOGIN_MAX_FAILURES"]:
            return error_response(
                429,
                f"Too many wrong passwords for this account. Try again in {cfg['LOGIN_LOCKOUT_MINUTES']} minutes.",
                "Account locked",
            )
        user = current_user._get_current_object()
        try:
            with db.changes() as s:
                accounts.change_own_password(s, user, form.current.data, form.new.data, form.confirm.data)
        except accounts.WrongPassword as e:
            audit.record("user.password_change", user.email, "failure", actor=user)
            flash(e.message, "error")
            status = 400
        except ReportingError as e:
            flash(e.message, "error")
            status = 400
        else:
            login_user(user)  # this session stays signed in; every other one is signed out
            flash("Your password is changed. Any other session of yours has been signed out.", "success")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/account.html", form=form), status
