"""The flask commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from reporting import accounts, programmes
from reporting.errors import ReportingError
from reporting.periods import PERIOD, QUARTER, YEAR
from reporting.programmes import PROGRAMME_OPTION, ProgrammeParam
from reporting.publication.reports import ReportKind
from reporting.storage import db, upgrade
from reporting.storage.models import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
ico_cli = AppGroup("ico", help="Manage ICOs.")


def fail(message: str, code: int = 2):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database (idempotent); seed the rules of any year the configured files name and the
    database has none for, and the default schedules."""
    from reporting.jobs.schedules import ensure_schedules
    from reporting.rules.store import seed_programme

    upgrade(current_app.config["DATABASE_URL"])
    seeded = []
    with db.transaction() as session:
        for programme in programmes.all():
            seeded += [f"{programme.id} {year}" for year in seed_programme(session, programme)]
    ensure_schedules()
    click.echo("Database is up to date." + (f" Rules seeded for {', '.join(seeded)}." if seeded else ""))


@click.command("programmes")
@with_appcontext
def programmes_list():
    """The programmes of the installation: id, name, state, periods, ICOs, measures."""
    from sqlalchemy import func

    from reporting.storage.models import Organization

    counts = dict(
        db.session.execute(select(Organization.programme_id, func.count()).group_by(Organization.programme_id)).all()
    )
    click.echo(f"{'id':<20} {'name':<36} {'state':<5} {'periods':<15} {'ICOs':>4}  measures")
    for p in programmes.all():
        click.echo(
            f"{p.id:<20} {p.name:<36} {p.state:<5} {p.periods_label:<15} {counts.get(p.id, 0):>4}  "
            f"{len(p.measures)}: {', '.join(p.measures)}"
        )


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--ico", default=None, help="ICO code (ico_submitter only)")
@click.option("--state", default=None, help="two-letter state (state_reviewer only)")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
def users_create(email, role, ico, state, name, password_stdin):
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with db.transaction() as session:
            accounts.create_user(
                session, email=email, role=role, password=password, name=name, ico=ico, state=state, actor="cli"
            )
    except ReportingError as e:
        fail(e.message)
    click.echo(f"Created {role} {email}.")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="read the new password from standard input")
def users_set_password(email, password_stdin):
    """Set a user's password (read from standard input); signs the user out everywhere."""
    from sqlalchemy import func

    from reporting.storage.models import User

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with db.transaction() as session:
            user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
            if user is None:
                raise ReportingError(f"There is no user {email}.")
            accounts.set_password(session, user, password, actor="cli")
    except ReportingError as e:
        fail(e.message)
    click.echo(f"Password of {email} changed.")


@users_cli.command("disable")
@click.option("--email", required=True)
def users_disable(email):
    """Disable a user (signs them out everywhere)."""
    from sqlalchemy import func

    from reporting.storage.models import User

    with db.transaction() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            fail(f"There is no user {email}.")
        accounts.set_user_active(session, user, False, actor="cli")
    click.echo(f"{email} disabled.")


