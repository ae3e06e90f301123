"""Sign-in and sign-out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from reporting import audit
from reporting.security import check_credentials, recent_failures
from reporting.storage import db
from reporting.storage.models import utcnow
from reporting.web import error_response, limiter
from reporting.web.access import allow
from reporting.web.forms import LoginForm

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
    audit.record("logout", current_user.email)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
