"""Results by group, read from stored strata only (``result_strata``, written with each run's results by the
engine, ``engine.strata``): the one read function the pages, exports, CLI, API and the public outputs build on,
and the equity summary of an ICO's period.

``strata_of(session, runs)`` is a stable interface: a DataFrame with one row per (period, ico, measure_id,
stratifier, stratum) and the columns ``COLUMNS``, in a fixed order (periods as given, ICOs alphabetical with
STATEWIDE last, measures in registry order, stratifiers and strata in ``engine.strata.STRATIFIERS`` order).
Counts are integers (``numerator`` None for a measure without one), ``value``/``ci_low``/``ci_high`` floats or
None, ``flag`` ``better``/``worse``/None, ``status`` ``reported``/``NA``. It applies no access rule and no
suppression: callers pass the runs of the basis the viewer is shown and filter ICOs by ``reporting.access``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

import pandas as pd
from sqlalchemy import select

from measures import REGISTRY
from reporting import programmes
from reporting.access import ICO_SUBMITTER, role_of
from reporting.engine import STATEWIDE
from reporting.engine.strata import STRATIFIERS
from reporting.storage.models import ResultRun, ResultStratum

COLUMNS = [
    "period",
    "ico",
    "measure_id",
    "stratifier",
    "stratum",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "flag",
    "status",
    "p_value",
    "difference",
    "run_id",
    "programme",
]


def strata_of(
    session, runs, *, icos: Iterable[str] | None = None, measure_id: str | None = None, stratifier: str | None = None
) -> pd.DataFrame:
    """The stored strata of ``runs`` (ResultRun objects, run ids, a ``figures.Basis`` or a period -> run dict),
    optionally only of some ICOs (STATEWIDE is named like an ICO), one measure or one stratifier."""
    ids = _run_ids(runs)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    query = select(
        ResultStratum.period_code,
        ResultStratum.ico,
        ResultStratum.measure_id,
        ResultStratum.stratifier,
        ResultStratum.stratum,
        ResultStratum.numerator,
        ResultStratum.denominator,
        ResultStratum.value,
        ResultStratum.ci_low,
        ResultStratum.ci_high,
        ResultStratum.flag,
        ResultStratum.status,
        ResultStratum.p_value,
        ResultStratum.difference,
        ResultStratum.run_id,
    ).where(ResultStratum.run_id.in_(ids))
    if icos is not None:
        query = query.where(ResultStratum.ico.in_(list(icos)))
    if measure_id is not None:
        query = query.where(ResultStratum.measure_id == measure_id)
    if stratifier is not None:
        query = query.where(ResultStratum.stratifier == stratifier)
    rows = session.execute(query).all()  # plain rows: no ORM objects for thousands of cells
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS[:-1])
    of_run = dict(session.execute(select(ResultRun.id, ResultRun.programme_id).where(ResultRun.id.in_(ids))).all())
    frame["programme"] = frame["run_id"].map(of_run)
    order = {run_id: i for i, run_id in enumerate(ids)}
    measures = {m: i for i, m in enumerate(REGISTRY)}
    names = {n: i for i, n in enumerate(STRATIFIERS)}
    strata = {(n, s): i for n, values in STRATIFIERS.items() for i, s in enumerate(values)}
    key = pd.DataFrame(
        {
            "run": frame["run_id"].map(order),
            "statewide": frame["ico"] == STATEWIDE,
            "ico": frame["ico"],
            "measure": frame["measure_id"].map(measures).fillna(len(measures)),
            "stratifier": frame["stratifier"].map(names).fillna(len(names)),
            "stratum": [strata.get(k, len(strata)) for k in zip(frame["stratifier"], frame["stratum"])],
        }
    )
    frame = frame.loc[key.sort_values(list(key.columns), kind="stable").index].reset_index(drop=True)
    for column in ("numerator", "value", "ci_low", "ci_high", "flag", "p_value", "difference"):
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), None)
    return frame


def _run_ids(runs) -> list[int]:
    if hasattr(runs, "runs"):  # a figures.Basis
        runs = runs.runs
    if isinstance(runs, dict):
        runs = runs.values()
    out = []
    for r in runs:
        if r is None:
            continue
        rid = r.id if isinstance(r, ResultRun) else int(r)
        if rid not in out:
            out.append(rid)
    return out


def equity_summary(frame: pd.DataFrame, ico: str, period: str) -> dict:
    """What an ICO's page says of one period's equity (``measures.md``, "Equity summary"), from ``strata_of``:
    ``worse``: per stratifier, the strata flagged worse ({measure_id, stratum, value, difference, denominator}),
    largest gap first; ``passive_gap``: per measure, the passive stratum's value minus the voluntary one's (None
    where either has no value), with both values."""
    own = frame[(frame["ico"] == ico) & (frame["period"] == period)]
    worse: dict[str, list[dict]] = {}
    for row in own[own["flag"] == "worse"].itertuples():
        worse.setdefault(row.stratifier, []).append(
            {
                "measure_id": row.measure_id,
                "stratum": row.stratum,
                "value": row.value,
                "difference": row.difference,
                "denominator": row.denominator,
            }
        )
    for items in worse.values():
        items.sort(key=lambda i: -abs(i["difference"] or 0))
    method = own[own["stratifier"] == "enrollment_method"]
    by_stratum = {
        (m, stratum): (value, flag)
        for m, stratum, value, flag in zip(method["measure_id"], method["stratum"], method["value"], method["flag"])
    }
    gaps = []
    for measure_id in [m for m in REGISTRY if m in set(method["measure_id"])]:
        passive, flag = by_stratum.get((measure_id, "passive"), (None, None))
        voluntary, _ = by_stratum.get((measure_id, "voluntary"), (None, None))
        gap = passive - voluntary if passive is not None and voluntary is not None else None
        gaps.append(
            {"measure_id": measure_id, "passive": passive, "voluntary": voluntary, "gap": gap, "passive_flag": flag}
        )
    return {"worse": {n: worse[n] for n in STRATIFIERS if n in worse}, "passive_gap": gaps}


# --- what a viewer is shown ------------------------------------------------------------------------------------

TITLES = {
    "rating_category": "Rating category",
    "enrollment_method": "Enrollment method",
    "age_band": "Age band (on the period's last day)",
    "sex": "Sex",
    "race": "Race",
    "ethnicity": "Ethnicity",
    "language": "Preferred language",
}
STRATUM_LABELS = {  # every stratum in words, capitalised alike, wherever strata show (codes stay in CSV, API, FHIR)
    "voluntary": "Voluntary",
    "passive": "Passive",
    "21-44": "21 to 44",
    "45-54": "45 to 54",
    "55-64": "55 to 64",
    "65+": "65 and over",
    "F": "Female",
    "M": "Male",
    "U": "Unknown or other (as submitted: U)",
    "american_indian_alaska_native": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black",
    "native_hawaiian_pacific_islander": "Native Hawaiian or Pacific Islander",
    "white": "White",
    "multiple": "Multiple races",
    "other": "Other",
    "hispanic": "Hispanic",
    "not_hispanic": "Not Hispanic",
    "english": "English",
    "spanish": "Spanish",
    "declined": "Declined to say",
    "unknown": "Unknown (blank or no member)",
}
EXPORT_COLUMNS = [
    "programme",
    "period",
    "ico",
    "measure_id",
    "stratifier",
    "stratum",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "flag",
    "suppressed",
]


def stratum_label(stratum: str, programme=None) -> str:
    """A stratum in words, as every page, report and FHIR ``text`` names it (a code not listed: capitalised). A
    rating category group is the programme's (``Programme.rating_categories``: One Care's "C3 (community, high LTSS
    need)"); a programme that gives none (or no programme) names it neutrally, "Rating category C3"."""
    if stratum in programmes.RATING_GROUPS:
        words = dict(programme.rating_categories).get(stratum) if programme is not None else None
        return f"{stratum} ({words})" if words else f"Rating category {stratum}"
    words = STRATUM_LABELS.get(stratum) or stratum.replace("_", " ")
    return words[:1].upper() + words[1:]


