"""The read model: what people are shown, read from stored results only (never computed while a user
waits), shared by the pages, the PDF reports, the exports and the CLI.

Which run stands for each period is a ``Basis``: on the pages the newest computation (``live``), in an
edition's reports the editions in force when it was made (``as_published``), so that anything published reads
published figures only and a report rendered again later shows the same numbers. Functions that answer a person
take the viewer and return only what that viewer may see (``reporting.access``); the report builders
(``publication.reports``) call them for a report's audience."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from measures import DOMAIN_TITLES, DOMAINS, REGISTRY, Period
from reporting.engine import STATEWIDE
from reporting.errors import NotFound
from reporting.freshness import newer_data
from reporting.periods import chronological, stored
from reporting.participation import departed, ended_by, left_label, months_covered
from reporting.publication.benchmarks import benchmark_status, judged, withhold
from reporting.access import ico_for, statewide_hidden_from, visible_icos
from reporting.storage.models import Edition, Result, ResultRun, ResultUnits, Submission, utcnow


@dataclass(frozen=True)
class Cell:
    result: Result | None
    benchmark: float | None
    status: str


@dataclass
class Provenance:
    run_id: int
    computed_at: object
    code_version: str
    spec_version: str
    inputs: dict = field(default_factory=dict)
    updating: bool = False              # accepted data newer than the run: recomputing (freshness)
    unpublished: bool = False           # newer than the period's published edition, or none published

    def describe(self) -> str:
        parts = []
        for ico, subs in sorted(self.inputs.items()):
            parts.append(f"{ico}: " + ", ".join(f"{s['period']} v{s['version']}" for s in subs))
        return "; ".join(parts)


def current_runs(session) -> dict[str, ResultRun]:
    return {r.period_code: r for r in session.scalars(select(ResultRun).where(ResultRun.is_current))}


@dataclass(frozen=True)
class Basis:
    """The run that stands for each period in what is read."""
    runs: dict                      # period code -> ResultRun
    published: bool = False         # as published (editions), or the newest computation

    def run(self, period_code: str) -> ResultRun | None:
        return self.runs.get(period_code)


def live(session) -> Basis:
    """The newest computation of every period: what the pages show (``unpublished`` says where it is newer than
    the published edition)."""
    return Basis(current_runs(session))


def as_published(session, edition=None) -> Basis:
    """The editions in force when ``edition`` was made (now, without one): for every period, the run of its newest
    edition published by then; ``edition``'s own period reads the edition's run. Editions published later, and
    computations never published, are not part of it, so rendering an edition again gives the same figures."""
    at = getattr(edition, "created_at", None) or utcnow()
    rows = session.execute(select(Edition.period_code, Edition.run_id).where(
        Edition.status.in_(["published", "superseded"]), Edition.published_at <= at)
        .order_by(Edition.published_at, Edition.number)).all()
    run_ids = {period: run_id for period, run_id in rows}            # the newest published by then wins
    if edition is not None:
        run_ids[edition.period_code] = edition.run_id
    runs = {r.id: r for r in session.scalars(select(ResultRun).where(ResultRun.id.in_(set(run_ids.values()))))}
    return Basis({period: runs[run_id] for period, run_id in run_ids.items()}, published=True)


def unpublished(session, period_code: str, run: ResultRun) -> bool:
    """Whether ``run`` is not the run of the period's published edition (a newer computation, or none published)."""
    published = session.scalar(select(Edition.run_id).where(Edition.period_code == period_code,
                                                            Edition.status == "published")
                               .order_by(Edition.number.desc()))
    return published != run.id


def period_choices(session) -> list[str]:
    codes = list(current_runs(session))
    return sorted(codes, key=chronological, reverse=True)


def default_period(session) -> str | None:
    quarters = [c for c in period_choices(session) if "Q" in c]
    return quarters[0] if quarters else None


def visible_codes(session, user) -> list[str]:
    return [o.code for o in visible_icos(session, user)]