@ico_cli.command("add")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--state", default=None, help="two-letter state (default: the programme's)")
@click.option("--recipient", "recipients", multiple=True, help="an e-mail that receives the ICO's scorecard")
@click.option(
    "--programme",
    type=ProgrammeParam(),
    default=None,
    help="the programme's id (flask programmes lists them); default: DEFAULT_PROGRAMME in its state, else the "
    "one programme of --state",
)
def ico_add(code, name, state, recipients, programme):
    """Add an ICO to a programme."""
    try:
        with db.transaction() as session:
            org = accounts.add_ico(
                session,
                code=code,
                name=name,
                state=state,
                recipients=list(recipients),
                actor="cli",
                programme=programme,
            )
            label = f"{org.code} to {org.programme_id}"
    except ReportingError as e:
        fail(e.message)
    click.echo(f"Added ICO {label}.")


def print_report(report: dict) -> None:
    verdict = report["verdict"].upper()
    click.echo(
        f"{verdict}: {report['ico']} {report['period']} version {report.get('version')} — "
        f"{report['errors']} error(s), {report['warnings']} warning(s)"
    )
    if report["by_rule"]:
        click.echo("\nBy rule:")
        for r in report["by_rule"]:
            click.echo(f"  {r['severity']:<8} {r['rule']:<28} {r['file']:<22} {r['column'] or '':<22} {r['count']:>7}")
    if report["failures"]:
        click.echo("\nFailures:")
        for f in report["failures"]:
            where = f"{f['file']} row {f['row']}" if f["row"] else f["file"]
            col = f" column {f['column']}" if f["column"] else ""
            click.echo(f"  [{f['severity']}] {where}{col}: {f['message']}")
        if report.get("truncated"):
            click.echo("  … more failures; the counts by rule above are complete.")


@click.command("submit")
@with_appcontext
@click.option("--ico", required=True, help="ICO code")
@click.option("--period", required=True, type=QUARTER, help="quarter, e.g. 2014Q3")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.argument("paths", nargs=-1, required=True)
def submit(ico, period, as_json, paths):
    """Validate and store a package (a ZIP, CSV files, a folder of them, or one XLSX).

    Exits 0 when accepted (or identical to the version in force: nothing stored), 1 when rejected."""
    import json

    from reporting import pipeline

    try:
        from reporting.cli_files import files_from_paths

        outcome = pipeline.accept_package(ico, period, files_from_paths(paths), uploader="cli", via="cli")
    except ReportingError as e:
        fail(e.message)
    if as_json:
        extra = {"identical_to": outcome.identical_to} if outcome.identical_to is not None else {}
        click.echo(json.dumps(dict(outcome.report, **extra), indent=2, default=str))
    elif outcome.identical_to is not None:
        click.echo(f"{outcome.report['ico']} {outcome.report['period']}: {outcome.identical_message}")
    else:
        print_report(outcome.report)
    sys.exit(0 if outcome.accepted else 1)


@click.command("compute")
@with_appcontext
@click.option("--period", required=True, type=PERIOD, help="a quarter (2014Q3) or a calendar year (2014)")
@PROGRAMME_OPTION
def compute(period, programme):
    """Compute and store the programme's measures for each of its ICOs with data, and statewide (its ICOs)."""
    from reporting import pipeline

    try:
        outcome = pipeline.compute(period, trigger="cli", programme=programme)
    except ReportingError as e:
        fail(e.message)
    click.echo(
        f"Computed {outcome.period}: run {outcome.run_id}, {outcome.results} results "
        f"for {', '.join(outcome.icos)} and STATEWIDE."
        + ("" if programme == programmes.default() else f" ({programme.name})")
    )


@click.command("results")
@with_appcontext
@click.option("--period", required=True, type=PERIOD)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--run", "run_id", type=int, default=None, help="an earlier run of the period, for comparison")
@PROGRAMME_OPTION
@click.option("--strata", is_flag=True, help="the results by group: one row per ICO, measure, stratifier and stratum")
def results(period, fmt, run_id, programme, strata):
    """Print the current results of a period (or those of an earlier run): one row per measure and ICO,
    values unrounded; with --strata the results by group (the columns of the results_strata export)."""
    import csv
    import json

    from reporting.engine.store import current_run, results_of
    from reporting.publication.tables import RESULT_FIELDS, result_records
    from reporting.storage.models import ResultRun

    with db.transaction() as session:
        if run_id is not None:
            run = session.get(ResultRun, run_id)
            if run is None or run.period_code != period.code or run.programme_id != programme.id:
                runs = session.scalars(
                    select(ResultRun)
                    .where(ResultRun.programme_id == programme.id, ResultRun.period_code == period.code)
                    .order_by(ResultRun.id)
                ).all()
                fail(
                    f"Run {run_id} is not a run of {period.code} ({programme.name}). Its runs: "
                    + ", ".join(
                        f"{r.id} ({r.finished_at:%Y-%m-%d %H:%M}{', current' if r.is_current else ''})" for r in runs
                    )
                )
        else:
            run = current_run(session, period.code, programme.id)
        if run is None:
            fail(
                f"There are no results of {programme.name} for {period.code}. Compute them first: "
                f"flask --app wsgi compute --period {period.code} --programme {programme.id}"
            )
        records = result_records(results_of(session, run.id))
        if strata:
            from reporting.publication import strata as by_group

            rows = by_group.export_rows(by_group.strata_of(session, [run]))
    if strata:
        if fmt == "json":
            click.echo(json.dumps([dict(zip(by_group.EXPORT_COLUMNS, row)) for row in rows], indent=2))
            return
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(by_group.EXPORT_COLUMNS)
        out.writerows([_cli_cell(v) for v in row] for row in rows)
        return
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(RESULT_FIELDS)
    for rec in records:
        writer.writerow(
            [
                ""
                if rec[c] is None
                else (
                    json.dumps(rec[c]) if c == "elements" else (repr(rec[c]) if isinstance(rec[c], float) else rec[c])
                )
                for c in RESULT_FIELDS
            ]
        )


@click.command("demo-data")
@with_appcontext
@click.option("--out", "out", required=True, type=click.Path(file_okay=False))
@click.option("--seed", default=2014, show_default=True)
def demo_data(out, seed):
    """Write realistic packages for 2014Q1-2015Q4 for the three original One Care ICOs."""
    from reporting import demo

    manifest = demo.generate(out, seed)
    click.echo(
        f"Wrote {len(manifest['packages'])} packages for {', '.join(i['code'] for i in manifest['icos'])} to {out}."
    )


@click.command("demo")
@with_appcontext
@click.option("--seed", default=2014, show_default=True)
@click.option(
    "--sign-ins/--no-sign-ins",
    default=True,
    help="Print the demo sign-ins at the end (start.sh prints them once, after the service starts).",
)
def demo_command(seed, sign_ins):
    """Set up the demo: ICOs, a user of every role, their data, results, reports and e-mails."""
    from reporting import demo_setup

    upgrade(current_app.config["DATABASE_URL"])
    creds = demo_setup.ensure_accounts()
    sent = demo_setup.load_data(seed)
    click.echo(f"Submitted {sent} demo packages." if sent else "Demo data already loaded.")
    periods = demo_setup.compute_all()
    click.echo(f"Results computed for {', '.join(periods)}.")
    for step in demo_setup.EXTRA_STEPS:
        click.echo(step())
    if not sign_ins:
        return
    click.echo("\nDemo sign-ins (also in instance/demo-credentials.json):")
    for email, password in creds.items():
        click.echo(f"  {email:<40} {password}")


def _write_artifact(artifact_id: int, out: str) -> None:
    from pathlib import Path

    from reporting.storage.models import Artifact

    with db.transaction() as session:
        artifact = session.get(Artifact, artifact_id)
        Path(out).write_bytes(artifact.content)
        click.echo(
            f"Wrote {out}: {artifact.pages} pages, {artifact.size:,} bytes, SHA-256 {artifact.sha256[:16]}… "
            f"(artifact {artifact.id}, results run {artifact.run_id})."
        )


@click.command("scorecard")
@with_appcontext
@click.option("--ico", required=True)
@click.option("--period", required=True, type=QUARTER)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False))
def scorecard(ico, period, out):
    """Render an ICO's quarterly scorecard to PDF (and keep it as an artifact)."""
    from reporting import pipeline
    from reporting.publication.reports import ReportSpec
    from reporting.rendering.pdf import check_environment

    try:
        check_environment()
        artifact_id = pipeline.render_report(ReportSpec(ReportKind.SCORECARD, period.code, ico.strip().upper()))
    except ReportingError as e:
        fail(e.message)
    _write_artifact(artifact_id, out)


