"""The read model: what people are shown, read from stored results only (never computed while a user
waits), shared by the pages, the PDF reports, the exports and the CLI.

Which run stands for each period is a ``Basis``: on the pages the newest computation (``live``), in an
edition's reports the editions in force when it was made (``as_published``), so that anything published reads
published figures only and a report rendered again later shows the same numbers. Functions that answer a person
take the viewer and return only what that viewer may see (``reporting.access``); the report builders
(``publication.reports``) call them for a report's audience. ``seen_by`` is the basis of the pages and the API
for one viewer: the newest computation of each period where ``access.may_see_edition`` lets the viewer see it,
else the period's published edition, so a page and the API's ``/results`` answer the same question alike."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from measures import DOMAIN_TITLES, DOMAINS, REGISTRY, Period
from reporting import clock, programmes
from reporting.access import ICO_SUBMITTER, ico_for, may_see_edition, role_of, statewide_hidden_in, visible_icos
from reporting.engine import STATEWIDE
from reporting.errors import NotFound
from reporting.freshness import newer_data
from reporting.participation import departed, ended_by, left_label, months_covered, takes_part
from reporting.periods import chronological, stored
from reporting.publication.benchmarks import benchmark_status, judged, withhold
from reporting.publication.editions import PUBLISHED_ONCE, EditionStatus
from reporting.publication.released import statewide_withheld
from reporting.storage.models import (
    DEFAULT_PROGRAMME,
    Edition,
    Organization,
    Result,
    ResultRun,
    ResultUnits,
    Submission,
    utcnow,
)


@dataclass(frozen=True)
class Cell:
    result: Result | None
    benchmark: float | None
    status: str
    adjusted: float | None = None  # the case-mix adjusted value the status judges, where the rules say so

    @property
    def judged_value(self) -> float | None:
        """The value ``status`` judges: the case-mix adjusted score where the year's rules judge it (``adjusted``),
        else the result's value. Where the rules judge raw scores it is not the ``headline``."""
        if self.adjusted is not None:
            return self.adjusted
        return None if self.result is None else self.result.value


def adjusted_headline(result) -> float | None:
    """The case-mix adjusted score that headlines ``result`` on every page, report, chart and e-mail (measures.md,
    "Case-mix adjustment"): a reported ICO survey result's, where it has one, whatever the year's rules judge
    (the status says which). None where its value headlines it: not a survey measure, no adjusted score, or
    statewide, which adjustment leaves unchanged. The one place that decides it; templates ask the filter of
    the same name."""
    if result is None or result.status != "reported" or result.ico == STATEWIDE:
        return None
    return result.adjusted_value


def headline(result) -> float | None:
    """The value that headlines ``result``: its case-mix adjusted score where it has one (``adjusted_headline``),
    else its value; None where it is not reported. Templates ask the filter of the same name."""
    if result is None or result.status != "reported":
        return None
    adjusted = adjusted_headline(result)
    return result.value if adjusted is None else adjusted


def headline_change(now, before) -> tuple[float, float] | None:
    """(before, now) of a headline's change between two results, as the PDF and its e-mail both state it: their
    case-mix adjusted scores where both have one (never an adjusted score against a raw one), else their
    values; None where either is not reported or has no value."""
    if now is None or before is None or now.status != "reported" or before.status != "reported":
        return None
    adjusted_now, adjusted_before = adjusted_headline(now), adjusted_headline(before)
    if adjusted_now is not None and adjusted_before is not None:
        return adjusted_before, adjusted_now
    if now.value is None or before.value is None:
        return None
    return before.value, now.value


@dataclass
class Provenance:
    run_id: int
    computed_at: object
    code_version: str
    spec_version: str
    inputs: dict = field(default_factory=dict)
    updating: bool = False  # accepted data newer than the run: recomputing (freshness)
    unpublished: bool = False  # newer than the period's published edition, or none published

    def describe(self) -> str:
        parts = []
        for ico, subs in sorted(self.inputs.items()):
            parts.append(f"{ico}: " + ", ".join(f"{s['period']} v{s['version']}" for s in subs))
        return "; ".join(parts)


def current_runs(session, programme_id: str = DEFAULT_PROGRAMME) -> dict[str, ResultRun]:
    """The programme's current run of each period."""
    return {
        r.period_code: r
        for r in session.scalars(select(ResultRun).where(ResultRun.programme_id == programme_id, ResultRun.is_current))
    }


