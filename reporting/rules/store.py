"""Rule sets: the one in force per year (what dashboards, withhold pages, PDFs and exports use), drafts that
reviewers edit, adoption (exactly one in force per year, even when two people adopt at once), history.

Values are checked cell by cell (``check_value``, ``check_tiers``): a number is finite; a benchmark is 0-100 for
percents and scores, positive and at most 1,000 for rates per 1,000 member-months; a tier's share met is 0-100 % and
its share earned back a whole 0-100 %; flags are true/false; measure ids are known; a formula, a duplicate row or
a non-number names its cell. A value stored before these checks (or by hand) that breaks them is left out of the
rules the read side uses and named on the Rules pages (``stored_problems``); a draft holding one is not adopted."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from measures import REGISTRY
from reporting import audit
from reporting.errors import NotFound, ReportingError
from reporting.publication.benchmarks import TIERS, Benchmark
from reporting.storage.models import DEFAULT_PROGRAMME, ResultRun, RuleMeasure, RuleSet, RuleTier, utcnow

MEASURE_COLUMNS = ["measure_id", "benchmark", "withhold", "gap_closure", "direction"]
TIER_COLUMNS = ["tier", "min_share_met", "earned_back"]
FORMULA_START = ("=", "+", "@", "\t", "\r")
MAX_RATE = 1000  # a rate per 1,000 member-months: at most one event per member and month


class RuleFileError(ReportingError):
    """Every bad cell of a proposed rule file, named."""

    status = 422
    title = "Rules not accepted"

    def __init__(self, problems: list[str]):
        super().__init__("The file has problems:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rules:
    """The rules the read side uses, for every year with a rule set in force (or one draft, for its impact)."""

    benchmarks: dict  # (measure id, year) -> Benchmark
    withhold: dict  # year -> {measure id: gap closure}
    tiers: dict  # year -> [(min share 0-1, earned back %)], highest first
    versions: dict  # year -> version
    invalid: dict = None  # year -> [what is wrong with a stored value left out]
    case_mix: dict = field(default_factory=dict)  # year -> survey measures judged on case-mix adjusted values


# Rule sets are versioned per (programme, year): each query takes the programme's id (default: One Care's).


def in_force(session, year: int, programme_id: str = DEFAULT_PROGRAMME) -> RuleSet | None:
    return session.scalar(
        select(RuleSet).where(RuleSet.programme_id == programme_id, RuleSet.year == year, RuleSet.status == "in_force")
    )


def _in_force_sets(session, programme_id: str) -> list[RuleSet]:
    return list(
        session.scalars(select(RuleSet).where(RuleSet.programme_id == programme_id, RuleSet.status == "in_force"))
    )


def get(session, rule_set_id: int) -> RuleSet:
    rs = session.get(RuleSet, rule_set_id)
    if rs is None:
        raise NotFound(f"There is no rule set {rule_set_id}.")
    return rs


def by_version(session, year: int, version: int | None, programme_id: str = DEFAULT_PROGRAMME) -> RuleSet:
    rs = (
        in_force(session, year, programme_id)
        if version is None
        else session.scalar(
            select(RuleSet).where(
                RuleSet.programme_id == programme_id, RuleSet.year == year, RuleSet.version == version
            )
        )
    )
    if rs is None:
        years = sorted(set(session.scalars(select(RuleSet.year).where(RuleSet.programme_id == programme_id))))
        raise NotFound(
            f"There is no rule set {year}{f' v{version}' if version else ' in force'}. Years with rules: "
            f"{', '.join(map(str, years)) or 'none'}."
        )
    return rs


def history(session, year: int | None = None, programme_id: str = DEFAULT_PROGRAMME) -> list[RuleSet]:
    query = (
        select(RuleSet)
        .where(RuleSet.programme_id == programme_id)
        .order_by(RuleSet.year.desc(), RuleSet.version.desc())
    )
    return list(session.scalars(query.where(RuleSet.year == year) if year else query))


def years(session, programme_id: str = DEFAULT_PROGRAMME) -> list[int]:
    return sorted(set(session.scalars(select(RuleSet.year).where(RuleSet.programme_id == programme_id))), reverse=True)


def default_year(session, programme_id: str = DEFAULT_PROGRAMME) -> int:
    """The year the Rules page opens on: the newest with rules in force and results computed (a year just started
    has none to judge its rules by), else the newest with rules in force, else the newest with any (0: none)."""
    in_force_years = sorted({rs.year for rs in _in_force_sets(session, programme_id)}, reverse=True)
    computed = {
        int(code[:4])
        for code in session.scalars(
            select(ResultRun.period_code).where(ResultRun.programme_id == programme_id, ResultRun.is_current)
        )
    }
    with_results = [y for y in in_force_years if y in computed]
    return next(iter(with_results + in_force_years + years(session, programme_id)), 0)


def rules_of(sets: list[RuleSet]) -> Rules:
    """The rules of ``sets``; a stored value that is not valid is left out (a benchmark: none; a tier: dropped)
    and named in ``invalid``, so that no page reads an infinite or out-of-range number."""
    benchmarks, withhold, tiers, versions, invalid, case_mix = {}, {}, {}, {}, {}, {}
    for rs in sets:
        case_mix[rs.year] = bool(rs.case_mix_adjusted)
        problems = stored_problems(rs)
        if problems:
            invalid[rs.year] = list(problems.values())
        for m in rs.measures:
            if m.benchmark is not None and ("measure", m.measure_id) not in problems:
                benchmarks[(m.measure_id, rs.year)] = Benchmark(m.measure_id, rs.year, m.benchmark, m.source)
            if m.withhold:
                withhold.setdefault(rs.year, {})[m.measure_id] = m.gap_closure
        tiers[rs.year] = sorted(
            ((t.min_share_met / 100.0, t.earned_back) for t in rs.tiers if ("tier", t.tier) not in problems),
            reverse=True,
        )
        versions[rs.year] = rs.version
    return Rules(benchmarks, withhold, tiers, versions, invalid, case_mix)


def stored_problems(rs: RuleSet) -> dict[tuple[str, object], str]:
    """What is wrong with ``rs``'s stored values: ("measure", id) or ("tier", number) -> the problem."""
    out = {}
    for m in rs.measures:
        if m.benchmark is not None and m.measure_id in REGISTRY:
            problem = benchmark_problem(m.measure_id, m.benchmark)
            if problem:
                out[("measure", m.measure_id)] = f"{m.measure_id} benchmark: {problem}"
    for t in rs.tiers:
        problem = share_problem(t.min_share_met, "the share of measures met") or share_problem(
            t.earned_back, "the share earned back"
        )
        if problem:
            out[("tier", t.tier)] = f"tier {t.tier}: {problem}"
    return out


