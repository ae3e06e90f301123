"""The one module that knows the order of the stages:

    upload ─► ingest (read, validate, store) ─► engine (compute, store results per run)
           ─► publication (edition) ─► rendering (PDF artifacts) ─► delivery (ledger, e-mail)

Web views, the API, the CLI and the scheduler all call these functions."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

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
from reporting.periods import ensure_period, parse, submittable
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
    period = submittable(parse(period_code, quarter_only=True), date.today(), cfg["PROGRAM_FIRST_PERIOD"])
    with db.transaction() as session:
        org = organization(session, ico)
        org_id, org_code = org.id, org.code
        due = ensure_period(session, period, cfg["DUE_DATE_MONTHS_AFTER"]).due_date
        if not org.enabled:
            raise ReportingError(f"{org.name} is disabled and cannot submit packages. Ask an administrator.", 409)
    if len(files) > cfg["UPLOAD_MAX_FILES"]:
        raise ReportingError(f"The upload holds {len(files)} files; the limit is {cfg['UPLOAD_MAX_FILES']}. Zip the CSV "
                             f"files into one ZIP, or upload one quarter's seven files.", 422)
    report = Report()
    limits = Limits.from_config(cfg)
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


@dataclass
class InForce:
    """Every in-force accepted package ending on or before a date, with its rows, loaded once.
    Member ids are encoded once per ICO (``encoded``) and shared by every view built from them."""
    submissions: list
    frames: dict         # file -> submission id -> rows
    codes: dict          # organization id -> ICO code
    _encoded: dict = None

    def encoded(self, org_id: int):
        from reporting.engine import encode_members
        self._encoded = self._encoded or {}
        if org_id not in self._encoded:
            own = [s for s in self.submissions if s.organization_id == org_id]
            packages = [(s.id, {n: parts[s.id] for n, parts in self.frames.items() if s.id in parts}) for s in own]
            encoded, index = encode_members(packages)
            self._encoded[org_id] = (dict(encoded), index)
        return self._encoded[org_id]


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
        encoded, index = loaded.encoded(org_id)
        packages = [(s.period_code, encoded[s.id]) for s in own]
        code = loaded.codes[org_id]
        views[code] = assemble_view(packages, member_ids=index)
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


def compute_many(period_codes: list[str], *, trigger: str = "cli", force: bool = True,
                 warm: bool = False) -> list[RunOutcome]:
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
    if todo and warm:
        warm_charts()
    return outcomes


# --- rendering ----------------------------------------------------------------------------------

def render_report(spec, *, run_id: int | None = None, edition=None, session=None) -> int:
    """Render one report to PDF from stored results and store it as an artifact; returns its id."""
    from reporting.rendering.pdf import html_to_pdf
    html, run_id = _report_html(spec, run_id, edition)
    return _store_report(spec, run_id, edition, html_to_pdf(html), session)


def _report_html(spec, run_id, edition) -> tuple[str, int]:
    from reporting.publication import reports, settings
    from reporting.rendering.html import report_html
    with db.transaction() as read:
        context = reports.context_for(read, settings(), spec, run_id, edition)
        return report_html(reports.TEMPLATES[spec.kind], context), context["run"].id


def _store_report(spec, run_id: int, edition, pdf: bytes, session=None) -> int:
    import hashlib
    from contextlib import nullcontext

    from reporting.rendering.pdf import page_count
    from reporting.storage.models import Artifact
    with (db.transaction() if session is None else nullcontext(session)) as s:
        artifact = Artifact(edition_id=getattr(edition, "id", None), run_id=run_id, kind=spec.kind, ico=spec.ico,
                            period_code=spec.period, audience=spec.audience, filename=spec.filename,
                            sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), pages=page_count(pdf),
                            content=pdf)
        s.add(artifact)
        s.flush()
        audit.record("render", spec.filename, detail={"artifact": artifact.id, "run": run_id, "pages": artifact.pages},
                     actor="system", session=s)
        return artifact.id


def _pdfs(htmls: list[str]) -> list[bytes]:
    """HTML to PDF for several reports, on every core when there are several (WeasyPrint is pure Python
    and single-threaded; a report's HTML is all it needs, so the workers touch no database)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    import weasyprint  # noqa: F401 - imported once here, not in every worker

    from reporting.rendering.pdf import html_to_pdf
    workers = min(len(htmls), os.cpu_count() or 1, 4)
    if workers < 2:
        return [html_to_pdf(h) for h in htmls]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(html_to_pdf, htmls))


