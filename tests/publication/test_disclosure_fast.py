"""The fast paths of the disclosure auditor give the verdicts of the straightforward test, ``rank([A; e_j]) ==
rank(A)`` with ``numpy.linalg.matrix_rank`` per count and per candidate, on random systems (seeded): one elimination
read for every count, the candidates that free a count from one elimination, the elimination updated as counts are
suppressed, several readers audited together, and complementary suppression as a whole."""

from __future__ import annotations

import random

import numpy as np
import pytest

from reporting.publication.disclosure import (
    Count,
    Relation,
    _components,
    _Elimination,
    _matrix,
    _replace,
    audit,
    determined_in,
    freed_by,
    holds_each,
    protect,
)


def by_rank(relations, unknown, target) -> bool:
    a = _matrix(relations, unknown)
    e = np.zeros((1, len(unknown)))
    e[0, unknown.index(target)] = 1
    return np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a)


def random_system(rng: random.Random):
    """Relations (a total and 1-5 parts, some keys in several) over 4-16 keys; counts shown or not, a few latent."""
    keys = [f"k{i:02d}" for i in range(rng.randint(4, 16))]
    relations = []
    for _ in range(rng.randint(1, 7)):
        group = rng.sample(keys, rng.randint(2, min(6, len(keys))))
        relations.append(Relation(group[0], tuple(group[1:])))
    counts = {
        k: Count(k, rng.choice([0, 2, 7, 12, 25, 40]), shown=rng.random() < 0.55) for k in keys if rng.random() > 0.1
    }
    return keys, relations, counts


@pytest.mark.parametrize("seed", range(6))
def test_determined_and_freed_match_the_rank_test(seed):
    rng = random.Random(seed)
    checked = freed_seen = 0
    for _ in range(150):
        keys, relations, counts = random_system(rng)
        for members, rels in _components(set(keys), relations):
            if not rels:
                continue
            unknown = [k for k in members if k not in counts or not counts[k].shown]
            if not unknown:
                continue
            others = [k for k in members if k in counts and counts[k].shown]
            want = {k for k in unknown if by_rank(rels, unknown, k)}
            assert determined_in(rels, unknown, unknown) == want
            system = _Elimination(rels, unknown, others)
            assert set(system.determined(unknown)) == want
            for t in sorted(want):
                rank_freed = [not by_rank(rels, unknown + [c], t) for c in others]
                assert freed_by(rels, unknown, t, others) == rank_freed
                assert system.freed(t, others) == rank_freed
                freed_seen += sum(rank_freed)
                checked += 1
            # suppressing the candidates one by one: the updated elimination answers as a new one would
            grown = list(unknown)
            for c in others:
                system.add(c)
                grown.append(c)
                assert set(system.determined(grown)) == {k for k in grown if by_rank(rels, grown, k)}
    assert checked > 50 and freed_seen > 20  # the random systems exercise both answers


@pytest.mark.parametrize("seed", range(4))
def test_readers_audited_together_match_one_audit_each(seed):
    rng = random.Random(100 + seed)
    both = set()
    for _ in range(150):
        keys, relations, counts = random_system(rng)
        for members, rels in _components(set(keys), relations):
            if not rels:
                continue
            hidden = [k for k in members if k in counts and not counts[k].shown]
            known = [set(rng.sample(hidden, rng.randint(0, len(hidden)))) for _ in range(3)]
            together = holds_each(members, rels, counts, known)
            for extra, verdict in zip(known, together):
                view = [Count(k, c.value, True, True) if k in extra else c for k, c in counts.items() if k in members]
                assert verdict == audit(view, rels).holds
                both.add(verdict)
    assert both == {True, False}


def slow_protect(counts: dict, relations: list) -> tuple[set, list]:
    """Complementary suppression as first written: audit the whole system again after each suppression, and try
    the candidates one at a time with ``matrix_rank``."""
    counts = dict(counts)
    complementary = []
    for members, rels in _components(set(counts) | {k for r in relations for k in (r.total, *r.parts)}, relations):
        related = {}
        for r in rels:
            for k in (r.total, *r.parts):
                related.setdefault(k, set()).update((r.total, *r.parts))
        while rels:
            unknown = [k for k in members if k not in counts or not counts[k].shown]
            targets = sorted((k for k in unknown if k in counts and counts[k].must_hold), key=repr)
            pending = [k for k in targets if by_rank(rels, unknown, k)]
            exact = bool(pending)
            if not pending:
                pending = audit([counts[k] for k in members if k in counts], rels, equations=False).determined
            candidates = [counts[k] for k in members if k in counts and counts[k].shown and not counts[k].fixed]
            if not pending or not candidates:
                break
            target = pending[0]
            order = sorted(candidates, key=lambda c: (c.key not in related[target], c.value == 0, c.value, repr(c.key)))
            choice = order[0]
            for c in order[:8]:
                trial = dict(counts)
                trial[c.key] = _replace(c, shown=False, protected=True)
                if (
                    exact
                    and not by_rank(rels, unknown + [c.key], target)
                    or not exact
                    and target not in audit([trial[k] for k in members if k in trial], rels).determined
                ):
                    choice = c
                    break
            counts[choice.key] = _replace(choice, shown=False, protected=True)
            complementary.append(choice.key)
    return {k for k, c in counts.items() if not c.shown}, complementary


@pytest.mark.parametrize("seed", range(4))
def test_protect_suppresses_what_the_straightforward_version_suppresses(seed):
    rng = random.Random(200 + seed)
    extended = 0
    for _ in range(120):
        keys, relations, counts = random_system(rng)
        counts = {k: _replace(c, fixed=rng.random() < 0.2) for k, c in counts.items()}
        done = protect(counts.values(), relations)
        if done.unfixable:
            continue  # the slow version stops there; compared where both finish
        hidden, complementary = slow_protect(counts, relations)
        assert (done.hidden, sorted(done.complementary)) == (hidden, sorted(complementary))
        extended += bool(complementary)
    assert extended > 10
