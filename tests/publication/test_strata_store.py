import pytest

"""Results by group stored with their run (``result_strata``, written in the run's transaction) and read back by
``publication.strata.strata_of``: the worked example through the CLI, on both backends."""

from sqlalchemy import select

from measures import REGISTRY
from reporting.engine.strata import STRATIFIERS
from reporting.publication.strata import COLUMNS, equity_summary, strata_of
from reporting.storage import db
from reporting.storage.models import Result, ResultRun, ResultStratum
from tests.conftest import EXAMPLES
from tests.engine.test_worked_example import submit_all


@pytest.mark.parametrize(
    "database_url", ["postgresql"], indirect=True
)  # storage as production keeps it; one backend keeps the suite short
def test_strata_are_stored_with_their_run_and_read_back(app):
    runner = app.test_cli_runner()
    submit_all(runner, EXAMPLES / "packages", ["HA", "HB"])
    for _ in range(2):  # a recomputation adds a run with its own strata; the earlier run keeps its own
        assert runner.invoke(args=["compute", "--period", "2015Q3"]).exit_code == 0
    with db.transaction() as s:
        runs = s.scalars(select(ResultRun).where(ResultRun.period_code == "2015Q3").order_by(ResultRun.id)).all()
        frame = strata_of(s, [runs[-1]])
        older = strata_of(s, [runs[0].id])
        totals = {(r.measure_id, r.ico): r for r in s.scalars(select(Result).where(Result.run_id == runs[-1].id))}
        per_run = {r.id: s.scalar(select(ResultStratum.id).where(ResultStratum.run_id == r.id).limit(1)) for r in runs}
    assert all(per_run.values())
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(older) == len(REGISTRY) * 3 * sum(len(v) for v in STRATIFIERS.values())
    assert set(frame["period"]) == {"2015Q3"} and list(frame["ico"].unique()) == ["HA", "HB", "STATEWIDE"]
    assert frame.drop(columns="run_id").equals(older.drop(columns="run_id"))
    for (measure_id, ico, stratifier), group in frame.groupby(["measure_id", "ico", "stratifier"]):
        total = totals[(measure_id, ico)]
        assert list(group["stratum"]) == list(STRATIFIERS[stratifier])
        assert group["denominator"].sum() == total.denominator
        if total.numerator is not None:
            assert group["numerator"].sum() == total.numerator
    # the worked example has no race, ethnicity or language: everyone is unknown there
    race = frame[(frame["stratifier"] == "race") & (frame["denominator"] > 0)]
    assert set(race["stratum"]) == {"unknown"}
    # one measure, some ICOs
    with db.transaction() as s:
        one = strata_of(s, [runs[-1]], icos=["HA"], measure_id="fuh_7d", stratifier="sex")
    assert list(one["stratum"]) == list(STRATIFIERS["sex"]) and set(one["ico"]) == {"HA"}
    summary = equity_summary(frame, "HA", "2015Q3")
    assert [g["measure_id"] for g in summary["passive_gap"]] == list(REGISTRY)
    for g in summary["passive_gap"]:
        rows = frame[
            (frame.ico == "HA") & (frame.measure_id == g["measure_id"]) & (frame.stratifier == "enrollment_method")
        ]
        values = dict(zip(rows["stratum"], rows["value"]))
        if values["passive"] is not None and values["voluntary"] is not None:
            assert g["gap"] == values["passive"] - values["voluntary"]
