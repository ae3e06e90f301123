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

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import select

from measures import REGISTRY
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
]


def strata_of(
    session, runs, *, icos: Iterable[str] | None = None, measure_id: str | None = None, stratifier: str | None = None
) -> pd.DataFrame:
    """The stored strata of ``runs`` (ResultRun objects, run ids, a ``figures.Basis`` or a period -> run dict),
    optionally only of some ICOs (STATEWIDE is named like an ICO), one measure or one stratifier."""
    ids = _run_ids(runs)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    query = select(ResultStratum).where(ResultStratum.run_id.in_(ids))
    if icos is not None:
        query = query.where(ResultStratum.ico.in_(list(icos)))
    if measure_id is not None:
        query = query.where(ResultStratum.measure_id == measure_id)
    if stratifier is not None:
        query = query.where(ResultStratum.stratifier == stratifier)
    rows = session.scalars(query).all()
    frame = pd.DataFrame(
        [
            {
                "period": r.period_code,
                "ico": r.ico,
                "measure_id": r.measure_id,
                "stratifier": r.stratifier,
                "stratum": r.stratum,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "value": r.value,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "flag": r.flag,
                "status": r.status,
                "p_value": r.p_value,
                "difference": r.difference,
                "run_id": r.run_id,
            }
            for r in rows
        ],
        columns=COLUMNS,
    )
    if frame.empty:
        return frame
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
    frame = frame.astype({"numerator": "object", "value": "object", "ci_low": "object", "ci_high": "object"})
    return frame.where(frame.notna(), None)


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
    gaps = []
    for measure_id in [m for m in REGISTRY if m in set(method["measure_id"])]:
        rows = method[method["measure_id"] == measure_id].set_index("stratum")
        passive = rows.at["passive", "value"] if "passive" in rows.index else None
        voluntary = rows.at["voluntary", "value"] if "voluntary" in rows.index else None
        gap = passive - voluntary if passive is not None and voluntary is not None else None
        flag = rows.at["passive", "flag"] if "passive" in rows.index else None
        gaps.append(
            {"measure_id": measure_id, "passive": passive, "voluntary": voluntary, "gap": gap, "passive_flag": flag}
        )
    return {"worse": {n: worse[n] for n in STRATIFIERS if n in worse}, "passive_gap": gaps}
