"""The one module that knows the order of the stages:

    upload ─► ingest (read, validate, store) ─► engine (compute, store results per run)
           ─► publication (edition) ─► rendering (PDF artifacts) ─► delivery (ledger, e-mail)

Web views, the API, the CLI and the scheduler all call these functions."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from reporting import audit
from reporting.accounts import organization
from reporting.errors import ReportingError
from reporting.ingest import PackageFile, Report, read_package, validate
from reporting.ingest.readers import Limits, package_sha256
from reporting.ingest.report import summarise
from reporting.ingest.store import store
from reporting.ingest.validate import build_context
from reporting.periods import ensure_period, parse
from reporting.storage import db
from reporting.storage.queries import in_force
from reporting.storage.rows import read_rows

log = logging.getLogger(__name__)


# --- ingest -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmissionOutcome:
    submission_id: int
    version: int
    accepted: bool
    late: bool
    report: dict


def accept_package(ico: str, period_code: str, files: list[PackageFile], *, uploader=None, via: str = "web",
                   received_at=None) -> SubmissionOutcome:
    """Read, validate and store one package version. Rejected versions are kept (bytes, report)
    without rows; the earlier accepted version stays in force. ``received_at`` is only for loading
    history (the demo); uploads are stamped with the time they arrive."""
    cfg = current_app.config
    period = parse(period_code, quarter_only=True)
    with db.transaction() as session:
        org = organization(session, ico)
        org_id, org_code = org.id, org.code
        due = ensure_period(session, period, cfg["DUE_DATE_MONTHS_AFTER"]).due_date
        if not org.enabled:
            raise ReportingError(f"{org.name} is disabled and cannot submit packages. Ask an administrator.", 409)
    report = Report()
    limits = Limits(cfg["ZIP_MAX_UNCOMPRESSED_MB"] * 2**20, cfg["ZIP_MAX_RATIO"], cfg["ZIP_MAX_ENTRIES"])
    tables = read_package(files, report, limits)
    validated = validate(tables, _context(org_id, period), report) if not report.has_errors() else None
    accepted = validated is not None and not report.has_errors()
    file_info = [{"name": f.name, "sha256": f.sha256, "bytes": len(f.content)} for f in files]
    if validated:
        counts = {name: len(frame) for name, frame in validated.frames.items()}
        file_info.append({"rows": counts})
    summary = summarise(report, verdict="accepted" if accepted else "rejected", files=file_info,
                        period=period.code, ico=org_code)

    def record(session, submission):
        audit.record("upload", f"{org_code} {period.code} v{submission.version}",
                     "accepted" if accepted else "rejected", actor=uploader, session=session,
                     detail={"via": via, "sha256": submission.sha256, "errors": summary["errors"],
                             "warnings": summary["warnings"], "files": [f.name for f in files]})

    stored = store(db, org_id=org_id, period_code=period.code, due_date=due, files=files,
                   sha256=package_sha256(files) if files else "", status="accepted" if accepted else "rejected",
                   report=summary, frames=validated.frames if accepted else None,
                   uploader_id=getattr(uploader, "id", None),
                   uploader=getattr(uploader, "email", None) or str(uploader or via), via=via, on_stored=record,
                   received_at=received_at)
    log.info("submission %s %s v%d %s (%d errors, %d warnings)", org_code, period.code, stored.version,
             stored.status, summary["errors"], summary["warnings"])
    return SubmissionOutcome(stored.id, stored.version, accepted, stored.late, dict(summary, version=stored.version))


def _context(org_id: int, period):
    """The ICO's in-force packages of other periods, as the validator's context."""
    with db.engine.connect() as connection:
        from sqlalchemy.orm import Session
        with Session(bind=connection) as session:
            others = [s for s in in_force(session, org_id) if s.period_code != period.code]
        needed = ("members", "inpatient_stays", "survey_responses", "facility_stays")
        frames = read_rows(connection, [s.id for s in others], needed)
    by_sub = {s.id: s.period_code for s in others}
    packages = []
    for sub_id, code in by_sub.items():
        packages.append((code, {name: f[f["submission_id"] == sub_id] for name, f in frames.items()}))
    return build_context(period, packages)


# --- engine -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    period: str
    icos: list[str]
    results: int
    unchanged: bool          # the inputs equal those of the current run: nothing was recomputed


@dataclass(frozen=True)
class InForce:
    """Every in-force accepted package ending on or before a date, with its rows, loaded once."""
    submissions: list
    frames: dict         # file -> submission id -> rows
    codes: dict          # organization id -> ICO code


def load_in_force(up_to) -> InForce:
    from sqlalchemy.orm import Session

    from measures import Period
    from reporting.storage.queries import organizations_by_id
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
    from measures import Period
    from reporting.engine import assemble_view
    loaded = loaded or load_in_force(period.end)
    subs = [s for s in loaded.submissions if Period.parse(s.period_code).end <= period.end]
    quarters = {q.code for q in period.quarters}
    reporting_orgs = sorted({s.organization_id for s in subs if s.period_code in quarters},
                            key=lambda i: loaded.codes[i])
    views, inputs = {}, {}
    for org_id in reporting_orgs:
        own = sorted((s for s in subs if s.organization_id == org_id), key=lambda s: s.period_code)
        packages = [(s.period_code, {n: parts[s.id] for n, parts in loaded.frames.items() if s.id in parts})
                    for s in own]
        code = loaded.codes[org_id]
        views[code] = assemble_view(packages)
        inputs[code] = [{"period": s.period_code, "version": s.version, "sha256": s.sha256, "submission_id": s.id}
                        for s in own]
    return views, inputs


def _compute_one(args):
    from reporting.engine import compute_period
    from reporting.storage.models import utcnow
    period, views = args
    return utcnow(), compute_period(views, period)


def _run_parallel(todo):
    """Compute the periods, on every core when there are several (the measures are pure functions)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor
    jobs = [(period, views) for period, views, _ in todo]
    workers = min(len(jobs), os.cpu_count() or 1, 4)
    if workers < 2:
        return [_compute_one(j) for j in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_compute_one, jobs))