def current_rules(session, programme_id: str = DEFAULT_PROGRAMME) -> Rules:
    """The programme's rules in force, every year."""
    return rules_of(_in_force_sets(session, programme_id))


def as_recorded(session, versions: dict | None, programme_id: str = DEFAULT_PROGRAMME) -> Rules:
    """The rules an edition (of the programme) was made with: the versions it recorded (year -> version), and for
    other years the ones in force."""
    sets = {rs.year: rs for rs in _in_force_sets(session, programme_id)}
    for year, version in (versions or {}).items():
        recorded = session.scalar(
            select(RuleSet).where(
                RuleSet.programme_id == programme_id, RuleSet.year == int(year), RuleSet.version == version
            )
        )
        if recorded is not None:
            sets[recorded.year] = recorded
    return rules_of(list(sets.values()))


def with_draft(session, draft: RuleSet) -> Rules:
    """The rules in force with ``draft`` in place of its year's."""
    sets = [rs for rs in _in_force_sets(session, draft.programme_id) if rs.year != draft.year]
    return rules_of(sets + [draft])


def state_key(session) -> tuple:
    """Changes whenever a rule set is adopted: what a cache of the rules in force is keyed on."""
    return tuple(
        session.execute(
            select(RuleSet.programme_id, RuleSet.year, RuleSet.id)
            .where(RuleSet.status == "in_force")
            .order_by(RuleSet.programme_id, RuleSet.year)
        ).all()
    )


def revision(session, year: int, programme_id: str = DEFAULT_PROGRAMME) -> dict | None:
    """When the year's published withhold reports were made under another version than the one in force: which,
    and since when (the withhold page marks its figures revised; the Rules page offers to reissue the reports), and
    ``pending``: the revised edition already made with the version in force and not published yet (in preview or
    awaiting approval; nothing to reissue until it is published), else None."""
    from reporting.publication.editions import latest_published, pending_of

    edition, rs = latest_published(session, str(year), programme_id), in_force(session, year, programme_id)
    if edition is None or rs is None:
        return None
    used = (edition.rule_versions or {}).get(str(year))
    if used is None or used == rs.version:
        return None
    pending = pending_of(session, str(year), programme_id)
    return {
        "edition": edition.number,
        "used": used,
        "now": rs.version,
        "adopted_at": rs.adopted_at,
        "adopted_by": rs.adopted_by,
        "pending": pending if pending and (pending.rule_versions or {}).get(str(year)) == rs.version else None,
    }


