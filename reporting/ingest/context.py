"""The validator's context for a package: what the ICO's in-force packages of other periods say (spans,
stay and response ids, facility admissions), read from the database once per upload."""

from __future__ import annotations

from sqlalchemy.orm import Session

from reporting.ingest.validate import Context, build_context
from reporting.storage import db
from reporting.storage.queries import in_force
from reporting.storage.rows import read_rows


def package_context(org_id: int, period, programme=None) -> Context:
    """The ICO's in-force packages of other periods, as the validator's context; ``programme`` (the ICO's
    ``programmes.Programme``) gives the eligibility."""
    with db.engine.connect() as connection:
        with Session(bind=connection) as session:
            others = [s for s in in_force(session, org_id) if s.period_code != period.code]
        needed = ("members", "inpatient_stays", "survey_responses", "facility_stays")
        frames = read_rows(connection, [s.id for s in others], needed)
    by_sub = {s.id: s.period_code for s in others}
    packages = []
    for sub_id, code in by_sub.items():
        packages.append((code, {name: f[f["submission_id"] == sub_id] for name, f in frames.items()}))
    return build_context(period, packages, programme)