def compute(period_code: str, *, trigger: str = "cli", force: bool = True) -> RunOutcome:
    """Compute and store every measure for every ICO with a package in the period, and statewide."""
    return compute_many([period_code], trigger=trigger, force=force)[0]


def compute_many(period_codes: list[str], *, trigger: str = "cli", force: bool = True) -> list[RunOutcome]:
    """``compute`` for several periods, reading the submitted rows once. Without ``force`` a period
    whose inputs equal those of its current run is left as it is."""
    import measures
    from reporting import code_version
    from reporting.engine.store import current_run, inputs_digest, save_run
    periods = [parse(c) for c in period_codes]
    loaded = load_in_force(max(p.end for p in periods))
    outcomes, todo = [], []
    for period in periods:
        views, inputs = data_in_view(period, loaded)
        if not views:
            raise ReportingError(f"No ICO has an accepted package for {period.code}; there is nothing to compute.", 404)
        if not force:
            with db.transaction() as session:
                run = current_run(session, period.code)
                if run is not None and run.inputs_digest == inputs_digest(inputs):
                    outcomes.append(RunOutcome(run.id, period.code, list(views), 0, True))
                    continue
        todo.append((period, views, inputs))
    for (period, views, inputs), (started, computation) in zip(todo, _run_parallel(todo)):
        with db.transaction() as session:
            run = save_run(session, computation, inputs=inputs, trigger=trigger, code_version=code_version(),
                           spec_version=measures.SPEC_VERSION, started_at=started)
            audit.record("compute", period.code, detail={"run": run.id, "icos": list(views), "trigger": trigger},
                         actor=trigger, session=session)
            run_id = run.id
        log.info("computed %s: run %d, %d results for %s", period.code, run_id, len(computation.results),
                 ", ".join(views))
        outcomes.append(RunOutcome(run_id, period.code, list(views), len(computation.results), False))
    return outcomes
