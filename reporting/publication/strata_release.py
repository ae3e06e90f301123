"""The public strata: results by group as the public outputs publish them (measures.md, "Results by group",
"Disclosure control across groups"; issue 26).

A stratum cell follows the CMS rule of a total (``suppression.primary``: a count from 1 to 10, or a percent's
complement from 1 to 10, is suppressed). Then, release by release in publication order (``released``), with every
earlier release's cells fixed as they were published:

1. **The totals stay as they are.** The totals' plan (``released.released``) is computed first and never changes
   for strata. Where a total's count is suppressed, the same count of every one of its strata, in every stratifier,
   is suppressed too (*the whole row*). Then the strata add nothing to what a reader knows of the totals: any change
   of suppressed totals the totals' relations allow is matched by a change of one stratum per row (the same one
   in every period), so a suppressed total stays undetermined (docs/measures.md gives the argument).
2. **Each stratifier on its own.** For one measure, one count (numerator or denominator) and one stratifier, the
   additive groups are an ICO's total and its strata; the statewide figure and its ICOs; a statewide stratum and
   the same stratum of its ICOs; a year and its quarters (``suppression.TIME_RULE``, for strata as for totals).
   These cells and the totals' own relations form one block; two stratifiers share only the totals, which step 1
   makes safe to share, so the blocks are protected apart: ``disclosure.protect`` suppresses the next-smallest
   stratum cell of a group while any suppressed count of the block (a stratum's or a total's) is determined by the
   published counts of this and earlier releases, for the public and for each ICO's own users, who know their own
   cells (``suppression._protect_all``). Where exactly one cell of a group is suppressed this always suppresses a
   second; and it goes on where two are not enough (a cell on no cycle of suppressed cells).

``published_strata(session, pub)`` is the published edition's strata with the suppressed cells marked: the one
read of public strata for the public page, open data and public FHIR. Reviewers and ICO users read exact strata
(``strata.seen_by``). The plan is cached per process like the totals' (``released._remember``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from measures import REGISTRY
from reporting.engine import STATEWIDE
from reporting.publication import released as released_
from reporting.publication.disclosure import Relation, _eliminate, _matrix
from reporting.publication.strata import EXPORT_COLUMNS, strata_of
from reporting.publication.suppression import (
    LAST_QUARTER,
    QUARTERS,
    ROLLING,
    SUPPRESSED,
    TIME_RULE,
    _window,
    counts_of,
    key,
    relations,
    small,
    small_counts,
)
from reporting.storage.models import Edition, ResultStratum

NAMES = ("numerator", "denominator")
TOL = 1e-9


@dataclass(frozen=True)
class StratumCounted:
    """The counts of one stored stratum, detached from the session."""

    measure_id: str
    period_code: str
    ico: str
    stratifier: str
    stratum: str
    numerator: int | None
    denominator: int


def stratum_key(s: StratumCounted, name: str) -> tuple:
    """(measure, period, ico, count name, stratifier, stratum): ``key`` of its total with the stratum after it."""
    return (s.measure_id, s.period_code, s.ico, name, s.stratifier, s.stratum)


def stratum_counts(s: StratumCounted) -> dict[str, int]:
    return {n: v for n, v in (("numerator", s.numerator), ("denominator", s.denominator)) if v is not None}


def stratum_primary(s: StratumCounted, threshold: int) -> set[str]:
    """The CMS rule on one stratum, as on a total (``suppression.small_counts``)."""
    return small_counts(s.measure_id, stratum_counts(s), s.numerator, s.denominator, threshold)


# --- the relations of one block ---------------------------------------------------------------------------------


def block_relations(strata: list[StratumCounted], totals: list, name: str) -> list[Relation]:
    """Every additive relation of one (measure, count, stratifier) block: an ICO's (or the statewide) total and its
    strata, a statewide stratum and its ICOs', a stratum's year and its quarters, and the totals' own relations."""
    out = [r for r in relations(totals) if r.total[3] == name and not _piecewise(r)]
    for t in totals:
        if (
            TIME_RULE[t.measure_id] == ROLLING
            and "Q" not in t.period_code
            and t.ico != STATEWIDE
            and name in counts_of(t)
        ):
            out.append(Relation(key(t, name), ((t.measure_id, f"{t.period_code}Q4", t.ico, name),)))
    total_of = {(t.period_code, t.ico) for t in totals if name in counts_of(t)}
    row: dict = defaultdict(list)  # (period, ico) -> stratum keys
    column: dict = defaultdict(dict)  # (period, stratum) -> ico -> key
    for s in strata:
        if name not in stratum_counts(s):
            continue
        k = stratum_key(s, name)
        row[(s.period_code, s.ico)].append(k)
        column[(s.period_code, s.stratum)][s.ico] = k
    for (period, ico), parts in row.items():
        if (period, ico) in total_of:
            mid = parts[0][0]
            out.append(Relation((mid, period, ico, name), tuple(parts)))
    for cells in column.values():
        if STATEWIDE in cells:
            parts = tuple(k for ico, k in sorted(cells.items()) if ico != STATEWIDE)
            out.append(Relation(cells[STATEWIDE], parts))
    for s in strata:
        if name in stratum_counts(s):
            out += _time(s, name)
    return out