def _results(session, run_id: int, codes: list[str], role: str = "") -> dict[tuple[str, str], Result]:
    """Results of ``codes`` and statewide; without statewide for a ``role`` it is hidden from in this run."""
    run = session.get(ResultRun, run_id)
    shown = codes + ([] if statewide_hidden_from(role, len(run.inputs or {})) else [STATEWIDE])
    rows = session.scalars(select(Result).where(Result.run_id == run_id, Result.ico.in_(shown)))
    return {(r.measure_id, r.ico): r for r in rows}


def statewide_hidden_periods(session, role: str, basis: Basis | None = None) -> list[str]:
    """The quarters (and years) whose statewide figures ``role`` may not see (``access.statewide_hidden_from``)."""
    runs = (basis or live(session)).runs
    return [p for p, run in runs.items() if statewide_hidden_from(role, len(run.inputs or {}))]


def provenance(run: ResultRun, codes: list[str]) -> Provenance:
    return Provenance(run.id, run.finished_at, run.code_version, run.spec_version,
                      {k: v for k, v in (run.inputs or {}).items() if k in codes})


def cell(pub, measure_id: str, result: Result | None, year: int, last_year: Result | None = None) -> Cell:
    """A result with its benchmark and status for the year."""
    bench = pub.benchmarks.get((measure_id, year))
    gap = pub.withhold.get(year, {}).get(measure_id, False)
    case_mix = pub.case_mix.get(year, False)
    return Cell(result, bench.value if bench else None,
                benchmark_status(measure_id, judged(result, case_mix), bench, judged(last_year, case_mix), gap))


def _last_year_results(session, period: Period, codes, basis: Basis) -> dict:
    run = basis.run(str(period.year - 1))
    return _results(session, run.id, codes) if run else {}


# --- overview ---------------------------------------------------------------------------------

@dataclass
class Overview:
    period: str
    columns: list[tuple[str, str]]          # (code, label)
    domains: list[tuple[str, list]]         # (title, [(measure, {code: Cell})])
    provenance: Provenance
    withhold: dict                          # code -> Withhold (calendar year)
    year: int
    departed: list = ()                     # (org, "left the demonstration after 2015Q3") before this period
    names: dict = None                      # code -> name, for the withhold summary
    coverage: dict = None                   # code -> "January to September 2015": the months its withhold covers


def overview(session, user, pub, period: Period, basis: Basis | None = None) -> Overview:
    """The period's results as the user may see them, on ``basis`` (the newest computation by default)."""
    basis, period_code = basis or live(session), period.code
    run = basis.run(period_code)
    if run is None:
        raise NotFound(f"{period_code} has not been published. Only published editions appear here; a period in "
                       f"preview or waiting for approval does not." if basis.published else
                       f"There are no results for {period_code} yet.")
    orgs = visible_icos(session, user)
    codes = [o.code for o in orgs if o.code in (run.inputs or {})]
    results = _results(session, run.id, codes, user.role)
    last = _last_year_results(session, period, codes, basis) if not period.is_quarter else {}
    statewide = [] if statewide_hidden_from(user.role, len(run.inputs or {})) else [(STATEWIDE, "Statewide")]
    columns = [(o.code, o.name) for o in orgs if o.code in codes] + statewide
    domains = []
    for domain in DOMAINS:
        rows = []
        for m in (m for m in REGISTRY.values() if m.domain == domain):
            rows.append((m, {code: cell(pub, m.id, results.get((m.id, code)), period.year,
                                         last.get((m.id, code))) for code, _ in columns}))
        domains.append((DOMAIN_TITLES[domain], rows))
    prov = provenance(run, codes)
    prov.updating = newer_data(session, period_code, run)
    prov.unpublished = not basis.published and unpublished(session, period_code, run)
    return Overview(period_code, columns, domains, prov,
                    withhold_for_year(session, pub, [o.code for o in orgs], period.year, basis), period.year,
                    departed([o for o in orgs if o.code not in codes], period), {o.code: o.name for o in orgs},
                    withhold_coverage(orgs, period.year))