# --- rows (the `rules show` form) ------------------------------------------------------------------


def measure_rows(rs: RuleSet) -> list[dict]:
    """One row per measure of the rule set's programme (the library's order)."""
    from reporting import programmes  # the programmes are read by the app; store is imported before it

    by_id, own = {m.measure_id: m for m in rs.measures}, set(programmes.get(rs.programme_id).measures)
    out = []
    for mid, measure in ((k, v) for k, v in REGISTRY.items() if k in own):
        m = by_id.get(mid)
        out.append(
            {
                "measure_id": mid,
                "benchmark": m.benchmark if m else None,
                "withhold": bool(m and m.withhold),
                "gap_closure": bool(m and m.gap_closure),
                "direction": measure.direction,
            }
        )
    return out


def tier_rows(rs: RuleSet) -> list[dict]:
    return [
        {"tier": t.tier, "min_share_met": t.min_share_met, "earned_back": t.earned_back}
        for t in sorted(rs.tiers, key=lambda t: t.tier)
    ]


def to_csv(rs: RuleSet) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(MEASURE_COLUMNS)
    for r in measure_rows(rs):
        w.writerow(
            [r["measure_id"], _num(r["benchmark"]), _flag(r["withhold"]), _flag(r["gap_closure"]), r["direction"]]
        )
    w.writerow([])
    w.writerow(TIER_COLUMNS)
    for t in tier_rows(rs):
        w.writerow([t["tier"], _num(t["min_share_met"]), t["earned_back"]])
    return out.getvalue()