def _piecewise(r: Relation) -> bool:
    return any(len(p) == 5 and p[-1] == "piece" for p in r.parts)


def _time(s: StratumCounted, name: str) -> list[Relation]:
    """A stratum's year and its quarters, as ``suppression._time_relations`` relates a total's, but for survey
    windows: a quarter's window is the sum of four latent quarterly pieces, and each window brings a piece no
    earlier one has, so the windows say nothing of each other except that a year's window is its fourth
    quarter's (the same four pieces). That equation replaces the pieces, here and for the totals of the block
    (the same information in far smaller systems)."""
    rule = TIME_RULE[s.measure_id]
    is_quarter, year, window = _window(s.period_code)
    k = stratum_key(s, name)
    tail = (s.ico, name, s.stratifier, s.stratum)
    if not is_quarter and rule == QUARTERS:
        return [Relation(k, tuple((s.measure_id, f"{year}Q{q}", *tail) for q in range(1, 5)))]
    if not is_quarter and rule == LAST_QUARTER:
        return [Relation(k, ((s.measure_id, f"{year}Q4", *tail),))]
    if not is_quarter and rule == ROLLING:  # statewide too: implied, and a group to suppress in
        return [Relation(k, ((s.measure_id, f"{year}Q4", *tail),))]
    return []


# --- the plan over releases -----------------------------------------------------------------------------------


def plan_strata(releases: list, totals_hidden: dict, threshold: int) -> dict:
    """The suppressed stratum counts of each release. ``releases``: (name, totals, strata) in publication order,
    ``totals``: the release's total results (``released.Counted``), ``strata``: its ``StratumCounted``;
    ``totals_hidden``: name -> the total keys suppressed in that release (``released.released``)."""
    shown_before: dict = {}
    hidden_before: dict = {}
    total_state: dict = {}  # total key -> (value, shown in some release so far)
    every_totals: dict = {}
    every_strata: dict = {}
    out: dict = {}
    for name, totals, strata in releases:
        for t in totals:
            every_totals[(t.measure_id, t.period_code, t.ico)] = t
            for n, v in counts_of(t).items():
                k = key(t, n)
                shown = k not in totals_hidden[name]
                total_state[k] = (v, total_state.get(k, (v, False))[1] or shown)
        for s in strata:
            every_strata[(s.measure_id, s.period_code, s.ico, s.stratifier, s.stratum)] = s
        # A block: one measure, count and stratifier over one calendar year (a year relates to its own quarters only).
        blocks: dict = defaultdict(list)
        for s in strata:
            for n in stratum_counts(s):
                blocks[(s.measure_id, n, s.stratifier, _year(s.period_code))].append(s)
        totals_of: dict = defaultdict(list)
        for t in every_totals.values():
            totals_of[(t.measure_id, _year(t.period_code))].append(t)
        state_of: dict = defaultdict(dict)
        for k, state in total_state.items():
            state_of[(k[0], k[3], _year(k[1]))][k] = state
        history: dict = defaultdict(list)
        for s in every_strata.values():
            history[(s.measure_id, s.stratifier, _year(s.period_code))].append(s)
        hidden: set = set()
        for (mid, n, stratifier, year), mine_strata in blocks.items():
            hidden |= _protect_block(
                n,
                history[(mid, stratifier, year)],
                mine_strata,
                totals_of[(mid, year)],
                totals_hidden[name],
                state_of[(mid, n, year)],
                shown_before,
                hidden_before,
                threshold,
            )
        mine = {stratum_key(s, n) for s in strata for n in stratum_counts(s)}
        values = {stratum_key(s, n): v for s in strata for n, v in stratum_counts(s).items()}
        out[name] = mine & hidden
        for k in mine:
            if k in shown_before:
                continue
            if k in hidden:
                hidden_before[k] = values[k]
            else:
                shown_before[k] = values[k]
                hidden_before.pop(k, None)
    return out


