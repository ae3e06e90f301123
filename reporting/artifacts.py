"""The rendered reports a user may list and download (the rule is ``access.may_download``), and the
editions awaiting approval."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import defer

from reporting.access import may_download, run_states, visible_icos
from reporting.errors import Forbidden, NotFound
from reporting.publication import editions
from reporting.publication.reports import ReportKind
from reporting.storage.models import Artifact, Edition


def _allowed(user, artifact, codes: set[str], states_of) -> bool:
    return may_download(
        user, ReportKind(artifact.kind).per_ico, artifact.ico, codes, lambda: states_of(artifact.run_id)
    )


def visible(session, user) -> list:
    codes = {o.code for o in visible_icos(session, user)}
    rows = session.execute(
        select(Artifact, Edition)
        .outerjoin(Edition, Artifact.edition_id == Edition.id)
        .options(defer(Artifact.content))
        .order_by(Artifact.period_code.desc(), Artifact.kind, Artifact.ico, Artifact.id.desc())
    ).all()
    latest, states_of = {}, cache(lambda run_id: run_states(session, run_id))
    for artifact, edition in rows:
        if not _allowed(user, artifact, codes, states_of):
            continue
        # official editions and ad-hoc renders are listed apart; within each, the newest rendering first
        key = (artifact.period_code, artifact.kind, artifact.ico, edition is None, artifact.preview)
        latest.setdefault(key, []).append((artifact, edition))
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


def previews(session) -> list:
    return editions.awaiting_approval(session)