def _num(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _flag(v: bool) -> str:
    return "true" if v else "false"


def default_tiers() -> list[RuleTier]:
    """The demonstration's tier table: share of withhold measures met -> share of the withhold earned back."""
    return [
        RuleTier(tier=t, min_share_met=100.0 * share, earned_back=earned)
        for t, (share, earned) in enumerate(sorted(TIERS))
    ]


# --- drafts --------------------------------------------------------------------------------------


def create_draft(session, year: int, actor: str, note: str = "", programme_id: str = DEFAULT_PROGRAMME) -> RuleSet:
    """A draft copied from the programme's year's rule set in force (the next version number)."""
    base = in_force(session, year, programme_id)
    number = (
        session.scalar(
            select(func.max(RuleSet.version)).where(RuleSet.programme_id == programme_id, RuleSet.year == year)
        )
        or 0
    ) + 1
    draft = RuleSet(
        programme_id=programme_id,
        year=year,
        version=number,
        status="draft",
        based_on_id=base.id if base else None,
        note=note[:500],
        created_by=actor,
        case_mix_adjusted=bool(base and base.case_mix_adjusted),
    )
    return _seeded(session, draft, base, actor)


def start_year(session, year: int, actor: str, programme_id: str = DEFAULT_PROGRAMME) -> RuleSet:
    """Version 1 of a year that has no rule set yet, as a draft seeded from the newest year's rules in force
    (benchmarks, withhold measures, gap closure, tiers): what a new measurement year starts from."""
    if not 2000 <= year <= 2100:
        raise ReportingError(f"{year} is not a measurement year: give a year such as 2016.")
    mine = RuleSet.programme_id == programme_id
    if session.scalar(select(RuleSet.id).where(mine, RuleSet.year == year).limit(1)) is not None:
        raise ReportingError(f"{year} has rule sets already: make a draft from its version in force instead.", 409)
    seed = session.scalar(
        select(RuleSet).where(mine, RuleSet.status == "in_force").order_by(RuleSet.year.desc()).limit(1)
    )
    draft = RuleSet(
        programme_id=programme_id,
        year=year,
        version=1,
        status="draft",
        created_by=actor,
        note=f"Started from {seed.label}" if seed else "Started with no benchmarks",
        case_mix_adjusted=bool(seed and seed.case_mix_adjusted),
    )
    return _seeded(session, draft, seed, actor)


def _seeded(session, draft: RuleSet, base: RuleSet | None, actor: str) -> RuleSet:
    if base:
        draft.measures = [
            RuleMeasure(
                measure_id=m.measure_id,
                benchmark=m.benchmark,
                source=m.source,
                withhold=m.withhold,
                gap_closure=m.gap_closure,
            )
            for m in base.measures
        ]
        draft.tiers = [
            RuleTier(tier=t.tier, min_share_met=t.min_share_met, earned_back=t.earned_back) for t in base.tiers
        ]
    else:
        draft.tiers = default_tiers()
    session.add(draft)
    session.flush()
    audit.record(
        "rules.draft", draft.label, detail={"based_on": base.label if base else None}, actor=actor, session=session
    )
    return draft


def _editable(rs: RuleSet) -> None:
    if rs.status != "draft":
        raise ReportingError(
            f"{rs.label} is {rs.status.replace('_', ' ')}: adopted rule sets never change. "
            f"Create a draft from it to propose changes.",
            409,
        )


def apply_changes(
    session, draft: RuleSet, changes: dict[str, dict], actor: str, tiers: list[tuple[float, int]] | None = None
) -> None:
    """``changes``: measure id -> any of benchmark (float or None), withhold, gap_closure (bool), already checked;
    ``tiers``: the new tier table, (share met 0-100, earned back %) per tier (``check_tiers``), or None to keep it."""
    _editable(draft)
    if tiers is not None:
        draft.tiers = []
        session.flush()  # the old numbers are free before the new rows go in
        draft.tiers = [
            RuleTier(tier=n, min_share_met=share, earned_back=earned) for n, (share, earned) in enumerate(sorted(tiers))
        ]
    by_id = {m.measure_id: m for m in draft.measures}
    for mid, values in changes.items():
        row = by_id.get(mid)
        if row is None:
            row = RuleMeasure(measure_id=mid, benchmark=None, source="", withhold=False, gap_closure=False)
            draft.measures.append(row)
        for key, value in values.items():
            setattr(row, key, value)
        if "benchmark" in values:
            row.source = f"{draft.label} draft, {actor}"
    detail = {"measures": sorted(changes)}
    if tiers is not None:
        detail["tiers"] = [f"{share:g} % met: {earned} %" for share, earned in sorted(tiers)]
    audit.record("rules.edit", draft.label, detail=detail, actor=actor, session=session)


def check_value(measure_id: str, column: str, raw: str) -> tuple[object, str | None]:
    """(value, problem) of one cell: benchmark a number in the measure's range (blank = none), flags
    true/false."""
    text = (raw or "").strip()
    if text.startswith(FORMULA_START) and not _parses(text):
        return None, f"'{text[:40]}' looks like a formula; give the value itself"
    if column == "benchmark":
        if text == "":
            return None, None
        value, problem = _number(text)
        if problem is None:
            problem = benchmark_problem(measure_id, value)
        return (None, problem) if problem else (value, None)
    if text.lower() in ("true", "yes", "y", "1", "on"):
        return True, None
    if text.lower() in ("false", "no", "n", "0", "off", ""):
        return False, None
    return None, f"'{text[:40]}' is not true or false"


def _parses(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _number(text: str) -> tuple[float | None, str | None]:
    """A finite number written in plain decimal or exponent form; infinity, NaN and overflowing exponents
    (1e309) are refused."""
    try:
        value = float(text)
    except ValueError:
        return None, f"'{text[:40]}' is not a number"
    if not math.isfinite(value) or "_" in text:
        return None, f"'{text[:40]}' is not a finite number: give a plain number such as 75 or 12.5"
    return value, None


def benchmark_problem(measure_id: str, value: float) -> str | None:
    """Why ``value`` cannot be ``measure_id``'s benchmark (not finite, outside the range of its unit), or None."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"'{value}' is not a finite number"
    unit = REGISTRY[measure_id].unit
    if unit == "per_1000":
        if not 0 < value <= MAX_RATE:
            return f"{value:g} must be positive and at most {MAX_RATE:,} (a rate per 1,000 member-months)"
        return None
    if not 0 <= value <= 100:
        return f"{value:g} is outside 0-100 (a {'percent' if unit == 'percent' else 'score'})"
    return None


def share_problem(value, what: str) -> str | None:
    """Why ``value`` cannot be a tier's share (0-100 %), or None."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{what} '{value}' is not a finite number"
    if not 0 <= value <= 100:
        return f"{what} {value:g} is outside 0-100 %"
    return None


def check_tiers(rows: list[tuple[str, str, str]]) -> tuple[list[tuple[float, int]], list[str]]:
    """The tier table from (where, share met, earned back) cells, ``where`` naming the row in a message: shares
    met 0-100 % (each once), earned back a whole 0-100 % that does not fall as the share met rises; a row with
    both cells blank is left out. Returns (tiers, problems)."""
    tiers, problems, seen = [], [], {}
    for where, raw_share, raw_earned in rows:
        raw_share, raw_earned = (raw_share or "").strip(), (raw_earned or "").strip()
        if not raw_share and not raw_earned:
            continue
        share, problem = _number(raw_share) if raw_share else (None, "give the share of measures met (0-100)")
        problem = problem or share_problem(share, "the share of measures met")
        if problem:
            problems.append(f"{where}, min_share_met: {problem}")
        earned, eproblem = _number(raw_earned) if raw_earned else (None, "give the share earned back (0-100)")
        eproblem = (
            eproblem
            or share_problem(earned, "the share earned back")
            or (None if float(earned).is_integer() else f"the share earned back {earned:g} is not a whole percent")
        )
        if eproblem:
            problems.append(f"{where}, earned_back: {eproblem}")
        if problem or eproblem:
            continue
        if share in seen:
            problems.append(f"{where}, min_share_met: {share:g} % is given twice (also in {seen[share]})")
            continue
        seen[share] = where
        tiers.append((share, int(earned)))
    if not problems and not tiers:
        problems.append("the tier table is empty: give at least one tier (e.g. 0 % met: 0 % earned back)")
    ordered = sorted(tiers)
    for (s1, e1), (s2, e2) in zip(ordered, ordered[1:]):
        if e2 < e1:
            problems.append(
                f"tiers: meeting {s2:g} % would earn back {e2} %, less than {e1} % at {s1:g} %; the "
                f"share earned back may not fall as more measures are met"
            )
    return tiers, problems


def parse_changes(text: str) -> tuple[dict[str, dict], list[tuple[float, int]] | None]:
    """A proposal file: the column measure_id and any of benchmark, withhold, gap_closure (direction, if
    present, is ignored: it is the measure's); then, optionally, after its header line ``tier,min_share_met,
    earned_back``, the whole tier table (the form of ``rules show``; tiers are numbered by share met). Every bad
    cell is named; nothing is applied unless all are good. Returns (measure changes, tiers or None)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    numbered = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]  # the file's line numbers
    if not numbered:
        raise RuleFileError(
            ["the file is empty: give a header line with measure_id and benchmark, withhold or gap_closure"]
        )
    header = [h.strip().lower() for h in numbered[0][1]]
    problems = []
    if header[:3] == TIER_COLUMNS:  # a file of the tier table alone
        numbered[0] = (numbered[0][0], ["measure_id"])
        header = ["measure_id"]
        numbered.insert(1, (numbered[0][0], TIER_COLUMNS))
    if "measure_id" not in header:
        problems.append("line 1: there is no measure_id column")
    unknown = [h for h in header if h not in MEASURE_COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; the columns are {', '.join(MEASURE_COLUMNS)}")
    if problems:
        raise RuleFileError(problems)
    changes, seen, tier_cells = {}, {}, None
    for n, row in numbered[1:]:
        if tier_cells is not None:
            cells = [c.strip() for c in row] + ["", "", ""]
            if cells[0].startswith(FORMULA_START) or any(c.startswith(("=", "@")) for c in cells[1:3]):
                problems.append(f"line {n}: a cell looks like a formula; give the values themselves")
                continue
            tier_cells.append((f"line {n}", cells[1], cells[2]))
            continue
        if [c.strip().lower() for c in row[:3]] == TIER_COLUMNS:
            tier_cells = []  # the tier table follows
            continue
        cells = dict(zip(header, [c.strip() for c in row] + [""] * (len(header) - len(row))))
        mid = cells["measure_id"]
        if mid.startswith(FORMULA_START):
            problems.append(f"line {n}, measure_id: '{mid[:40]}' looks like a formula")
            continue
        if mid not in REGISTRY:
            problems.append(f"line {n}, measure_id: unknown measure '{mid[:40]}'")
            continue
        if mid in seen:
            problems.append(f"line {n}, measure_id: {mid} is given twice (also on line {seen[mid]})")
            continue
        seen[mid] = n
        values = {}
        for column in ("benchmark", "withhold", "gap_closure"):
            if column not in cells:
                continue
            value, problem = check_value(mid, column, cells[column])
            if problem:
                problems.append(f"line {n}, {column} ({mid}): {problem}")
            else:
                values[column] = value
        changes[mid] = values
    tiers = None
    if tier_cells is not None:
        tiers, tier_problems = check_tiers(tier_cells)
        problems += tier_problems
    if problems:
        raise RuleFileError(problems)
    return changes, tiers


def propose(
    session,
    year: int,
    text: str,
    actor: str,
    case_mix_adjusted: bool | None = None,
    programme_id: str = DEFAULT_PROGRAMME,
) -> RuleSet:
    changes, tiers = parse_changes(text)
    draft = create_draft(session, year, actor, note="proposed from a file", programme_id=programme_id)
    apply_changes(session, draft, changes, actor, tiers)
    if case_mix_adjusted is not None:
        set_case_mix(session, draft, case_mix_adjusted, actor)
    return draft


def set_case_mix(session, draft: RuleSet, on: bool, actor: str) -> None:
    """Whether benchmarks and the withhold judge the survey measures on their case-mix adjusted values."""
    _editable(draft)
    if draft.case_mix_adjusted != on:
        draft.case_mix_adjusted = on
        audit.record("rules.case_mix", draft.label, detail={"case_mix_adjusted": on}, actor=actor, session=session)


def adopt(session, draft_id: int, actor: str) -> RuleSet:
    """The draft goes into force; the one before is retired. Refused when another version was adopted since the
    draft was made from the one then in force (or at the same moment: the database's unique index decides)."""
    draft = get(session, draft_id)
    _editable(draft)
    problems = stored_problems(draft)
    if problems:
        raise ReportingError(
            f"{draft.label} cannot be adopted: "
            + "; ".join(problems.values())
            + ". Edit the draft to correct these values.",
            422,
        )
    current = in_force(session, draft.year, draft.programme_id)
    if current is not None and current.id != draft.based_on_id:
        raise ReportingError(
            f"{current.label} was adopted after this draft was made from an earlier version. Make a "
            f"new draft from {current.label} and apply the changes again.",
            409,
        )
    try:
        with session.begin_nested():
            if current is not None:
                current.status = "retired"
                session.flush()
            draft.status, draft.adopted_by, draft.adopted_at = "in_force", actor, utcnow()
            session.flush()
    except (IntegrityError, OperationalError):
        raise ReportingError(
            f"Another rule set of {draft.year} was adopted at the same moment. Reload the rules page: "
            f"make a new draft from the version now in force.",
            409,
        ) from None
    audit.record(
        "rules.adopt", draft.label, detail={"retired": current.label if current else None}, actor=actor, session=session
    )
    return draft


def delete_draft(session, draft_id: int, actor: str) -> None:
    draft = get(session, draft_id)
    _editable(draft)
    audit.record("rules.discard", draft.label, actor=actor, session=session)
    session.delete(draft)


def seed_from_files(
    session, benchmarks_path: str, withhold_path: str, programme_id: str = DEFAULT_PROGRAMME, measure_ids=None
) -> list[int]:
    """Version 1 for every year the programme's files name and the database has no rule set of the programme for
    (a new installation, or a new programme, with its own files). Returns the years seeded."""
    from reporting.publication.benchmarks import load_benchmarks, load_withhold

    benchmarks, withhold = load_benchmarks(benchmarks_path), load_withhold(withhold_path)
    have = set(session.scalars(select(RuleSet.year).where(RuleSet.programme_id == programme_id)))
    seeded = []
    for year in sorted({y for _, y in benchmarks} | set(withhold)):
        if year in have:
            continue
        rs = RuleSet(
            programme_id=programme_id,
            year=year,
            version=1,
            status="in_force",
            # the files' names, not the server's paths (a note is shown to reviewers)
            note=f"Version 1, from the programme's {Path(benchmarks_path).name} and {Path(withhold_path).name}",
            created_by="config files",
            adopted_by="config files",
            adopted_at=utcnow(),
        )
        rs.measures = [
            RuleMeasure(
                measure_id=mid,
                benchmark=b.value if (b := benchmarks.get((mid, year))) else None,
                source=b.source if b else "",
                withhold=mid in withhold.get(year, {}),
                gap_closure=withhold.get(year, {}).get(mid, False),
            )
            for mid in REGISTRY
            if measure_ids is None or mid in measure_ids
        ]
        rs.tiers = default_tiers()
        session.add(rs)
        seeded.append(year)
    return seeded


def seed_programme(session, programme) -> list[int]:
    """Version 1 of a programme's rule sets from its files (``programmes.Programme``), for years it has none of."""
    return seed_from_files(
        session, programme.benchmarks_file, programme.withhold_file, programme.id, set(programme.measures)
    )