@dataclass(frozen=True)
class Basis:
    """The run that stands for each period in what is read."""

    runs: dict  # period code -> ResultRun
    published: bool = False  # as published (editions), or the newest computation
    editions: dict = field(default_factory=dict)  # period code -> the Edition on its run (``seen_by``), or None
    programme_id: str = DEFAULT_PROGRAMME  # one programme's runs: a basis never mixes programmes

    def run(self, period_code: str) -> ResultRun | None:
        return self.runs.get(period_code)

    def edition(self, period_code: str) -> Edition | None:
        return self.editions.get(period_code)

    def choices(self) -> list[str]:
        """The periods on this basis, newest first (a year after its Q4)."""
        return sorted(self.runs, key=chronological, reverse=True)


def live(session, programme_id: str = DEFAULT_PROGRAMME) -> Basis:
    """The programme's newest computation of every period: what the pages show (``unpublished`` says where it is
    newer than the published edition)."""
    return Basis(current_runs(session, programme_id), programme_id=programme_id)


SHOWN = (EditionStatus.PREVIEW, EditionStatus.AWAITING_APPROVAL, EditionStatus.PUBLISHED)
UNPUBLISHED = "unpublished"  # a computation in no edition (yet): what ``edition_status`` says of it


def seen_by(session, user, publish_mode: str, programme_id: str = DEFAULT_PROGRAMME) -> Basis:
    """What ``user`` is shown of each period, on the pages and through the API alike: the newest computation,
    where ``access.may_see_edition`` allows its status (its edition's; a computation in no edition yet is on its
    way to approval in ``approval`` mode, else merely unpublished); otherwise the period's newest published
    edition, or nothing of the period. ``editions`` names the edition each chosen run belongs to (None: none).
    One programme's periods."""
    current = current_runs(session, programme_id)
    editions = session.scalars(
        select(Edition)
        .where(Edition.programme_id == programme_id, Edition.period_code.in_(list(current)), Edition.status.in_(SHOWN))
        .order_by(Edition.number)
    ).all()
    on_run = {(e.period_code, e.run_id): e for e in editions}  # the newest edition on each run wins
    published = {e.period_code: e for e in editions if e.status == EditionStatus.PUBLISHED}
    runs, chosen = {}, {}
    for period, run in current.items():
        edition = on_run.get((period, run.id))
        status = (
            edition.status
            if edition
            else (EditionStatus.AWAITING_APPROVAL if publish_mode == "approval" else UNPUBLISHED)
        )
        if may_see_edition(user, status):
            runs[period], chosen[period] = run, edition
        elif period in published:
            chosen[period] = published[period]
            runs[period] = session.get(ResultRun, published[period].run_id)
    return Basis(runs, editions=chosen, programme_id=programme_id)


def as_published(session, edition=None, programme_id: str | None = None) -> Basis:
    """The editions in force when ``edition`` was made (now, without one): for every period, the run of its newest
    edition published by then; ``edition``'s own period reads the edition's run. Editions published later, and
    computations never published, are not part of it, so rendering an edition again gives the same figures. The
    editions of ``edition``'s programme (without one: ``programme_id``'s, by default DEFAULT_PROGRAMME's)."""
    at = getattr(edition, "created_at", None) or utcnow()
    programme_id = getattr(edition, "programme_id", None) or programme_id or DEFAULT_PROGRAMME
    rows = session.execute(
        select(Edition.period_code, Edition.run_id)
        .where(Edition.programme_id == programme_id, Edition.status.in_(PUBLISHED_ONCE), Edition.published_at <= at)
        .order_by(Edition.published_at, Edition.number)
    ).all()
    run_ids = dict(rows)  # the newest published by then wins
    if edition is not None:
        run_ids[edition.period_code] = edition.run_id
    runs = {r.id: r for r in session.scalars(select(ResultRun).where(ResultRun.id.in_(set(run_ids.values()))))}
    return Basis(
        {period: runs[run_id] for period, run_id in run_ids.items()}, published=True, programme_id=programme_id
    )


def unpublished(session, period_code: str, run: ResultRun) -> bool:
    """Whether ``run`` is not the run of the period's published edition (a newer computation, or none published);
    the run's programme's editions."""
    published = session.scalar(
        select(Edition.run_id)
        .where(
            Edition.programme_id == run.programme_id,
            Edition.period_code == period_code,
            Edition.status == EditionStatus.PUBLISHED,
        )
        .order_by(Edition.number.desc())
    )
    return published != run.id