# --- the quarterly cycle: compute, publish, render, deliver -------------------------------------

@dataclass(frozen=True)
class CycleOutcome:
    period: str
    edition_id: int | None
    edition_number: int | None
    status: str              # published | awaiting approval | busy
    new_edition: bool
    rendered: int
    sent: int
    failed: int
    pending: int
    timings: dict


def run_cycle(period_code: str, *, trigger: str = "cli", wait_for_retries: float | None = None,
              new_edition: bool = False) -> CycleOutcome:
    """Compute the period, publish it (or leave a preview for approval), render every report and
    deliver each to the people allowed to receive it. Safe to run again and from several processes:
    nothing is rendered or sent twice. ``new_edition``: a revised edition even when the data did not change
    (after new rules were adopted)."""
    import os
    import time

    from reporting.engine.store import current_run
    from reporting.locks import named_lock
    from reporting.publication import editions
    from reporting.storage.models import ResultRun
    cfg = current_app.config
    period = parse(period_code)
    timings = {}
    with named_lock(db, os.path.join(current_app.instance_path, "locks"), f"cycle:{period.code}") as got:
        if not got:
            return CycleOutcome(period.code, None, None, "busy", False, 0, 0, 0, 0, {})
        t = time.monotonic()
        compute_many([period.code], trigger=trigger, force=False, warm=True)
        timings["compute"] = round(time.monotonic() - t, 3)
        with db.transaction() as session:
            latest = editions.latest(session, period.code)
            current = current_run(session, period.code)
            same = latest is not None and latest.status != "withdrawn" and not new_edition and \
                session.get(ResultRun, latest.run_id).inputs_digest == current.inputs_digest
            if same:
                edition, new = latest, False
            else:
                edition = editions.create(session, period.code, current.id, publish=cfg["PUBLISH_MODE"] == "auto",
                                          actor=f"auto ({trigger})")
                new = True
                audit.record("publish" if edition.status == "published" else "preview", period.code,
                             detail={"edition": edition.number, "run": current.id, "revised": edition.revised},
                             actor=trigger, session=session)
            edition_id, number, status = edition.id, edition.number, edition.status
        if status != "published":
            return CycleOutcome(period.code, edition_id, number, "awaiting approval" if status == "preview" else status,
                                new, 0, 0, 0, 0, timings)
        t = time.monotonic()
        rendered = render_edition(edition_id)
        timings["render"] = round(time.monotonic() - t, 3)
        t = time.monotonic()
        plan_deliveries(edition_id)
        counts = deliver_due(edition_id, wait_seconds=cfg["DELIVERY_WAIT_SECONDS"] if wait_for_retries is None
                             else wait_for_retries)
        timings["deliver"] = round(time.monotonic() - t, 3)
    log.info("cycle %s: edition %d %s, %d rendered, %s", period.code, number, "new" if new else "unchanged",
             rendered, counts)
    return CycleOutcome(period.code, edition_id, number, "published", new, rendered, counts["sent"],
                        counts["failed"], counts["pending"], timings)


def expected_reports(session, edition) -> list:
    """The reports an edition has: per ICO a scorecard (quarters) or withhold report (years in the
    withhold configuration), and the statewide and public reports."""
    from reporting.publication import settings
    from reporting.publication.reports import ReportSpec
    from reporting.storage.models import ResultRun
    run = session.get(ResultRun, edition.run_id)
    icos = sorted((run.inputs or {}).keys())
    period = parse(edition.period_code)
    specs = []
    if period.is_quarter:
        specs += [ReportSpec("scorecard", period.code, code) for code in icos]
    elif int(period.code) in settings().withhold:
        specs += [ReportSpec("withhold", period.code, code) for code in icos]
    return specs + [ReportSpec("statewide", period.code), ReportSpec("public", period.code)]


