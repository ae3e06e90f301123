"""What each user's first page says needs attention, read from stored results and records only (nothing is
computed while a user waits; an ICO user sees only its own ICO).

- ICO home: the next quarter due and its status; the newest edition (preview or published) with its open
  inquiries; the year-to-date withhold projection and the measures closest to their benchmark; the measures
  not met in the newest period, worst first; the largest moves since the previous quarter.
- Reviewer home: submissions late or missing for the current due period; editions waiting (approval, preview
  with inquiries open); failed or uncertain deliveries (admins); the largest moves across ICOs; ICOs whose
  withhold tier changed or is one measure from dropping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from measures import REGISTRY
from reporting.access import is_admin, statewide_hidden_in, visible_icos
from reporting.engine import STATEWIDE
from reporting.participation import ended_by, first_quarter, has_left, left_label, took_part
from reporting.periods import chronological, default_due_date, last_ended_quarter, stored
from reporting.publication import editions, figures
from reporting.publication.benchmarks import MET, MET_GAP, NOT_MET
from reporting.publication.editions import PENDING, EditionStatus
from reporting.review import inquiries
from reporting.review.inquiries import open_for_period, questioned
from reporting.storage.models import Delivery, Edition, Organization, Result, ResultUnits, Submission

MOVES = 3


@dataclass(frozen=True)
class Move:
    ico: str
    measure_id: str
    before: float
    now: float

    @property
    def change(self) -> float:
        return self.now - self.before

    @property
    def better(self) -> bool:
        return (self.change > 0) == REGISTRY[self.measure_id].higher_is_better


@dataclass(frozen=True)
class Shortfall:
    measure_id: str
    value: float
    benchmark: float
    gap: float  # points short (positive), from the judged value
    has_list: bool
    adjusted: bool = False  # ``value`` is the case-mix adjusted score the year's rules judge


@dataclass(frozen=True)
class Edge:
    measure_id: str
    value: float
    benchmark: float
    distance: float  # points above (met) or below (not met) the benchmark, in the better direction
    met: bool
    status: str = MET  # met, met by gap closure or not met: a value met by gap closure is on the worse side


@dataclass
class Due:
    period: str
    due_date: date
    days_left: int
    state: str  # not started | rejected | accepted
    errors: int = 0
    submission_id: int | None = None
    opens: date | None = None  # the first day the quarter can be submitted, while that is still ahead


@dataclass
class IcoHome:
    org: Organization
    due: Due | None
    edition: Edition | None
    open_inquiries: list = field(default_factory=list)
    year: int | None = None
    withhold: object = None
    edges: list[Edge] = field(default_factory=list)
    period: str | None = None
    shortfalls: list[Shortfall] = field(default_factory=list)
    benchmarked: int = 0  # the newest quarter's measures that have a benchmark ("every one met" needs one)
    previous: str | None = None
    moves_up: list[Move] = field(default_factory=list)
    moves_down: list[Move] = field(default_factory=list)
    left: str | None = None  # "left the demonstration after 2015Q3" once its participation has ended


def _quarters_with_runs(runs: dict) -> list[str]:
    return sorted((p for p in runs if stored(p).is_quarter), key=chronological)


def _results(session, period: str, codes: list[str], runs: dict | None = None) -> dict:
    run = (figures.current_runs(session) if runs is None else runs).get(period)
    if run is None:
        return {}
    rows = session.scalars(select(Result).where(Result.run_id == run.id, Result.ico.in_(codes)))
    return {(r.measure_id, r.ico): r for r in rows}


def moves(session, codes: list[str], period: str, runs: dict | None = None) -> tuple[str | None, list[Move]]:
    previous = stored(period).previous(1).code
    now, before = _results(session, period, codes, runs), _results(session, previous, codes, runs)
    out = []
    for (mid, ico), r in now.items():
        pair = figures.headline_change(r, before.get((mid, ico)))  # the headline's, as the PDF and e-mail state it
        if pair is not None:
            out.append(Move(ico, mid, *pair))
    return (previous if before else None), out


def _due(session, org: Organization, today: date, months_after: int, first: str) -> Due | None:
    last = last_ended_quarter(today)
    subs = session.scalars(select(Submission).where(Submission.organization_id == org.id)).all()
    accepted = {s.period_code for s in subs if s.status == "accepted"}
    if has_left(org, last):
        return None  # left the demonstration
    joined = first_quarter(org)  # nothing is due from before the ICO joined
    start = max((c for c in (first, joined) if c), key=chronological)
    p = stored(min(accepted, key=chronological) if accepted else start)
    while p.begin <= last.begin and p.code in accepted:
        p = p.previous(-1)
    if p.begin > last.begin and has_left(org, p):
        p = last  # every quarter in: the one in progress is next, unless it left
    own = sorted((s for s in subs if s.period_code == p.code), key=lambda s: s.version)
    due = default_due_date(p, months_after)
    if any(s.status == "accepted" for s in own):
        state, s = "accepted", [s for s in own if s.status == "accepted"][-1]
    elif own:
        state, s = "rejected", own[-1]
    else:
        state, s = "not started", None
    opens = p.end + timedelta(days=1)  # a quarter is submitted once it is over (periods.submittable)
    return Due(
        p.code,
        due,
        (due - today).days,
        state,
        s.error_count if s else 0,
        s.id if s else None,
        opens if opens > today else None,
    )


def ico_home(
    session, pub, org: Organization, today: date, months_after: int, first: str, basis: figures.Basis | None = None
) -> IcoHome:
    """``basis``: what the ICO's users are shown of each period (``figures.seen_by``); the newest computation
    without one."""
    home = IcoHome(org, _due(session, org, today, months_after, first), None)
    runs = (basis or figures.live(session)).runs  # read once: the home is a hot page
    quarters = sorted(
        (q for q, run in runs.items() if stored(q).is_quarter and org.code in (run.inputs or {})), key=chronological
    )
    home.edition = newest_quarter_edition(session, org)
    home.left = left_label(org) if ended_by(org, today) else None
    if home.edition is not None:
        home.open_inquiries = questioned(
            session,
            [
                i
                for i in open_for_period(session, home.edition.period_code, org.programme_id)
                if i.organization_id == org.id
            ],
        )
    if not quarters:
        return home
    home.period = quarters[-1]
    year = stored(home.period).year
    home.year = year
    projection = figures.withhold_for_year(session, pub, [org.code], year, basis)
    if org.code not in projection:  # no year run yet: project from the newest quarter's results
        projection = _quarter_projection(session, pub, org.code, home.period, runs)
    home.withhold = projection.get(org.code)
    if home.withhold:
        home.edges = sorted(
            (e for r in home.withhold.rows if (e := _edge(r)) is not None), key=lambda e: abs(e.distance)
        )[:MOVES]
    latest = _results(session, home.period, [org.code], runs)
    lists = set(
        session.scalars(
            select(ResultUnits.measure_id).where(
                ResultUnits.run_id == runs[home.period].id, ResultUnits.ico == org.code
            )
        )
    )
    for mid in REGISTRY:
        cell = figures.cell(pub, mid, latest.get((mid, org.code)), year)
        home.benchmarked += cell.benchmark is not None
        if cell.status == NOT_MET:
            value = cell.judged_value
            home.shortfalls.append(
                Shortfall(
                    mid,
                    value,
                    cell.benchmark,
                    abs(value - cell.benchmark),
                    mid in lists and REGISTRY[mid].unit != "score",
                    cell.adjusted is not None,
                )
            )
    home.shortfalls.sort(key=lambda s: -s.gap)
    home.previous, all_moves = moves(session, [org.code], home.period, runs)
    home.moves_up = sorted((m for m in all_moves if m.better and m.change), key=lambda m: -abs(m.change))[:MOVES]
    home.moves_down = sorted((m for m in all_moves if not m.better and m.change), key=lambda m: -abs(m.change))[:MOVES]
    return home


def newest_quarter_edition(session, org: Organization) -> Edition | None:
    """The edition of the ICO's programme's newest quarter that is in preview or published (an annual edition is not
    a quarter's), its newest number, of a quarter the ICO took part in (for one that left the demonstration, the
    newest quarter before it left)."""
    rows = session.scalars(
        select(Edition).where(
            Edition.status.in_([EditionStatus.PREVIEW, EditionStatus.PUBLISHED]),
            Edition.programme_id == org.programme_id,
        )
    ).all()
    rows = [e for e in rows if stored(e.period_code).is_quarter and took_part(org, stored(e.period_code))]
    return max(rows, key=lambda e: (chronological(e.period_code), e.number), default=None)


def _quarter_projection(session, pub, code: str, quarter: str, runs: dict | None = None) -> dict:
    from reporting.publication.benchmarks import withhold

    year = stored(quarter).year
    chosen = pub.withhold.get(year, {})
    this = _results(session, quarter, [code], runs)
    if not chosen or not this:
        return {}
    return {
        code: withhold(
            code,
            year,
            {m: this.get((m, code)) for m in chosen},
            {},
            pub.benchmarks,
            chosen,
            pub.tiers.get(year),
            pub.case_mix.get(year, False),
        )
    }


def _edge(row) -> Edge | None:
    if row.value is None or row.benchmark is None or row.status not in (MET, MET_GAP, NOT_MET):
        return None
    sign = 1 if REGISTRY[row.measure_id].higher_is_better else -1
    return Edge(
        row.measure_id, row.value, row.benchmark, sign * (row.value - row.benchmark), row.status != NOT_MET, row.status
    )


# --- reviewers --------------------------------------------------------------------------------------


@dataclass
class ReviewerHome:
    due_period: str | None
    due_date: date | None
    late: list = field(default_factory=list)  # (org, state)
    waiting: list = field(default_factory=list)  # (edition, open inquiries)
    deliveries: list = field(default_factory=list)  # failed or uncertain (admins)
    period: str | None = None
    previous: str | None = None
    moves: list[Move] = field(default_factory=list)
    tiers: list = field(default_factory=list)  # (code, year, tier now, tier last year, at risk)


def reviewer_home(session, user, pub, today: date, months_after: int, programme=None) -> ReviewerHome:
    """What needs a reviewer's attention in one programme (``programme``; None: every ICO the reviewer sees)."""
    from reporting.ingest.records import period_status
    from reporting.storage.models import ReportingPeriod

    orgs = visible_icos(session, user, programme)
    codes = [o.code for o in orgs]
    latest_sub = session.scalar(
        select(func.max(ReportingPeriod.begin)).join(Submission, Submission.period_code == ReportingPeriod.code)
    )
    due_rows = [
        p
        for p in session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.begin.desc()))
        if p.due_date < today and (latest_sub is None or p.begin <= latest_sub)
    ]
    home = ReviewerHome(due_rows[0].code if due_rows else None, due_rows[0].due_date if due_rows else None)
    if due_rows:
        p = due_rows[0]
        for org in orgs:
            own = session.scalars(
                select(Submission)
                .where(Submission.organization_id == org.id, Submission.period_code == p.code)
                .order_by(Submission.version)
            ).all()
            status = period_status(p, own, today, org)
            if status.state in ("late", "rejected", "missing") or status.state.startswith("resubmitted (first late"):
                home.late.append((org, status.state))
    pending = select(Edition).where(Edition.status.in_(PENDING)).order_by(Edition.period_code)
    if programme is not None:
        pending = pending.where(Edition.programme_id == programme.id)
    for e in session.scalars(pending):
        opened = [i for i in open_for_period(session, e.period_code, e.programme_id) if i.organization.code in codes]
        if e.status == EditionStatus.AWAITING_APPROVAL or opened:
            home.waiting.append((e, opened))
    # an inquiry still open on a period no longer pending (a CMS reviewer published it anyway, with a reason; or one
    # opened on a revised edition) still waits for a reviewer's answer, as the menu's Inquiries count says
    covered = {(e.programme_id, e.period_code) for e, _ in home.waiting}
    left: dict[tuple[str, str], list] = {}
    for i in sorted(inquiries.visible(session, user, status="open", programme=programme), key=lambda i: i.id):
        if (i.organization.programme_id, i.period_code) not in covered:  # the menu's count: the same inquiries
            left.setdefault((i.organization.programme_id, i.period_code), []).append(i)
    for (programme_id, period), opened in sorted(left.items(), key=lambda kv: (kv[0][0], chronological(kv[0][1]))):
        edition = editions.latest(session, period, programme_id)
        if edition is not None:
            home.waiting.append((edition, opened))
    if is_admin(user):
        home.deliveries = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.status.in_(["failed", "uncertain"]))
                .order_by(Delivery.id.desc())
                .limit(20)
            )
        )
    basis = figures.live(session, programme.id) if programme is not None else figures.live(session)
    quarters = _quarters_with_runs(basis.runs)
    if quarters:
        home.period = quarters[-1]
        run = basis.runs.get(home.period)
        statewide = [] if run is None or statewide_hidden_in(session, user, run) else [STATEWIDE]
        home.previous, found = moves(session, codes + statewide, home.period, basis.runs)
        home.moves = sorted((m for m in found if m.change), key=lambda m: -abs(m.change))[:5]
        year = stored(home.period).year
        now = figures.withhold_for_year(session, pub, codes, year, basis)
        last = figures.withhold_for_year(session, pub, codes, year - 1, basis)
        for code, w in sorted(now.items()):
            before = last.get(code)
            risk = (
                w.eligible
                and w.earned_back
                and w.share is not None
                and _tier_of(pub, year, (w.met - 1) / w.eligible) < w.earned_back
            )
            if (before and before.earned_back != w.earned_back) or risk:
                home.tiers.append((code, year, w.earned_back, before.earned_back if before else None, bool(risk)))
    return home


def _tier_of(pub, year: int, share: float) -> int:
    from reporting.publication.benchmarks import tier

    return tier(share, pub.tiers.get(year))
