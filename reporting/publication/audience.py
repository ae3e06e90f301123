"""The audience of an edition: the reports it has, and who receives each of them (by the rules of
``reporting.access``; who may download a rendered report is ``access.may_download``)."""

from __future__ import annotations

from measures import Period
from reporting.access import CMS_REVIEWER, ico_by_code, ico_users, reviewers_of
from reporting.publication import editions, settings
from reporting.publication.reports import REPORT_KINDS, REVIEWERS, ReportKind, ReportSpec
from reporting.storage.models import ResultRun


def expected_reports(session, edition) -> list:
    """The reports an edition has: per ICO a scorecard (quarters) or withhold report (years in the
    withhold configuration), and the statewide and public reports (a preview has no public report)."""
    run = session.get(ResultRun, edition.run_id)
    icos = sorted((run.inputs or {}).keys())
    period = Period.parse(edition.period_code)
    specs = []
    for kind in REPORT_KINDS.values():
        if kind.made_for(period, settings(run.programme_id).withhold) and (
            kind.in_preview or not editions.status_of(edition).is_preview
        ):
            specs += (
                [ReportSpec(kind.kind, period.code, code, run.programme_id) for code in icos]
                if kind.per_ico
                else [ReportSpec(kind.kind, period.code, programme=run.programme_id)]
            )
    return specs


def recipients_for(session, artifact, states: set[str]) -> list[tuple[str, str]]:
    """Who may receive this report: an ICO's report recipients get that ICO's scorecard and withhold
    report only; every active CMS reviewer, and each state reviewer of the ICOs' state, the statewide report.
    A preview goes to each ICO's report recipients and submitter users, its own scorecard only."""
    if ReportKind(artifact.kind).per_ico:
        org = ico_by_code(session, artifact.ico)
        if org is None or not org.enabled:
            return []
        out = [(r.email, f"report recipient of {org.code}") for r in org.recipients]
        if artifact.preview:
            out += [
                (u.email, f"submitter of {org.code}")
                for u in ico_users(session, org)
                if u.email not in {e for e, _ in out}
            ]
        return out
    if artifact.preview:
        return []  # the statewide preview is for reviewers to read on the Reports page, not e-mailed
    if REPORT_KINDS[ReportKind(artifact.kind)].recipients == REVIEWERS:
        return [
            (u.email, u.role if u.role == CMS_REVIEWER else f"{u.role} {u.state}")
            for u in reviewers_of(session, states)
        ]
    return []
