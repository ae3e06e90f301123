"""The national-size data of issue 16 for the benchmarks: 40 ICOs, 400,000 members (10,000 each), a
year of quarterly packages each (2015Q1-Q4), validated and stored through the same path as an upload,
with report recipients (two per ICO), one submitter per ICO and two reviewers. Building it takes a few
minutes, so the SQLite database and the packages' row copies (``instance/row-cache``, which the
service writes when a package is first computed) are kept in the system's temporary folder and copied
for each run (rebuilt when the schema or the generator changes)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import ROOT, fresh_database, make_app

QUARTERS = ("2015Q1", "2015Q2", "2015Q3", "2015Q4")
PASSWORD = "Bench-password-1"
# The national ICOs spread over several programmes (issue 23): the two shipped, and a third from the instance
# folder (an illustrative Ohio programme with One Care's measures and rules files), one in every three ICOs each.
PROGRAMMES = ("ma-one-care", "mi-health-link", "oh-mycare-bench")
THIRD = """id = "oh-mycare-bench"
name = "Ohio MyCare (bench)"
state = "OH"
first_period = "2014Q2"
min_age = 18
measures = {measures}
due_months_after = 2
disclosure_threshold = 11
benchmarks = "{root}/config/benchmarks.csv"
withhold = "{root}/config/withhold.csv"
"""


def programme_of(index: int) -> str:
    return PROGRAMMES[index % len(PROGRAMMES)]


def instance_programmes(folder: Path) -> None:
    """The third programme's file in the bench's instance folder, as an installation adds one."""
    from measures import REGISTRY

    target = folder / "instance" / "programmes"
    target.mkdir(parents=True, exist_ok=True)
    (target / "oh-mycare-bench.toml").write_text(
        THIRD.format(measures=repr(list(REGISTRY)).replace("'", '"'), root=ROOT.as_posix())
    )


def _package(args):
    """One ICO's quarter as CSV files (in a worker process: generating is not what is measured)."""
    code, index, period, members = args
    from synth import quarter_package, write

    folder = Path(tempfile.mkdtemp(prefix=f"bench-national-{code}-{period}-"))
    paths = [str(p) for p in write(quarter_package(period, members, seed=index, prefix=code), folder)]
    return code, period, paths


DATA_VERSION = 2  # raise it when what is generated changes (synth.py is hashed as well)


def _fingerprint(icos: int, members: int) -> str:
    digest = hashlib.sha256(f"{icos}x{members} v{DATA_VERSION}".encode())  # a later schema is migrated to
    digest.update((ROOT / "bench" / "synth.py").read_bytes())
    return digest.hexdigest()[:16]


def codes(icos: int) -> list[str]:
    return [f"ICO{i:02d}" for i in range(1, icos + 1)]


def database(folder: Path, icos: int = 40, members: int = 400_000) -> str:
    """A SQLite URL in ``folder`` holding the national packages (no results yet)."""
    cache = Path(tempfile.gettempdir()) / f"onecare-bench-national-{_fingerprint(icos, members)}"
    target = folder / "bench.sqlite3"
    rows = folder / "instance" / "row-cache"
    if not (cache / "done").exists():
        if icos > 40 and members // icos == 10_000:  # --scale's 1.6 M: the 400,000's packages, cloned
            _clone(folder, icos, Path(database(folder, 40, 400_000)[len("sqlite:///") :]))
        else:
            _build(folder, icos, members)
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()
        shutil.copyfile(target, cache / "bench.sqlite3")
        shutil.copytree(rows, cache / "row-cache")
        (cache / "done").touch()
    else:
        from reporting.storage import upgrade

        shutil.copyfile(cache / "bench.sqlite3", target)
        shutil.copytree(cache / "row-cache", rows, dirs_exist_ok=True)
        upgrade(f"sqlite:///{target}")  # built under an earlier schema: migrated as an installation is
        print(f"national data: copied from {cache}")
    return f"sqlite:///{target}"


