"""What a report's e-mail says about it: the headline figures of the report itself, aggregate only (no member
data): measures met and not met, the largest changes since the previous quarter, the withhold tier of a year
report. They are computed when the report is rendered, from the same rules and the same runs as its PDF (the
edition's recorded rules, the editions in force when it was made), and stored with the artifact
(``Artifact.headlines``), so that a message sent late or again states its attachment's figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from measures import Period
from reporting import programmes
from reporting.engine import STATEWIDE
from reporting.publication import figures
from reporting.publication.benchmarks import MET, MET_GAP, NA, NO_BENCHMARK, NOT_MET
from reporting.publication.reports import ReportKind
from reporting.storage.models import Result

CHANGES = 3


@dataclass
class Headline:
    who: str  # ICO code or STATEWIDE
    met: int = 0
    not_met: int = 0
    na: int = 0
    changes: list = field(default_factory=list)  # (measure title, before, now, unit, better)
    tier: int | None = None
    withhold_met: int | None = None
    withhold_eligible: int | None = None


def _results(session, run_id: int) -> dict:
    return {(r.measure_id, r.ico): r for r in session.scalars(select(Result).where(Result.run_id == run_id))}


def _counts(statuses: list[str]) -> tuple[int, int, int]:
    """(met, not met, NA or without a benchmark): met by gap closure is met."""
    return (
        sum(s in (MET, MET_GAP) for s in statuses),
        sum(s == NOT_MET for s in statuses),
        sum(s in (NA, NO_BENCHMARK) for s in statuses),
    )


def for_report(session, pub, spec, basis) -> list[Headline]:
    """The headlines of the report ``spec`` made with the rules ``pub`` on ``basis`` (the runs its PDF reads)."""
    period = Period.parse(spec.period)
    run = basis.run(period.code)
    results = _results(session, run.id)
    codes = [spec.ico] if spec.ico else sorted({ico for _, ico in results if ico != STATEWIDE})
    previous = None
    if period.is_quarter:
        prev_run = basis.run(period.previous(1).code)
        previous = _results(session, prev_run.id) if prev_run else None
    return [_headline(session, pub, spec, basis, period, code, results, previous) for code in codes]


def _headline(session, pub, spec, basis, period, code, results, previous) -> Headline:
    h = Headline(code)
    measures = programmes.get(spec.programme).measure_set  # the programme's own: MI Health Link has nine
    h.met, h.not_met, h.na = _counts(
        [figures.cell(pub, mid, results.get((mid, code)), period.year).status for mid in measures]
    )
    if previous:
        moves = []
        for mid, m in measures.items():
            pair = figures.headline_change(results.get((mid, code)), previous.get((mid, code)))
            if pair is not None and pair[0] != pair[1]:
                before, now = pair
                moves.append((m.title, before, now, m.unit, (now > before) == m.higher_is_better))
        h.changes = sorted(moves, key=lambda c: -abs(c[2] - c[1]))[:CHANGES]
    if spec.kind == ReportKind.WITHHOLD:
        w = figures.withhold_for_year(session, pub, [code], period.year, basis).get(code)
        if w:
            h.tier, h.withhold_met, h.withhold_eligible = w.earned_back, w.met, w.eligible
            # the measures the withhold PDF lists, as it judges them (met by gap closure is met), not every measure
            h.met, h.not_met, h.na = _counts([r.status for r in w.rows])
    return h


def to_json(headlines: list[Headline]) -> list[dict]:
    return [asdict(h) for h in headlines]


def from_json(rows: list[dict] | None) -> list[Headline]:
    return [Headline(**{**row, "changes": [tuple(c) for c in row.get("changes", [])]}) for row in rows or []]
