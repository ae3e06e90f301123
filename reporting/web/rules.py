"""The Rules pages: the rule set in force and its history, drafts (form or CSV), the impact preview, adoption,
and issuing revised withhold reports. Admins and CMS reviewers change rules; state reviewers read them."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from measures import REGISTRY
from reporting import access, pipeline, programmes
from reporting.access import EDIT_RULES, READ_RULES, may_edit_rules
from reporting.errors import ReportingError
from reporting.periods import parse_year
from reporting.publication.editions import EditionStatus
from reporting.rendering.exports import csv_bytes, xlsx_bytes
from reporting.rules import impact as impact_
from reporting.rules import store
from reporting.storage import db
from reporting.web.downloads import download
from reporting.web.forms import ActionForm
from reporting.web.guards import allow
from reporting.web.params import programme_arg

bp = Blueprint("rules", __name__, url_prefix="/rules")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_RULES_FILE = 200_000
TIER_ROWS_TO_ADD = 2  # blank rows under the tier table of the form, to add tiers


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        raise ReportingError("The form had expired. Reload the page and try again.")


def _programme():
    """The programme whose rules a page shows (``?programme=`` or a form's ``programme``, as the viewer may see)."""
    return programme_arg(current_user, required=True)


def _rule_set(rule_set_id: int):
    """A rule set by id, if the viewer may see its programme (403 for another state's), named by the page."""
    rs = store.get(db.session, rule_set_id)
    programme_arg(current_user, access.programme_for(current_user, rs.programme_id).id)
    return rs


def _year(programme_id: str) -> int:
    """``?year=`` as a year of the programme's rules (when absent, the newest with results: ``store.default_year``);
    a clear 400 when it is not a year written in the digits 0-9 (``abc``, ``2015Q1``, ``２０１５``) or the programme
    has no rules for it."""
    years = store.years(db.session, programme_id)
    raw = request.args.get("year", "").strip()
    if not raw:
        return store.default_year(db.session, programme_id)
    year = parse_year(raw)
    if year not in years:
        listed = ", ".join(str(y) for y in years) or "none yet"
        raise ReportingError(
            f"There are no rules for the year {year} in {programmes.get(programme_id).name}. Years with rules: "
            f"{listed}. Choose one of them{f', e.g. ?year={years[0]}' if years else ''}.",
            400,
        )
    return year


@bp.route("/")
@allow(READ_RULES)
def index():
    prog = _programme()
    year = _year(prog.id)
    rs = store.in_force(db.session, year, prog.id)
    years = store.years(db.session, prog.id)
    return render_template(
        "rules/index.html",
        year=year,
        years=years,
        rs=rs,
        rows=store.measure_rows(rs) if rs else [],
        tiers=store.tier_rows(rs) if rs else [],
        problems=store.stored_problems(rs) if rs else {},
        history=store.history(db.session, year, prog.id),
        measures=REGISTRY,
        can_edit=may_edit_rules(current_user),
        reissue=store.revision(db.session, year, prog.id),
        prog=prog,
        next_year=(years[0] + 1) if years else None,
    )


@bp.route("/drafts", methods=["POST"])
@allow(EDIT_RULES)
def new_draft():
    _checked_form()
    year = request.form.get("year", "")
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        raise ReportingError("Give the measurement year, e.g. 2015.")
    with db.changes() as s:
        draft = store.create_draft(s, int(year), current_user.email, programme_id=_programme().id)
    flash(
        f"Draft {draft.label} created from the rules in force. Change what you need, then look at its impact.",
        "success",
    )
    return redirect(url_for("rules.edit", rule_set_id=draft.id))


@bp.route("/years", methods=["POST"])
@allow(EDIT_RULES)
def new_year():
    """A new measurement year: a draft version 1, seeded from the newest year's rules in force."""
    _checked_form()
    year = request.form.get("year", "").strip()
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        raise ReportingError("Give the new measurement year as four digits, e.g. 2016.")
    with db.changes() as s:
        draft = store.start_year(s, int(year), current_user.email, _programme().id)
        label, note, draft_id = draft.label, draft.note, draft.id
    flash(
        f"Draft {label} started ({note.lower()}). Set the year's benchmarks, withhold measures and tiers, then "
        f"adopt it.",
        "success",
    )
    return redirect(url_for("rules.edit", rule_set_id=draft_id))


@bp.route("/<int:rule_set_id>/edit", methods=["GET", "POST"])
@allow(EDIT_RULES)
def edit(rule_set_id):
    draft = _rule_set(rule_set_id)
    errors: dict[tuple[str, str], str] = {}
    file_problems: list[str] = []
    tier_problems: list[str] = []
    values = {r["measure_id"]: r for r in store.measure_rows(draft)}
    tiers = store.tier_rows(draft)
    if request.method == "POST":
        _checked_form()
        upload = request.files.get("file")
        case_mix = None  # the CSV leaves it as it is; the form says it with its checkbox
        try:
            if upload and upload.filename:
                text = upload.read(MAX_RULES_FILE + 1)
                if len(text) > MAX_RULES_FILE:
                    raise store.RuleFileError([f"the file is larger than {MAX_RULES_FILE // 1000} KB"])
                changes, new_tiers = store.parse_changes(text.decode("utf-8-sig", errors="replace"))
            else:
                changes, errors = _form_changes(values)
                case_mix, problem = _form_case_mix()
                if problem:
                    errors[("rules", "case_mix_adjusted")] = problem
                new_tiers, tier_problems = store.check_tiers(
                    [
                        (
                            f"tier row {i + 1}",
                            request.form.get(f"tier.{i}.min_share_met", ""),
                            request.form.get(f"tier.{i}.earned_back", ""),
                        )
                        for i in range(len(tiers) + TIER_ROWS_TO_ADD)
                    ]
                )
            if not errors and not tier_problems:
                with db.changes() as s:
                    store.apply_changes(s, draft, changes, current_user.email, new_tiers)
                    if case_mix is not None:
                        store.set_case_mix(s, draft, case_mix, current_user.email)
                flash(f"{draft.label} saved.", "success")
                if not impact_.has_results(db.session, draft):  # a year just started: no impact to show, not a 404
                    flash(impact_.no_results(draft), "info")
                    return redirect(url_for("rules.index", year=draft.year, programme=draft.programme_id))
                return redirect(url_for("rules.impact", rule_set_id=draft.id))
        except store.RuleFileError as e:
            file_problems = e.problems
        except ReportingError as e:
            flash(e.message, "error")
    status = 422 if (errors or file_problems or tier_problems) else 200
    submitted = request.form if (errors or tier_problems) else None
    return render_template(
        "rules/edit.html",
        draft=draft,
        values=values,
        errors=errors,
        measures=REGISTRY,
        tiers=tiers,
        tier_slots=len(tiers) + TIER_ROWS_TO_ADD,
        tier_problems=tier_problems,
        problems=store.stored_problems(draft),
        file_problems=file_problems,
        submitted=submitted,
    ), status


def _form_case_mix() -> tuple[bool | None, str | None]:
    """The "case-mix adjusted" checkbox: ticked (``true``) or absent; anything else is refused by name."""
    raw = request.form.get("case_mix_adjusted", "")
    if raw not in ("", "true"):
        return None, "case-mix adjusted: tick the box or leave it empty (it takes no other value)."
    return raw == "true", None


def _form_changes(current: dict) -> tuple[dict, dict]:
    changes, errors = {}, {}
    for mid in current:
        values = {}
        for column in ("benchmark", "withhold", "gap_closure"):
            raw = (
                request.form.get(f"{mid}.{column}", "")
                if column == "benchmark"
                else ("true" if request.form.get(f"{mid}.{column}") else "false")
            )
            value, problem = store.check_value(mid, column, raw)
            if problem:
                errors[(mid, column)] = problem
            else:
                values[column] = value
        changes[mid] = values
    return changes, errors


@bp.route("/<int:rule_set_id>/impact")
@allow(READ_RULES)
def impact(rule_set_id):
    draft = _rule_set(rule_set_id)
    result = impact_.impact(db.session, draft, current_user)
    return render_template(
        "rules/impact.html", draft=draft, result=result, measures=REGISTRY, can_edit=may_edit_rules(current_user)
    )


@bp.route("/<int:rule_set_id>/impact.<fmt>")
@allow(READ_RULES)
def impact_export(rule_set_id, fmt):
    draft = _rule_set(rule_set_id)
    result = impact_.impact(db.session, draft, current_user)
    columns, rows = result.table()
    prog = programmes.get(draft.programme_id)
    preamble = [
        (f"{prog.name} rules impact", f"draft {draft.label} against the rules in force"),
        ("Summary", result.summary()),
    ]
    name = f"{prog.id}-rules-impact-{draft.year}-v{draft.version}"
    if fmt == "csv":
        return download(csv_bytes(columns, rows, preamble), f"{name}.csv", "text/csv")
    if fmt == "xlsx":
        return download(xlsx_bytes([("impact", columns, rows)], preamble), f"{name}.xlsx", XLSX)
    raise ReportingError("The impact comes as csv or xlsx.", 404)


@bp.route("/<int:rule_set_id>/adopt", methods=["POST"])
@allow(EDIT_RULES)
def adopt(rule_set_id):
    _checked_form()
    year = _rule_set(rule_set_id).year
    try:
        with db.changes() as s:
            rs = store.adopt(s, rule_set_id, current_user.email)
    except ReportingError as e:
        flash(e.message, "error")
        return redirect(url_for("rules.index", year=year, programme=g.programme.id))
    flash(
        f"{rs.label} is in force. The dashboards and withhold pages use it now; issue revised withhold reports "
        f"when you are ready.",
        "success",
    )
    return redirect(url_for("rules.index", year=rs.year, programme=g.programme.id))


@bp.route("/<int:rule_set_id>/discard", methods=["POST"])
@allow(EDIT_RULES)
def discard(rule_set_id):
    _checked_form()
    year = _rule_set(rule_set_id).year
    with db.changes() as s:
        store.delete_draft(s, rule_set_id, current_user.email)
    flash("Draft discarded.", "info")
    return redirect(url_for("rules.index", year=year, programme=g.programme.id))


@bp.route("/reissue/<int:year>", methods=["POST"])
@allow(EDIT_RULES)
def reissue(year):
    """Revised withhold reports for the year under the rules in force: a new edition, rendered and delivered
    through the delivery ledger (each recipient once) by the scheduler's every-minute delivery job, never in the
    request (rendering and e-mailing every report may outlast a web worker's timeout at national size)."""
    _checked_form()
    prog = _programme()
    revised = store.revision(db.session, year, prog.id)
    if revised is None:
        raise ReportingError(f"The {year} withhold reports already use the rules in force: nothing to reissue.", 409)
    if revised["pending"] is not None:
        raise ReportingError(
            f"{year} edition {revised['pending'].number}, made with v{revised['now']}, is not published yet: its "
            f"withhold reports go to every recipient when it is. Nothing to reissue.",
            409,
        )
    outcome = pipeline.run_cycle(
        str(year), trigger=f"rules {current_user.email}"[:20], new_edition=True, programme=prog, finish=False
    )
    if outcome.status == "busy":
        raise ReportingError(f"A cycle of {year} is running. Try again in a minute.", 409)
    if outcome.status == "awaiting approval":
        what, later = "awaiting approval", "Its reports are rendered and e-mailed once it is approved."
    else:
        what = "opened in preview" if outcome.status == EditionStatus.PREVIEW else "published"
        later = (
            "Its reports are rendered and e-mailed by the scheduler within a few minutes; they appear under "
            "Reports as they are ready."
        )
    flash(f"{prog.name} {year} edition {outcome.edition_number} {what}. {later}", "success")
    return redirect(url_for("rules.index", year=year, programme=g.programme.id))