def labeller(programme) -> Callable[[str], str]:
    """``stratum_label`` for ``programme``'s pages and reports (templates call ``stratum_label(s)``)."""
    return partial(stratum_label, programme=programme)


def flag_words(flag: str | None, ico: str) -> str:
    """A flag in words (never colour alone)."""
    if not flag:
        return ""
    whom = "the rest of the state" if ico == STATEWIDE else "the ICO's other members"
    return f"{flag} than {whom} (p < 0.05)"


def seen_by(session, viewer, basis, period_code: str, *, measure_id: str | None = None) -> pd.DataFrame:
    """``strata_of`` the period's run on ``basis`` as ``viewer`` may see it: their ICOs' strata, and the statewide
    strata unless the statewide figures are hidden from them (``access.strata_codes``) or that measure's
    statewide figure is withheld from ICO users (``figures.withheld_from``). Reviewers and ICO users see exact
    values; suppression is for the public outputs."""
    from reporting.access import strata_codes

    run = basis.run(period_code)
    if run is None:
        return pd.DataFrame(columns=COLUMNS)
    return _as_seen(session, viewer, basis, run, strata_codes(session, viewer, run), measure_id)


def for_report(session, role: str, basis, period_code: str, codes: list[str]) -> pd.DataFrame:
    """``seen_by`` for a report made for an audience (``role``: ``ICO_SUBMITTER`` for an ICO's scorecard, whose
    recipients are the ICO's, or a reviewer's role): the strata of ``codes`` and, under the rules ``seen_by``
    follows for that role, the statewide strata."""
    from reporting.access import statewide_hidden_in

    run = basis.run(period_code)
    if run is None:
        return pd.DataFrame(columns=COLUMNS)
    shown = list(codes) + ([] if statewide_hidden_in(session, role, run) else [STATEWIDE])
    return _as_seen(session, role, basis, run, shown, None)


