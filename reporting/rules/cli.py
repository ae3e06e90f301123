"""``flask --app wsgi rules ...``: show, propose, impact, adopt."""

from __future__ import annotations

import csv
import json
import sys

import click
from flask.cli import AppGroup

from reporting.access import OPERATOR
from reporting.errors import ReportingError
from reporting.periods import YEAR
from reporting.programmes import PROGRAMME_OPTION
from reporting.rules import impact as impact_
from reporting.rules import store
from reporting.storage import db

rules_cli = AppGroup(
    "rules", help="Benchmarks, withhold measures, gap closure and tiers per year, as versioned rule sets."
)
ACTOR = "command line"


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@rules_cli.command("show")
@click.option("--year", required=True, type=YEAR)
@click.option("--version", "version", type=int, default=None, help="default: the version in force")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@PROGRAMME_OPTION
def show(year, version, fmt, programme):
    """A programme's year's rule set: one row per measure, then a blank line and the tier table."""
    try:
        with db.transaction() as session:
            rs = store.by_version(session, year, version, programme.id)
            if fmt == "json":
                click.echo(
                    json.dumps(
                        {
                            "year": rs.year,
                            "version": rs.version,
                            "status": rs.status,
                            "case_mix_adjusted": rs.case_mix_adjusted,
                            "measures": store.measure_rows(rs),
                            "tiers": store.tier_rows(rs),
                        },
                        indent=2,
                    )
                )
            else:
                click.echo(store.to_csv(rs), nl=False)
    except ReportingError as e:
        _fail(e.message)


@rules_cli.command("propose")
@click.option("--year", required=True, type=YEAR)
@click.option("--from", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--case-mix-adjusted",
    "case_mix",
    type=click.Choice(["yes", "no"]),
    default=None,
    help="judge the survey measures on their case-mix adjusted values (default: as the version in force)",
)
@PROGRAMME_OPTION
def propose(year, path, case_mix, programme):
    """A draft from a CSV with measure_id and any of benchmark, withhold, gap_closure; prints the draft's id
    alone on the last line."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8: save it as CSV UTF-8.")
    try:
        with db.transaction() as session:
            draft = store.propose(
                session, year, text, ACTOR, None if case_mix is None else case_mix == "yes", programme.id
            )
            label, draft_id = draft.label, draft.id
    except ReportingError as e:
        _fail(e.message)
    click.echo(f"Draft {label} created; see its impact with: flask --app wsgi rules impact --draft {draft_id}")
    click.echo(draft_id)


@rules_cli.command("impact")
@click.option("--draft", "draft_id", required=True, type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
def impact(draft_id, fmt):
    """What the draft would change, for every ICO of its year (from stored results)."""
    try:
        with db.transaction() as session:
            result = impact_.impact(session, store.get(session, draft_id), OPERATOR)
            columns, rows = result.table()
            summary = result.summary()
    except ReportingError as e:
        _fail(e.message)
    if fmt == "json":
        click.echo(json.dumps({"summary": summary, "rows": [dict(zip(columns, r)) for r in rows]}, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
    click.echo(summary, err=True)


@rules_cli.command("adopt")
@click.option("--draft", "draft_id", required=True, type=int)
def adopt(draft_id):
    """Put the draft in force (the version before is retired); nothing is published by itself."""
    try:
        with db.transaction() as session:
            rs = store.adopt(session, draft_id, ACTOR)
            label = rs.label
    except ReportingError as e:
        _fail(e.message)
    click.echo(f"{label} is in force. Issue revised withhold reports from the Rules page when you are ready.")