def _year(period: str) -> int:
    return int(period[:4])


def _protect_block(
    name, history, mine_strata, totals, hidden_totals, total_state, shown_before, hidden_before, threshold
) -> set:
    """The suppressed stratum counts of this release in one block: a measure's count ``name`` in one stratifier
    over one calendar year (``history``: its strata of every release so far; ``totals``: the measure's totals of
    that year; ``total_state``: their keys -> (value, shown))."""
    mid = mine_strata[0].measure_id
    values: dict = {}
    hidden: set = set()
    fixed: set = set()
    for k, (v, shown) in total_state.items():
        values[k] = v
        fixed.add(k)
        if not shown:
            hidden.add(k)
    for s in history:
        k = stratum_key(s, name)
        if k in shown_before or k in hidden_before:
            values[k] = shown_before.get(k, hidden_before.get(k))
            fixed.add(k)
            if k not in shown_before:
                hidden.add(k)
    mine = set()
    for s in mine_strata:
        k = stratum_key(s, name)
        mine.add(k)
        if k in shown_before:
            continue
        values[k] = stratum_counts(s)[name]
        fixed.discard(k)
        hidden.discard(k)
        if name in stratum_primary(s, threshold) or (mid, s.period_code, s.ico, name) in hidden_totals:
            hidden.add(k)
    # A numerator is at most its denominator, so one whose denominator is 0 is known to be 0 whether it is shown
    # or not (the whole row suppresses a stratum's numerator beside a published 0): the audit treats it as a known
    # count, never a protection. Pinned even where the 0 is suppressed too: knowing more than a reader does only
    # makes the audit stricter.
    pinned = _pinned(name, history, totals) & set(values)
    shown_as_suppressed = hidden & pinned & mine
    hidden -= pinned
    fixed |= pinned
    if hidden:
        rels = block_relations(history, totals, name)
        insiders = sorted({s.ico for s in history} - {STATEWIDE})
        _complete(rels, values, hidden, fixed, insiders, mine)
    return (hidden & mine) | shown_as_suppressed


def _pinned(name: str, strata: list[StratumCounted], totals: list) -> set:
    """The numerator keys (strata and totals) whose denominator is 0."""
    if name != "numerator":
        return set()
    out = {stratum_key(s, name) for s in strata if s.numerator is not None and s.denominator == 0}
    return out | {key(t, name) for t in totals if counts_of(t).get("denominator") == 0 and name in counts_of(t)}


def _complete(rels: list[Relation], values: dict, hidden: set, fixed: set, insiders: list, mine: set) -> None:
    """Complementary suppression of one block, in place on ``hidden``: the group rule (a group with exactly one
    suppressed count gets its next-smallest count suppressed too, repeated), then the auditor (``_determined``:
    no suppressed count determined by the equations, for the public and for each ICO's own users), suppressing the
    next-smallest count in a group with a determined one until none is. Counts in ``fixed`` never change."""
    groups = [(r.total, *r.parts) for r in rels]
    with_key: dict = defaultdict(list)
    for g in groups:
        for k in g:
            with_key[k].append(g)

    def order(k):
        return (values[k] == 0, values[k], repr(k))  # the next-smallest: non-zero before zero

    def hide_next(groups_):
        """Suppress the next-smallest count that may change in ``groups_``; it, or None when there is none."""
        free = [k for g in groups_ for k in g if k in values and k not in hidden and k not in fixed]
        if not free:
            return None
        chosen = min(free, key=order)
        hidden.add(chosen)
        return chosen

    for _ in range(10_000):
        changed = True
        while changed:
            changed = False
            for g in groups:
                unknown = [k for k in g if k in hidden or k not in values]  # latent keys are unknown
                if len(unknown) == 1 and unknown[0] in hidden and hide_next([g]) is not None:
                    changed = True
        determined = _determined(rels, values, hidden, insiders, mine)
        if not determined:
            return
        # for each determined count, the next-smallest count of any group holding it (all in one round: one audit
        # per round, not per count, on the national scale's large components)
        added: set = set()
        for t in sorted(determined, key=repr):
            if any(k in added for g in with_key[t] for k in g):
                continue  # one of its groups changed this round already: the next audit tells
            chosen = hide_next(_nearest_free(t, with_key, lambda k: k in values and k not in hidden and k not in fixed))
            if chosen is not None:
                added.add(chosen)
        if not added:
            return  # nothing left that may change: what is determined was published before