def _as_seen(session, viewer, basis, run, codes: list[str], measure_id: str | None) -> pd.DataFrame:
    """The strata of ``codes`` in ``run`` less the statewide ones an ICO user may not have: a measure's withheld
    from ICO users, and those it could subtract its own from (``without_subtractable``)."""
    from reporting.publication.figures import withheld_from

    frame = strata_of(session, [run], icos=codes, measure_id=measure_id)
    withheld = withheld_from(session, viewer, basis)
    if withheld and len(frame):
        keep = [
            not (ico == STATEWIDE and (m, p) in withheld)
            for ico, m, p in zip(frame["ico"], frame["measure_id"], frame["period"])
        ]
        frame = frame[keep].reset_index(drop=True)
    if role_of(viewer) == ICO_SUBMITTER and len(frame):
        frame = without_subtractable(frame, programmes.get(run.programme_id).disclosure_threshold)
        frame = _statewide_as_published(session, frame, run)
    return frame


def _statewide_as_published(session, frame: pd.DataFrame, run) -> pd.DataFrame:
    """An ICO user's statewide strata: only those the public outputs of the run's published edition show
    (``strata_release``). Statewide minus the ICO's own is the other ICOs' sum, and with a third ICO's stratum
    from the public file a second's suppressed one follows; the public plan holds against each ICO's users knowing
    their own strata and everything public, so what the public sees of the statewide strata is safe to show them
    exactly. Nothing statewide before the period is published (a preview's statewide strata wait for it)."""
    from reporting.publication.strata_release import NAMES

    state = frame["ico"] == STATEWIDE
    if not state.any():
        return frame
    hidden = _hidden_as_published(session, run)
    if hidden is None:
        return frame[~state].reset_index(drop=True)
    keep = [
        ico != STATEWIDE or not any((m, p, ico, n, f, s) in hidden for n in NAMES)
        for m, p, ico, f, s in zip(
            frame["measure_id"], frame["period"], frame["ico"], frame["stratifier"], frame["stratum"]
        )
    ]
    return frame[keep].reset_index(drop=True)


