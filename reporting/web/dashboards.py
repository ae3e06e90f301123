"""Dashboards: read stored results only; never compute while a user waits."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from measures import DOMAIN_TITLES, DOMAINS, REGISTRY, Period
from reporting import audit, clock, homes, programmes
from reporting.access import PUBLIC, SEE_PUBLIC_TABLE, SIGNED_IN, ico_for, is_ico_user, reviews, visible_icos
from reporting.engine import STATEWIDE
from reporting.errors import Forbidden, NotFound
from reporting.freshness import stale_periods
from reporting.ingest import records
from reporting.participation import ended_by, has_left
from reporting.periods import stored
from reporting.publication import editions, figures, released, settings, strata, tables
from reporting.rendering import gaplists
from reporting.rendering.charts import trend_chart_for
from reporting.rendering.exports import csv_bytes, xlsx_bytes
from reporting.storage import db
from reporting.web.downloads import download
from reporting.web.guards import allow
from reporting.web.page_cache import cached_page
from reporting.web.params import period_arg, programme_arg, year_arg

bp = Blueprint("dashboards", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
@allow(PUBLIC)
def home():
    """Each user's first page: what needs attention (``reporting.homes``)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    today = clock.today()
    if is_ico_user(current_user) and current_user.organization:
        prog = programme_arg(current_user, current_user.organization.programme_id)
        home = homes.ico_home(
            db.session,
            settings(prog),
            current_user.organization,
            today,
            prog.due_months_after,
            prog.first_period.code,
            _basis(),
        )
        return render_template("homes/ico.html", home=home, measures=REGISTRY, today=today)
    prog = programme_arg(current_user)  # None: a reviewer of a state with no programme (the ICOs of their state)
    months = (prog or programmes.default()).due_months_after
    home = homes.reviewer_home(db.session, current_user, _rules(), today, months, programme=prog)
    return render_template("homes/reviewer.html", home=home, measures=REGISTRY, today=today)


def _period_arg(choices) -> Period:
    period = period_arg(default=choices[0] if choices else None)
    if period is None:
        raise NotFound("No results have been computed yet. They appear here once the first packages are in.")
    if period.code not in choices:
        raise NotFound(f"There are no results for {period.code}. Choose one of: {', '.join(choices)}.")
    return period


def _shown():
    """The programme of this page (``programme_arg`` chose it; a reviewer of no programme: the default's figures of
    the ICOs they may see)."""
    if g.get("programme") is None:
        programme_arg(current_user)
    return g.get("programme") or programmes.default()


def _basis() -> figures.Basis:
    """What the signed-in user is shown of each period of the programme shown: the same read as the API's
    (``figures.seen_by``)."""
    return figures.seen_by(db.session, current_user, current_app.config["PUBLISH_MODE"], _shown().id)


def _rules():
    """The rules in force of the programme shown."""
    return settings(_shown())


def _ico_first(code):
    """An ICO's page: the ICO (as the access policy allows it), its programme the page's."""
    org = ico_for(db.session, current_user, code, "results")
    programme_arg(current_user, org.programme_id)
    return org


@bp.route("/overview")
@allow(SIGNED_IN)
@cached_page
def overview():
    programme_arg(current_user)
    basis = _basis()
    choices = basis.choices()
    default = _own_last_quarter(figures.default_period(db.session, basis), choices)
    period = _period_arg([default] + [c for c in choices if c != default] if default else choices)
    ov = figures.overview(db.session, current_user, _rules(), period, basis)
    published = ov.period in editions.published_periods(db.session, _shown().id)  # the public table: published
    return render_template("dashboards/overview.html", ov=ov, choices=choices, published=published)


def _own_last_quarter(default: str | None, choices: list[str]) -> str | None:
    """The quarter the overview opens on for an ICO user whose ICO left the demonstration before ``default``: its
    last quarter with results (2015Q3 for Fallon), not one where its every table would be empty."""
    org = current_user.organization if is_ico_user(current_user) else None
    if default is None or org is None or not has_left(org, stored(default)):
        return default
    own = [c for c in choices if stored(c).is_quarter and not has_left(org, stored(c))]
    return own[0] if own else default