def _nearest_free(target, with_key: dict, free) -> list:
    """The groups holding ``target`` when one of them has a count that may change (``free``), else the groups one
    relation further on, and so on: where every count beside a determined one is fixed (published before, or a
    statewide figure of one ICO's own counts), the protection is found further along the chain that determines it."""
    seen, frontier = {target}, [target]
    while frontier:
        groups = [g for k in frontier for g in with_key[k]]
        if any(free(k) for g in groups for k in g):
            return groups
        frontier = [k for g in groups for k in g if k not in seen]
        seen.update(frontier)
    return []


def _determined(rels: list[Relation], values: dict, hidden: set, insiders: list, mine: set) -> set:
    """The suppressed counts a reader determines from the published ones: the public, and each ICO's users (who
    know their own ICO's counts). Component by component of the unknowns (suppressed and latent counts linked by a
    relation), only those with a count of this release in their relations, shown or not (the others were audited
    when published; a year shown makes its fourth quarter's suppressed survey window known).

    A count is determined when its unit vector lies in the row space of the relations' matrix ``A`` on the
    unknowns, that is when every vector of the null space of ``A`` is 0 there (``disclosure.determined_in`` reads
    the same off the reduced form). The null space ``N`` (a column per free unknown) comes from one reduced row
    echelon form per component. An ICO's users know their own counts ``S``: their null space is the vectors of
    ``N`` that are 0 on ``S``, ``N·Z`` with ``Z`` spanning the null space of the rows ``N[S]`` (a small one), so
    forty ICOs' users cost forty small products, not forty eliminations."""
    out: set = set()
    unknown = {k for r in rels for k in (r.total, *r.parts) if k in hidden or k not in values}

    def news(found: set) -> set:
        """What an ICO's users must not learn in ``found``: another ICO's counts. A statewide count is theirs plus
        the others' sum, as a shown statewide count is (docs/measures.md)."""
        return {k for k in found if k[2] != STATEWIDE}

    for keys, crels in _unknown_components(rels, unknown):
        if not any(k in hidden for k in keys) or not any(k in mine for r in crels for k in (r.total, *r.parts)):
            continue  # nothing to protect, or nothing of this release in its relations (audited when published)
        edges = _table_edges(crels, keys)
        if edges is not None:
            for ico in [None, *insiders]:
                if ico is not None and not any(k in values and k[2] == ico for k in keys):
                    continue
                known = set() if ico is None else {k for k in keys if k in values and k[2] == ico}
                found = {k for k in _bridges(edges, known) if k in hidden}
                out |= found if ico is None else news(found)
            continue
        null = _null_space(crels, keys)
        targets = np.array([k in hidden for k in keys])
        free = np.abs(null).max(axis=1, initial=0) > TOL
        out |= {keys[j] for j in np.flatnonzero(targets & ~free)}
        owner = np.array([k[2] if k in values else "" for k in keys], dtype=object)
        support = np.abs(null) > TOL
        for ico in insiders:
            struck = owner == ico
            if not struck.any():
                continue
            # A count is determined for them only if its row of N lies in the span of N's rows on their own counts:
            # only a count whose row is non-zero only where one of their rows is non-zero may be.
            reach = support[struck].any(axis=0)
            maybe = targets & ~struck & ~(support & ~reach).any(axis=1)
            if not maybe.any():
                continue
            theirs = np.einsum("ij,jk->ik", null, _kernel(null[struck]))  # element-wise: no BLAS threads
            free = np.abs(theirs).max(axis=1, initial=0) > TOL
            out |= news({keys[j] for j in np.flatnonzero(maybe & ~free)})
    return out


