"""The rendered reports a user may list and download (the rule is ``access.may_download``), and the
editions awaiting approval."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import defer

from reporting.access import may_download, may_publish, may_see_programme, run_states, visible_icos
from reporting.errors import Forbidden, NotFound
from reporting.publication import editions
from reporting.publication.reports import ReportKind
from reporting.storage.models import Artifact, Edition, ResultRun


def _allowed(user, artifact, codes: set[str], states_of) -> bool:
    return may_download(
        user, ReportKind(artifact.kind).per_ico, artifact.ico, codes, lambda: states_of(artifact.run_id)
    )


def visible(session, user, programme=None) -> list:
    """The reports ``user`` may download, of one programme (an id or a ``Programme``) when given: for each report,
    its renderings ``[(artifact, edition, programme_id)]``, the newest first."""
    codes = {o.code for o in visible_icos(session, user)}
    query = (
        select(Artifact, Edition, ResultRun.programme_id)
        .join(ResultRun, Artifact.run_id == ResultRun.id)
        .outerjoin(Edition, Artifact.edition_id == Edition.id)
        .options(defer(Artifact.content))
        .order_by(Artifact.period_code.desc(), Artifact.kind, Artifact.ico, Artifact.id.desc())
    )
    if programme is not None:
        query = query.where(ResultRun.programme_id == getattr(programme, "id", programme))
    latest, states_of = {}, cache(lambda run_id: run_states(session, run_id))
    for artifact, edition, programme_id in session.execute(query).all():
        if not _allowed(user, artifact, codes, states_of) or not may_see_programme(user, programme_id):
            continue
        # official editions and ad-hoc renders are listed apart; within each, the newest rendering first
        key = (programme_id, artifact.period_code, artifact.kind, artifact.ico, edition is None, artifact.preview)
        latest.setdefault(key, []).append((artifact, edition, programme_id))
    return list(latest.values())


def visible_artifact(session, user, artifact_id: int) -> Artifact:
    artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        raise NotFound("There is no such report.")
    if not _allowed(
        user, artifact, {o.code for o in visible_icos(session, user)}, lambda run_id: run_states(session, run_id)
    ):
        raise Forbidden("You may not download this report.")
    return artifact


def previews(session, user, programme=None) -> list:
    """The editions awaiting approval that ``user`` may approve, of one programme when given."""
    pid = getattr(programme, "id", programme)
    return [
        e
        for e in editions.awaiting_approval(session)
        if (pid is None or e.programme_id == pid) and may_publish(session, user, e)
    ]
