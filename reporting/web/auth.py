"""Sign-in, sign-out and the signed-in user's own account (password change)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from reporting import accounts, audit
from reporting.errors import ReportingError
from reporting.security import check_credentials, recent_failures
from reporting.storage import db
from reporting.storage.models import utcnow
from reporting.web import error_response, limiter
from reporting.web.access import allow
from reporting.web.forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboards.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@allow("public")
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        cfg = current_app.config
        if recent_failures(db.session, email, cfg["LOGIN_LOCKOUT_MINUTES"]) >= cfg["LOGIN_MAX_FAILURES"]:
            audit.record("login", email, "locked")
            return error_response(429, f"Too many failed sign-ins for this account. It is locked for "
                                       f"{cfg['LOGIN_LOCKOUT_MINUTES']} minutes; try again later or ask an "
                                       f"administrator to reset your password.", "Account locked")
        user = check_credentials(db.session, email, form.password.data)
        if user is None:
            db.session.rollback()
            audit.record("login", email, "failure")
            flash("The e-mail or password is wrong.", "error")
            return render_template("auth/login.html", form=form), 401
        user.last_login_at = utcnow()
        db.session.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        audit.record("login", email, "success", actor=user)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow("signed_in")
def logout():
    accounts.sign_out(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@allow("signed_in")
def account():
    """The signed-in user's account: who they are, and a form to change their password."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        if recent_failures(db.session, current_user.email, cfg["LOGIN_LOCKOUT_MINUTES"]) >= cfg["LOGIN_MAX_FAILURES"]:
            return error_response(429, f"Too many wrong passwords for this account. Try again in "
                                       f"{cfg['LOGIN_LOCKOUT_MINUTES']} minutes.", "Account locked")
        user = current_user._get_current_object()
        try:
            accounts.change_own_password(db.session, user, form.current.data, form.new.data, form.confirm.data)
            db.session.commit()
        except accounts.WrongPassword as e:
            db.session.rollback()
            audit.record("user.password_change", user.email, "failure", actor=user)
            flash(e.message, "error")
            status = 400
        except ReportingError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 400
        else:
            login_user(user)                    # this session stays signed in; every other one is signed out
            flash("Your password is changed. Any other session of yours has been signed out.", "success")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/account.html", form=form), status