def _table_edges(rels: list[Relation], keys: list) -> dict | None:
    """The component as a graph when it is a table of one period (no relation spans periods, and each unknown is
    in at most two relations: its row and its column): relations are nodes, each unknown an edge between its two
    relations (or to a free node when it is in one only). None otherwise."""
    if any(len({k[1] for k in (r.total, *r.parts)}) > 1 for r in rels):
        return None
    unknown = set(keys)
    ends: dict = defaultdict(list)
    for n, r in enumerate(rels):
        for k in {r.total, *r.parts} & unknown:
            ends[k].append(n)
    if any(len(v) > 2 for v in ends.values()):
        return None
    return {k: (v[0], v[1] if len(v) == 2 else "free") for k, v in ends.items()}


def _bridges(edges: dict, known: set) -> set:
    """The unknowns (edges) on no cycle once ``known`` are removed: in a table with its margins (totals and
    statewide figures, with the signs turned so that every row and column sums to 0), the changes of the unknowns
    that keep every published count are the sums of cycles of unknowns, so an unknown on no cycle is determined.
    Tarjan's bridges, iteratively, on the multigraph (two unknowns joining the same two relations make a cycle)."""
    adjacent: dict = defaultdict(list)
    for k, (a, b) in edges.items():
        if k in known:
            continue
        adjacent[a].append((b, k))
        adjacent[b].append((a, k))
    order: dict = {}
    low: dict = {}
    found: set = set()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, None, iter(adjacent[root]))]
        while stack:
            node, via, it = stack[-1]
            step = next(it, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(via)
                continue
            other, k = step
            if k == via:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, k, iter(adjacent[other])))
    return found


def _null_space(rels: list[Relation], keys: list) -> np.ndarray:
    """A basis of the null space of the relations' matrix on ``keys`` (a column per free unknown)."""
    return _kernel(_matrix(rels, keys))


def _kernel(a: np.ndarray) -> np.ndarray:
    """A basis of the null space of ``a`` (a column per free column), read off its reduced row echelon form
    (``disclosure._eliminate``, element-wise operations only): each free column 1, the pivot columns minus their
    rows' entries there."""
    n = a.shape[1]
    reduced, pivots, columns = _eliminate(a, n, TOL)
    pivot = set(columns)
    free = [j for j in range(n) if j not in pivot]
    null = np.zeros((n, len(free)))
    null[free, range(len(free))] = 1
    if columns:
        null[columns, :] = -reduced[pivots][:, free]
    return null


def _unknown_components(rels: list[Relation], unknown: set) -> list[tuple[list, list[Relation]]]:
    """The unknowns grouped by the relations that link them (a relation with no unknown says nothing of them)."""
    parent: dict = {k: k for k in unknown}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    touching = []
    for r in rels:
        keys = [k for k in (r.total, *r.parts) if k in unknown]
        if not keys:
            continue
        touching.append((r, keys[0]))
        root = find(keys[0])
        for k in keys[1:]:
            other = find(k)
            if other != root:
                parent[other] = root
    members: dict = defaultdict(list)
    for k in sorted(unknown, key=repr):
        members[find(k)].append(k)
    grouped: dict = defaultdict(list)
    for r, k in touching:
        grouped[find(k)].append(r)
    return [(members[root], grouped[root]) for root in members]


# --- what the releases have published -----------------------------------------------------------------------


def _stratum_counted(session, run_ids) -> dict[int, list[StratumCounted]]:
    out: dict = {run_id: [] for run_id in run_ids}
    rows = session.execute(
        select(
            ResultStratum.run_id,
            ResultStratum.measure_id,
            ResultStratum.period_code,
            ResultStratum.ico,
            ResultStratum.stratifier,
            ResultStratum.stratum,
            ResultStratum.numerator,
            ResultStratum.denominator,
        ).where(ResultStratum.run_id.in_(list(run_ids)))
    )
    for run_id, *fields in rows:
        out[run_id].append(StratumCounted(*fields))
    return out