def period_choices(session, basis: Basis | None = None) -> list[str]:
    return (basis or live(session)).choices()


def expected_icos(orgs, run: ResultRun, period: Period) -> list:
    """The ICOs a period's figures should cover: those of the run's programme taking part in it (joined, not left,
    enabled) in the states of the ICOs that reported it (a statewide figure is one state's), and any that
    reported it."""
    reported = set(run.inputs or {})
    states = {o.state for o in orgs if o.code in reported}
    return [
        o
        for o in orgs
        if o.code in reported or (o.programme_id == run.programme_id and o.state in states and takes_part(o, period))
    ]


def default_period(session, basis: Basis | None = None) -> str | None:
    """The quarter the overview opens on: the newest that every ICO taking part has reported, or that has a
    published edition; the newest quarter when none is either (the first quarter of all)."""
    basis = basis or live(session)
    quarters = [c for c in basis.choices() if stored(c).is_quarter]
    if not quarters:
        return None
    orgs = list(session.scalars(select(Organization).where(Organization.programme_id == basis.programme_id)))
    published = set(
        session.scalars(
            select(Edition.period_code).where(
                Edition.programme_id == basis.programme_id, Edition.status == EditionStatus.PUBLISHED
            )
        )
    )
    for code in quarters:
        run = basis.run(code)
        if code in published or all(o.code in (run.inputs or {}) for o in expected_icos(orgs, run, stored(code))):
            return code
    return quarters[0]


def visible_codes(session, user, programme=None) -> list[str]:
    return [o.code for o in visible_icos(session, user, programme)]


def _results(
    session, run_id: int, codes: list[str], viewer="", basis: Basis | None = None
) -> dict[tuple[str, str], Result]:
    """Results of ``codes`` and statewide; without statewide where it is hidden from ``viewer`` (a user, or a
    report audience's role) in this run (``access.statewide_hidden_in``), or withheld from it on ``basis`` (by
    default the run's programme's newest computations: another programme's would protect nothing here)."""
    run = session.get(ResultRun, run_id)
    shown = codes + ([] if statewide_hidden_in(session, viewer, run) else [STATEWIDE])
    rows = session.scalars(select(Result).where(Result.run_id == run_id, Result.ico.in_(shown)))
    withheld = withheld_from(session, viewer, basis or live(session, run.programme_id))
    return {
        (r.measure_id, r.ico): r for r in rows if not (r.ico == STATEWIDE and (r.measure_id, r.period_code) in withheld)
    }


def withheld_from(session, viewer, basis: Basis | None = None) -> set:
    """(measure, period) statewide figures withheld from ICO users besides whole periods (``access``): those that,
    with an ICO's own figures and everything public, would give another ICO's figures (``publication.released``)."""
    if role_of(viewer) != ICO_SUBMITTER:
        return set()
    return statewide_withheld(session, (basis or live(session)).runs)


def statewide_hidden_periods(session, viewer, basis: Basis | None = None) -> list[str]:
    """The quarters (and years) whose statewide figures ``viewer`` may not see (``access.statewide_hidden_in``)."""
    runs = (basis or live(session)).runs
    return [p for p, run in runs.items() if statewide_hidden_in(session, viewer, run)]


def statewide_shown(session, user, run: ResultRun) -> bool:
    """Whether ``user`` sees the statewide figures of ``run`` (``access.statewide_hidden_in``), as the API asks."""
    return not statewide_hidden_in(session, user, run)


def provenance(run: ResultRun, codes: list[str]) -> Provenance:
    return Provenance(
        run.id,
        run.finished_at,
        run.code_version,
        run.spec_version,
        {k: v for k, v in (run.inputs or {}).items() if k in codes},
    )


def cell(pub, measure_id: str, result: Result | None, year: int, last_year: Result | None = None) -> Cell:
    """A result with its benchmark and status for the year."""
    bench = pub.benchmarks.get((measure_id, year))
    gap = pub.withhold.get(year, {}).get(measure_id, False)
    case_mix = pub.case_mix.get(year, False)
    on = judged(result, case_mix)
    return Cell(
        result,
        bench.value if bench else None,
        benchmark_status(measure_id, on, bench, judged(last_year, case_mix), gap),
        on.value if on is not result and on is not None else None,
    )


def _last_year_results(session, period: Period, codes, basis: Basis) -> dict:
    run = basis.run(str(period.year - 1))
    return _results(session, run.id, codes) if run else {}