@bp.route("/icos/<code>")
@allow(SIGNED_IN)
@cached_page(fixed_programme=True)
def ico(code):
    _ico_first(code)
    basis = _basis()
    org, trends, subs = figures.ico_page(db.session, current_user, _rules(), code, basis)
    shown = figures.ico_period(db.session, current_user, _rules(), org, period_arg(), basis)
    charts = {t.measure.id: trend_chart_for(t, [org.code], {org.code: org.name}) for t in trends}
    updating = [p for p in stale_periods(db.session, org.programme_id) if trends and p in trends[0].periods]
    return render_template(
        "dashboards/ico.html",
        org=org,
        trends=trends,
        charts=charts,
        subs=subs,
        updating=updating,
        shown=shown,
        equity=strata.equity_for(db.session, current_user, basis, org.code, shown.period),
        stratum_label=strata.labeller(programmes.get(org.programme_id)),
        stratifier_titles=strata.TITLES,
        measures=REGISTRY,
        deadlines_ahead=not ended_by(org, clock.today()),
        status_rows=records.status_rows(
            db.session,
            org,
            sorted(set(trends[0].periods if trends else []) | {s.period_code for s in subs}),
            clock.today(),
        ),
        domains=[d for d in DOMAINS if any(t.measure.domain == d for t in trends)],  # the programme's domains
        domain_titles=DOMAIN_TITLES,
    )


@bp.route("/measures")
@allow(SIGNED_IN)
@cached_page
def measures_catalog():
    prog = programme_arg(current_user)
    measure_set = prog.measure_set if prog else REGISTRY
    return render_template(
        "dashboards/catalog.html",
        domains=[
            (DOMAIN_TITLES[d], [m for m in measure_set.values() if m.domain == d])
            for d in DOMAINS
            if any(m.domain == d for m in measure_set.values())
        ],
    )


def _programme_measure(measure_id: str):
    """The programme a measure page shows, and a clear 404 for a measure outside its set."""
    prog = programme_arg(current_user)
    if prog is not None and measure_id in REGISTRY and measure_id not in prog.measures:
        raise NotFound(f"{REGISTRY[measure_id].title} is not a measure of {prog.name}.")
    return prog


@bp.route("/measures/<measure_id>")
@allow(SIGNED_IN)
@cached_page
def measure(measure_id):
    prog = _programme_measure(measure_id)
    basis = _basis()
    m, trend, names = figures.measure_page(db.session, current_user, _rules(), measure_id, basis)
    codes = [c for c in names if any(v is not None for v in trend.series.get(c, []))]
    chart = trend_chart_for(trend, codes, names)
    period = period_arg()
    newest = next((c for c in basis.choices() if stored(c).is_quarter), None)  # by_group's own default
    shown = period.code if period else _own_last_quarter(newest, basis.choices())
    groups = strata.by_group(db.session, current_user, basis, m.id, shown, names)
    return render_template(
        "dashboards/measure.html",
        m=m,
        groups=groups,
        flag_words=strata.flag_words,
        trend=trend,
        names=names,
        codes=codes,
        chart=chart,
        drawn=[names[c] for c in codes],
        not_drawn=[n for c, n in names.items() if c not in codes],
        departed_codes={o.code for o in visible_icos(db.session, current_user, prog) if ended_by(o, clock.today())},
    )


@bp.route("/withhold")
@allow(SIGNED_IN)
@cached_page
def withhold():
    prog = programme_arg(current_user)
    years = figures.withhold_years(db.session, _rules(), _shown().id)
    year = year_arg(years)
    if year is None:
        raise NotFound("No calendar-year results have been computed yet, so there is no withhold status.")
    orgs = visible_icos(db.session, current_user, prog)
    rows = figures.withhold_for_year(db.session, _rules(), [o.code for o in orgs], year, _basis())
    from reporting.rules import store as rules

    in_force = rules.in_force(db.session, year, _shown().id)
    return render_template(
        "dashboards/withhold.html",
        year=year,
        years=years,
        rows=rows,
        names={o.code: o.name for o in orgs},
        coverage=figures.withhold_coverage(orgs, year),
        revision=rules.revision(db.session, year, _shown().id),
        rule_set=in_force,
        tiers=rules.tier_rows(in_force) if in_force else [],
    )


@bp.route("/gaps/<measure_id>/<code>/<period:period>")
@allow(SIGNED_IN)
def gaps(measure_id, code, period):
    _ico_first(code)
    org, m, run, units = figures.gap_list(db.session, current_user, measure_id, code, period, basis=_basis())
    page = max(1, request.args.get("page", 1, type=int))
    audit.record("view", f"gap list {m.id} {org.code} {period.code}", detail={"rows": len(units)})
    columns, rows = gaplists.table(units.iloc[(page - 1) * 200 : page * 200])
    return render_template(
        "dashboards/gaps.html",
        org=org,
        m=m,
        period=period.code,
        units=units,
        deadlines_ahead=not ended_by(org, clock.today()),
        columns=columns,
        rows=rows,
        legend=gaplists.legend(units),
        page=page,
        has_next=page * 200 < len(units),
    )


