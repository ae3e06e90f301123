"""Who may download which rendered report: an ICO user their ICO's scorecards and withhold reports;
reviewers and admins everything (a state reviewer: their state's ICOs and the statewide reports)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer

from reporting.errors import Forbidden, NotFound
from reporting.security import visible_icos
from reporting.storage.models import Artifact, Edition


def _allowed(user, artifact, codes: set[str]) -> bool:
    if artifact.kind in ("scorecard", "withhold"):
        return artifact.ico in codes
    return user.role in ("admin", "cms_reviewer", "state_reviewer")


def visible(session, user) -> list:
    codes = {o.code for o in visible_icos(session, user)}
    rows = session.execute(select(Artifact, Edition).outerjoin(Edition, Artifact.edition_id == Edition.id)
                           .options(defer(Artifact.content))
                           .order_by(Artifact.period_code.desc(), Artifact.kind, Artifact.ico, Artifact.id.desc())).all()
    latest = {}
    for artifact, edition in rows:
        if not _allowed(user, artifact, codes):
            continue
        key = (artifact.period_code, artifact.kind, artifact.ico)
        latest.setdefault(key, []).append((artifact, edition))
    return [versions for versions in latest.values()]


def visible_artifact(session, user, artifact_id: int) -> Artifact:
    artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        raise NotFound("There is no such report.")
    if not _allowed(user, artifact, {o.code for o in visible_icos(session, user)}):
        raise Forbidden("You may not download this report.")
    return artifact


def previews(session) -> list:
    return list(session.scalars(select(Edition).where(Edition.status == "preview")))