# --- overview ---------------------------------------------------------------------------------


@dataclass
class Overview:
    period: str
    columns: list[tuple[str, str]]  # (code, label)
    domains: list[tuple[str, list]]  # (title, [(measure, {code: Cell})])
    provenance: Provenance
    withhold: dict  # code -> Withhold (calendar year)
    year: int
    departed: list = ()  # (org, "left the demonstration after 2015Q3") before this period
    names: dict = None  # code -> name, for the withhold summary
    coverage: dict = None  # code -> "January to September 2015": the months its withhold covers
    missing: list = ()  # the ICOs (the viewer may see) taking part that have not reported it
    statewide_of: tuple | None = None  # (ICOs pooled, ICOs taking part) when the statewide covers fewer


def overview(session, user, pub, period: Period, basis: Basis | None = None) -> Overview:
    """The period's results as the user may see them, on ``basis`` (the newest computation by default)."""
    basis, period_code = basis or live(session), period.code
    run = basis.run(period_code)
    if run is None:
        raise NotFound(
            f"{period_code} has not been published. Only published editions appear here; a period in "
            f"preview or waiting for approval does not."
            if basis.published
            else f"There are no results for {period_code} yet."
        )
    orgs = visible_icos(session, user, run.programme_id)  # the run's programme's
    own = set(programmes.get(run.programme_id).measures)
    codes = [o.code for o in orgs if o.code in (run.inputs or {})]
    results = _results(session, run.id, codes, user, basis)
    last = _last_year_results(session, period, codes, basis) if not period.is_quarter else {}
    expected = expected_icos(list(session.scalars(select(Organization))), run, period)
    pooled = len(run.inputs or {})
    statewide_of = (pooled, len(expected)) if pooled < len(expected) else None
    statewide = (
        [(STATEWIDE, f"Statewide of {pooled} of {len(expected)} ICOs" if statewide_of else "Statewide")]
        if statewide_shown(session, user, run)
        else []
    )
    columns = [(o.code, o.name) for o in orgs if o.code in codes] + statewide
    domains = []
    for domain in DOMAINS:
        rows = []
        for m in (m for m in REGISTRY.values() if m.domain == domain and m.id in own):
            rows.append(
                (
                    m,
                    {
                        code: cell(pub, m.id, results.get((m.id, code)), period.year, last.get((m.id, code)))
                        for code, _ in columns
                    },
                )
            )
        if rows:
            domains.append((DOMAIN_TITLES[domain], rows))
    prov = provenance(run, codes)
    prov.updating = newer_data(session, period_code, run)
    prov.unpublished = not basis.published and unpublished(session, period_code, run)
    seen = {o.code for o in orgs}
    return Overview(
        period_code,
        columns,
        domains,
        prov,
        withhold_for_year(session, pub, [o.code for o in orgs], period.year, basis),
        period.year,
        departed([o for o in orgs if o.code not in codes], period),
        {o.code: o.name for o in orgs},
        withhold_coverage(orgs, period.year),
        [o for o in expected if o.code in seen and o.code not in codes],
        statewide_of if statewide else None,
    )


# --- trends -----------------------------------------------------------------------------------


def quarter_results(
    session, codes: list[str], measure_id: str | None = None, viewer="", basis: Basis | None = None
) -> dict:
    """(measure, ico) -> [(period, Result)] over every quarter with a run on ``basis``, oldest first (statewide
    left out of the quarters it is hidden from ``viewer`` in: a user, or a report audience's role)."""
    runs = {p: r for p, r in (basis or live(session)).runs.items() if stored(p).is_quarter}
    hidden = {r.id for r in runs.values() if statewide_hidden_in(session, viewer, r)}
    withheld = withheld_from(session, viewer, basis)
    query = select(Result).where(Result.run_id.in_([r.id for r in runs.values()]), Result.ico.in_(codes + [STATEWIDE]))
    if measure_id:
        query = query.where(Result.measure_id == measure_id)
    series = defaultdict(list)
    for r in session.scalars(query):
        if r.ico == STATEWIDE and (r.run_id in hidden or (r.measure_id, r.period_code) in withheld):
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
    series: dict  # code -> [Result | None] aligned on periods
    benchmarks: list
    latest: dict  # code -> Cell for the latest period

    def latest_period(self, code: str) -> str | None:
        """The newest period with a result for ``code`` (an ICO that left has none after it)."""
        values = self.series.get(code, [])
        return next((p for p, r in zip(reversed(self.periods), reversed(values)) if r is not None), None)

    def at(self, code: str, period: str | None):
        """``code``'s result in ``period`` (to compare like periods), or None."""
        if period not in self.periods:
            return None
        return self.series.get(code, [None] * len(self.periods))[self.periods.index(period)]


