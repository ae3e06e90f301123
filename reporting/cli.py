"""The flask commands: ``flask --app wsgi <command>``."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from reporting import accounts
from reporting.errors import ReportingError
from reporting.storage import db, upgrade

users_cli = AppGroup("users", help="Manage user accounts.")
ico_cli = AppGroup("ico", help="Manage ICOs.")


def fail(message: str, code: int = 2):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("init-db")
def init_db():
    """Create or upgrade the database (idempotent)."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "cms_reviewer", "state_reviewer", "ico_submitter"]))
@click.option("--ico", default=None, help="ICO code (ico_submitter only)")
@click.option("--state", default=None, help="two-letter state (state_reviewer only)")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
def users_create(email, role, ico, state, name, password_stdin):
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with db.transaction() as session:
            accounts.create_user(session, email=email, role=role, password=password, name=name, ico=ico,
                                 state=state, actor="cli")
    except ReportingError as e:
        fail(e.message)
    click.echo(f"Created {role} {email}.")


@ico_cli.command("add")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--state", required=True)
@click.option("--recipient", "recipients", multiple=True, help="an e-mail that receives the ICO's scorecard")
def ico_add(code, name, state, recipients):
    """Add an ICO."""
    try:
        with db.transaction() as session:
            accounts.add_ico(session, code=code, name=name, state=state, recipients=list(recipients), actor="cli")
    except ReportingError as e:
        fail(e.message)
    click.echo(f"Added ICO {code.upper()}.")


def init_app(app) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(users_cli)
    app.cli.add_command(ico_cli)
