"""The FHIR API (``/api/v1/fhir``): Measure and MeasureReport resources as ``application/fhir+json``, for
bearer tokens (no public FHIR: every address needs a token). Each answer is one programme's (``?programme=``; the
first the token may see by default): reviewers see every ICO of their scope and the programme's statewide figure, a
state reviewer their state's programmes only; an ICO token its own ICO and statewide (statewide as the access policy
allows it) and, for its own use only, the subject-list of its gaps. Summary reports carry the results by group the
token may see (``strata.seen_by``: exact values, like the pages; suppression is for the public outputs).
Every refusal is an OperationOutcome."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from measures import REGISTRY
from reporting.access import (
    SIGNED_IN,
    can_see_ico,
    can_see_statewide,
    may_see_programme,
    member_lists_for,
    programme_for,
    programmes_for,
)
from reporting.artifacts import run_states
from reporting.engine import STATEWIDE
from reporting.errors import Forbidden, NotFound, ReportingError
from reporting.interop import fhir
from reporting.interop.published import published
from reporting.publication import strata
from reporting.publication.figures import as_published, withheld_from
from reporting.storage import db
from reporting.web.api import token_required
from reporting.web.guards import allow
from reporting.web.params import period_arg

bp = Blueprint("fhir", __name__, url_prefix="/api/v1/fhir")
REPORT_PARAMS = {"period", "ico", "measure", "type", "programme"}


def _answer(resource, status: int = 200) -> Response:
    return Response(resource.model_dump_json(), status=status, mimetype=fhir.MEDIA_TYPE)


def _base() -> str:
    return current_app.config["BASE_URL"]


@bp.errorhandler(ReportingError)
def _reporting_error(e):
    code = {403: "forbidden", 404: "not-found"}.get(e.status, "invalid")
    return _answer(fhir.outcome(e.message, code), e.status)


@bp.errorhandler(HTTPException)
def _http_error(e):
    status = e.code or 500
    message = {
        401: "Send an API token as 'Authorization: Bearer <token>'.",
        403: "This token may not see this resource.",
    }.get(status, e.description or "")
    code = {401: "login", 403: "forbidden", 404: "not-found"}.get(status, "invalid")
    return _answer(fhir.outcome(message, code), status)


def _no_unknown(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ReportingError(
            f"Unknown search parameter(s): {', '.join(unknown)}. This endpoint takes "
            f"{', '.join(sorted(allowed)) or 'none'}.",
            400,
        )


@bp.route("/Measure")
@token_required
@allow(SIGNED_IN)
def measures():
    """The Measures of every programme the token may see, or of the one ``?programme=`` names."""
    _no_unknown({"programme"})
    wanted = request.args.get("programme")
    chosen = [programme_for(g.api_user, wanted)] if wanted else programmes_for(g.api_user)
    return _answer(fhir.bundle(fhir.measures(_base(), chosen), "searchset", _base()))


@bp.route("/Measure/<measure_id>")
@token_required
@allow(SIGNED_IN)
def measure(measure_id):
    found = fhir.measure_id_of(measure_id)
    if found is None:
        raise NotFound(f"There is no Measure '{measure_id}'. GET /api/v1/fhir/Measure lists them.")
    if not may_see_programme(g.api_user, found[0]):
        raise Forbidden("This token may not see that programme's measures.")
    return _answer(fhir.measure(REGISTRY[found[1]], _base(), found[0]))


def _scope(pub, requested: str | None) -> list[str]:
    """The ICO codes (and STATEWIDE) of a published period this token may see, or the one it asked for."""
    user = g.api_user
    visible = [o.code for o in pub.icos if can_see_ico(user, o)]
    states = run_states(db.session, pub.run.id)
    statewide = [STATEWIDE] if can_see_statewide(user, states, len(pub.icos)) else []
    if requested:
        code = requested.strip().upper()
        if code in visible or code in statewide:
            return [code]
        if code == STATEWIDE or any(o.code == code for o in pub.icos):
            raise Forbidden(f"This token may not see {code}'s results.")
        raise NotFound(f"{code} has no results in {pub.period.code}.")
    return visible + statewide


def _measure_param(programme) -> list[str] | None:
    raw = request.args.get("measure")
    if raw is None:
        return None
    found = fhir.measure_id_of(raw)
    mid = found[1] if found and found[0] == programme.id else (raw if raw in programme.measures else None)
    if mid is None:
        raise ReportingError(
            f"Unknown measure '{raw}' for {programme.name}: use one of its measure ids ({', '.join(programme.measures)}).",
            400,
        )
    return [mid]


@bp.route("/MeasureReport")
@token_required
@allow(SIGNED_IN)
def measure_reports():
    _no_unknown(REPORT_PARAMS)
    period = period_arg()
    if period is None:
        raise ReportingError("Give the period: ?period=2015Q3 (a quarter) or ?period=2015 (a year).", 400)
    pub = published(db.session, period, programme_for(g.api_user, request.args.get("programme")))  # None: default
    kind = request.args.get("type", "summary")
    measure_ids = _measure_param(pub.programme)
    if kind == "subject-list":
        return _answer(fhir.bundle(_subject_lists(pub, measure_ids), "searchset", _base()))
    if kind != "summary":
        raise ReportingError("type is summary (the default) or subject-list.", 400)
    scope = _scope(pub, request.args.get("ico"))
    reports = fhir.summaries(pub, _base(), scope, run_states(db.session, pub.run.id), measure_ids, _strata(pub))
    withheld = _withheld(pub)
    reports = [r for r in reports if fhir.parse_report_id(r.id)[1:3] not in withheld]
    return _answer(fhir.bundle(reports, "searchset", _base()))


def _strata(pub, measure_id: str | None = None):
    """The results by group of ``pub`` this token may see (``strata.seen_by``: exact values, as on the pages)."""
    basis = as_published(db.session, programme_id=pub.programme.id)
    return strata.seen_by(db.session, g.api_user, basis, pub.period.code, measure_id=measure_id)


def _withheld(pub) -> set[tuple[str, str]]:
    """(STATEWIDE, measure) reports this token may not see: an ICO's, where with its own figures and everything
    public the statewide figure would give another ICO's (``figures.withheld_from``)."""
    withheld = withheld_from(db.session, g.api_user.role, as_published(db.session, programme_id=pub.programme.id))
    return {(STATEWIDE, mid) for mid, period in withheld if period == pub.period.code}