@click.command("report")
@with_appcontext
@click.option(
    "--kind",
    required=True,
    type=click.Choice([ReportKind.STATEWIDE.value, ReportKind.PUBLIC.value, ReportKind.WITHHOLD.value]),
)
@click.option("--period", required=True, type=PERIOD, help="a quarter, or a year for the withhold report")
@click.option("--ico", default=None, help="the ICO (withhold report only)")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False))
@PROGRAMME_OPTION
def report(kind, period, ico, out, programme):
    """Render the statewide report, the public report or an ICO's annual withhold report to PDF."""
    from reporting import pipeline
    from reporting.publication.reports import ReportSpec
    from reporting.rendering.pdf import check_environment

    if kind == ReportKind.WITHHOLD and not ico:
        fail("The withhold report is per ICO: give --ico CODE.")
    try:
        check_environment()
        artifact_id = pipeline.render_report(ReportSpec(kind, period.code, ico.upper() if ico else None), programme)
    except ReportingError as e:
        fail(e.message)
    _write_artifact(artifact_id, out)


@click.command("cycle")
@with_appcontext
@click.option("--period", required=True, type=PERIOD, help="a quarter (2014Q3) or a calendar year (2014)")
@click.option(
    "--wait", default=None, type=int, help="seconds to wait for delivery retries (default: DELIVERY_WAIT_SECONDS)"
)
@PROGRAMME_OPTION
def cycle(period, wait, programme):
    """Run the quarterly cycle for a programme's period now: compute, publish, render, deliver."""
    from reporting import pipeline
    from reporting.rendering.pdf import check_environment

    try:
        check_environment()
        o = pipeline.run_cycle(period, trigger="cli", wait_for_retries=wait, programme=programme)
    except ReportingError as e:
        fail(e.message)
    click.echo(
        f"{o.period}: {o.status}; edition {o.edition_number}{' (new)' if o.new_edition else ' (unchanged)'}; "
        f"{o.rendered} PDFs rendered; {o.sent} sent, {o.failed} failed, {o.pending} pending. Timings: {o.timings}"
    )
    sys.exit(0 if o.failed == 0 else 1)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler process (one per installation; never inside the web workers)."""
    from reporting.jobs import scheduler

    scheduler.run(current_app._get_current_object())


@click.command("withhold")
@with_appcontext
@click.option("--year", required=True, type=YEAR)
@PROGRAMME_OPTION
def withhold(year, programme):
    """Print each of the programme's ICOs' quality withhold for a calendar year: measures met and the tier."""
    from sqlalchemy import select

    from reporting.publication import figures, settings
    from reporting.storage.models import Organization

    with db.transaction() as session:
        codes = [
            o.code
            for o in session.scalars(
                select(Organization).where(Organization.programme_id == programme.id).order_by(Organization.code)
            )
        ]
        rows = figures.withhold_for_year(
            session, settings(programme), codes, year, basis=figures.live(session, programme.id)
        )
    if not rows:
        fail(
            f"No withhold results for {year}: compute the year first (flask --app wsgi compute --period {year}) "
            f"and check that config/withhold.csv lists measures for it."
        )
    for code, w in rows.items():
        share = f"{100 * w.share:.1f}%" if w.share is not None else "NA"
        tier = f"{w.earned_back}%" if w.earned_back is not None else "NA"
        click.echo(f"{code}: {w.met} of {w.eligible} measures met ({share}); withhold earned back {tier}")
        for r in w.rows:
            value = "" if r.value is None else f"{r.value:.4f}"
            bench = "" if r.benchmark is None else f"{r.benchmark:g}"
            click.echo(f"    {r.measure_id:<28} {value:>10} benchmark {bench:>6}  {r.status}")


@click.command("fhir")
@with_appcontext
@click.option("--period", required=True, type=PERIOD)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@click.option("--ico", default=None, help="only this ICO's reports (and statewide)")
@PROGRAMME_OPTION
def fhir_command(period, output, ico, programme):
    """Write a FHIR Bundle (collection) of the 15 Measures and every summary MeasureReport of the period's
    published edition."""
    from pathlib import Path

    from reporting.access import OPERATOR
    from reporting.artifacts import run_states
    from reporting.engine import STATEWIDE
    from reporting.interop import fhir
    from reporting.interop.published import published
    from reporting.publication import strata
    from reporting.publication.figures import as_published

    base = current_app.config["BASE_URL"]
    try:
        with db.transaction() as session:
            pub = published(session, period, programme.id)
            codes = [o.code for o in pub.icos]
            if ico and ico.strip().upper() not in codes:
                raise ReportingError(f"{ico} has no results in {pub.period.code}: the ICOs are {', '.join(codes)}.")
            scope = ([ico.strip().upper()] if ico else codes) + [STATEWIDE]
            basis = as_published(session, programme_id=pub.programme.id)
            groups = strata.seen_by(session, OPERATOR, basis, pub.period.code)
            reports = fhir.summaries(pub, base, scope, run_states(session, pub.run.id), None, groups)
    except ReportingError as e:
        fail(e.message, 1)
    bundle = fhir.bundle(fhir.measures(base, [pub.programme]) + reports, "collection", base)
    Path(output).write_text(bundle.model_dump_json(indent=2))
    click.echo(
        f"Wrote {output}: {len(bundle.entry) - len(reports)} Measure and {len(reports)} MeasureReport resources "
        f"({pub.period.code}, edition {pub.edition.number})."
    )


@click.command("open-data")
@with_appcontext
@click.option("--period", required=True, type=PERIOD)
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False))
@PROGRAMME_OPTION
def open_data_command(period, output, programme):
    """Write the period's public open-data package (results.csv, results_strata.csv and datapackage.json) into a
    folder."""
    from reporting.interop import opendata
    from reporting.interop.published import published
    from reporting.publication.strata_release import published_strata

    try:
        with db.transaction() as session:
            pub = published(session, period, programme.id)
            written = opendata.write(pub, current_app.config["BASE_URL"], output, published_strata(session, pub))
    except ReportingError as e:
        fail(e.message, 1)
    click.echo("Wrote " + ", ".join(str(p) for p in written))


from reporting.review.cli import editions_command, inquiries_cli, publish_command, tokens_cli  # noqa: E402
from reporting.rules.cli import rules_cli  # noqa: E402  (a room of its own)


def init_app(app) -> None:
    for command in (
        withhold,
        cycle,
        scheduler_command,
        init_db,
        programmes_list,
        users_cli,
        ico_cli,
        submit,
        compute,
        results,
        demo_data,
        demo_command,
        scorecard,
        report,
        fhir_command,
        open_data_command,
        rules_cli,
        editions_command,
        inquiries_cli,
        publish_command,
        tokens_cli,
    ):
        app.cli.add_command(command)


def _cli_cell(v):
    """A CSV cell as the exports write it: blank for none, floats unrounded, booleans Yes/No."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Yes" if v else "No"
    return repr(v) if isinstance(v, float) else v
