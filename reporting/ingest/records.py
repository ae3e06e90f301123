"""Submission records for people: templates, the status grid, version history, validation reports and their CSV."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from measures import Period
from measures.dictionary import FILES
from reporting.access import can_see_ico, ico_for, refusal, visible_icos
from reporting.errors import Forbidden, NotFound
from reporting.ingest.readers import safe_filename
from reporting.ingest.report import FAILURE_COLUMNS
from reporting.participation import has_left, joined_label, left_label, not_joined_yet
from reporting.periods import chronological, stored
from reporting.rendering.exports import csv_bytes, xlsx_bytes
from reporting.storage.models import Organization, ReportingPeriod, Submission

# --- templates --------------------------------------------------------------------------------


def template_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for spec in FILES.values():
            z.writestr(spec.filename, ",".join(spec.column_names) + "\r\n")
    return buffer.getvalue()


def column_rules(programme) -> dict[tuple[str, str], str]:
    """The columns whose rule is the programme's own (file, column) -> rule: the age eligibility of ``birth_date``."""
    return {("members", "birth_date"): f"age on enrollment_start is {programme.ages} ({programme.name} eligibility)"}


def dictionary_rows(programme=None) -> list[list]:
    """The dictionary as rows, with the rules of ``programme`` (a ``Programme``; None: the dictionary's words)."""
    own = column_rules(programme) if programme is not None else {}
    return [
        [
            spec.filename,
            "yes" if spec.required else "no",
            c.name,
            c.describe_type(),
            "yes" if c.required else "no",
            own.get((spec.name, c.name), c.description),
        ]
        for spec in FILES.values()
        for c in spec.columns
    ]


DICTIONARY_COLUMNS = ["file", "file required", "column", "type", "value required", "rule"]


def template_xlsx(programme=None) -> bytes:
    sheets = [(spec.name, spec.column_names, []) for spec in FILES.values()]
    sheets.append(("columns", DICTIONARY_COLUMNS, dictionary_rows(programme)))
    return xlsx_bytes(sheets)


# --- status and history -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    period: str
    due_date: date | None
    state: str  # accepted on time | late | resubmitted | rejected | missing | not due
    versions: int
    in_force: int | None  # version in force
    last: Submission | None


def status_grid(session, user, today: date, programme=None) -> tuple[list[Organization], list[str], dict]:
    """For each ICO the user may see and each period: the submission status; of one programme (a ``Programme``)
    when given, its ICOs and its periods only."""
    orgs = visible_icos(session, user, programme)
    periods = [
        p
        for p in session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.begin))
        if programme is None or programme.covers(Period.parse(p.code))
    ]
    subs = session.scalars(
        select(Submission).where(Submission.organization_id.in_([o.id for o in orgs])).order_by(Submission.version)
    ).all()
    grid = {}
    for org in orgs:
        for p in periods:
            own = [s for s in subs if s.organization_id == org.id and s.period_code == p.code]
            grid[(org.code, p.code)] = period_status(p, own, today, org)
    return orgs, [p.code for p in periods], grid


def period_status(period: ReportingPeriod, versions: list[Submission], today: date, org=None) -> PeriodStatus:
    """A period's submission status; for an ICO (``org``), with its programme's due date."""
    due = period.due_date
    outside = False
    if org is not None:
        from reporting import programmes

        prog, quarter = programmes.get(org.programme_id), Period.parse(period.code)
        due, outside = prog.due_date(quarter), not prog.covers(quarter)
    accepted = [s for s in versions if s.status == "accepted"]
    last = versions[-1] if versions else None
    if accepted:
        first = accepted[0]
        state = "late" if first.late else "accepted on time"
        if len(accepted) > 1:
            state = "resubmitted" + (" (first late)" if first.late else "")
    elif versions:
        state = "rejected"
    elif outside:
        state = "not in the programme"
    elif org is not None and has_left(org, period):
        state = left_label(org)
    elif org is not None and not_joined_yet(org, period):
        state = joined_label(org)
    elif due < today:
        state = "missing"
    else:
        state = "not due"
    return PeriodStatus(period.code, due, state, len(versions), accepted[-1].version if accepted else None, last)