def _subject_lists(pub, measure_ids) -> list:
    """Member lists behind the gaps: the ICO's own token (or an admin's, naming the ICO), never reviewers."""
    from reporting.engine.store import units_of
    from reporting.publication.figures import gap_units

    code = member_lists_for(g.api_user, request.args.get("ico"))
    if not any(o.code == code for o in pub.icos):
        raise NotFound(f"{code or 'The ICO'} has no results in {pub.period.code}: give ?ico=CODE.")
    out = []
    for mid in measure_ids or [m for m in pub.programme.measures if REGISTRY[m].unit != "score"]:
        units = units_of(db.session, pub.run.id, mid, code)
        if units is None or REGISTRY[mid].unit == "score":
            continue
        gap = gap_units(REGISTRY[mid], units)
        ids = gap["member_id"].astype(str).tolist() if "member_id" in gap else []
        out.append(fhir.subject_list(pub, mid, code, _base(), ids))
    return out


@bp.route("/MeasureReport/<report_id>")
@token_required
@allow(SIGNED_IN)
def measure_report(report_id):
    parts = fhir.parse_report_id(report_id)
    if parts is None:
        raise NotFound(
            f"There is no MeasureReport '{report_id}'. Ids read PERIOD.ICO.programme-measure, "
            f"e.g. 2015Q2.HA.ma-one-care-fuh-7d."
        )
    period, code, mid, programme_id = parts
    if not may_see_programme(g.api_user, programme_id):
        raise Forbidden("This token may not see that programme's results.")
    pub = published(db.session, period, programme_id)
    scope = _scope(pub, code)
    if (scope[0], mid) in _withheld(pub):
        raise Forbidden(
            f"This token may not see the statewide {mid} of {period}: with your own figures it would "
            f"give another ICO's."
        )
    rows = fhir.strata_by_report(_strata(pub, mid)).get((mid, scope[0]))
    report = fhir.summary(pub, mid, scope[0], _base(), run_states(db.session, pub.run.id), rows)
    if report is None:
        raise NotFound(f"There is no result of {mid} for {code} in {period}.")
    return _answer(report)
