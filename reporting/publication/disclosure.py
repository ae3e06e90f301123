"""The disclosure auditor: which suppressed counts can a reader work out from everything published?
(measures.md, "Publication and cell suppression"; issue 28 item 2.)

Pure (numpy only). A reader knows the counts shown, in this release and in every earlier one, and the
additive relations between them: a total equals the sum of its parts (statewide = the sum of its ICOs; a year
= the sum of its quarters for measures whose units fall in exactly one quarter; later, an ICO total = the sum
of its strata). Each relation is a linear equation; the unknowns are the suppressed counts and any count never
published (a *latent* count: a quarter an ICO has no result for, the quarterly pieces of a rolling survey
window). With the shown counts moved to the right-hand side the equations read ``A x = b``; a suppressed count
``x_j`` is **determined** when the unit vector ``e_j`` lies in the row space of ``A``, that is when
``rank([A; e_j]) == rank(A)``, read for every count at once off one reduced row echelon form of its connected
component (``determined_in``; tests/publication/test_disclosure_fast.py checks it against ``matrix_rank``).
A determined suppressed count is a failure. Counts are also at least 0: bounds propagated through
the relations (a part is at least its total's lower bound minus the other parts' upper bounds, and at most
...) can pin a count to one value (two suppressed cells that sum to 0), which is a failure too; a count narrowed
to a range (say 1 to 10) is not: that a suppressed count is small is what suppression itself says.

``protect`` is complementary suppression on top of the auditor: while a suppressed count is determined, it
suppresses one more count that may still change (not fixed by an earlier release): among the shown counts of
the determined count's component, one whose suppression makes it undetermined, preferring a count in a
relation with it, non-zero, then the smallest (the "next-smallest cell"); and repeats until nothing is
determined. Relations are data: a new kind of additive group (strata) needs no change here.

How it scales (bench/disclosure_bench.py): ``protect`` eliminates a component once and adds one pivot step per
count it suppresses (``_Elimination``), and tells which candidates free a count from that one elimination;
``holds_each`` audits many readers of one component (the ICOs' own users) from one reduced form and one stacked
bounds propagation; bounds are propagated on the non-zero coefficients only. No BLAS products: on a busy
machine their threads cost more than these small matrices' arithmetic.

Keys are any hashable values (the publication layer uses ``(measure_id, period, ico, count_name)``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

Key = Hashable


@dataclass(frozen=True)
class Count:
    """One count as a reader sees it: ``shown`` (its value is published), or not. ``fixed``: published in an
    earlier release, so its state may not change now. ``protected``: a count that must not be determined
    (default: every count that is not shown); latent counts (never published) are not."""

    key: Key
    value: int | None
    shown: bool
    fixed: bool = False
    protected: bool | None = None

    @property
    def must_hold(self) -> bool:
        return (not self.shown) if self.protected is None else (self.protected and not self.shown)


@dataclass(frozen=True)
class Relation:
    """``total == sum(parts)``: an additive group. A key with no ``Count`` is latent (unknown, not protected)."""

    total: Key
    parts: tuple


@dataclass
class Audit:
    determined: list  # protected keys the equations (or bounds) pin down
    by_bounds: set = field(default_factory=set)  # of them, those pinned only with the bounds
    ranges: dict = field(default_factory=dict)  # key -> (low, high) a reader can bound it by (None: open)

    @property
    def holds(self) -> bool:
        return not self.determined


# --- components ------------------------------------------------------------------------------------


def _components(keys: Iterable[Key], relations: list[Relation]) -> list[tuple[list[Key], list[Relation]]]:
    """Keys and relations split into connected components (relations sharing no key never interact)."""
    parent: dict = {}

    def find(k):
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for k in keys:
        find(k)
    for r in relations:
        root = find(r.total)
        for p in r.parts:
            parent[find(p)] = root
    members, rels = defaultdict(list), defaultdict(list)
    for k in parent:
        members[find(k)].append(k)
    for r in relations:
        rels[find(r.total)].append(r)
    return [(members[root], rels[root]) for root in members]


def _matrix(relations: list[Relation], unknown: list[Key]) -> np.ndarray:
    """The coefficients of the unknowns: +1 for a total, -1 for each part (a key twice adds up)."""
    index = {k: i for i, k in enumerate(unknown)}
    a = np.zeros((len(relations), len(unknown)))
    for row, r in enumerate(relations):
        if r.total in index:
            a[row, index[r.total]] += 1
        for p in r.parts:
            if p in index:
                a[row, index[p]] -= 1
    return a


def determined_in(relations: list[Relation], unknown: list[Key], targets: Iterable[Key]) -> set:
    """The ``targets`` (among ``unknown``) whose unit vector lies in the row space of the relations' matrix
    ``A``, i.e. ``rank([A; e_j]) == rank(A)``. Read off the reduced row echelon form ``R`` of ``A`` (same row
    space): ``e_j`` is in it exactly when some row of ``R`` is ``e_j`` (column ``j`` a pivot whose row has no
    other entry). Elimination with numpy's element-wise operations: exact enough on these small matrices of
    0 and ±1, and free of the BLAS threads that make many small SVDs slow on a busy machine."""
    targets = list(targets)
    if not targets or not relations:
        return set()
    r = _reduced(_matrix(relations, unknown))
    unit = np.isclose(np.abs(r).sum(axis=1), 1, atol=1e-9) & np.isclose(np.abs(r).max(axis=1, initial=0), 1, atol=1e-9)
    columns = {int(np.argmax(np.abs(row))) for row in r[unit]}
    index = {k: i for i, k in enumerate(unknown)}
    return {t for t in targets if index[t] in columns}


def _reduced(a: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """A reduced row echelon form of ``a`` up to the order of its columns (each pivot column has a single non-zero,
    1, in its pivot row), its zero rows dropped: same row space, and the test above holds for any column order."""
    a, pivots, _ = _eliminate(a[np.abs(a).sum(axis=1) > 0], a.shape[1], tol)
    return a[pivots]


def _eliminate(
    a: np.ndarray, width: int, tol: float = 1e-9, free: np.ndarray | None = None
) -> tuple[np.ndarray, list, list]:
    """Gauss-Jordan elimination of ``a`` pivoting only in its first ``width`` columns (the row operations carry
    the other columns along): ``(a reduced, pivot rows, pivot columns)``. Complete pivoting, one step per pivot,
    so the loop runs ``rank`` times rather than once per column. ``free``: the rows that may still take a pivot
    (the others are reduced already)."""
    a = a.astype(float).copy()
    rows = a.shape[0]
    free = np.ones(rows, dtype=bool) if free is None else free.copy()
    pivots, columns = [], []
    for _ in range(rows):
        left = np.flatnonzero(free)
        if not left.size or not width:
            break
        sub = np.abs(a[left, :width])
        at = int(np.argmax(sub))
        if sub.flat[at] <= tol:
            break
        i, j = int(left[at // width]), at % width
        a[i] /= a[i, j]
        factors = a[:, j].copy()
        factors[i] = 0
        touched = np.flatnonzero(factors)
        if touched.size:
            block = a[touched] - np.outer(factors[touched], a[i])
            block[np.abs(block) <= tol] = 0
            a[touched] = block
        free[i] = False
        pivots.append(i)
        columns.append(j)
    return a, pivots, columns


def freed_by(
    relations: list[Relation], unknown: list[Key], target: Key, candidates: list[Key], tol: float = 1e-9
) -> list[bool] | None:
    """For a ``target`` the relations determine, whether suppressing each candidate (a shown count) on its own
    would leave it undetermined, from one elimination instead of one per candidate. With ``y A = e_t`` (the
    rows combining to ``e_t``, ``y0`` one of them plus the left null space of ``A``), ``t`` stays determined
    once column ``a_c`` joins ``A`` iff some such ``y`` has ``y a_c = 0``: it is freed iff ``a_c`` lies in the
    column space of ``A`` (so ``y a_c`` is the same for every ``y``) and ``y0 a_c != 0``. Eliminating ``[A | C]``
    on ``A``'s columns reads both off: ``a_c``'s entries left in the rows where ``A`` became zero, and its entry in
    the row that became ``e_t``. ``None`` when the target is not determined (nothing to free)."""
    a = _matrix(relations, list(unknown) + list(candidates))
    a = a[np.abs(a).sum(axis=1) > 0]
    width = len(unknown)
    reduced, pivots, columns = _eliminate(a, width, tol)
    column = list(unknown).index(target)
    if column not in columns:
        return None
    row = reduced[pivots[columns.index(column)]]
    if np.count_nonzero(np.abs(row[:width]) > tol) != 1:
        return None
    rest = np.ones(reduced.shape[0], dtype=bool)
    rest[pivots] = False
    in_span = ~(np.abs(reduced[rest][:, width:]) > tol).any(axis=0)
    return list(in_span & (np.abs(row[width:]) > tol))


# --- bounds ----------------------------------------------------------------------------------------

_OPEN = 1e12  # "no upper bound", finite so that the sums below stay exact


def _ranges(relations: list[Relation], values: dict, unknown: list) -> dict:
    """Intervals for the unknowns from ``x >= 0`` and the relations, propagated (sound, not always tight): each
    relation ``sum(a_j x_j) + c == 0`` bounds each of its unknowns by the range of the others."""
    a = _matrix(relations, unknown)
    c = np.array([values.get(r.total, 0) - sum(values.get(p, 0) for p in r.parts) for r in relations], dtype=float)
    lo, hi = _propagate(a[None], c[None])
    return {k: (lo[0, i], hi[0, i] if hi[0, i] < _OPEN / 2 else np.inf) for i, k in enumerate(unknown)}


def _propagate(a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_ranges`` of several systems at once, ``a`` (systems x relations x unknowns) and ``c`` (systems x
    relations): each system narrows on its own until it settles (then it is left as it is) or for a dozen rounds.
    Computed on the non-zero coefficients only (a relation holds a few of a component's unknowns); the values
    are whole numbers (or halves) far below 2**53, so the sums are exact in any order."""
    systems, _, width = a.shape
    rows, cols = np.nonzero(np.abs(a).sum(axis=0))  # sorted by row
    by_col = np.argsort(cols, kind="stable")
    coef = a[:, rows, cols]  # systems x entries
    row_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else np.zeros(0, dtype=int)
    col_sorted = cols[by_col]
    col_starts = np.flatnonzero(np.r_[True, col_sorted[1:] != col_sorted[:-1]]) if rows.size else np.zeros(0, dtype=int)
    col_ids = col_sorted[col_starts]
    pos, neg = np.maximum(coef, 0), np.minimum(coef, 0)
    nonzero = coef != 0
    cc = c[:, rows]
    lo, hi = np.zeros((systems, width)), np.full((systems, width), _OPEN)
    active = np.ones(systems, dtype=bool)
    for _ in range(12 if rows.size else 0):  # each round narrows; a dozen settles the groups met here
        low_terms = pos * lo[:, cols] + neg * hi[:, cols]  # of a_j x_j
        high_terms = pos * hi[:, cols] + neg * lo[:, cols]
        low_others = (
            np.add.reduceat(low_terms, row_starts, axis=1)[:, np.searchsorted(rows[row_starts], rows)] - low_terms
        )
        high_others = (
            np.add.reduceat(high_terms, row_starts, axis=1)[:, np.searchsorted(rows[row_starts], rows)] - high_terms
        )
        # a_j x_j = -c - others
        with np.errstate(divide="ignore", invalid="ignore"):
            b1, b2 = (-cc - high_others) / coef, (-cc - low_others) / coef
        high_ok, low_ok = high_others < _OPEN / 2, low_others > -_OPEN / 2  # the others' range is bounded
        lower, lower_ok = np.where(coef > 0, b1, b2), np.where(coef > 0, high_ok, low_ok)
        upper, upper_ok = np.where(coef > 0, b2, b1), np.where(coef > 0, low_ok, high_ok)
        new_lo, new_hi = np.zeros((systems, width)), np.full((systems, width), _OPEN)
        new_lo[:, col_ids] = np.maximum(
            np.maximum.reduceat(np.where(nonzero & lower_ok, lower, -np.inf)[:, by_col], col_starts, axis=1), 0
        )
        new_hi[:, col_ids] = np.minimum(
            np.minimum.reduceat(np.where(nonzero & upper_ok, upper, np.inf)[:, by_col], col_starts, axis=1), _OPEN
        )
        new_lo, new_hi = np.maximum(lo, new_lo), np.minimum(hi, new_hi)
        settled = np.isclose(new_lo, lo).all(axis=1) & np.isclose(new_hi, hi).all(axis=1)
        moving = active & ~settled
        lo[moving], hi[moving] = new_lo[moving], new_hi[moving]
        active = moving
        if not active.any():
            break
    return lo, hi