def _latest_cell(pub, measure_id: str, periods: list[str], values: list) -> Cell:
    """The newest result of a series, judged against the benchmark of its own period's year (an ICO that has not
    sent the newest quarter of any ICO is judged on its own newest one)."""
    found = next(((p, r) for p, r in zip(reversed(periods), reversed(values)) if r is not None), None)
    if found is None:
        return cell(pub, measure_id, None, stored(periods[-1]).year if periods else clock.today().year)
    return cell(pub, measure_id, found[1], stored(found[0]).year)


def trends(session, pub, codes: list[str], measure_ids, viewer="", basis: Basis | None = None) -> list[Trend]:
    data = quarter_results(session, codes, viewer=viewer, basis=basis)
    periods = sorted({p for rows in data.values() for p, _ in rows}, key=chronological)
    out = []
    for mid in measure_ids:
        series = {}
        for code in codes + [STATEWIDE]:
            by_period = dict(data.get((mid, code), []))
            series[code] = [by_period.get(p) for p in periods]
        latest = {code: _latest_cell(pub, mid, periods, vals) for code, vals in series.items()}
        out.append(Trend(REGISTRY[mid], periods, series, benchmark_series(pub, mid, periods), latest))
    return out


def ico_page(session, user, pub, code: str, basis: Basis | None = None):
    org = ico_for(session, user, code, "results")
    subs = session.scalars(
        select(Submission)
        .where(Submission.organization_id == org.id)
        .order_by(Submission.period_code, Submission.version)
    ).all()
    measure_ids = [m for m in REGISTRY if m in programmes.get(org.programme_id).measures]
    return org, trends(session, pub, [org.code], measure_ids, user, basis), subs


@dataclass
class IcoPeriod:
    """One period of an ICO's page: each measure's value judged against that period's own year."""

    period: str | None  # the period shown (None: the ICO has no results yet)
    choices: list[str]  # the periods with results of this ICO, newest first
    cells: dict  # measure id -> Cell
    statewide: dict  # measure id -> statewide Result of the period (when the viewer may see it)
    unpublished: bool = False  # newer than the period's published edition, or none published
    edition: Edition | None = None  # the edition the figures belong to, if any
    year: int | None = None  # the year whose benchmarks judge it
    statewide_of: tuple | None = None  # (ICOs pooled, ICOs taking part) when the statewide covers fewer


def ico_period(session, user, pub, org, period: Period | None, basis: Basis) -> IcoPeriod:
    """``org``'s results in ``period`` on ``basis`` (by default its own newest quarter with results)."""
    choices = [p for p in basis.choices() if org.code in (basis.run(p).inputs or {})]
    if period is None:
        quarters = [p for p in choices if stored(p).is_quarter]
        if not choices:
            return IcoPeriod(None, [], {}, {})
        period = stored((quarters or choices)[0])
    if period.code not in choices:
        raise NotFound(
            f"{org.name} has no results for {period.code}"
            + (f". Choose one of: {', '.join(choices)}." if choices else " yet.")
        )
    run = basis.run(period.code)
    results = _results(session, run.id, [org.code], user, basis)
    last = _last_year_results(session, period, [org.code], basis) if not period.is_quarter else {}
    cells = {
        mid: cell(pub, mid, results.get((mid, org.code)), period.year, last.get((mid, org.code)))
        for mid in programmes.get(org.programme_id).measures
    }
    withheld = withheld_from(session, user, basis)  # a statewide figure an ICO user could subtract its own from
    statewide = (
        {mid: r for (mid, ico), r in results.items() if ico == STATEWIDE and (mid, period.code) not in withheld}
        if statewide_shown(session, user, run)
        else {}
    )
    pooled, expected = (
        len(run.inputs or {}),
        len(expected_icos(list(session.scalars(select(Organization))), run, period)),
    )
    return IcoPeriod(
        period.code,
        choices,
        cells,
        statewide,
        not basis.published and unpublished(session, period.code, run),
        basis.edition(period.code),
        period.year,
        (pooled, expected) if statewide and pooled < expected else None,
    )