# --- trends -----------------------------------------------------------------------------------

def quarter_results(session, codes: list[str], measure_id: str | None = None, role: str = "",
                    basis: Basis | None = None) -> dict:
    """(measure, ico) -> [(period, Result)] over every quarter with a run on ``basis``, oldest first (statewide
    left out of the quarters it is hidden from ``role`` in)."""
    runs = {p: r for p, r in (basis or live(session)).runs.items() if "Q" in p}
    hidden = {r.id for r in runs.values() if statewide_hidden_from(role, len(r.inputs or {}))}
    query = select(Result).where(Result.run_id.in_([r.id for r in runs.values()]),
                                 Result.ico.in_(codes + [STATEWIDE]))
    if measure_id:
        query = query.where(Result.measure_id == measure_id)
    series = defaultdict(list)
    for r in session.scalars(query):
        if r.ico == STATEWIDE and r.run_id in hidden:
            continue
        series[(r.measure_id, r.ico)].append((r.period_code, r))
    for key in series:
        series[key].sort(key=lambda pr: chronological(pr[0]))
    return series


def benchmark_series(pub, measure_id: str, periods: list[str]) -> list[float | None]:
    return [(b.value if (b := pub.benchmarks.get((measure_id, stored(p).year))) else None) for p in periods]


@dataclass
class Trend:
    measure: object
    periods: list[str]
    series: dict             # code -> [Result | None] aligned on periods
    benchmarks: list
    latest: dict             # code -> Cell for the latest period

    def latest_period(self, code: str) -> str | None:
        """The newest period with a result for ``code`` (an ICO that left has none after it)."""
        values = self.series.get(code, [])
        return next((p for p, r in zip(reversed(self.periods), reversed(values)) if r is not None), None)

    def at(self, code: str, period: str | None):
        """``code``'s result in ``period`` (to compare like periods), or None."""
        if period not in self.periods:
            return None
        return self.series.get(code, [None] * len(self.periods))[self.periods.index(period)]


def trends(session, pub, codes: list[str], measure_ids, role: str = "", basis: Basis | None = None) -> list[Trend]:
    data = quarter_results(session, codes, role=role, basis=basis)
    periods = sorted({p for rows in data.values() for p, _ in rows}, key=chronological)
    out = []
    for mid in measure_ids:
        series = {}
        for code in codes + [STATEWIDE]:
            by_period = dict(data.get((mid, code), []))
            series[code] = [by_period.get(p) for p in periods]
        latest = {code: cell(pub, mid, next((r for r in reversed(vals) if r is not None), None),
                              stored(periods[-1]).year if periods else date.today().year)
                  for code, vals in series.items()}
        out.append(Trend(REGISTRY[mid], periods, series, benchmark_series(pub, mid, periods), latest))
    return out


def ico_page(session, user, pub, code: str):
    org = ico_for(session, user, code, "results")
    subs = session.scalars(select(Submission).where(Submission.organization_id == org.id)
                           .order_by(Submission.period_code, Submission.version)).all()
    return org, trends(session, pub, [org.code], list(REGISTRY), user.role), subs


def measure_page(session, user, pub, measure_id: str):
    if measure_id not in REGISTRY:
        raise NotFound("There is no such measure. The measure catalog lists them all.")
    codes = visible_codes(session, user)
    trend = trends(session, pub, codes, [measure_id], user.role)[0]
    names = {o.code: o.name for o in visible_icos(session, user)}
    return REGISTRY[measure_id], trend, names


# --- withhold ---------------------------------------------------------------------------------