# --- the auditor ------------------------------------------------------------------------------------


def audit(counts: Iterable[Count], relations: Iterable[Relation], bounds: bool = True, equations: bool = True) -> Audit:
    """Every protected count that the shown counts and the relations determine (see the module docstring);
    ``bounds=False``: by the equations alone (the cheaper test); ``equations=False``: by the bounds alone."""
    counts = {c.key: c for c in counts}
    relations = list(relations)
    keys = set(counts) | {k for r in relations for k in (r.total, *r.parts)}
    done = Audit([], set(), {})
    for members, rels in _components(keys, relations):
        part = _audit_component(members, counts, rels, bounds, equations)
        done.determined += part.determined
        done.by_bounds |= part.by_bounds
        done.ranges |= part.ranges
    done.determined.sort(key=repr)
    return done


def _audit_component(
    members: list, counts: dict, rels: list[Relation], bounds: bool = True, equations: bool = True
) -> Audit:
    """``audit`` of one connected component (``members`` and ``rels``), its determined keys sorted."""
    determined, by_bounds, ranges = [], set(), {}
    unknown = [k for k in members if k not in counts or not counts[k].shown]
    targets = [k for k in unknown if k in counts and counts[k].must_hold]
    if not targets:
        return Audit(determined, by_bounds, ranges)
    exact = determined_in(rels, unknown, targets) if equations else set()
    values = {k: counts[k].value for k in members if k in counts and counts[k].shown}
    found = _ranges(rels, values, unknown) if (rels and bounds) else {}
    for t in targets:
        low, high = found.get(t, (0.0, np.inf))
        ranges[t] = (low, None if not np.isfinite(high) else high)
        pinned = low <= high and np.isfinite(high) and np.ceil(low - 1e-9) == np.floor(high + 1e-9)
        if t in exact or pinned:
            determined.append(t)
            if t not in exact:
                by_bounds.add(t)
    return Audit(sorted(determined, key=repr), by_bounds, ranges)