def status_rows(session, org: Organization, periods: list[str], today: date) -> list[dict]:
    """The ICO page's submission table: per period, the same state as the submissions grid, and the versions."""
    rows = session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.code.in_(periods)).order_by(ReportingPeriod.begin)
    ).all()
    subs = session.scalars(
        select(Submission).where(Submission.organization_id == org.id).order_by(Submission.version)
    ).all()
    out = []
    for p in rows:
        own = [s for s in subs if s.period_code == p.code]
        status = period_status(p, own, today, org)
        out.append({"period": p.code, "state": status.state, "versions": own, "in_force": status.in_force})
    return out


def history(
    session, user, org_code: str, period: Period
) -> tuple[Organization, ReportingPeriod | None, list[Submission]]:
    org = ico_for(session, user, org_code, "submissions")
    row = session.get(ReportingPeriod, period.code)
    subs = session.scalars(
        select(Submission)
        .where(Submission.organization_id == org.id, Submission.period_code == period.code)
        .order_by(Submission.version.desc())
    ).all()
    return org, row, subs


def visible_submission(session, user, submission_id: int) -> Submission:
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise NotFound("There is no such submission.")
    if not can_see_ico(user, sub.organization):
        raise Forbidden(refusal(user, "submissions"))
    return sub


def in_force_version(session, sub: Submission) -> int | None:
    from sqlalchemy import func

    return session.scalar(
        select(func.max(Submission.version)).where(
            Submission.organization_id == sub.organization_id,
            Submission.period_code == sub.period_code,
            Submission.status == "accepted",
        )
    )


def filtered_failures(report: dict, severity: str = "", file: str = "", rule: str = "") -> list[dict]:
    return [
        f
        for f in report.get("failures", [])
        if (not severity or f["severity"] == severity)
        and (not file or f["file"] == file)
        and (not rule or f["rule"] == rule)
    ]


def failures_csv(report: dict) -> bytes:
    return csv_bytes(
        FAILURE_COLUMNS,
        [[f[c] for c in FAILURE_COLUMNS] for f in report.get("failures", [])],
        preamble=[
            ("ICO", report.get("ico")),
            ("Period", report.get("period")),
            ("Version", report.get("version")),
            ("Verdict", report.get("verdict")),
            ("Errors", report.get("errors")),
            ("Warnings", report.get("warnings")),
        ],
    )


def original_bytes(sub: Submission) -> tuple[str, bytes, str]:
    """The package as received: the one file, or a ZIP of the several CSVs."""
    if len(sub.files) == 1:
        f = sub.files[0]
        kind = (
            "application/zip"
            if f.name.lower().endswith(".zip")
            else (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if f.name.lower().endswith(".xlsx")
                else "text/csv"
            )
        )
        return safe_filename(f.name), f.content, kind
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sub.files:  # base names only, whatever was stored before names were made safe
            z.writestr(safe_filename(f.name), f.content)
    return f"{sub.organization.code}-{sub.period_code}-v{sub.version}.zip", buffer.getvalue(), "application/zip"


def default_upload_period(session, org: Organization | None, periods: list[str], refused: set[str]) -> str | None:
    """The quarter the upload form offers first, one the ICO can submit now (not in ``refused``: a quarter in
    preview it may not resubmit): its oldest ended quarter (since its first accepted package) that still has no
    accepted package, the next one due; else the most recent ended quarter it can submit."""
    if not periods:
        return None
    can = [p for p in periods if p not in refused] or periods
    if org is None:
        return can[0]
    accepted = set(
        session.scalars(
            select(Submission.period_code).where(Submission.organization_id == org.id, Submission.status == "accepted")
        )
    )
    if not accepted:
        return can[0]
    first = min(accepted, key=chronological)
    due = [p for p in reversed(can) if p not in accepted and stored(p).begin > stored(first).begin]
    return due[0] if due else can[0]
