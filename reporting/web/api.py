"""The submission API: ``POST /api/v1/submissions`` with an API token (Bearer)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, jsonify, request

from reporting import pipeline
from reporting.access import SIGNED_IN, SUBMIT, can_submit_for
from reporting.accounts import organization
from reporting.errors import Forbidden, ReportingError
from reporting.ingest import PackageFile, records
from reporting.periods import parse
from reporting.security import user_for_token
from reporting.storage import db
from reporting.web.guards import allow
from reporting.web.params import period_arg

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def token_required(view):
    """Authenticate the request by its Bearer token (no session cookie is used or set)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            abort(401)
        with db.changes() as s:
            user = user_for_token(s, header[7:].strip())  # notes the token's last use
        if user is None:
            abort(401)
        g._login_user = user  # current_user for this request only: no session, no cookie
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


@bp.route("/submissions", methods=["POST"])
@token_required
@allow(SUBMIT)
def create_submission():
    user = g.api_user
    period = request.form.get("period", "").strip()
    if not period:
        raise ReportingError("Send the quarter as the form field 'period', e.g. period=2014Q3.")
    code = request.form.get("ico", "").strip() or (user.ico_code or "")
    if not code:
        raise ReportingError("Send the ICO code as the form field 'ico'.")
    org = organization(db.session, code)
    if not can_submit_for(user, org):
        raise Forbidden("This token may only submit packages for its own ICO.")
    files = [PackageFile(f.filename or name, f.read()) for name in request.files for f in request.files.getlist(name)]
    outcome = pipeline.accept_package(org.code, period, files, uploader=user, via="api")
    body = dict(outcome.report, submission_id=outcome.submission_id, late=outcome.late)
    if outcome.identical_to is not None:  # nothing created: the version in force answered again
        return jsonify(dict(body, identical_to=outcome.identical_to, message=outcome.identical_message)), 200
    return jsonify(body), (201 if outcome.accepted else 422)


@bp.route("/submissions/<int:submission_id>")
@token_required
@allow(SIGNED_IN)
def get_submission(submission_id):
    sub = records.visible_submission(db.session, g.api_user, submission_id)
    return jsonify(
        dict(
            sub.report,
            submission_id=sub.id,
            version=sub.version,
            late=sub.late,
            received_at=sub.received_at.isoformat() + "Z",
        )
    )


# --- results and inquiries ------------------------------------------------------------------------


def _inquiry_json(inquiry) -> dict:
    return {
        "id": inquiry.id,
        "ico": inquiry.organization.code,
        "period": inquiry.period_code,
        "measure_id": inquiry.measure_id,
        "status": inquiry.status,
        "resolution": inquiry.resolution or None,
        "resubmission_allowed": inquiry.resubmission_allowed,
        "messages": [
            {"author": m.author, "role": m.role, "at": m.at.isoformat() + "Z", "text": m.text} for m in inquiry.messages
        ],
    }


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ReportingError(
            'Send a JSON object, e.g. {"period": "2015Q3", "measure_id": "fuh_7d", "message": "..."}.', 422
        )
    return body


def _text_field(body: dict, name: str) -> str | None:
    """A field of a JSON body that is text (or null / absent): anything else is a 400 naming it."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        kind = {list: "a list", dict: "an object", bool: "true/false"}.get(type(value), "a number")
        raise ReportingError(
            f'\'{name}\' must be text (a JSON string), not {kind}, e.g. {{"period": "2015Q3", '
            f'"measure_id": "fuh_7d", "message": "..."}}.',
            400,
        )
    return value


@bp.route("/results")
@token_required
@allow(SIGNED_IN)
def results():
    """The results of a period of one programme (``?programme=``, by default the first the token may see) this
    token may see, preview included, with their edition and its status."""
    from reporting import programmes
    from reporting.access import programme_for
    from reporting.review.results import visible_results

    period = period_arg()
    if period is None:
        raise ReportingError("Give the period: ?period=2015Q3 (a quarter) or ?period=2015 (a year).")
    prog = programme_for(g.api_user, request.args.get("programme")) or programmes.default()
    if flag_arg("strata"):
        from reporting.review.results import visible_strata

        return jsonify(visible_strata(db.session, g.api_user, period, prog.id))
    return jsonify(visible_results(db.session, g.api_user, period, prog.id))


def flag_arg(name: str) -> bool:
    """``?name=1`` (or true, yes); absent, empty or 0 is off; anything else is a clear 400."""
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ReportingError(f"?{name}= takes 1 (or true) to ask for it, or 0; not '{raw[:40]}'.")


@bp.route("/inquiries", methods=["GET", "POST"])
@token_required
@allow(SIGNED_IN)
def inquiries():
    from reporting.review import inquiries as review

    if request.method == "GET":
        rows = review.visible(db.session, g.api_user, period_arg(), request.args.get("ico"), request.args.get("status"))
        return jsonify([_inquiry_json(i) for i in rows])
    body = _json_body()
    period, measure_id, message = (
        _text_field(body, "period"),
        _text_field(body, "measure_id"),
        _text_field(body, "message"),
    )
    with db.changes() as s:
        inquiry = review.open_inquiry(s, g.api_user, parse(period or ""), measure_id or None, message or "")
    return jsonify(_inquiry_json(inquiry)), 201


@bp.route("/inquiries/<int:inquiry_id>")
@token_required
@allow(SIGNED_IN)
def inquiry(inquiry_id):
    from reporting.review import inquiries as review

    return jsonify(_inquiry_json(review.get(db.session, g.api_user, inquiry_id)))


@bp.route("/inquiries/<int:inquiry_id>/messages", methods=["POST"])
@token_required
@allow(SIGNED_IN)
def inquiry_message(inquiry_id):
    from reporting.review import inquiries as review

    item = review.get(db.session, g.api_user, inquiry_id)
    with db.changes() as s:
        review.add_message(s, g.api_user, item, _text_field(_json_body(), "message") or "")
    return jsonify(_inquiry_json(item)), 201