def holds_each(members: list, relations: list[Relation], counts: dict, known: list[set], tol: float = 1e-9) -> list:
    """For one connected component (``members``, ``relations``) seen as ``counts`` (key -> Count) by several
    readers who each also know the counts of one set in ``known``: whether the audit (equations and bounds)
    finds nothing determined for each reader, at the cost of about one audit for all of them.

    Equations: ``A_U`` (``U`` the counts unknown to the public) is reduced once; a reader who knows ``S`` has the
    row space of ``A_{U-S}``, the projection of that of ``A_U``: strike the columns ``S`` out of the reduced form
    and reduce again only the rows whose pivot was struck (at most ``|S|`` steps). Bounds: the readers' systems
    stacked (``_propagate``), the known counts moved to the
    right-hand side."""
    unknown = [k for k in members if k not in counts or not counts[k].shown]
    where = {k: i for i, k in enumerate(unknown)}
    a = _matrix(relations, unknown)
    used = np.abs(a).sum(axis=1) > 0
    a, rels = a[used], [r for r, u in zip(relations, used) if u]
    out = [True] * len(known)
    if not unknown or not a.shape[0]:
        return out
    n = len(unknown)
    reduced, pivots, columns = _eliminate(a, n, tol)
    reduced, pivot_of = reduced[pivots], dict(zip(columns, range(len(pivots))))
    shown = {k: c.value for k in members if k in counts and counts[k].shown for c in (counts[k],)}
    base = np.array([shown.get(r.total, 0) - sum(shown.get(p, 0) for p in r.parts) for r in rels], dtype=float)
    bounded = []
    for i, extra in enumerate(known):
        s = [where[k] for k in extra if k in where]
        targets = [where[k] for k in unknown if k in counts and counts[k].must_hold and k not in extra]
        if not targets:
            continue
        if s:  # the columns ``s`` struck out; the rows that lost their pivot reduced again
            mine = reduced.copy()
            mine[:, s] = 0
            broken = np.zeros(len(mine), dtype=bool)
            broken[[pivot_of[j] for j in s if j in pivot_of]] = True
            mine, new_rows, new_columns = _eliminate(mine, n, tol, free=broken)
            pivot_row = {j: r for j, r in pivot_of.items() if not broken[r]} | dict(zip(new_columns, new_rows))
        else:
            mine, pivot_row = reduced, pivot_of
        unit = np.count_nonzero(np.abs(mine) > tol, axis=1) == 1
        if any(j in pivot_row and unit[pivot_row[j]] for j in targets):
            out[i] = False
        else:
            bounded.append((i, s, targets))
    if bounded:
        stack = np.repeat(a[None], len(bounded), axis=0)
        rhs = np.repeat(base[None], len(bounded), axis=0)
        for b, (_, s, _) in enumerate(bounded):
            if s:
                rhs[b] += (a[:, s] * np.array([counts[unknown[j]].value for j in s], dtype=float)).sum(axis=1)
                stack[b][:, s] = 0
        lo, hi = _propagate(stack, rhs)
        for b, (i, _, targets) in enumerate(bounded):
            low, high = lo[b, targets], hi[b, targets]
            finite = high < _OPEN / 2
            pinned = (low <= high) & finite & (np.ceil(low - 1e-9) == np.floor(high + 1e-9))
            out[i] = not pinned.any()
    return out


