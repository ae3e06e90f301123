"""Inquiries: the list (filters by period, ICO, status), a thread with its messages, opening one on a result
("Question this result"), answering, allowing a resubmission, closing with a resolution, and publishing a
preview anyway with a reason. Every view asks the access policy through ``review.inquiries``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from measures import REGISTRY
from reporting import pipeline
from reporting.access import (
    ANSWER_INQUIRIES,
    OPEN_INQUIRIES,
    PUBLISH_PREVIEW,
    SIGNED_IN,
    preview_concerns,
    reviews,
    visible_icos,
)
from reporting.errors import ReportingError
from reporting.periods import parse
from reporting.publication import editions
from reporting.review import inquiries as review
from reporting.storage import db
from reporting.storage.models import Edition
from reporting.web.forms import ActionForm
from reporting.web.guards import allow
from reporting.web.params import period_arg, programme_arg

bp = Blueprint("inquiries", __name__, url_prefix="/inquiries")


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        raise ReportingError("The form had expired. Reload the page and try again.")


def _programme():
    """The programme the page shows: an ICO user's own, else ``?programme=`` as the viewer may see it."""
    return programme_arg(current_user, required=True)


def _open_periods(programme_id: str) -> list[Edition]:
    """The programme's editions open to inquiries (in preview, or published and revised; newest first) that concern
    the viewer: an ICO user's of the periods its ICO took part in (``access.preview_concerns``)."""
    return [e for e in editions.open_to_inquiries(db.session, programme_id) if preview_concerns(current_user, e)]


@bp.route("")
@bp.route("/")
@allow(SIGNED_IN)
def index():
    args = {k: (request.args.get(k) or "").strip() for k in ("period", "ico", "status")}
    period, prog = period_arg(), _programme()
    rows = review.visible(db.session, current_user, period, args["ico"] or None, args["status"] or None, prog)
    period_preview = editions.preview_of(db.session, period.code, prog.id) if period else None
    return render_template(
        "inquiries/index.html",
        rows=rows,
        args=args,
        measures=REGISTRY,
        icos=visible_icos(db.session, current_user, prog),
        open_periods=_open_periods(prog.id),
        period_preview=period_preview,
        open_in_period=(
            review.open_for_period(db.session, period_preview.period_code, prog.id) if period_preview else []
        ),
        prog=prog,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(OPEN_INQUIRIES)
def new():
    prog = _programme()
    periods, measures = _open_periods(prog.id), {m: REGISTRY[m] for m in prog.measures}
    form = {
        "period": request.values.get("period", periods[0].period_code if periods else ""),
        "measure_id": request.values.get("measure", request.values.get("measure_id", "")),
        "message": request.form.get("message", ""),
    }
    if request.method == "POST":
        _checked()
        try:
            with db.changes() as s:
                inquiry = review.open_inquiry(
                    s, current_user, parse(form["period"]), form["measure_id"] or None, form["message"]
                )
        except ReportingError as e:
            flash(e.message, "error")
            return render_template("inquiries/new.html", periods=periods, form=form, measures=measures), e.status
        flash(
            f"Inquiry {inquiry.id} opened. The reviewers are told by e-mail within a minute; you will get one when "
            f"they answer.",
            "success",
        )
        return redirect(url_for("inquiries.thread", inquiry_id=inquiry.id))
    return render_template("inquiries/new.html", periods=periods, form=form, measures=measures)


@bp.route("/<int:inquiry_id>")
@allow(SIGNED_IN)
def thread(inquiry_id):
    inquiry = review.get(db.session, current_user, inquiry_id)
    programme_arg(current_user, inquiry.organization.programme_id)  # the page names the inquiry's programme
    (asked,) = review.questioned(db.session, [inquiry])
    return render_template(
        "inquiries/thread.html", inquiry=inquiry, asked=asked, measures=REGISTRY, reviewer=reviews(current_user)
    )


def _act(inquiry_id, action, done: str):
    _checked()
    inquiry = review.get(db.session, current_user, inquiry_id)
    try:
        with db.changes():
            action(inquiry)
        flash(done, "success")
    except ReportingError as e:
        if e.status == 403:
            raise
        flash(e.message, "error")
    return redirect(url_for("inquiries.thread", inquiry_id=inquiry_id))


@bp.route("/<int:inquiry_id>/messages", methods=["POST"])
@allow(SIGNED_IN)
def message(inquiry_id):
    return _act(
        inquiry_id,
        lambda i: review.add_message(db.session, current_user, i, request.form.get("message", "")),
        "Message added. The other side has been told.",
    )


@bp.route("/<int:inquiry_id>/close", methods=["POST"])
@allow(ANSWER_INQUIRIES)
def close(inquiry_id):
    return _act(
        inquiry_id,
        lambda i: review.close(
            db.session, current_user, i, request.form.get("resolution", ""), request.form.get("reason", "")
        ),
        "Inquiry closed.",
    )


@bp.route("/<int:inquiry_id>/reopen", methods=["POST"])
@allow(ANSWER_INQUIRIES)
def reopen(inquiry_id):
    return _act(inquiry_id, lambda i: review.reopen(db.session, current_user, i), "Inquiry reopened.")


@bp.route("/<int:inquiry_id>/allow-resubmission", methods=["POST"])
@allow(ANSWER_INQUIRIES)
def allow_resubmission(inquiry_id):
    return _act(
        inquiry_id,
        lambda i: review.allow_resubmission(db.session, current_user, i),
        "The ICO may resubmit the period during the preview.",
    )


@bp.route("/publish/<period:period>", methods=["POST"])
@allow(PUBLISH_PREVIEW)
def publish(period):
    """Publish a preview now; with inquiries open, a written reason is required (kept on the edition)."""
    _checked()
    prog = _programme()
    back = url_for("inquiries.index", period=period.code, programme=prog.id)
    try:
        outcome = pipeline.publish_preview(
            period, current_user._get_current_object(), request.form.get("reason", ""), programme=prog, finish=False
        )
    except ReportingError as e:
        flash(e.message, "error")
        return redirect(back)
    # Rendering and e-mailing every report may take minutes at national size: the scheduler's every-minute
    # delivery job does it (and only it), never a web worker a timeout may kill half-way.
    flash(
        f"{prog.name} {period.code} published (edition {outcome.edition_number}). Its reports are rendered and "
        "e-mailed by the scheduler within a few minutes; they appear under Reports as they are ready.",
        "success",
    )
    return redirect(back)
