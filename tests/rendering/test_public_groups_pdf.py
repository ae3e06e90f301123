"""The public report's compact table of results by group: the groups flagged worse among the published strata
(``strata_release.published_strata``: the public suppression), how many group cells are suppressed, and where the
rest are; only in the public report, read back from the rendered PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.rendering.filters import format_value
from tests.rendering.test_pdf import pdf_text


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