# The stratum counts hidden in each run's published outputs, read once per ``one_render``; outside one, per call.
_RENDER: ContextVar[dict | None] = ContextVar("strata_hidden_as_published", default=None)


@contextmanager
def one_render() -> Iterator[None]:
    """Within the block, what the public outputs of a run's published edition hide of its strata is read once
    (``_statewide_as_published``): an edition's reports, where each ICO's scorecard reads the same run. Nothing
    outlives the block, so a later edition's release is read afresh by the next render."""
    token = _RENDER.set({})
    try:
        yield
    finally:
        _RENDER.reset(token)


def _hidden_as_published(session, run) -> set | None:
    """The stratum counts the public outputs of ``run``'s newest published edition hide
    (``strata_release.hidden_strata``); None while it has none published."""
    from reporting.publication.released import RELEASED
    from reporting.publication.strata_release import hidden_strata
    from reporting.storage.models import Edition

    memo = _RENDER.get()
    if memo is not None and run.id in memo:
        return memo[run.id]
    edition = session.scalar(
        select(Edition)
        .where(Edition.run_id == run.id, Edition.status.in_(RELEASED), Edition.published_at.is_not(None))
        .order_by(Edition.published_at.desc())
    )
    hidden = None if edition is None else hidden_strata(session, run.programme_id, run.id, edition.id)
    if memo is not None:
        memo[run.id] = hidden
    return hidden


