"""Dashboards: read stored results only; never compute while a user waits."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from reporting.web.access import allow

bp = Blueprint("dashboards", __name__)


@bp.route("/")
@allow("public")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home.html")