def hidden_strata(session, programme_id: str, run_id: int, edition_id: int | None = None) -> set:
    """The stratum counts suppressed in the public outputs of ``run_id``: as its edition published them
    (``edition_id``, or the newest published edition on that run; recorded with it when it was rendered, else
    planned now), else as a release after all others."""
    done = released_.released(session, programme_id)
    if edition_id not in done.hidden:
        edition_id = next((e for e, run in reversed(done.editions) if run == run_id), None)
    if edition_id is not None:
        stored = session.get(Edition, edition_id).strata_hidden
        if stored is not None:
            return {tuple(k) for k in stored}
    ident = released_._ident(session, "strata", programme_id, done.editions, run_id if edition_id is None else None)
    plans = released_._remember(ident, lambda: _plan(session, programme_id, done, None if edition_id else run_id))
    return plans[edition_id if edition_id is not None else "draft"]


def record(session, programme_id: str) -> int:
    """Record the suppressed stratum counts of every published edition of the programme that has none recorded
    (``Edition.strata_hidden``): planned once, where reports are rendered, never in a web request. Returns how many
    editions were recorded."""
    done = released_.released(session, programme_id)
    missing = [e for e, _ in done.editions if session.get(Edition, e).strata_hidden is None]
    if not missing:
        return 0
    ident = released_._ident(session, "strata", programme_id, done.editions, None)
    plans = released_._remember(ident, lambda: _plan(session, programme_id, done, None))
    for e in missing:
        session.get(Edition, e).strata_hidden = sorted(list(k) for k in plans[e])
    return len(missing)


def _plan(session, programme_id: str, done, draft_run: int | None) -> dict:
    runs = {run for _, run in done.editions} | ({draft_run} if draft_run else set())
    totals = released_._counted(session, runs)
    strata = _stratum_counted(session, runs)
    releases = [(e, totals[run], strata[run]) for e, run in done.editions]
    hidden = dict(done.hidden)
    if draft_run:
        draft = released_._draft(session, done, draft_run, programme_id)
        releases.append(("draft", totals[draft_run], strata[draft_run]))
        hidden["draft"] = draft
    return plan_strata(releases, hidden, released_._threshold(programme_id))


def published_strata(session, pub) -> pd.DataFrame:
    """The strata of a published edition (``interop.published.Published``) as the public outputs show them:
    ``strata.EXPORT_COLUMNS`` and ``status``, one row per (ico or STATEWIDE, measure, stratifier, stratum); a
    suppressed count, and a value with its interval computed from one, read ``suppressed``; ``flag`` is left out
    and ``status`` reads ``suppressed`` where anything is suppressed (a flag says how a hidden value compares, and
    ``NA`` that its denominator is below the minimum)."""
    frame = strata_of(session, [pub.run])
    hidden = hidden_strata(session, pub.programme.id, pub.run.id, pub.edition.id)
    threshold = pub.programme.disclosure_threshold
    rows = []
    for r in frame.itertuples():
        h = {n for n in NAMES if (r.measure_id, r.period, r.ico, n, r.stratifier, r.stratum) in hidden}
        measure = REGISTRY[r.measure_id]
        value_hidden = bool(h) or (
            measure.unit == "percent" and r.numerator is not None and small(r.denominator - r.numerator, threshold)
        )
        if measure.unit == "score":
            value_hidden = "denominator" in h
        cut = SUPPRESSED if value_hidden else None
        rows.append(
            {
                "programme": r.programme,
                "period": r.period,
                "ico": r.ico,
                "measure_id": r.measure_id,
                "stratifier": r.stratifier,
                "stratum": r.stratum,
                "numerator": SUPPRESSED if "numerator" in h else r.numerator,
                "denominator": SUPPRESSED if "denominator" in h else r.denominator,
                "value": cut or r.value,
                "ci_low": cut or r.ci_low,
                "ci_high": cut or r.ci_high,
                "flag": None if (h or value_hidden) else r.flag,
                "suppressed": bool(h or value_hidden),
                # NA says the denominator is below the minimum (30): a suppressed row does not say even that
                "status": "suppressed" if (h or value_hidden) else r.status,
            }
        )
    return pd.DataFrame(rows, columns=[*EXPORT_COLUMNS, "status"], dtype=object)