def _send(columns, rows, preamble, name, fmt, programme=None):
    """An export: ``programme`` (the one the rows belong to) named in the provenance and in a last data column."""
    if programme is not None:
        columns = [*columns, "programme"]
        rows = [[*row, programme.id] for row in rows]
        preamble = [*preamble, ("Programme", f"{programme.name} ({programme.id}, {programme.state})")]
        name = f"{programme.id}-{name.removeprefix('one-care-')}"
    if fmt == "csv":
        return download(csv_bytes(columns, rows, preamble), f"{name}.csv", "text/csv")
    if fmt == "xlsx":
        return download(xlsx_bytes([(name[:31], columns, rows)], preamble), f"{name}.xlsx", XLSX)
    raise NotFound("Exports come as csv or xlsx.")


def _units_export(measure_id, code, period, fmt, every_unit: bool):
    _ico_first(code)
    org, m, run, units = figures.gap_list(db.session, current_user, measure_id, code, period, every_unit, _basis())
    what = f"Every {m.unit_kind} behind {m.title}" if every_unit else f"Gap list: {m.title} — {m.gap_label}"
    preamble = tables.export_preamble(
        what,
        period.code,
        figures.provenance(run, [org.code]),
        f"{org.name} and reviewers: member-level, confidential",
        programmes.get(org.programme_id),
    )
    kind = "units" if every_unit else "gaps"
    audit.record("download", f"{kind} {m.id} {org.code} {period.code} {fmt}", detail={"rows": len(units)})
    columns, rows = gaplists.table(units)
    return _send(
        columns, rows, preamble, f"{kind}-{m.id}-{org.code}-{period.code}", fmt, programmes.get(org.programme_id)
    )


@bp.route("/upcoming/<measure_id>/<code>")
@allow(SIGNED_IN)
def upcoming(measure_id, code):
    """The members whose day 90 is in the next 30 days with nothing completed yet (page, CSV, XLSX)."""
    _ico_first(code)
    org, m, as_of, data_end, units = figures.upcoming_list(db.session, current_user, measure_id, code)
    fmt = request.args.get("format")
    audit.record("view" if fmt is None else "download", f"upcoming {m.id} {org.code}", detail={"rows": len(units)})
    columns, rows = gaplists.table(units)
    if fmt is not None:
        preamble = [
            (
                "Upcoming deadlines",
                f"{m.title}: day 90 in the 30 days after {as_of.isoformat()} (the service date), nothing completed "
                f"in the data up to {data_end.isoformat()}",
            ),
            ("ICO", org.name),
            ("Audience", f"{org.name} and reviewers: member-level, confidential"),
        ]
        return _send(
            columns,
            rows,
            preamble,
            f"upcoming-{m.id}-{org.code}-{as_of.isoformat()}",
            fmt,
            programmes.get(org.programme_id),
        )
    return render_template(
        "dashboards/upcoming.html",
        org=org,
        m=m,
        as_of=as_of,
        data_end=data_end,
        columns=columns,
        rows=rows,
        legend=gaplists.legend(units),
    )


@bp.route("/gaps/<measure_id>/<code>/<period:period>/export.<fmt>")
@allow(SIGNED_IN)
def gaps_export(measure_id, code, period, fmt):
    return _units_export(measure_id, code, period, fmt, every_unit=False)


@bp.route("/units/<measure_id>/<code>/<period:period>/export.<fmt>")
@allow(SIGNED_IN)
def units_export(measure_id, code, period, fmt):
    """Every unit behind a result, with its denominator, numerator and element flags."""
    return _units_export(measure_id, code, period, fmt, every_unit=True)


def _overview_export(fmt, public: bool):
    # The public table is the published one: the period's published edition, never a newer computation.
    prog = _shown()
    basis = figures.as_published(db.session, programme_id=prog.id) if public else _basis()
    # the public table offers the periods computed; one never published answers "has not been published"
    period = _period_arg(figures.live(db.session, prog.id).choices() if public else basis.choices())
    ov = figures.overview(db.session, current_user, _rules(), period, basis)
    hidden = released.public_hidden(db.session, ov.period, ov.provenance.run_id) if public else None
    columns, rows, preamble = tables.overview_table(ov, public=public, hidden=hidden, programme=prog)
    kind = "public" if public else "overview"
    audit.record("download", f"{kind} table {period.code} {fmt}")
    return _send(columns, rows, preamble, f"one-care-{kind}-{period.code}", fmt, prog)


@bp.route("/exports/overview.<fmt>")
@allow(SIGNED_IN)
def overview_export(fmt):
    return _overview_export(fmt, public=False)


