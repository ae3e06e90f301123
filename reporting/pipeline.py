"""The one module that knows the order of the stages:

    upload ─► ingest (read, validate, store) ─► engine (compute, store results per run)
           ─► publication (edition) ─► rendering (PDF artifacts) ─► delivery (ledger, e-mail)

Web views, the API, the CLI and the scheduler all call these functions; each stage lives in its own package
(``ingest``, ``engine``, ``publication``, ``delivery``) and this module only calls them in order. A period comes
as the ``Period`` its edge read (``periods.parse``) or as a stored code, read here once."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace

from flask import current_app

import measures
from measures import Period
from reporting import audit, clock, code_version, programmes
from reporting.accounts import organization
from reporting.delivery.dispatch import deliver_due, plan_deliveries
from reporting.engine import compute_periods
from reporting.engine.inputs import in_force_up_to
from reporting.engine.store import current_run, inputs_digest, save_run
from reporting.errors import ReportingError
from reporting.ingest import PackageFile, Report, read_package, trail, validate
from reporting.ingest.context import package_context
from reporting.ingest.readers import Limits, check_file_count, package_sha256
from reporting.ingest.report import summarise
from reporting.ingest.store import store
from reporting.locks import named_lock
from reporting.outcomes import CycleOutcome, RunOutcome, SubmissionOutcome
from reporting.participation import check_may_submit
from reporting.periods import ensure_period, parse, submittable
from reporting.publication import editions
from reporting.publication.render import render_edition, render_report
from reporting.rendering.warm import warm_charts
from reporting.review import preview
from reporting.storage import db
from reporting.storage.models import utcnow

log = logging.getLogger(__name__)
__all__ = ["accept_package", "compute", "compute_many", "run_cycle", "render_edition", "render_report", "deliver_due"]
__all__ += ["approve_edition", "publish_preview", "SubmissionOutcome", "RunOutcome", "CycleOutcome"]


# --- ingest -------------------------------------------------------------------------------------


def accept_package(
    ico: str, period_code: Period | str, files: list[PackageFile], *, uploader=None, via: str = "web", received_at=None
) -> SubmissionOutcome:
    """Read, validate and store one package version. Rejected versions are kept (bytes, report)
    without rows; the earlier accepted version stays in force. ``received_at`` is only for loading
    history (the demo); uploads are stamped with the time they arrive."""
    cfg, period = current_app.config, parse(period_code, quarter_only=True)
    with db.transaction() as session:
        org = organization(session, ico)
        org_id, org_code, programme = org.id, org.code, programmes.get(org.programme_id)
        submittable(period, clock.today(), programme)  # the ICO's programme's quarters
        due = programme.due_date(ensure_period(session, period, programmes.default().due_months_after))
        check_may_submit(org, period)
        in_preview = preview.resubmission_in_preview(session, org, period.code)
    check_file_count(files, cfg["UPLOAD_MAX_FILES"])
    report = Report()
    limits = Limits.from_config(cfg)
    tables = read_package(files, report, limits)
    context = package_context(org_id, period, programme) if not report.has_errors() else None
    validated = validate(tables, context, report) if context is not None else None
    accepted = validated is not None and not report.has_errors()
    summary = summarise(
        report,
        verdict="accepted" if accepted else "rejected",
        period=period.code,
        ico=org_code,
        files=[{"name": f.name, "sha256": f.sha256, "bytes": len(f.content)} for f in files],
        rows={name: len(frame) for name, frame in validated.frames.items()} if validated else None,
    )

    record = trail.on_stored(
        org_id, org_code, period.code, summary, files, uploader, via, in_preview=in_preview, programme_id=programme.id
    )
    stored = store(
        db,
        org_id=org_id,
        period_code=period.code,
        due_date=due,
        files=files,
        sha256=package_sha256(files) if files else "",
        status="accepted" if accepted else "rejected",
        report=summary,
        frames=validated.frames if accepted else None,
        uploader_id=getattr(uploader, "id", None),
        uploader=getattr(uploader, "email", None) or str(uploader or via),
        via=via,
        on_stored=record,
        received_at=received_at,
    )
    trail.logged(org_code, period.code, stored, summary)
    return SubmissionOutcome.of(stored, accepted, replace(summary, version=stored.version).as_json())


# --- engine -------------------------------------------------------------------------------------


def compute(period_code: Period | str, *, trigger: str = "cli", force: bool = True, programme=None) -> RunOutcome:
    """Compute and store the programme's measures for each of its ICOs with a package in the period, and
    statewide (its ICOs pooled). ``programme``: an id or a ``Programme``; None: DEFAULT_PROGRAMME."""
    return compute_many([period_code], trigger=trigger, force=force, programme=programme)[0]


def compute_many(
    period_codes: list[Period | str], *, trigger: str = "cli", force: bool = True, warm: bool = False, programme=None
) -> list[RunOutcome]:
    """``compute`` for several periods of one programme, each ICO's rows read where it is computed. Without
    ``force`` a period whose inputs equal those of its current run is left as it is."""
    periods, programme = [parse(c) for c in period_codes], programmes.get(programme)
    inputs_in_force = in_force_up_to(max(p.end for p in periods), programme_id=programme.id)
    outcomes, todo = [], []
    for period in periods:
        inputs = inputs_in_force.provenance(period)
        if not inputs:
            raise ReportingError(
                f"No ICO of {programme.name} has an accepted package for {period.code}; there is nothing to compute.",
                404,
            )
        if not force:
            with db.transaction() as session:
                run = current_run(session, period.code, programme.id)
                if run is not None and run.inputs_digest == inputs_digest(inputs):
                    outcomes.append(RunOutcome(run.id, period.code, list(inputs), 0, True))
                    continue
        todo.append((period, inputs))
    started = utcnow()
    computations = compute_periods(inputs_in_force, [p for p, _ in todo], programme.measures)
    for (period, inputs), computation in zip(todo, computations):
        with db.transaction() as session:
            run = save_run(
                session,
                computation,
                inputs=inputs,
                trigger=trigger,
                code_version=code_version(),
                spec_version=measures.SPEC_VERSION,
                started_at=started,
                programme_id=programme.id,
            )
            detail = {"run": run.id, "icos": list(inputs), "trigger": trigger, "programme": programme.id}
            audit.record("compute", period.code, detail=detail, actor=trigger, session=session)
            run_id, n = run.id, len(computation.results)
        log.info("computed %s %s: run %d, %d results for %s", programme.id, period.code, run_id, n, ", ".join(inputs))
        outcomes.append(RunOutcome(run_id, period.code, list(inputs), n, False))
    if todo and warm:
        warm_charts(programme)
    return outcomes


# --- the quarterly cycle: compute, publish, render, deliver -------------------------------------


def run_cycle(
    period_code: Period | str,
    *,
    trigger: str = "cli",
    wait_for_retries: float | None = None,
    new_edition: bool = False,
    programme=None,
    finish: bool = True,
) -> CycleOutcome:
    """Compute the period, open its edition (in preview, awaiting approval, or published at once, by
    PUBLISH_MODE), publish a preview whose window has passed with no inquiry open, render the edition's reports
    and deliver each to the people allowed to receive it (a preview's scorecards to its own ICO only). Safe to
    run again and from several processes: nothing is rendered or sent twice. ``new_edition``: a revised edition
    even when the data did not change (after new rules were adopted). One programme's period (``programme``: an
    id or a ``Programme``; None: DEFAULT_PROGRAMME). ``finish=False``: rendering and delivery left to the scheduler."""
    period, programme = parse(period_code), programmes.get(programme)
    with _cycle_lock(period, programme) as got:
        if not got:
            return CycleOutcome(period.code, None, None, "busy", False, 0, 0, 0, 0, {})
        t, timings = time.monotonic(), {}
        compute_many([period.code], trigger=trigger, force=False, warm=True, programme=programme)
        timings["compute"], t = round(time.monotonic() - t, 3), time.monotonic()
        with db.transaction() as session:
            edition, new = preview.edition_for(session, period.code, trigger, new_edition, programme.id)
            # a preview opened by this cycle stays open at least until the next one
            edition = edition if new else preview.settle(session, edition, f"auto ({trigger})")
            edition_id, number, status = edition.id, edition.number, edition.status
        timings["publish"] = round(time.monotonic() - t, 3)
        if status == editions.EditionStatus.AWAITING_APPROVAL or not finish:  # the rest: approval, or the job's
            said = "awaiting approval" if status == editions.EditionStatus.AWAITING_APPROVAL else status
            return CycleOutcome(period.code, edition_id, number, said, new, 0, 0, 0, 0, timings)
        return _render_and_deliver(period.code, edition_id, number, status, new, timings, wait_for_retries)


def publish_preview(
    period_code: Period | str, actor, reason: str = "", programme=None, finish: bool = True
) -> CycleOutcome:
    """Publish a (programme's) period's preview now (with inquiries open, only with a reason): the newest
    computation with the rules in force (computed first, so an accepted resubmission is in it), then render and
    deliver it, once (``finish``; else the scheduler's delivery job does, as for an approval: a web request)."""
    period, programme = parse(period_code), programmes.get(programme)
    with db.transaction() as session:
        preview.publishable(session, period.code, reason, programme.id)  # refused before any work
    with _cycle_lock(period, programme) as got:
        if not got:
            raise ReportingError(f"A cycle of {period.code} is running. Try again in a minute.", 409)
        t, timings = time.monotonic(), {}
        compute_many([period.code], trigger="publish", force=False, warm=True, programme=programme)
        timings["compute"], t = round(time.monotonic() - t, 3), time.monotonic()
        with db.transaction() as session:
            edition = preview.publish_now(session, period.code, actor, reason, programme.id)
            edition_id, number, status = edition.id, edition.number, edition.status
        timings["publish"] = round(time.monotonic() - t, 3)
        if not finish:
            return CycleOutcome(period.code, edition_id, number, status, True, 0, 0, 0, 0, timings)
        return _render_and_deliver(period.code, edition_id, number, status, True, timings, None)


def _cycle_lock(period: Period, programme):
    """One cycle (or publication) of a programme's period at a time, across processes."""
    return named_lock(db, os.path.join(current_app.instance_path, "locks"), f"cycle:{programme.id}:{period.code}")


def _render_and_deliver(
    period: str, edition_id: int, number: int, status: str, new: bool, timings: dict, wait_for_retries: float | None
) -> CycleOutcome:
    """An edition's missing reports rendered, its deliveries planned and sent. (Notices are the scheduler's
    every-minute delivery job's: never sent from a web request.)"""
    cfg = current_app.config
    t = time.monotonic()
    rendered = render_edition(edition_id)
    timings["render"], t = round(time.monotonic() - t, 3), time.monotonic()
    plan_deliveries(edition_id)
    counts = deliver_due(
        edition_id, wait_seconds=cfg["DELIVERY_WAIT_SECONDS"] if wait_for_retries is None else wait_for_retries
    )
    timings["deliver"] = round(time.monotonic() - t, 3)
    novelty = "new" if new else "unchanged"
    log.info("cycle %s: edition %d %s (%s), %d rendered, %s", period, number, novelty, status, rendered, counts)
    return CycleOutcome(
        period, edition_id, number, status, new, rendered, counts["sent"], counts["failed"], counts["pending"], timings
    )


def approve_edition(edition_id: int, actor) -> None:
    """A reviewer approves an edition awaiting approval: it is published; the scheduler renders and delivers it."""
    with db.transaction() as session:
        editions.approve(session, edition_id, actor)
