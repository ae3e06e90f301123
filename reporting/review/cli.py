"""The command line of the review loop: ``editions``, ``inquiries list|close``, ``publish`` and ``tokens create``."""

from __future__ import annotations

import csv
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from reporting import audit, pipeline, programmes
from reporting.errors import ReportingError
from reporting.periods import PERIOD
from reporting.programmes import PROGRAMME_OPTION, ProgrammeParam
from reporting.review import inquiries as inquiries_
from reporting.storage import db
from reporting.storage.models import Edition, Inquiry, Organization, User

inquiries_cli = AppGroup("inquiries", help="Inquiries on results: list them, close one.")
tokens_cli = AppGroup("tokens", help="API tokens.")
COLUMNS = ["id", "ico", "period", "measure_id", "status", "resolution", "opened_by", "opened_at", "messages"]


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("editions")
@with_appcontext
@click.option("--period", required=True, type=PERIOD)
@PROGRAMME_OPTION
def editions_command(period, programme):
    """One line per edition of the programme's period: number status created published."""
    period = period.code
    with db.transaction() as session:
        rows = session.scalars(
            select(Edition)
            .where(Edition.programme_id == programme.id, Edition.period_code == period)
            .order_by(Edition.number)
        ).all()
        if not rows:
            _fail(f"{period} has no edition yet.")
        for e in rows:
            click.echo(
                f"{e.number} {e.status} {e.created_at:%Y-%m-%dT%H:%M:%SZ} "
                f"{e.published_at.strftime('%Y-%m-%dT%H:%M:%SZ') if e.published_at else '-'}"
            )


@inquiries_cli.command("list")
@click.option("--period", default=None, type=PERIOD)
@click.option("--ico", default=None)
@click.option("--status", type=click.Choice(["open", "closed"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option(
    "--programme",
    type=ProgrammeParam(),
    default=None,
    help="only this programme's (default: every programme's; with --period, DEFAULT_PROGRAMME's)",
)
def inquiries_list(period, ico, status, fmt, programme):
    """Every inquiry, newest first (filters by period, ICO, status, programme)."""
    with db.transaction() as session:
        query = (
            select(Inquiry, Organization.code, func.count())
            .join(Organization)
            .join(Inquiry.messages)
            .group_by(Inquiry.id, Organization.code)
            .order_by(Inquiry.id.desc())
        )
        if period and programme is None:
            programme = programmes.default()
        if programme is not None:
            query = query.where(Organization.programme_id == programme.id)
        if period:
            query = query.where(Inquiry.period_code == period.code)
        if ico:
            query = query.where(Organization.code == ico.strip().upper())
        if status:
            query = query.where(Inquiry.status == status)
        records = [
            {
                "id": i.id,
                "ico": code,
                "period": i.period_code,
                "measure_id": i.measure_id or "",
                "status": i.status,
                "resolution": i.resolution,
                "opened_by": i.opened_by,
                "opened_at": i.opened_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "messages": n,
            }
            for i, code, n in session.execute(query)
        ]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)


@inquiries_cli.command("close")
@click.argument("inquiry_id", type=int)
@click.option("--resolution", required=True, type=click.Choice(["corrected", "no_change"]))
@click.option("--reason", required=True)
def inquiries_close(inquiry_id, resolution, reason):
    """Close an inquiry as the service's operator (recorded in the audit trail as done from the command line)."""
    try:
        with db.transaction() as session:
            inquiry = inquiries_.get(session, None, inquiry_id)
            inquiries_.close(session, None, inquiry, resolution, reason, via="command line")
    except ReportingError as e:
        _fail(e.message)
    click.echo(
        f"Inquiry {inquiry_id} closed: {resolution}. The ICO is told by e-mail within a minute (by the scheduler)."
    )


@click.command("publish")
@with_appcontext
@click.option("--period", required=True, type=PERIOD)
@click.option("--reason", default="", help="required while inquiries are open; kept on the edition")
@PROGRAMME_OPTION
def publish_command(period, reason, programme):
    """Publish the programme's period's preview now, then render and deliver it."""
    period = period.code
    try:
        outcome = pipeline.publish_preview(period, "command line", reason, programme)
    except ReportingError as e:
        _fail(e.message)
    click.echo(
        f"{period} edition {outcome.edition_number} published: {outcome.rendered} reports rendered, "
        f"{outcome.sent} messages sent."
    )


@tokens_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="command line")
def tokens_create(email, name):
    """Issue an API token for the user and print it alone on standard output, once (only its hash is kept). It
    expires after API_TOKEN_DAYS days (the admin token page shows when)."""
    from reporting.security import issue_token

    with db.transaction() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None or not user.active:
            _fail(f"There is no active user {email}.")
        row, secret = issue_token(session, user, name[:100], current_app.config["API_TOKEN_DAYS"])
        audit.record(
            "token.issue",
            user.email,
            detail={"token": row.prefix, "name": row.name},
            actor="command line",
            session=session,
        )
    click.echo(secret)