def measure_page(session, user, pub, measure_id: str, basis: Basis | None = None):
    if measure_id not in REGISTRY:
        raise NotFound("There is no such measure. The measure catalog lists them all.")
    basis = basis or live(session)
    orgs = visible_icos(session, user, basis.programme_id)  # the ICOs of the basis's programme
    trend = trends(session, pub, [o.code for o in orgs], [measure_id], user, basis)[0]
    names = {o.code: o.name for o in orgs}
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
        out[code] = withhold(
            code,
            year,
            {m: this.get((m, code)) for m in chosen},
            {m: last.get((m, code)) for m in chosen},
            pub.benchmarks,
            chosen,
            pub.tiers.get(year),
            pub.case_mix.get(year, False),
        )
    return out


def withhold_coverage(orgs, year: int) -> dict:
    """code -> what a year's withhold of an ICO that joined or left during the year covers, and why."""
    out = {}
    for o in orgs:
        months = months_covered(o, year)
        if months:
            out[o.code] = f"covers {months}" + (
                f" ({left_label(o)})" if o.active_to and o.active_to.year == year else ""
            )
    return out


def withhold_years(session, pub, programme_id: str = DEFAULT_PROGRAMME) -> list[int]:
    runs = current_runs(session, programme_id)
    return sorted((y for y in pub.withhold if str(y) in runs), reverse=True)


# --- gap lists --------------------------------------------------------------------------------


def gap_list(
    session, user, measure_id: str, code: str, period: Period, every_unit: bool = False, basis: Basis | None = None
):
    """The units behind a gap: in the denominator and not in the numerator (for lower-is-better
    measures, the units in the numerator: the readmissions, the admissions). ``every_unit``: the
    whole per-unit frame behind the result, with its population flags, to trace the numbers. ``basis``: the
    run the viewer is shown of the period (``seen_by``); the newest computation without one."""
    from reporting.engine.store import frame_from_bytes

    if measure_id not in REGISTRY:
        raise NotFound("There is no such measure.")
    measure = REGISTRY[measure_id]
    if measure.unit == "score":
        raise NotFound("Survey scores have no member list: responses are reported as a score.")
    org = ico_for(session, user, code, "member lists")
    run = (basis or live(session)).run(period.code)
    if run is None:
        raise NotFound(f"There are no results for {period.code}.")
    row = session.scalar(
        select(ResultUnits).where(
            ResultUnits.run_id == run.id, ResultUnits.measure_id == measure_id, ResultUnits.ico == org.code
        )
    )
    if row is None:
        raise NotFound(f"{org.code} has no results for this measure in {period.code}.")
    units = frame_from_bytes(row.content)
    if every_unit:
        return org, measure, run, units
    return org, measure, run, gap_units(measure, units)


def upcoming_list(session, user, measure_id: str, code: str, days: int = 30):
    """For a 90-day measure: the ICO's members whose day 90 falls in the ``days`` after the service's date
    (``clock.today()``), with nothing completed in its newest accepted data (the gap that can still be closed).
    Returns the ICO, the measure, the as-of date (the service's), the end of the newest data and the frame."""
    from reporting.engine.inputs import in_force_up_to, views_of

    measure = REGISTRY.get(measure_id)
    if measure is None or measure.upcoming is None:
        raise NotFound("Only the 90-day measures have a list of deadlines ahead.")
    org = ico_for(session, user, code, "member lists")
    newest = session.scalar(
        select(func.max(Submission.period_code)).where(
            Submission.organization_id == org.id, Submission.status == "accepted"
        )
    )
    if newest is None:
        raise NotFound(f"{org.name} has no accepted package yet.")
    period, today = Period.parse(newest), clock.today()
    if ended_by(org, today):
        raise NotFound(f"{org.name} {left_label(org)}: it has no deadlines ahead.")
    inputs = in_force_up_to(period.end, only=org.code)
    view = views_of(inputs, org.code, [period])[period.code]
    return org, measure, today, period.end, view.restore_members(measure.upcoming(view, today, days))


def gap_units(measure, units):
    """The units behind the gap of one per-unit frame (flags dropped)."""
    units = (
        units[units["numerator"]] if not measure.higher_is_better else units[units["denominator"] & ~units["numerator"]]
    )
    flags = [c for c in ("denominator", "numerator", "kind") if c in units]
    return units.drop(columns=flags).reset_index(drop=True)