@bp.route("/exports/public.<fmt>")
@allow(SEE_PUBLIC_TABLE)
def public_export(fmt):
    """The overview table as published: cell suppression applied."""
    return _overview_export(fmt, public=True)


@bp.route("/icos/<code>/export.<fmt>")
@allow(SIGNED_IN)
def ico_export(code, fmt):
    _ico_first(code)
    basis = _basis()
    org, trends, _ = figures.ico_page(db.session, current_user, _rules(), code, basis)
    columns, rows = tables.trend_table(trends, [org.code, STATEWIDE], _rules())
    latest = basis.run(trends[0].latest_period(org.code)) if trends else None  # the ICO's own newest period
    preamble = tables.export_preamble(
        f"{org.name}: every measure by quarter",
        "all quarters",
        figures.provenance(latest, [org.code]) if latest else None,
        f"{org.name} and reviewers: exact values",
        programmes.get(org.programme_id),
    )
    audit.record("download", f"ico {org.code} {fmt}")
    return _send(columns, rows, preamble, f"one-care-{org.code}", fmt, programmes.get(org.programme_id))


@bp.route("/measures/<measure_id>/export.<fmt>")
@allow(SIGNED_IN)
def measure_export(measure_id, fmt):
    prog = _programme_measure(measure_id)
    m, trend, names = figures.measure_page(db.session, current_user, _rules(), measure_id, _basis())
    columns, rows = tables.trend_table([trend], list(names) + [STATEWIDE], _rules())
    preamble = tables.export_preamble(f"{m.title} by quarter", "all quarters", None, "exact values", _shown())
    audit.record("download", f"measure {m.id} {fmt}")
    return _send(columns, rows, preamble, f"one-care-{m.id}", fmt, prog)


@bp.route("/exports/results_strata.<fmt>")
@allow(SIGNED_IN)
def strata_export(fmt):
    """Results by group of one period (``?period=``, the newest by default) as the user may see them: exact values
    (``suppressed`` is No; the public outputs are suppressed elsewhere)."""
    basis = _basis()
    period = _period_arg(basis.choices())
    frame = strata.seen_by(db.session, current_user, basis, period.code)
    preamble = tables.export_preamble(
        f"Results by group, {period.code}",
        period.code,
        figures.provenance(basis.run(period.code), sorted(set(frame["ico"]) - {STATEWIDE})),
        "reviewers and the ICO's own users: exact values",
        _shown(),
    )
    audit.record("download", f"results by group {period.code} {fmt}")
    return _send(strata.EXPORT_COLUMNS, strata.export_rows(frame), preamble, f"results_strata-{period.code}", fmt)


@bp.route("/withhold/export.<fmt>")
@allow(SIGNED_IN)
def withhold_export(fmt):
    prog = _shown()
    year = year_arg(figures.withhold_years(db.session, _rules(), prog.id), required=True)
    codes = [o.code for o in visible_icos(db.session, current_user, prog)]
    columns, rows = tables.withhold_table(figures.withhold_for_year(db.session, _rules(), codes, year, _basis()), year)
    audit.record("download", f"withhold {year} {fmt}")
    return _send(columns, rows, [("Quality withhold", str(year))], f"one-care-withhold-{year}", fmt, prog)


@bp.route("/charts/<key>.svg")
@allow(SIGNED_IN)
def chart(key):
    """A drawn chart, by content key; only for viewers who may see every ICO it shows."""
    from reporting.rendering.charts import cached_svg

    found = cached_svg(key)
    if found is None:
        raise NotFound("There is no such chart (any more): reload the page.")
    svg, owners = found
    allowed = {o.code for o in visible_icos(db.session, current_user)}
    if not set(owners) <= allowed:
        raise Forbidden("You may not see this chart.")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=31536000, immutable"})


@bp.route("/reports")
@allow(SIGNED_IN)
def reports():
    from reporting import artifacts

    prog = programme_arg(current_user)  # the programme chosen (None: a reviewer of a state with no programme)
    rows = artifacts.visible(db.session, current_user, prog)
    previews = artifacts.previews(db.session, current_user, prog) if reviews(current_user) else []
    names = {p.id: p.name for p in programmes.all()}
    return render_template("dashboards/reports.html", artifacts=rows, previews=previews, programme_names=names)


@bp.route("/artifacts/<int:artifact_id>")
@allow(SIGNED_IN)
def artifact(artifact_id):
    from reporting import artifacts

    row = artifacts.visible_artifact(db.session, current_user, artifact_id)
    audit.record("download", row.filename, detail={"artifact": row.id})
    return download(row.content, row.filename, "application/pdf")