def _build(folder: Path, icos: int, members: int) -> None:
    instance_programmes(folder)
    app = make_app(fresh_database("sqlite", folder), folder)
    per_ico = members // icos
    with app.app_context():
        from reporting import accounts, pipeline, programmes
        from reporting.ingest import PackageFile
        from reporting.rules.store import seed_programme
        from reporting.storage import db

        t = time.perf_counter()
        with db.transaction() as s:
            for programme in programmes.all():  # what init-db does
                seed_programme(s, programme)
            for i, code in enumerate(codes(icos)):
                accounts.add_ico(
                    s,
                    code=code,
                    name=f"Integrated Care Organization {i + 1:02d}",
                    programme=programme_of(i),
                    recipients=[f"quality@{code.lower()}.example.org", f"medical.director@{code.lower()}.example.org"],
                    actor="bench",
                )
                accounts.create_user(
                    s,
                    email=f"submitter@{code.lower()}.example.org",
                    role="ico_submitter",
                    ico=code,
                    password=PASSWORD,
                    name=f"{code} submitter",
                )
            accounts.create_user(
                s, email="cms@bench.example.org", role="cms_reviewer", password=PASSWORD, name="CMS reviewer"
            )
            accounts.create_user(
                s,
                email="state@bench.example.org",
                role="state_reviewer",
                state="MA",
                password=PASSWORD,
                name="State reviewer",
            )
        jobs = [(code, i, q, per_ico) for q in QUARTERS for i, code in enumerate(codes(icos))]
        with ProcessPoolExecutor(2) as pool:
            for code, period, paths in pool.map(_package, jobs):
                files = [PackageFile(Path(p).name, Path(p).read_bytes()) for p in paths]
                outcome = pipeline.accept_package(code, period, files, uploader="bench", via="cli")
                assert outcome.accepted, outcome.report["by_rule"][:3]
                shutil.rmtree(Path(paths[0]).parent, ignore_errors=True)
        # Each package's rows as the engine reads them (instance/row-cache): in service they are written when
        # the package is first computed, by the prompt recompute after its upload, long before the cycle.
        from measures import Period
        from reporting.engine.inputs import in_force_up_to

        in_force_up_to(Period.parse(QUARTERS[-1]).end)
        db.engine.dispose()
    print(
        f"national data: {icos} ICOs x {per_ico:,} members, {len(jobs)} packages validated and stored "
        f"in {time.perf_counter() - t:.0f} s (once; kept for the next runs)"
    )


def _clone(folder: Path, icos: int, base: Path) -> None:
    """More ICOs than the national 40 (``--scale``'s 160 at 1.6 M members) without validating 640 packages again:
    each ICO past the 40th takes the packages in force of a national ICO of its programme (ICO ``i`` those of ICO
    ``i % 39``, the same programme), recorded as its own submissions, with their rows in the row cache under the new
    submissions' ids (hard links). The engine reads each package's rows from that cache, as it does in service after
    an upload's recompute: the computation sees the same rows per ICO as at 400,000 members, 4 times as many ICOs.
    (The clones' rows are not in the database's row tables: a run without the row cache would not see them.)"""
    import os

    from sqlalchemy import select

    t = time.perf_counter()
    rows = folder / "instance" / "row-cache"
    if base != folder / "bench.sqlite3":
        shutil.copyfile(base, folder / "bench.sqlite3")
    app = make_app(f"sqlite:///{folder / 'bench.sqlite3'}", folder)
    with app.app_context():
        from reporting import accounts
        from reporting.storage import db
        from reporting.storage.models import Organization, Submission
        from reporting.storage.queries import in_force

        with db.transaction() as s:
            by_code = {o.code: o.id for o in s.scalars(select(Organization))}
            packages = {}
            for sub in in_force(s):
                packages.setdefault(sub.organization_id, []).append(sub)
            for i, code in enumerate(codes(icos)):
                if i < 40:
                    continue
                accounts.add_ico(
                    s,
                    code=code,
                    name=f"Integrated Care Organization {i + 1:03d}",
                    programme=programme_of(i),
                    recipients=[f"quality@{code.lower()}.example.org"],
                    actor="bench",
                )
                s.flush()
                org_id = s.scalar(select(Organization.id).where(Organization.code == code))
                for source in packages[by_code[codes(40)[i % 39]]]:
                    clone = Submission(
                        organization_id=org_id,
                        period_code=source.period_code,
                        version=source.version,
                        status=source.status,
                        via="cli",
                        uploader="bench (clone)",
                        received_at=source.received_at,
                        late=source.late,
                        sha256=source.sha256,
                        row_count=source.row_count,
                        error_count=source.error_count,
                        warning_count=source.warning_count,
                        report={},
                    )
                    s.add(clone)
                    s.flush()
                    old, new = f"{source.id}-{source.sha256[:16]}", f"{clone.id}-{source.sha256[:16]}"
                    for path in rows.glob(f"{old}-*.parquet"):
                        os.link(path, rows / path.name.replace(old, new, 1))
                    (rows / f"{new}.done").touch()
        db.engine.dispose()
    print(f"national data: {icos} ICOs (the 40's packages cloned) in {time.perf_counter() - t:.0f} s (once)")
