"""What a draft rule set would change, from stored results only (no measure is recomputed): for every ICO
of the year, each measure's value, the benchmark and status now and in the draft, and each ICO's withhold
(measures met, share, tier) now and in the draft."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from reporting import programmes
from reporting.access import visible_icos
from reporting.engine.store import current_run
from reporting.errors import NotFound
from reporting.publication.benchmarks import MET, MET_GAP, NA, NO_BENCHMARK, NOT_MET, benchmark_status, judged, withhold
from reporting.rules.store import Rules, current_rules, with_draft
from reporting.storage.models import Result, RuleSet

STATUS_CODES = {MET: "met", MET_GAP: "met_gap_closure", NOT_MET: "not_met", NA: "na", NO_BENCHMARK: "none"}
COLUMNS = [
    "ico",
    "measure_id",
    "value",
    "benchmark_now",
    "benchmark_draft",
    "status_now",
    "status_draft",
    "value_draft",
    "withhold_now",
    "withhold_draft",
    "withhold_change",
]


@dataclass(frozen=True)
class MeasureImpact:
    ico: str
    measure_id: str
    value: float | None
    benchmark_now: float | None
    benchmark_draft: float | None
    status_now: str
    status_draft: str
    withhold_now: bool
    withhold_draft: bool
    value_draft: float | None = None  # the value judged under the draft (case-mix adjusted or not)

    @property
    def changed(self) -> bool:
        return (
            (self.status_now, self.withhold_now) != (self.status_draft, self.withhold_draft)
            or self.benchmark_now != self.benchmark_draft
            or self.value != self.value_draft
        )

    @property
    def withhold_change(self) -> str:
        """ "added" to the withhold set by the draft, "removed" from it, or ""."""
        if self.withhold_draft == self.withhold_now:
            return ""
        return "added" if self.withhold_draft else "removed"


@dataclass(frozen=True)
class IcoImpact:
    ico: str
    met_now: int
    eligible_now: int
    share_now: float | None
    tier_now: int | None
    met_draft: int
    eligible_draft: int
    share_draft: float | None
    tier_draft: int | None

    @property
    def changed(self) -> bool:
        return self.tier_now != self.tier_draft


@dataclass(frozen=True)
class Impact:
    draft: RuleSet
    rows: list[MeasureImpact]
    icos: list[IcoImpact]

    def summary(self) -> str:
        moved = [i for i in self.icos if i.changed]
        if not moved:
            return f"No ICO changes tier ({len(self.icos)} ICOs, {self.draft.year})."
        parts = ", ".join(f"{i.ico} {_pct(i.tier_now)} → {_pct(i.tier_draft)}" for i in moved)
        return f"{len(moved)} ICO{'s' if len(moved) != 1 else ''} change{'s' if len(moved) == 1 else ''} tier: {parts}"

    def table(self) -> tuple[list[str], list[list]]:
        """The ``rules impact`` rows: one per ICO and measure, then one per ICO with measure_id TIER."""
        rows = [
            [
                r.ico,
                r.measure_id,
                r.value,
                r.benchmark_now,
                r.benchmark_draft,
                r.status_now,
                r.status_draft,
                r.value_draft,
                _flag(r.withhold_now),
                _flag(r.withhold_draft),
                r.withhold_change,
            ]
            for r in self.rows
        ]
        rows += [
            [i.ico, "TIER", None, None, None, _tier(i.tier_now), _tier(i.tier_draft), None, None, None, None]
            for i in self.icos
        ]
        return COLUMNS, rows


def _pct(v) -> str:
    return "no tier" if v is None else f"{v} %"


def _flag(v: bool) -> str:
    return "true" if v else "false"


def _tier(v) -> str:
    return "na" if v is None else str(v)


def _year_results(session, year: int, programme_id: str) -> tuple[dict, list[str]]:
    run = current_run(session, str(year), programme_id)
    if run is None:
        return {}, []
    results = {(r.measure_id, r.ico): r for r in session.scalars(select(Result).where(Result.run_id == run.id))}
    return results, sorted((run.inputs or {}).keys())


def has_results(session, draft: RuleSet) -> bool:
    """Whether the draft's year has results of its programme to show its impact on (a year just started has none)."""
    run = current_run(session, str(draft.year), draft.programme_id)
    return run is not None and bool(run.inputs)


def no_results(draft: RuleSet) -> str:
    """What a reviewer is told of a draft whose year has no results yet (``has_results``)."""
    return (
        f"There are no results of {programmes.get(draft.programme_id).name} for {draft.year} yet, so the draft has "
        f"no impact to show (its impact cannot be shown before the year's quarters are submitted and computed; each "
        f"accepted upload is computed within minutes). The draft can be saved and adopted meanwhile."
    )


def impact(session, draft: RuleSet, viewer) -> Impact:
    """The draft's impact on the ICOs ``viewer`` may see (``access.visible_icos``: a state reviewer their
    state's only)."""
    year = draft.year
    this, icos = _year_results(session, year, draft.programme_id)  # the draft's programme's results only
    if not icos:
        raise NotFound(no_results(draft))
    visible = {o.code for o in visible_icos(session, viewer, draft.programme_id)}
    icos = [i for i in icos if i in visible]
    if not icos:
        raise NotFound(f"None of the ICOs with {year} results is one you may see.")
    last, _ = _year_results(session, year - 1, draft.programme_id)
    now, then = current_rules(session, draft.programme_id), with_draft(session, draft)
    rows, per_ico = [], []
    measure_ids = programmes.get(draft.programme_id).measures
    for ico in icos:
        for mid in measure_ids:
            r, before = this.get((mid, ico)), last.get((mid, ico))
            rows.append(
                MeasureImpact(
                    ico,
                    mid,
                    _value(now, year, r),
                    _bench(now, mid, year),
                    _bench(then, mid, year),
                    _status(now, mid, year, r, before),
                    _status(then, mid, year, r, before),
                    mid in now.withhold.get(year, {}),
                    mid in then.withhold.get(year, {}),
                    _value(then, year, r),
                )
            )
        w_now, w_draft = _withhold(now, ico, year, this, last), _withhold(then, ico, year, this, last)
        per_ico.append(
            IcoImpact(
                ico,
                w_now.met,
                w_now.eligible,
                w_now.share,
                w_now.earned_back,
                w_draft.met,
                w_draft.eligible,
                w_draft.share,
                w_draft.earned_back,
            )
        )
    return Impact(draft, rows, per_ico)


def _bench(rules: Rules, mid: str, year: int) -> float | None:
    b = rules.benchmarks.get((mid, year))
    return b.value if b else None


def _value(rules: Rules, year: int, r) -> float | None:
    """The value the rules judge (the case-mix adjusted one where they say so)."""
    r = judged(r, rules.case_mix.get(year, False))
    return r.value if r and r.status == "reported" else None


def _status(rules: Rules, mid: str, year: int, r, before) -> str:
    gap = rules.withhold.get(year, {}).get(mid, False)
    case_mix = rules.case_mix.get(year, False)
    return STATUS_CODES[
        benchmark_status(mid, judged(r, case_mix), rules.benchmarks.get((mid, year)), judged(before, case_mix), gap)
    ]


def _withhold(rules: Rules, ico: str, year: int, this: dict, last: dict):
    chosen = rules.withhold.get(year, {})
    return withhold(
        ico,
        year,
        {m: this.get((m, ico)) for m in chosen},
        {m: last.get((m, ico)) for m in chosen},
        rules.benchmarks,
        chosen,
        rules.tiers.get(year),
        rules.case_mix.get(year, False),
    )