def without_subtractable(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """An ICO user's view without the statewide strata it could subtract its own from to learn a small count of the
    other ICOs together: where, for a measure and stratifier, any stratum's statewide minus own numerator,
    denominator or their difference is from 1 to ``threshold`` - 1, every statewide stratum of that measure and
    stratifier is left out (all of them, so that the statewide total cannot give the one left out back)."""
    own = frame[frame["ico"] != STATEWIDE]
    state = frame[frame["ico"] == STATEWIDE]
    if state.empty:
        return frame
    keys = ["measure_id", "stratifier", "stratum"]
    mine = own.groupby(keys)[["numerator", "denominator"]].sum()
    others = state.set_index(keys)[["numerator", "denominator"]].sub(mine, fill_value=0).fillna(0)
    others["complement"] = others["denominator"] - others["numerator"]
    small = ((others > 0) & (others < threshold)).any(axis=1)
    bad = {(m, n) for m, n, _ in small[small].index}
    drop = [
        ico == STATEWIDE and (m, n) in bad for ico, m, n in zip(frame["ico"], frame["measure_id"], frame["stratifier"])
    ]
    return frame[[not d for d in drop]].reset_index(drop=True)


def export_rows(frame: pd.DataFrame) -> list[list]:
    """``EXPORT_COLUMNS`` rows of a ``seen_by`` frame (exact values: ``suppressed`` is False)."""
    return [
        [
            r.programme,
            r.period,
            r.ico,
            r.measure_id,
            r.stratifier,
            r.stratum,
            _count(r.numerator),
            _count(r.denominator),
        ]
        + [r.value, r.ci_low, r.ci_high, r.flag, False]
        for r in frame.itertuples()
    ]


def _count(v):
    """A count as an integer (pandas holds a column with blanks as floats: 101.0)."""
    return None if v is None or v != v else int(v)


@dataclass
class ByGroup:
    """The "By group" view of one measure and period: for each stratifier, each stratum's row per column (ICO or
    statewide; None where the column has no such row)."""

    period: str | None
    choices: list[str]
    columns: list[tuple[str, str]]  # (code, name), statewide last
    tables: list[tuple[str, str, list[tuple[str, str, dict]]]]  # (stratifier, title, [(stratum, label, {code: row})])


def by_group(session, viewer, basis, measure_id: str, period_code: str | None, names: dict[str, str]) -> ByGroup:
    """The measure page's "By group" view; ``period_code`` None: the newest quarter on ``basis``."""
    from reporting.errors import NotFound

    choices = basis.choices()
    if period_code is None:
        quarters = [p for p in choices if "Q" in p]
        period_code = (quarters or choices or [None])[0]
    elif period_code not in choices:
        raise NotFound(f"There are no results for {period_code}. Choose one of: {', '.join(choices)}.")
    if period_code is None:
        return ByGroup(None, choices, [], [])
    frame = seen_by(session, viewer, basis, period_code, measure_id=measure_id)
    return grouped(frame, period_code, choices, names, programmes.get(basis.programme_id))


def grouped(frame: pd.DataFrame, period_code: str, choices: list[str], names: dict[str, str], programme) -> ByGroup:
    """The ``ByGroup`` of one measure's strata frame: ``seen_by``'s, or the public one
    (``strata_release.published_strata``, whose suppressed cells say ``suppressed``); groups named as
    ``programme`` names them."""
    present = list(dict.fromkeys(frame["ico"]))
    columns = [(c, names.get(c, c)) for c in present if c != STATEWIDE]
    if STATEWIDE in present:
        columns.append((STATEWIDE, "Statewide"))
    rows = {(r["ico"], r["stratifier"], r["stratum"]): r for r in frame.to_dict("records")}
    tables = []
    for name, strata in STRATIFIERS.items():
        lines = [(s, stratum_label(s, programme), {c: rows.get((c, name, s)) for c, _ in columns}) for s in strata]
        tables.append((name, TITLES[name], lines))
    return ByGroup(period_code, choices, columns, tables)


def equity_for(session, viewer, basis, code: str, period_code: str | None) -> dict | None:
    """The ICO page's equity summary of ``code`` in ``period_code`` (None when there is nothing stored)."""
    if period_code is None or basis.run(period_code) is None:
        return None
    frame = seen_by(session, viewer, basis, period_code)
    if frame.empty or code not in set(frame["ico"]):
        return None
    return equity_summary(frame, code, period_code)


def report_equity(session, role: str, basis, period_code: str, codes: list[str]) -> dict | None:
    """The equity summaries a report prints (``for_report``: what its audience may see): ``icos``, each of
    ``codes``' ``equity_summary``; ``statewide``, the statewide passive-versus-voluntary gaps by measure where the
    audience sees statewide strata (else empty); ``gaps``, every one by (ICO or STATEWIDE, measure id);
    ``measure_ids`` in registry order and ``by_domain``. None when nothing by group is stored for the period."""
    frame = for_report(session, role, basis, period_code, codes)
    present = set(frame["ico"])
    if not present - {STATEWIDE}:
        return None
    icos = {c: equity_summary(frame, c, period_code) for c in codes if c in present}
    state = equity_summary(frame, STATEWIDE, period_code)["passive_gap"] if STATEWIDE in present else []
    statewide = {g["measure_id"]: g for g in state}
    gaps = {(c, g["measure_id"]): g for c, s in icos.items() for g in s["passive_gap"]}
    gaps |= {(STATEWIDE, m): g for m, g in statewide.items()}
    ids = [m for m in REGISTRY if m in {k[1] for k in gaps}]
    by_domain: dict[str, list[str]] = {}
    for m in ids:
        by_domain.setdefault(REGISTRY[m].domain, []).append(m)
    return {
        "period": period_code,
        "icos": icos,
        "statewide": statewide,
        "gaps": gaps,
        "measure_ids": ids,
        "by_domain": by_domain,
    }
