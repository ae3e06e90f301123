"""The edition's life (issue 24): every transition of ``EditionStatus``, allowed and refused, through the functions
of ``publication.editions`` on a real database, and the refusals as a reviewer meets them on the pages."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from reporting.engine.store import current_run
from reporting.errors import ReportingError
from reporting.publication import editions
from reporting.publication.editions import TRANSITIONS, EditionStatus, TransitionRefused
from reporting.storage import db
from reporting.storage.models import Edition, utcnow
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

S = EditionStatus
ALLOWED = {
    (S.PREVIEW, S.PUBLISHED),
    (S.PREVIEW, S.WITHDRAWN),
    (S.AWAITING_APPROVAL, S.PUBLISHED),
    (S.AWAITING_APPROVAL, S.WITHDRAWN),
    (S.PUBLISHED, S.SUPERSEDED),
}


def test_the_transition_table_is_the_documented_one():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(S)


def test_predicates():
    assert [s for s in S if s.is_public] == [S.PUBLISHED]
    assert [s for s in S if s.is_preview] == [S.PREVIEW]
    assert {s for s in S if s.was_published} == {S.PUBLISHED, S.SUPERSEDED}
    assert {s for s in S if s.is_pending} == {S.PREVIEW, S.AWAITING_APPROVAL}
    assert {s for s in S if s.is_final} == {S.SUPERSEDED, S.WITHDRAWN}
    assert {s for s in S if s.visible_to_icos} == {S.PREVIEW, S.PUBLISHED}


def _edition_in(session, status: S) -> Edition:
    """An edition of 2015Q2 brought to ``status`` by the module's own transitions."""
    run_id = current_run(session, "2015Q2").id
    if status is S.PREVIEW:
        return editions.open_preview(session, "2015Q2", run_id, utcnow(), "test")
    if status is S.AWAITING_APPROVAL:
        return editions.hold(session, "2015Q2", run_id, "test")
    if status is S.PUBLISHED:
        return editions.create(session, "2015Q2", run_id, publish=True, actor="test")
    first = _edition_in(session, S.PUBLISHED if status is S.SUPERSEDED else S.PREVIEW)
    _edition_in(session, S.PUBLISHED if status is S.SUPERSEDED else S.AWAITING_APPROVAL)
    return first


MOVES = {
    S.PUBLISHED: lambda s, e: editions.mark_published(s, e, "test"),
    S.SUPERSEDED: editions.supersede,
    S.WITHDRAWN: editions.withdraw,
}


@pytest.mark.parametrize("now,to", [(a, b) for a, b in itertools.product(S, S) if b in MOVES])
def test_every_transition_allowed_or_refused(example, now, to):
    with example.app_context():
        with db.transaction() as session:
            edition = _edition_in(session, now)
            assert edition.status == now
            if (now, to) in ALLOWED:
                MOVES[to](session, edition)
                assert edition.status == to
            else:
                with pytest.raises(TransitionRefused) as refused:
                    MOVES[to](session, edition)
                assert edition.status == now and refused.value.status == 409
                assert f"is {now.replace('_', ' ')}" in refused.value.message


def test_no_status_becomes_preview_or_awaiting_approval_again():
    """A preview or an edition awaiting approval is only ever created, never returned to."""
    assert not any(b in (S.PREVIEW, S.AWAITING_APPROVAL) for targets in TRANSITIONS.values() for b in targets)


def test_create_withdraws_the_pending_and_publish_supersedes_the_published(example, dbs):
    with example.app_context():
        with db.transaction() as session:
            run_id = current_run(session, "2015Q2").id
            first = editions.create(session, "2015Q2", run_id, publish=True, actor="test")
            assert editions.published_of(session, "2015Q2") is first and first.rendered_at is None
            editions.rendered(session, first.id)
            second = editions.open_preview(session, "2015Q2", run_id, utcnow(), "test")
            third = editions.hold(session, "2015Q2", run_id, "test")
            assert (second.status, third.status, third.revised) == (S.WITHDRAWN, S.AWAITING_APPROVAL, True)
            assert editions.pending_of(session, "2015Q2") is third and editions.preview_of(session, "2015Q2") is None
            assert editions.awaiting_approval(session) == [third] and editions.unfinished(session) == []
            editions.approve(session, third.id, "cms@example.org")
            assert (first.status, third.status) == (S.SUPERSEDED, S.PUBLISHED)
            assert editions.latest_published(session, "2015Q2") is third and editions.unfinished(session) == ["2015Q2"]
            with pytest.raises(ReportingError):
                editions.approve(session, third.id, "cms@example.org")
    statuses = [e.status for e in dbs.scalars(select(Edition).order_by(Edition.number))]
    assert statuses == ["superseded", "withdrawn", "published"]


def test_refusals_as_a_reviewer_meets_them(example):
    """Approving an edition that is not awaiting approval, publishing a period with no preview: a clear message,
    no change."""
    example.config["PUBLISH_MODE"] = "auto"
    assert example.test_cli_runner().invoke(args=["cycle", "--period", "2015Q2"]).exit_code == 0
    with example.app_context():
        edition_id = editions.published_of(db.session, "2015Q2").id
        db.session.remove()
    cms = example.test_client()
    login(cms, "cms@example.org")
    r = cms.post(
        f"/admin/editions/{edition_id}/approve", data={"csrf_token": csrf_token(cms, "/account")}, follow_redirects=True
    )
    assert "Only an edition awaiting approval can be approved." in r.get_data(as_text=True)
    r = cms.post(
        "/inquiries/publish/2015Q2",
        data={"csrf_token": csrf_token(cms, "/account"), "reason": "now"},
        follow_redirects=True,
    )
    assert "2015Q2 has no edition in preview: there is nothing to publish." in r.get_data(as_text=True)
    with example.app_context():
        assert [e.status for e in db.session.scalars(select(Edition))] == ["published"]
        db.session.remove()


def test_a_reviewer_of_another_state_cannot_approve_an_edition(example, dbs):
    """An RI state reviewer posting the approval of MA's edition was answered 302 and published it (attack on
    the merged service); only CMS and the state's own reviewers may."""
    from reporting import pipeline
    from reporting.storage.models import Edition
    from tests.conftest import login

    example.config.update({"PUBLISH_MODE": "approval"})
    with example.app_context():
        outcome = pipeline.run_cycle("2015Q2", trigger="test")
    assert outcome.status == "awaiting approval"

    def approve(email):
        client = example.test_client()
        login(client, email)
        return client.post(
            f"/admin/editions/{outcome.edition_id}/approve", data={"csrf_token": csrf_token(client, "/account")}
        )

    refused = approve("ri@example.org")
    assert refused.status_code == 403 and "another state" in refused.get_data(as_text=True)
    assert dbs.get(Edition, outcome.edition_id).status == "awaiting_approval"
    assert approve("state@example.org").status_code == 302
    dbs.expire_all()
    assert dbs.get(Edition, outcome.edition_id).status == "published"