# --- complementary suppression ----------------------------------------------------------------------


@dataclass
class Protection:
    hidden: set  # every count suppressed when done (primary and complementary)
    complementary: list  # the counts suppressed to protect others, in the order chosen
    unfixable: list  # counts determined by fixed counts alone (earlier releases): reported


def components(counts: dict, relations: list[Relation]) -> list[tuple[list[Key], list[Relation]]]:
    """The connected components of ``counts`` (key -> Count) and ``relations``, for ``protect(components=...)``
    when several protections run over the same keys and relations."""
    return _components(set(counts) | {k for r in relations for k in (r.total, *r.parts)}, relations)


def protect(
    counts: Iterable[Count],
    relations: Iterable[Relation],
    may_hide: Callable[[Key], bool] = lambda key: True,
    limit: int = 10_000,
    relevant: Callable[[list], bool] | None = None,
    components: list | None = None,
) -> Protection:
    """Suppress more counts until the auditor finds none determined. Only counts that are not ``fixed`` and that
    ``may_hide`` admits are suppressed; a count that nothing left can protect is reported in ``unfixable``.
    Each connected component is protected on its own (suppressing in one never changes another); ``relevant``
    (of a component's keys that have a count) skips components known to hold already, before their counts are
    read. ``components``: those of ``counts`` and ``relations`` (``components()``), when already known;
    ``counts`` may then be a mapping key -> Count whose values are read only for the components protected."""
    counts = counts if isinstance(counts, dict) else {c.key: c for c in counts}
    relations = list(relations)
    complementary, unfixable, changed = [], [], {}
    for members, rels in (
        components
        if components is not None
        else _components(set(counts) | {k for r in relations for k in (r.total, *r.parts)}, relations)
    ):
        if not rels:
            continue
        if relevant is not None and not relevant([k for k in members if k in counts]):
            continue
        part = {k: counts[k] for k in members if k in counts}
        if not any(c.must_hold for c in part.values()) or not any(
            c.shown and not c.fixed and may_hide(c.key) for c in part.values()
        ):
            continue  # nothing to protect, or nothing may change (audited when it could)
        _protect_component(members, part, rels, may_hide, limit, complementary, unfixable)
        changed.update(part)
    hidden = {k for k, c in counts.items() if not changed.get(k, c).shown}
    return Protection(hidden, complementary, unfixable)


