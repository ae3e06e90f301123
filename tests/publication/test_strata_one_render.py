"""An ICO user's statewide strata are those the public outputs of the run's published edition show
(``strata._statewide_as_published``). An edition's render reads what those outputs hide once for all its reports
(``strata.one_render``: each ICO's scorecard reads the same run), with the same strata as a read per report; the
next render reads again, so nothing outlives a render."""

import pandas as pd
import pytest
from sqlalchemy import event, select

from reporting.engine import STATEWIDE
from reporting.publication import strata
from reporting.storage import db
from reporting.storage.models import Edition, ResultRun

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


class _Statements:
    """The SQL statements the app's engine runs while counting."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _count(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def _published_run(session) -> ResultRun:
    run_id = session.scalar(
        select(Edition.run_id).where(Edition.published_at.is_not(None), Edition.period_code == "2015Q3")
    )
    assert run_id is not None, "the 2015Q3 cycle published an edition"
    return session.get(ResultRun, run_id)


def test_a_render_reads_the_released_strata_once_and_shows_the_same(cycled):
    with cycled.app_context():
        session = db.session
        run = _published_run(session)
        frame = strata.strata_of(session, [run])
        assert (frame["ico"] == STATEWIDE).any(), "the worked example stores statewide strata"
        per_report = strata._statewide_as_published(session, frame, run)
        with _Statements(db.engine) as sql:
            with strata.one_render():
                first = strata._statewide_as_published(session, frame, run)
                read = len(sql.seen)
                second = strata._statewide_as_published(session, frame, run)
                again = len(sql.seen) - read
            with strata.one_render():  # the next render: read afresh
                strata._statewide_as_published(session, frame, run)
                next_render = len(sql.seen) - read - again
        assert read > 0 and again == 0 and next_render == read
        pd.testing.assert_frame_equal(first, per_report)
        pd.testing.assert_frame_equal(second, per_report)


def test_each_run_keeps_its_own_release_within_a_render(cycled):
    """A run without a published edition shows no statewide strata, even after a published one's were read."""
    with cycled.app_context():
        session = db.session
        run = _published_run(session)
        unpublished = session.scalar(
            select(ResultRun).where(
                ResultRun.programme_id == run.programme_id,
                ResultRun.id.not_in(select(Edition.run_id)),
            )
        )
        assert unpublished is not None, "the quarters before 2015Q3 are in no edition"
        frames = {r.id: strata.strata_of(session, [r]) for r in (run, unpublished)}
        alone = {r.id: strata._statewide_as_published(session, frames[r.id], r) for r in (run, unpublished)}
        with strata.one_render():
            together = {r.id: strata._statewide_as_published(session, frames[r.id], r) for r in (run, unpublished)}
        assert (alone[run.id]["ico"] == STATEWIDE).any()
        assert not (alone[unpublished.id]["ico"] == STATEWIDE).any()
        for run_id, frame in alone.items():
            pd.testing.assert_frame_equal(together[run_id], frame)
