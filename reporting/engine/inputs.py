"""The engine's inputs: every in-force accepted package up to a date, with its rows, loaded once, and the
data in view of a period for each ICO that reported in it (with the provenance of its inputs)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from measures import Period
from reporting.engine.view import assemble_view, encode_members
from reporting.storage import db
from reporting.storage.queries import in_force, organizations_by_id
from reporting.storage.rows import read_rows


@dataclass
class InForce:
    """Every in-force accepted package ending on or before a date, with its rows, loaded once.
    Member ids are encoded once per ICO (``encoded``) and shared by every view built from them."""
    submissions: list
    frames: dict         # file -> submission id -> rows
    codes: dict          # organization id -> ICO code
    _encoded: dict = None

    def encoded(self, org_id: int):
        self._encoded = self._encoded or {}
        if org_id not in self._encoded:
            own = [s for s in self.submissions if s.organization_id == org_id]
            packages = [(s.id, {n: parts[s.id] for n, parts in self.frames.items() if s.id in parts}) for s in own]
            encoded, index = encode_members(packages)
            self._encoded[org_id] = (dict(encoded), index)
        return self._encoded[org_id]


def load_in_force(up_to) -> InForce:
    with db.engine.connect() as connection:
        with Session(bind=connection) as session:
            codes = {i: o.code for i, o in organizations_by_id(session).items()}
            subs = [s for s in in_force(session) if Period.parse(s.period_code).end <= up_to]
        frames = read_rows(connection, [s.id for s in subs])
    by_submission = {name: {sid: part.drop(columns=["submission_id"]) for sid, part in f.groupby("submission_id")}
                     for name, f in frames.items()}
    return InForce(subs, by_submission, codes)


def data_in_view(period, loaded: InForce | None = None) -> tuple[dict, dict]:
    """Per ICO with a package in P: its data in view for P, and the provenance of the inputs."""
    loaded = loaded or load_in_force(period.end)
    subs = [s for s in loaded.submissions if Period.parse(s.period_code).end <= period.end]
    quarters = {q.code for q in period.quarters}
    reporting_orgs = sorted({s.organization_id for s in subs if s.period_code in quarters},
                            key=lambda i: loaded.codes[i])
    views, inputs = {}, {}
    for org_id in reporting_orgs:
        own = sorted((s for s in subs if s.organization_id == org_id), key=lambda s: s.period_code)
        encoded, index = loaded.encoded(org_id)
        packages = [(s.period_code, encoded[s.id]) for s in own]
        code = loaded.codes[org_id]
        views[code] = assemble_view(packages, member_ids=index)
        inputs[code] = [{"period": s.period_code, "version": s.version, "sha256": s.sha256, "submission_id": s.id}
                        for s in own]
    return views, inputs