class _Elimination:
    """The relations of one component eliminated on its unknowns, carrying the columns of the counts that may yet
    be suppressed, kept up to date as they are: suppressing one more count is one more pivot step, not a new
    elimination. Reads what ``determined_in`` and ``freed_by`` read (a pivot row that is ``e_j`` on the unknowns;
    a candidate's entries in the rows left without a pivot and in the target's row)."""

    def __init__(self, relations: list[Relation], unknown: list, others: list, tol: float = 1e-9):
        self.columns = {k: i for i, k in enumerate(list(unknown) + list(others))}
        a = _matrix(relations, list(self.columns))
        self.tol = tol
        self.eligible = np.zeros(a.shape[1], dtype=bool)
        self.eligible[: len(unknown)] = True
        a = a[np.abs(a).sum(axis=1) > 0]
        self.a, pivots, columns = _eliminate(a, len(unknown), tol)
        self.pivot = dict(zip(columns, pivots))  # column -> its pivot row
        self.free = np.ones(self.a.shape[0], dtype=bool)
        self.free[pivots] = False

    def add(self, key) -> None:
        """``key`` (one of the others) is now unknown too."""
        j = self.columns[key]
        self.eligible[j] = True
        left = np.flatnonzero(self.free)
        if not left.size:
            return
        at = int(np.argmax(np.abs(self.a[left, j])))
        i = int(left[at])
        if abs(self.a[i, j]) <= self.tol:
            return
        a = self.a
        a[i] /= a[i, j]
        factors = a[:, j].copy()
        factors[i] = 0
        touched = np.flatnonzero(factors)
        if touched.size:
            block = a[touched] - np.outer(factors[touched], a[i])
            block[np.abs(block) <= self.tol] = 0
            a[touched] = block
        self.free[i] = False
        self.pivot[j] = i

    def determined(self, targets: list) -> list:
        if not targets:
            return []
        unit = np.count_nonzero(np.abs(self.a[:, self.eligible]) > self.tol, axis=1) == 1
        return [t for t in targets if (i := self.pivot.get(self.columns[t])) is not None and unit[i]]

    def freed(self, target, candidates: list) -> list[bool]:
        cols = [self.columns[c] for c in candidates]
        row = self.a[self.pivot[self.columns[target]], cols]
        rest = self.a[self.free][:, cols]
        return list(~(np.abs(rest) > self.tol).any(axis=0) & (np.abs(row) > self.tol))