def withhold_for_year(session, pub, codes: list[str], year: int, basis: Basis | None = None) -> dict:
    basis = basis or live(session)
    run, prev = basis.run(str(year)), basis.run(str(year - 1))
    chosen = pub.withhold.get(year)
    if run is None or not chosen:
        return {}
    this = _results(session, run.id, codes)
    last = _results(session, prev.id, codes) if prev else {}
    out = {}
    for code in codes:
        if not any((m, code) in this for m in chosen):
            continue
        out[code] = withhold(code, year, {m: this.get((m, code)) for m in chosen},
                             {m: last.get((m, code)) for m in chosen}, pub.benchmarks, chosen, pub.tiers.get(year),
                             pub.case_mix.get(year, False))
    return out


def withhold_coverage(orgs, year: int) -> dict:
    """code -> what a year's withhold of an ICO that joined or left during the year covers, and why."""
    out = {}
    for o in orgs:
        months = months_covered(o, year)
        if months:
            out[o.code] = f"covers {months}" + (f" ({left_label(o)})" if o.active_to and o.active_to.year == year else "")
    return out


def withhold_years(session, pub) -> list[int]:
    runs = current_runs(session)
    return sorted((y for y in pub.withhold if str(y) in runs), reverse=True)


# --- gap lists --------------------------------------------------------------------------------

def gap_list(session, user, measure_id: str, code: str, period: Period, every_unit: bool = False):
    """The units behind a gap: in the denominator and not in the numerator (for lower-is-better
    measures, the units in the numerator: the readmissions, the admissions). ``every_unit``: the
    whole per-unit frame behind the result, with its population flags, to trace the numbers."""
    from reporting.engine.store import frame_from_bytes
    if measure_id not in REGISTRY:
        raise NotFound("There is no such measure.")
    measure = REGISTRY[measure_id]
    if measure.unit == "score":
        raise NotFound("Survey scores have no member list: responses are reported as a score.")
    org = ico_for(session, user, code, "member lists")
    run = current_runs(session).get(period.code)
    if run is None:
        raise NotFound(f"There are no results for {period.code}.")
    row = session.scalar(select(ResultUnits).where(ResultUnits.run_id == run.id, ResultUnits.measure_id == measure_id,
                                                   ResultUnits.ico == org.code))
    if row is None:
        raise NotFound(f"{org.code} has no results for this measure in {period.code}.")
    units = frame_from_bytes(row.content)
    if every_unit:
        return org, measure, run, units
    return org, measure, run, gap_units(measure, units)


def upcoming_list(session, user, measure_id: str, code: str, days: int = 30):
    """For a 90-day measure: the ICO's members whose day 90 falls in the ``days`` after the end of its
    newest accepted package, with nothing completed yet (the gap that can still be closed). Returns the
    ICO, the measure, the as-of date and the frame."""
    from reporting.engine.inputs import in_force_up_to, views_of
    measure = REGISTRY.get(measure_id)
    if measure is None or measure.upcoming is None:
        raise NotFound("Only the 90-day measures have a list of deadlines ahead.")
    org = ico_for(session, user, code, "member lists")
    newest = session.scalar(select(func.max(Submission.period_code)).where(
        Submission.organization_id == org.id, Submission.status == "accepted"))
    if newest is None:
        raise NotFound(f"{org.name} has no accepted package yet.")
    period = Period.parse(newest)
    if ended_by(org, period.end):
        raise NotFound(f"{org.name} {left_label(org)}: it has no deadlines ahead.")
    inputs = in_force_up_to(period.end, only=org.code)
    view = views_of(inputs, org.code, [period])[period.code]
    return org, measure, period.end, view.restore_members(measure.upcoming(view, period.end, days))


def gap_units(measure, units):
    """The units behind the gap of one per-unit frame (flags dropped)."""
    units = units[units["numerator"]] if not measure.higher_is_better else units[units["denominator"] & ~units["numerator"]]
    flags = [c for c in ("denominator", "numerator", "kind") if c in units]
    return units.drop(columns=flags).reset_index(drop=True)
