"""Cell suppression for published outputs (measures.md, "Publication and cell suppression").

The published counts of every release, written for the disclosure auditor (``publication.disclosure``):

- primary suppression, the CMS rule: a count (numerator, denominator, element) from 1 to 10 is suppressed
  (0 is shown); a percent's numerator is suppressed too when ``denominator − numerator`` is from 1 to 10;
- the additive relations a reader can use: statewide = the sum of the ICOs (each count, each period); a year =
  the sum of its quarters where a measure's units fall in exactly one quarter (``TIME_RULE``);
- complementary suppression: ``disclosure.protect`` over every release published so far (``plan``), earlier
  releases fixed as they were published.

``suppress`` turns one period's results and the suppressed counts into the published cells: a value (and its
interval) is suppressed with its numerator or denominator, or a percent's complement. Elements that are the
numerator or denominator under another name (A, D, member_months) follow them. ``ico_withheld`` is the same
auditor for ICO users: which statewide figures to withhold so that, with the ICO's own figures and everything
public, they reveal no other ICO's unpublished counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from measures import REGISTRY, Period
from reporting.engine import STATEWIDE
from reporting.publication.disclosure import Count, Relation, components, holds_each, protect

SUPPRESSED = "suppressed"

# How a measure's counts add up over time (measures.md, "Publication and cell suppression"):
# QUARTERS: every unit falls in exactly one quarter (anchored on one date in P), so a year = its four quarters;
# LAST_QUARTER: counted on P.end, or over a window that is the same for the year and its fourth quarter,
#   so a year = its fourth quarter;
# ROLLING: survey responses of the year ending on P.end, so a quarter = four latent quarterly pieces and a year =
#   its own four pieces (the same as its fourth quarter);
# NONE: counted per member over P (a member in two quarters counts once in the year): no equation.
QUARTERS, LAST_QUARTER, ROLLING, NONE = "quarters", "last_quarter", "rolling", "none"
TIME_RULE = {
    "assessment_90d": QUARTERS,
    "care_plan_90d": QUARTERS,
    "reassessment_365d": QUARTERS,
    "fuh_7d": QUARTERS,
    "fuh_30d": QUARTERS,
    "readmission_30d": QUARTERS,
    "facility_admissions": QUARTERS,
    "successful_transition_60d": QUARTERS,
    # counted per member over P, but a member rarely has completed care plans in two quarters of a year: its
    # year was the exact sum of its quarters in the demo, and an ICO user recovered another ICO's counts by it.
    # Audited as adding up (more suppression, never less).
    "ltss_coordinator_care_plan": QUARTERS,
    "community_residence": LAST_QUARTER,
    "rating_health_plan": ROLLING,
    "getting_needed_care": ROLLING,
    "getting_care_quickly": ROLLING,
    "care_coordination_survey": ROLLING,
    "flu_vaccine": ROLLING,
}


CMS_THRESHOLD = 11  # the smallest count published; a programme's file names its own (disclosure_threshold)


def small(n, threshold: int = CMS_THRESHOLD) -> bool:
    return n is not None and 1 <= n < threshold


# --- the counts of a result -------------------------------------------------------------------------


def _aliases(measure_id: str) -> dict:
    """Element name -> "numerator"/"denominator" for elements that are one of them under another name."""
    return {n: c for n, c in REGISTRY[measure_id].elements.items() if c in ("numerator", "denominator")}


def counts_of(r) -> dict[str, int]:
    """The distinct counts a result publishes: numerator (where it has one), denominator, other elements."""
    alias = _aliases(r.measure_id)
    out = {"denominator": r.denominator}
    if r.numerator is not None:
        out["numerator"] = r.numerator
    out |= {k: v for k, v in (r.elements or {}).items() if k not in alias and v is not None}
    return out


def period_of(r) -> str:
    """A stored result's ``period_code``, or an engine result's ``period``."""
    return getattr(r, "period_code", None) or r.period


def key(r, name: str) -> tuple:
    return (r.measure_id, period_of(r), r.ico, name)


def primary(r, threshold: int = CMS_THRESHOLD) -> set[str]:
    """The CMS rule on one result: the names of its counts suppressed for being from 1 to 10 (below the
    programme's ``threshold``)."""
    return small_counts(r.measure_id, counts_of(r), r.numerator, r.denominator, threshold)


def small_counts(measure_id: str, counts: dict, numerator, denominator, threshold: int = CMS_THRESHOLD) -> set[str]:
    """The CMS rule on ``counts`` (name -> count) of one cell of ``measure_id``, a total's or a stratum's: those
    from 1 to ``threshold`` - 1, and a percent's numerator when its complement is."""
    out = {n for n, v in counts.items() if small(v, threshold)}
    if REGISTRY[measure_id].unit == "percent" and numerator is not None and small(denominator - numerator, threshold):
        out.add("numerator")
    return out


# --- the relations ----------------------------------------------------------------------------------


def relations(results) -> list[Relation]:
    """Every additive relation among ``results`` (any periods): statewide = its ICOs, a year = its quarters."""
    by_cell = defaultdict(dict)  # (measure, period) -> ico -> result
    for r in results:
        by_cell[(r.measure_id, period_of(r))][r.ico] = r
    out = []
    for (mid, period), row in by_cell.items():
        if STATEWIDE in row:
            icos = [r for code, r in sorted(row.items()) if code != STATEWIDE]
            for name in counts_of(row[STATEWIDE]):
                out.append(
                    Relation(key(row[STATEWIDE], name), tuple(key(r, name) for r in icos if name in counts_of(r)))
                )
        out += _time_relations(mid, period, row)
    return out


@dataclass(frozen=True)
class _Parsed:
    is_quarter: bool
    year: int
    window: tuple


@lru_cache(maxsize=4096)
def _window(period: str) -> tuple[bool, int, tuple]:
    """(a quarter?, its year, the four quarters a rolling window of ``period`` is made of), parsed once."""
    p = Period.parse(period)
    quarters = (
        [f"{p.year}Q{q}" for q in range(1, 5)] if not p.is_quarter else [p.previous(i).code for i in range(3, -1, -1)]
    )
    return p.is_quarter, p.year, tuple(quarters)


def _time_relations(mid: str, period: str, row: dict) -> list[Relation]:
    rule, p = TIME_RULE[mid], _Parsed(*_window(period))
    out = []
    for code, r in row.items():
        if code == STATEWIDE and rule == ROLLING:
            continue  # statewide windows follow from their ICOs
        for name in counts_of(r):
            if not p.is_quarter and rule == QUARTERS:
                out.append(Relation(key(r, name), tuple((mid, f"{p.year}Q{q}", code, name) for q in range(1, 5))))
            elif not p.is_quarter and rule == LAST_QUARTER:
                out.append(Relation(key(r, name), ((mid, f"{p.year}Q4", code, name),)))
            elif rule == ROLLING:
                out.append(Relation(key(r, name), tuple((mid, q, code, name, "piece") for q in p.window)))
    return out


# --- complementary suppression over releases --------------------------------------------------------


@dataclass
class Release:
    """One published table: a period's results (every ICO and statewide) as one edition published them."""

    name: object  # an edition id, or any label
    results: list


@dataclass
class Plan:
    hidden: dict  # release name -> set of keys suppressed in that release
    unfixable: list = field(default_factory=list)


def plan(releases: list[Release], insiders: bool = True, threshold: int = CMS_THRESHOLD) -> Plan:
    """The suppressed counts of each release, in publication order: primary suppression, then complementary
    suppression until no suppressed count of this or any earlier release is determined. Earlier releases stay
    as they were published (a count shown once is known for ever). ``insiders``: also against each ICO's own
    users, who know their own counts exactly (with two ICOs, statewide minus one's own is the other's)."""
    shown_before: dict = {}  # key -> value, shown in an earlier release
    hidden_before: dict = {}  # key -> value, suppressed in every earlier release that had it
    every: dict = {}  # (measure, period, ico) -> newest result
    out, unfixable = {}, []
    for release in releases:
        for r in release.results:
            every[(r.measure_id, period_of(r), r.ico)] = r
        counts = {k: Count(k, v, shown=True, fixed=True) for k, v in shown_before.items()}
        counts |= {k: Count(k, v, shown=False, fixed=True) for k, v in hidden_before.items() if k not in shown_before}
        mine = set()
        for r in release.results:
            hide = primary(r, threshold)
            for name, v in counts_of(r).items():
                k = key(r, name)
                mine.add(k)
                if k not in shown_before:
                    counts[k] = Count(k, v, shown=name not in hide)
        rels = relations(every.values())
        # A numerator whose denominator is 0 is 0, shown or not: suppressing it protects nothing.
        pinned = {key(r, "numerator") for r in release.results if r.denominator == 0 and r.numerator is not None}
        hidden = _protect_all(
            counts, rels, mine - pinned, sorted({k[2] for k in counts} - {STATEWIDE}) if insiders else [], unfixable
        )
        out[release.name] = mine & hidden
        for k in mine:
            if k in hidden:
                hidden_before[k] = counts[k].value
            else:
                shown_before[k] = counts[k].value
    return Plan(out, unfixable)


def _protect_all(counts: dict, rels: list, mine: set, insiders: list, unfixable: list) -> set:
    """Protect against the public, then against each insider in turn (hiding more never un-protects a count).
    Component by component (suppressing in one never changes another): an insider's pass reads only the
    components holding one of its suppressed counts (where it knows more than the public), and the insiders
    are first audited together (``holds_each``); only those for whom something is determined run ``protect``,
    and once that hides more, the rest are audited together again."""
    comps = components(counts, rels)
    hidden = protect(counts, rels, may_hide=lambda k: k in mine, components=comps).hidden
    for members, crels in comps:
        if not crels or not insiders:
            continue
        held: dict | None = None  # insider -> audited and found holding, on the current ``hidden``
        for n, ico in enumerate(insiders):
            if not any(k in hidden and k[2] == ico for k in members if k in counts):
                continue
            if held is None:
                public = {k: _insiders(counts[k], k in hidden) for k in members if k in counts}
                rest = insiders[n:]
                known = [{k for k in members if k in counts and k[2] == other} for other in rest]
                held = dict(zip(rest, holds_each(members, crels, public, known)))
            if held.get(ico) or not any(k in mine and k[2] != ico and k not in hidden for k in members):
                continue  # holds, or nothing this insider's pass may suppress (as protect)
            seen = {
                k: Count(k, counts[k].value, shown=True, fixed=True)
                if k[2] == ico
                else _insiders(counts[k], k in hidden)
                for k in members
                if k in counts
            }
            done = protect(seen, rels, may_hide=lambda k: k in mine and k[2] != ico, components=[(members, crels)])  # noqa: B023 (called within this iteration)
            more = {k for k in done.hidden if k in counts and k[2] != ico} - hidden
            unfixable += done.unfixable
            if more:
                hidden |= more
                held = None
    return hidden


def _insiders(c: Count, hidden: bool) -> Count:
    """A count as an ICO's users audit it: what they must not learn is another ICO's count. A statewide count is
    their own plus the others' sum, as every shown statewide figure tells them, so it need not hold (with two
    ICOs the other's count, which must, goes with it)."""
    return Count(
        c.key, c.value, shown=not hidden, fixed=c.fixed, protected=False if c.key[2] == STATEWIDE else c.protected
    )


def ico_withheld(
    own: str, results, public: dict, hidden_statewide: set, rels: list | None = None
) -> set[tuple[str, str]]:
    """The statewide figures (measure, period) an ICO user of ``own`` may not see. ``results``: every result the
    service holds for the periods shown (newest computation); ``public``: key -> value of every count published;
    ``hidden_statewide``: (measure, period) already hidden from ICO users (fewer than three ICOs reporting).
    Counts of other ICOs not published must stay undetermined by the ICO's own counts, the statewide counts
    shown and everything public. ``rels``: ``relations(results)``, when the caller asks for several ICOs."""
    counts = {k: Count(k, v, shown=True, fixed=True) for k, v in public.items()}
    for r in results:
        for name, v in counts_of(r).items():
            k = key(r, name)
            if public.get(k) == v:
                continue  # published as it is now (a count recomputed since is not public: the public knows the old)
            if r.ico == own:
                counts[k] = Count(k, v, shown=True, fixed=True)
            elif r.ico == STATEWIDE:
                counts[k] = Count(k, v, shown=(r.measure_id, period_of(r)) not in hidden_statewide, protected=False)
            else:
                counts[k] = Count(k, v, shown=False, fixed=True, protected=True)
    done = protect(counts.values(), relations(results) if rels is None else rels, may_hide=lambda k: k[2] == STATEWIDE)
    return {(k[0], k[1]) for k in done.complementary} | {(k[0], k[1]) for k in done.unfixable if k[2] == STATEWIDE}


# --- the published cells ------------------------------------------------------------------------------


@dataclass
class PublishedCell:
    ico: str
    numerator: int | None | str
    denominator: int | str
    value: float | None | str
    ci_low: float | None | str
    ci_high: float | None | str
    elements: dict = field(default_factory=dict)
    status: str = "reported"

    def is_suppressed(self, name: str) -> bool:
        v = self.elements.get(name) if name not in ("numerator", "denominator", "value") else getattr(self, name)
        return v == SUPPRESSED


def suppress(
    measure_id: str, results, hidden: set | None = None, threshold: int = CMS_THRESHOLD
) -> list[PublishedCell]:
    """The published form of one measure's results (ICOs and STATEWIDE) for one period. ``hidden``: the keys
    suppressed (``plan``, over every release); without it, this table alone is protected as a release of its own."""
    results = list(results)
    if hidden is None:
        hidden = plan([Release("table", results)], threshold=threshold).hidden["table"]
    measure = REGISTRY[measure_id]
    alias = _aliases(measure_id)
    out = []
    for r in results:
        h = {k[3] for k in hidden if k[:3] == (r.measure_id, period_of(r), r.ico)}
        value_hidden = bool(h & {"numerator", "denominator"}) or (
            measure.unit == "percent" and r.numerator is not None and small(r.denominator - r.numerator, threshold)
        )
        if measure.unit == "score":
            value_hidden = "denominator" in h
        elements = {name: SUPPRESSED if alias.get(name, name) in h else v for name, v in (r.elements or {}).items()}
        out.append(
            PublishedCell(
                ico=r.ico,
                numerator=SUPPRESSED if "numerator" in h else r.numerator,
                denominator=SUPPRESSED if "denominator" in h else r.denominator,
                value=SUPPRESSED if value_hidden else r.value,
                ci_low=SUPPRESSED if value_hidden else r.ci_low,
                ci_high=SUPPRESSED if value_hidden else r.ci_high,
                elements=elements,
                status=r.status,
            )
        )
    return out
