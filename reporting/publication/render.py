"""The reports of an edition: which it has (``audience.expected_reports``), their HTML from the same templates
as the dashboards, printed to PDF on every core, and stored as artifacts. Re-rendering renders only what is
missing."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, replace

from sqlalchemy import select

from reporting import audit
from reporting.publication import editions, figures, headlines, reports, settings, strata, strata_release
from reporting.publication.audience import expected_reports
from reporting.publication.editions import EditionStatus
from reporting.rendering.html import report_html
from reporting.rendering.pdf import Printed, prepare, printed
from reporting.rules.store import as_recorded
from reporting.storage import db
from reporting.storage.models import DEFAULT_PROGRAMME, Artifact, Edition
from reporting.workers import in_processes

log = logging.getLogger(__name__)


def render_report(spec, programme=None) -> int:
    """Render one report to PDF from the newest computation (a reviewer's draft, outside any edition) and store
    it as an artifact; returns its id. An ICO's report is its programme's; another is ``programme``'s (an id or a
    ``Programme``; None: DEFAULT_PROGRAMME)."""
    from reporting import programmes
    from reporting.access import ico_by_code

    if spec.ico:
        with db.transaction() as session:
            org = ico_by_code(session, spec.ico)
            programme = org.programme_id if org is not None else programme
    pid = programmes.get(programme).id
    spec = replace(spec, programme=pid)
    made = _report_html(spec, None, settings(pid), pid)
    return _store_report(spec, made, None, printed(made.html))


@dataclass(frozen=True)
class _Made:
    """A report's HTML, the run it reads and the headlines its e-mail states, all from one context."""

    html: str
    run_id: int
    headlines: list


def _report_html(spec, edition, pub, programme_id: str = DEFAULT_PROGRAMME) -> _Made:
    """The report's HTML: an edition's on the editions in force when it was made, else on the (programme's) newest
    computation; with it the headline figures of its e-mail, from the same rules and runs."""
    with db.transaction() as read:
        basis = figures.as_published(read, edition) if edition is not None else figures.live(read, programme_id)
        context = reports.context_for(read, pub, spec, basis, edition)
        return _Made(
            report_html(reports.REPORT_KINDS[spec.kind].template, context),
            context["run"].id,
            headlines.to_json(headlines.for_report(read, pub, spec, basis)),
        )


def _store_report(spec, made: _Made, edition, out: Printed) -> int:
    run_id, pdf = made.run_id, out.pdf
    preview = edition is not None and EditionStatus(edition.status).is_preview
    filename = spec.filename_of(preview)
    with db.transaction() as s:
        artifact = Artifact(
            edition_id=getattr(edition, "id", None),
            run_id=run_id,
            kind=spec.kind,
            ico=spec.ico,
            period_code=spec.period,
            audience=spec.audience,
            filename=filename,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            pages=out.pages,
            content=pdf,
            preview=preview,
            headlines=made.headlines,
        )
        s.add(artifact)
        s.flush()
        audit.record(
            "render",
            filename,
            detail={"artifact": artifact.id, "run": run_id, "pages": artifact.pages},
            actor="system",
            session=s,
        )
        return artifact.id


def _pdfs(htmls: list[str]) -> list[Printed]:
    """HTML to PDF for several reports, on every core (WeasyPrint is pure Python and single-threaded; a report's
    HTML is all a worker needs)."""
    prepare()  # stylesheet and fonts once, inherited by every worker
    # The longest first (the statewide and public reports take several scorecards' time): a long report started
    # last would leave the other cores idle while it prints alone.
    order = sorted(range(len(htmls)), key=lambda i: -len(htmls[i]))
    done = dict(zip(order, in_processes(printed, [htmls[i] for i in order])))
    return [done[i] for i in range(len(htmls))]


def render_edition(edition_id: int) -> int:
    """Render the edition's missing reports (each kind and ICO once; a preview's marked "Preview: not for
    distribution", and the published reports again once it is published); returns how many were rendered."""
    with db.transaction() as session:
        edition = session.get(Edition, edition_id)
        preview = editions.status_of(edition).is_preview
        have = {
            (a.kind, a.ico)
            for a in session.scalars(
                select(Artifact).where(Artifact.edition_id == edition_id, Artifact.preview == preview)
            )
        }
        todo = [s for s in expected_reports(session, edition) if (s.kind, s.ico) not in have]
        frozen = _frozen(edition)
        pub = as_recorded(session, edition.rule_versions, edition.programme_id)  # the rules it was made with
        programme_id = edition.programme_id
    t = time.perf_counter()
    with strata.one_render():  # each ICO's scorecard reads the same run's released strata
        made = [_report_html(spec, frozen, pub) for spec in todo]
    t_html = time.perf_counter()
    pdfs = _pdfs([m.html for m in made])
    t_pdf = time.perf_counter()
    for spec, m, pdf in zip(todo, made, pdfs):
        _store_report(spec, m, frozen, pdf)
    log.info(
        "edition %d: %d reports, HTML %.2f s, PDF %.2f s, stored %.2f s",
        edition_id,
        len(todo),
        t_html - t,
        t_pdf - t_html,
        time.perf_counter() - t_pdf,
    )
    with db.transaction() as session:
        editions.rendered(session, edition_id)
        strata_release.record(session, programme_id)  # public strata read, never planned, by web requests
    return len(todo)


@dataclass(frozen=True)
class _FrozenEdition:
    id: int
    number: int
    revised: bool
    published_at: object
    period_code: str
    run_id: int
    created_at: object
    rule_versions: dict
    status: str
    preview_until: object
    programme_id: str = DEFAULT_PROGRAMME


def _frozen(edition) -> _FrozenEdition:
    return _FrozenEdition(
        edition.id,
        edition.number,
        edition.revised,
        edition.published_at,
        edition.period_code,
        edition.run_id,
        edition.created_at,
        dict(edition.rule_versions or {}),
        edition.status,
        edition.preview_until,
        edition.programme_id,
    )