def _protect_component(
    members: list, part: dict, rels: list[Relation], may_hide, limit: int, complementary: list, unfixable: list
) -> None:
    """``protect`` of one connected component: ``part`` (its counts) updated in place. The equations are
    eliminated once (``_Elimination``) and updated as counts are suppressed."""
    related = defaultdict(set)
    for r in rels:
        group = (r.total, *r.parts)
        for k in group:
            related[k].update(group)
    unknown = [k for k in members if k not in part or not part[k].shown]
    others = [k for k, c in part.items() if c.shown and not c.fixed and may_hide(k)]
    system = _Elimination(rels, unknown, others)
    ordered = sorted(members, key=repr)
    for _ in range(limit):
        targets = [k for k in ordered if k in part and part[k].must_hold]
        pending = [k for k in system.determined(targets) if k not in unfixable]
        exact = bool(pending)
        if not pending:
            pending = [
                k for k in _audit_component(members, part, rels, equations=False).determined if k not in unfixable
            ]
        if not pending:
            break
        target = pending[0]
        candidates = [c for c in part.values() if c.shown and not c.fixed and may_hide(c.key)]
        if not candidates:
            unfixable.append(target)
            part[target] = _replace(part[target], protected=False)  # known already: stop asking
            continue
        choice = _choose(target, candidates, part, members, rels, related, exact, system)
        part[choice.key] = _replace(choice, shown=False, protected=True)
        system.add(choice.key)
        complementary.append(choice.key)


def _replace(c: Count, **changes) -> Count:
    return Count(
        **({"key": c.key, "value": c.value, "shown": c.shown, "fixed": c.fixed, "protected": c.protected} | changes)
    )


def _choose(
    target,
    candidates: list[Count],
    counts: dict,
    members: list,
    relations: list[Relation],
    related: dict,
    exact: bool = True,
    system: _Elimination | None = None,
) -> Count:
    """The count to suppress for ``target``: one whose suppression frees it (in a relation with it first), else
    the next-smallest in a relation with it, else the next-smallest of its component; non-zero before zero."""
    order = sorted(candidates, key=lambda c: (c.key not in related[target], c.value == 0, c.value or 0, repr(c.key)))
    if exact:
        if system is not None:
            freed = system.freed(target, [c.key for c in order[:8]])
        else:
            unknown = [k for k in members if k not in counts or not counts[k].shown]
            freed = freed_by(relations, unknown, target, [c.key for c in order[:8]])
        if freed is not None:
            return next((c for c, ok in zip(order, freed) if ok), order[0])
    for c in order[:8]:
        trial = dict(counts)
        trial[c.key] = _replace(c, shown=False, protected=True)
        if exact:
            unknown = [k for k in members if k not in trial or not trial[k].shown]
            if target not in determined_in(relations, unknown, [target]):
                return c
        elif target not in _audit_component(members, trial, relations).determined:
            return c
    return order[0]