def render_edition(edition_id: int) -> int:
    """Render the edition's missing reports (each kind and ICO once); returns how many were rendered."""
    from reporting.storage.models import Artifact, Edition, utcnow
    with db.transaction() as session:
        edition = session.get(Edition, edition_id)
        have = {(a.kind, a.ico) for a in session.scalars(select(Artifact).where(Artifact.edition_id == edition_id))}
        todo = [s for s in expected_reports(session, edition) if (s.kind, s.ico) not in have]
        run_id = edition.run_id
        frozen = _frozen(edition)
    import time
    t = time.perf_counter()
    htmls = [_report_html(spec, run_id, frozen)[0] for spec in todo]
    t_html = time.perf_counter()
    pdfs = _pdfs(htmls)
    t_pdf = time.perf_counter()
    for spec, pdf in zip(todo, pdfs):
        _store_report(spec, run_id, frozen, pdf)
    log.info("edition %d: %d reports, HTML %.2f s, PDF %.2f s, stored %.2f s", edition_id, len(todo), t_html - t,
             t_pdf - t_html, time.perf_counter() - t_pdf)
    with db.transaction() as session:
        session.get(Edition, edition_id).rendered_at = utcnow()
    return len(todo)


@dataclass(frozen=True)
class _FrozenEdition:
    id: int
    number: int
    revised: bool
    published_at: object
    period_code: str
    rule_versions: dict


def _frozen(edition) -> _FrozenEdition:
    return _FrozenEdition(edition.id, edition.number, edition.revised, edition.published_at, edition.period_code,
                          dict(edition.rule_versions or {}))


def recipients_for(session, artifact, states: set[str]) -> list[tuple[str, str]]:
    """Who may receive this report: an ICO's report recipients get that ICO's scorecard and withhold
    report only; every active CMS reviewer, and each state reviewer of the ICOs' state, the statewide report."""
    from reporting.storage.models import Organization, User
    if artifact.kind in ("scorecard", "withhold"):
        org = session.scalar(select(Organization).where(Organization.code == artifact.ico))
        if org is None or not org.enabled:
            return []
        return [(r.email, f"report recipient of {org.code}") for r in org.recipients]
    if artifact.kind == "statewide":
        users = session.scalars(select(User).where(User.active, User.role.in_(["cms_reviewer", "state_reviewer"])))
        return [(u.email, u.role if u.role == "cms_reviewer" else f"state_reviewer {u.state}") for u in users
                if u.role == "cms_reviewer" or u.state in states]
    return []


def plan_deliveries(edition_id: int) -> int:
    from reporting.delivery import ledger
    from reporting.artifacts import run_states
    from reporting.storage.models import Artifact, Edition
    with db.transaction() as session:
        edition = session.get(Edition, edition_id)
        states = run_states(session, edition.run_id)
        added = 0
        for artifact in session.scalars(select(Artifact).where(Artifact.edition_id == edition_id)):
            added += ledger.plan(session, edition_id, artifact.id, recipients_for(session, artifact, states))
    return added


def deliver_due(edition_id: int | None = None, wait_seconds: float = 0) -> dict:
    """Send every due delivery (of one edition, or all); wait up to ``wait_seconds`` for retries."""
    import time

    from reporting.delivery import ledger
    from reporting.storage.models import Delivery, utcnow
    deadline = time.monotonic() + wait_seconds
    while True:
        with db.transaction() as session:
            ids = ledger.due(session, edition_id)
        for delivery_id in ids:
            _deliver_one(delivery_id)
        with db.transaction() as session:
            query = select(Delivery.status).where(Delivery.edition_id == edition_id) if edition_id else \
                select(Delivery.status)
            statuses = list(session.scalars(query))
            next_at = ledger.next_due_at(session, edition_id)
        pending = statuses.count("pending")
        if not pending or next_at is None or time.monotonic() >= deadline:
            break
        time.sleep(max(0.05, min((next_at - utcnow()).total_seconds(), deadline - time.monotonic())))
    counts = {s: statuses.count(s) for s in ("sent", "failed", "pending", "uncertain")}
    return counts


