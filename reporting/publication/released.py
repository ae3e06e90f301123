"""What the releases have published, as the disclosure auditor sees it (measures.md, "Publication and cell
suppression"): every edition ever published (superseded and withdrawn ones too: their public outputs are out),
in publication order, each protected against all before it (``suppression.plan``). Every public table (the public
report, the open data, the public export) takes its suppressed counts from here, and the statewide figures shown
to ICO users are checked here against each ICO's own figures and everything public (``statewide_withheld``).

The plan is a function of the published editions and their runs only, so it is computed once per process for
a given set of editions (and again when one is published)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from reporting import programmes
from reporting.access import ICO_SUBMITTER, statewide_hidden_from
from reporting.engine import STATEWIDE
from reporting.publication.suppression import Release, counts_of, ico_withheld, key, plan, relations
from reporting.storage.models import DEFAULT_PROGRAMME, Edition, Result, ResultRun

RELEASED = ("published", "superseded", "withdrawn")
_CACHE: dict = {}
_CACHE_SIZE = 16


@dataclass(frozen=True)
class Counted:
    """The counts of one stored result, detached from the session (what the plan reads)."""

    measure_id: str
    period_code: str
    ico: str
    numerator: int | None
    denominator: int
    elements: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Released:
    editions: tuple  # (edition id, run id), in publication order
    hidden: dict  # edition id -> keys suppressed in its public outputs
    public: dict  # key -> value of every count any release has shown
    unfixable: tuple


def _remember(ident, compute):
    if ident not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[ident] = compute()
    return _CACHE[ident]


def _editions(session, programme_id: str) -> list[tuple[int, int]]:
    return list(
        session.execute(
            select(Edition.id, Edition.run_id)
            .where(
                Edition.programme_id == programme_id,
                Edition.status.in_(RELEASED),
                Edition.published_at.is_not(None),
            )
            .order_by(Edition.published_at, Edition.id)
        )
    )


def _counted(session, run_ids) -> dict[int, list[Counted]]:
    out: dict = {run_id: [] for run_id in run_ids}
    for r in session.scalars(select(Result).where(Result.run_id.in_(list(run_ids)))):
        out[r.run_id].append(
            Counted(r.measure_id, r.period_code, r.ico, r.numerator, r.denominator, dict(r.elements or {}))
        )
    return out


def _ident(session, *parts) -> tuple:
    return (str(session.get_bind().url),) + parts


def _threshold(programme_id: str) -> int:
    return programmes.get(programme_id).disclosure_threshold


def released(session, programme_id: str = DEFAULT_PROGRAMME) -> Released:
    """The plan over every edition of the programme published so far (one plan per programme: its statewide
    figures pool its own ICOs, and its threshold is its own)."""
    editions = tuple(tuple(e) for e in _editions(session, programme_id))
    return _remember(
        _ident(session, "released", programme_id, editions), lambda: _released(session, editions, programme_id)
    )


def _released(session, editions, programme_id: str = DEFAULT_PROGRAMME) -> Released:
    results = _counted(session, {run for _, run in editions})
    releases = [Release(edition_id, results[run_id]) for edition_id, run_id in editions]
    done = plan(releases, threshold=_threshold(programme_id))
    public = {}
    for rel in releases:
        for r in rel.results:
            for name, v in counts_of(r).items():
                if key(r, name) not in done.hidden[rel.name]:
                    public[key(r, name)] = v
    return Released(editions, done.hidden, public, tuple(done.unfixable))


def public_hidden(session, period_code: str, run_id: int, edition_id: int | None = None) -> set:
    """The counts suppressed in the public outputs of ``period_code`` on ``run_id``: as its edition published
    them (``edition_id``, or the newest published edition on that run), else as a release after all others. The
    run's programme's releases."""
    programme_id = session.get(ResultRun, run_id).programme_id
    done = released(session, programme_id)
    if edition_id not in done.hidden:
        edition_id = next((e for e, run in reversed(done.editions) if run == run_id), None)
    if edition_id in done.hidden:
        return done.hidden[edition_id]
    return _remember(
        _ident(session, "draft", done.editions, run_id), lambda: _draft(session, done, run_id, programme_id)
    )


def _draft(session, done: Released, run_id: int, programme_id: str = DEFAULT_PROGRAMME) -> set:
    results = _counted(session, {run for _, run in done.editions} | {run_id})
    releases = [Release(e, results[run]) for e, run in done.editions] + [Release("draft", results[run_id])]
    return plan(releases, threshold=_threshold(programme_id)).hidden["draft"]


def statewide_withheld(session, runs: dict) -> set[tuple[str, str]]:
    """(measure, period) statewide figures that ICO users may not see on ``runs`` (period -> run): with any one
    ICO's own figures and everything public, they would determine another ICO's counts that are not public."""
    ident = _ident(session, "withheld", tuple(sorted((p, r.id) for p, r in runs.items())))
    return _remember(ident, lambda: _withheld(session, runs))


def _withheld(session, runs: dict) -> set:
    programme_id = next((r.programme_id for r in runs.values()), DEFAULT_PROGRAMME)  # a basis is one programme's
    done = released(session, programme_id)
    results = [r for rows in _counted(session, {r.id for r in runs.values()}).values() for r in rows]
    hidden = {
        (r.measure_id, r.period_code)
        for r in results
        if r.ico == STATEWIDE and statewide_hidden_from(ICO_SUBMITTER, len(runs[r.period_code].inputs or {}))
    }
    icos = sorted({r.ico for r in results} - {STATEWIDE})
    out, rels = set(), relations(results)
    for ico in icos:
        out |= ico_withheld(ico, results, done.public, hidden | out, rels)
    return out - hidden


def runs_of(session, run_ids) -> dict:
    """period -> ResultRun for ``run_ids`` (a helper for callers holding run ids)."""
    return {r.period_code: r for r in session.scalars(select(ResultRun).where(ResultRun.id.in_(list(run_ids))))}
