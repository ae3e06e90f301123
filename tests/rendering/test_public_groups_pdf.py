"""The public report's compact table of results by group: the groups flagged worse among the published strata
(``strata_release.published_strata``: the public suppression), how many group cells are suppressed, and where the
rest are; only in the public report, read back from the rendered PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.rendering.filters import format_value
from tests.rendering.test_pdf import pdf_text

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


@pytest.fixture
def cycled(example):
    from reporting import pipeline

    with example.app_context():
        assert pipeline.run_cycle("2015Q2", trigger="test").status == "published"
    return example


def test_the_public_report_lists_the_published_groups_flagged_worse(cycled):
    from reporting.interop.published import published
    from reporting.publication.strata_release import published_strata
    from reporting.storage import db
    from reporting.storage.models import Artifact

    with cycled.app_context():
        pub = published(db.session, "2015Q2")
        frame = published_strata(db.session, pub)
        pdfs = {row.kind: row.content for row in db.session.execute(select(Artifact.kind, Artifact.content))}
    public = " ".join(pdf_text(pdfs["public"]).split())
    reviewer = " ".join(pdf_text(pdfs["statewide"]).split())
    assert "Results by group, 2015Q2" in public and "Results by group, 2015Q2" not in reviewer
    assert f"{int(frame['suppressed'].sum())} of {len(frame)} group cells are suppressed" in public
    worse = frame[frame["flag"] == "worse"]
    for r in worse.itertuples():
        m = REGISTRY[r.measure_id]
        assert f"{format_value(m.unit, r.value)}% (worse)" in public, r
        assert f"{r.numerator}/{r.denominator}" in public, r
    if worse.empty:
        assert "No published group is flagged worse" in public
    else:
        assert public.count("(worse)") == len(worse)


def test_the_public_strata_are_recorded_when_rendered_and_read_without_planning(cycled, monkeypatch):
    """A web worker never plans the public strata (a cold plan took over 30 s on the demo, and gunicorn killed the
    worker): the cycle records them with the edition, and the public pages read the record."""
    from reporting.publication import released, strata_release
    from reporting.storage import db
    from reporting.storage.models import Edition

    with cycled.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.period_code == "2015Q2"))
        assert edition.strata_hidden, "recorded when the edition's reports were rendered"
        recorded = {tuple(k) for k in edition.strata_hidden}
        released._CACHE.clear()
        done = released.released(db.session, edition.programme_id)
        assert recorded == strata_release._plan(db.session, edition.programme_id, done, None)[edition.id]
    released._CACHE.clear()

    def refuse(*args, **kwargs):
        raise AssertionError("the public strata were planned in a web request")

    monkeypatch.setattr(strata_release, "_plan", refuse)
    client = cycled.test_client()
    r = client.get("/public/ma-one-care/2015Q2/by-group?measure=fuh_7d")
    assert r.status_code == 200 and "suppressed" in r.get_data(as_text=True)
    assert client.get("/public/ma-one-care/2015Q2.zip").status_code == 200