def _deliver_one(delivery_id: int) -> None:
    from reporting.delivery import ledger
    from reporting.delivery.messages import Letter, build
    from reporting.delivery.providers import provider_from_config
    from reporting.errors import DeliveryError
    from reporting.storage.models import Delivery, Edition, Organization
    cfg = current_app.config
    with db.transaction() as session:
        if not ledger.claim(session, delivery_id):
            return
    try:
        with db.transaction() as session:
            row = session.get(Delivery, delivery_id)
            artifact, edition = row.artifact, session.get(Edition, row.edition_id)
            org = session.scalar(select(Organization).where(Organization.code == artifact.ico)) if artifact.ico else None
            link = cfg["BASE_URL"].rstrip("/") + (f"/icos/{org.code}" if org else "/overview")
            letter = Letter(row.recipient, artifact.kind, artifact.period_code, org.name if org else None,
                            edition.number, edition.revised, artifact.filename, artifact.content, row.id, link)
            message = build(letter, cfg["MAIL_FROM"], cfg.get("MAIL_REPLY_TO"))
    except Exception as e:      # a message that cannot be built fails its own delivery, never the whole job
        log.exception("delivery %d: the message could not be built", delivery_id)
        with db.transaction() as session:
            ledger.mark_failure(session, delivery_id, f"The message could not be built ({type(e).__name__}: "
                                f"{str(e)[:300]}). Correct the ICO's name or the recipient, then send it again.",
                                True, cfg["DELIVERY_MAX_ATTEMPTS"], cfg["DELIVERY_RETRY_SECONDS"])
        return
    def before_data():
        with db.transaction() as s:
            ledger.mark_stage(s, delivery_id, "data")
    try:
        provider_from_config(cfg).send(message, f"{delivery_id:06d}-{artifact.kind}-{artifact.period_code}",
                                       before_data=before_data)
    except DeliveryError as e:
        with db.transaction() as session:
            status = ledger.mark_failure(session, delivery_id, e.message, e.permanent, cfg["DELIVERY_MAX_ATTEMPTS"],
                                         cfg["DELIVERY_RETRY_SECONDS"])
            if status == "failed":
                audit.record("send", f"{artifact.filename}", "failure", actor="system", session=session,
                             detail={"delivery": delivery_id, "error": e.message[:200]})
        log.warning("delivery %d: %s (%s)", delivery_id, e.message, status)
        return
    with db.transaction() as session:
        ledger.mark_sent(session, delivery_id, message["Message-ID"])
        audit.record("send", artifact.filename, "success", actor="system", session=session,
                     detail={"delivery": delivery_id, "recipient_domain": row.recipient.rsplit("@", 1)[-1]})


def approve_edition(edition_id: int, actor) -> None:
    """A reviewer approves a preview: it is published; the scheduler renders and delivers it."""
    from reporting.publication import editions
    from reporting.storage.models import Edition
    with db.transaction() as session:
        edition = session.get(Edition, edition_id)
        if edition is None or edition.status != "preview":
            raise ReportingError("Only an edition in preview can be approved.", 409)
        editions.mark_published(session, edition, getattr(actor, "email", str(actor)))
        audit.record("publish", edition.period_code, detail={"edition": edition.number, "approved": True},
                     actor=actor, session=session)


def warm_charts() -> int:
    """Draw the dashboards' charts (reviewer views) into the shared cache, so that no viewer waits for them."""
    from measures import REGISTRY
    from reporting import dashboards
    from reporting.publication import settings
    from reporting.rendering.views import trend_chart_for
    from reporting.storage.models import Organization
    drawn = 0
    with db.transaction() as session:
        orgs = {o.code: o.name for o in session.scalars(select(Organization))}
        codes = sorted(orgs)
        for code in codes:
            for t in dashboards.trends(session, settings(), [code], list(REGISTRY)):
                trend_chart_for(t, [code], {code: orgs[code]})
                drawn += 1
        for t in dashboards.trends(session, settings(), codes, list(REGISTRY)):
            present = [c for c in codes if any(v is not None for v in t.series.get(c, []))]
            trend_chart_for(t, present, orgs)
            drawn += 1
    return drawn
