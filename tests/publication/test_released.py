"""The disclosure auditor over what the service really publishes: the worked example (seven quarters and two
years for two ICOs) published period by period, the open-data packages downloaded signed out as a reader would,
then attacked by subtraction and solved as equations by an independent null-space solver."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.engine import STATEWIDE
from reporting.publication import editions
from reporting.publication.suppression import LAST_QUARTER, QUARTERS, ROLLING, TIME_RULE, Release, plan
from reporting.storage import db
from reporting.storage.models import Result, ResultRun
from tests.conftest import BACKENDS, example_after

ORDER = ["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2014", "2015Q1", "2015Q2", "2015Q3", "2015"]


def publish_all(app):
    with app.app_context():
        with db.transaction() as s:
            runs = {r.period_code: r.id for r in s.scalars(select(ResultRun).where(ResultRun.is_current))}
            for period in ORDER:
                editions.create(s, period, runs[period], publish=True, actor="test")
    return runs


def public_tables(app) -> dict:
    """period -> rows of results.csv, downloaded signed out."""
    client = app.test_client()
    out = {}
    for period in ORDER:
        r = client.get(f"/public/ma-one-care/{period}.zip")
        assert r.status_code == 200
        text = zipfile.ZipFile(io.BytesIO(r.data)).read("results.csv").decode()
        out[period] = list(csv.DictReader(io.StringIO(text)))
    return out


def known_counts(tables, insider=None, exact=None):
    """(measure, period, ico, name) -> value for every count shown (and an insider's own, from ``exact``)."""
    known, cells = {}, set()
    for period, rows in tables.items():
        for row in rows:
            for name in ("numerator", "denominator"):
                k = (row["measure_id"], period, row["ico"], name)
                if name == "numerator" and REGISTRY[row["measure_id"]].unit == "score":
                    continue
                cells.add(k)
                if row[name] != "":
                    known[k] = int(row[name])
                elif row["ico"] == insider:
                    known[k] = exact[k]
    return known, cells


def attack(known, cells) -> dict:
    """Subtraction as a reader does it: a year minus three quarters, statewide minus the other ICOs, repeated."""
    found = {}
    changed = True
    while changed:
        changed = False
        groups = []
        for mid, period, ico, name in cells:
            if ico == STATEWIDE:
                parts = [k for k in cells if k[0] == mid and k[1] == period and k[3] == name and k[2] != STATEWIDE]
                groups.append(((mid, period, ico, name), parts))
            if "Q" not in period and TIME_RULE[mid] == QUARTERS:
                groups.append(((mid, period, ico, name), [(mid, f"{period}Q{q}", ico, name) for q in range(1, 5)]))
        for total, parts in groups:
            unknown = [k for k in [total, *parts] if k not in known]
            if len(unknown) == 1 and all(k in cells for k in parts):
                k = unknown[0]
                rest = sum(known[p] for p in parts if p in known)
                known[k] = rest if k == total else known[total] - rest
                found[k] = known[k]
                changed = True
    return found


def null_space_determined(known, cells) -> set:
    """The independent solver: the model's equations (statewide = ICOs; a year = its quarters, or its fourth
    quarter, per measure; survey windows as latent pieces), a count determined when its null-space row is 0."""
    latent = set()
    eqs = []
    for mid, period, ico, name in cells:
        if ico == STATEWIDE:
            eqs.append(
                [((mid, period, ico, name), 1)]
                + [(k, -1) for k in cells if k[:2] == (mid, period) and k[3] == name and k[2] != STATEWIDE]
            )
        rule = TIME_RULE[mid]
        if "Q" not in period and rule == QUARTERS:
            eqs.append([((mid, period, ico, name), 1)] + [((mid, f"{period}Q{q}", ico, name), -1) for q in range(1, 5)])
        if "Q" not in period and rule == LAST_QUARTER:
            eqs.append([((mid, period, ico, name), 1), ((mid, f"{period}Q4", ico, name), -1)])
        if rule == ROLLING and ico != STATEWIDE:
            y, q = int(period[:4]), int(period[5:]) if "Q" in period else 4
            pieces = [(mid, "piece", ico, name, y + (q - 1 - i) // 4, (q - 1 - i) % 4) for i in range(4)]
            latent.update(pieces)
            eqs.append([((mid, period, ico, name), 1)] + [(p, -1) for p in pieces])
    unknown = sorted({k for eq in eqs for k, _ in eq if k not in known}, key=repr)
    col = {k: i for i, k in enumerate(unknown)}
    a = np.zeros((len(eqs), len(unknown)))
    for row, eq in enumerate(eqs):
        for k, sign in eq:
            if k in col:
                a[row, col[k]] += sign
    _, s, vt = np.linalg.svd(a)
    null = vt[(s > 1e-9).sum() :].T
    return {k for k, i in col.items() if k not in latent and k in cells and np.allclose(null[i], 0, atol=1e-9)}


def exact_counts(app) -> dict:
    with app.app_context():
        runs = {r.id for r in db.session.scalars(select(ResultRun).where(ResultRun.is_current))}
        out = {}
        for r in db.session.scalars(select(Result).where(Result.run_id.in_(runs))):
            out[(r.measure_id, r.period_code, r.ico, "denominator")] = r.denominator
            if r.numerator is not None:
                out[(r.measure_id, r.period_code, r.ico, "numerator")] = r.numerator
        return out


@pytest.fixture
def all_published(example):
    publish_all(example)
    return example


def test_the_worked_example_published_period_by_period_discloses_nothing(all_published):
    tables = public_tables(all_published)
    exact = exact_counts(all_published)
    known, cells = known_counts(tables)
    suppressed = cells - set(known)
    assert suppressed  # there is something to protect
    assert attack(dict(known), cells) == {}
    assert null_space_determined(known, cells) == set()
    for insider in ("HA", "HB"):  # each ICO's users know their own counts: no other ICO's may be determined
        known_i, _ = known_counts(tables, insider, exact)  # (a statewide count is theirs plus the others' sum)
        assert {k for k in null_space_determined(known_i, cells) if k[2] != STATEWIDE} == set()
        assert {k for k in attack(dict(known_i), cells) if k[2] not in (insider, STATEWIDE)} == set()
    # The counts from 1 to 10 are all among the suppressed, and shown counts agree with the results.
    for k, v in exact.items():
        if 1 <= v <= 10:
            assert k not in known, k
        if k in known:
            assert known[k] == v


def test_per_table_suppression_of_the_same_releases_could_be_attacked(all_published):
    """The attack of the issue on the worked example: each period suppressed on its own (the old rule) leaves
    counts that the year minus the quarters, or the statewide minus an ICO, recover; the plan leaves none."""
    exact = exact_counts(all_published)
    with all_published.app_context():
        runs = {r.period_code: r.id for r in db.session.scalars(select(ResultRun).where(ResultRun.is_current))}
        results = {p: list(db.session.scalars(select(Result).where(Result.run_id == runs[p]))) for p in ORDER}
    alone = {p: plan([Release(p, results[p])], insiders=False).hidden[p] for p in ORDER}
    known = {k: v for k, v in exact.items() if k not in alone[k[1]]}
    cells = set(exact)
    found = attack(dict(known), cells)
    assert found and all(exact[k] == v for k, v in found.items())
    assert any(k[2] != STATEWIDE and 1 <= v <= 10 for k, v in found.items())


def test_the_public_export_and_report_table_suppress_the_same_counts(all_published):
    from tests.conftest import login

    client = all_published.test_client()
    login(client, "cms@example.org")
    r = client.get("/exports/public.csv?period=2014Q1")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))  # the header is the first row (issue 27 item 7)
    assert rows and {"measure_id", "ico", "numerator", "denominator"} <= set(rows[0])
    tables = public_tables(all_published)["2014Q1"]
    opendata = {(t["measure_id"], t["ico"]): t for t in tables}
    for row in rows:
        mine = opendata[(row["measure_id"], row["ico"])]
        for name in ("numerator", "denominator"):
            assert (row[name] in ("suppressed", "")) == (mine[name] == ""), (row, mine)


# --- what ICO users see of statewide figures -----------------------------------------------------------


def _a_third_ico_reports_three_quarters_and_leaves(app):
    from datetime import date

    from reporting import accounts, pipeline
    from reporting.cli_files import files_from_paths
    from tests.conftest import EXAMPLES

    with app.app_context():
        with db.transaction() as s:
            accounts.add_ico(s, code="HC", name="Harbor Coast", state="MA", active_to=date(2014, 9, 30), actor="test")
        for quarter in ("2014Q1", "2014Q2", "2014Q3"):
            assert pipeline.accept_package(
                "HC", quarter, files_from_paths([EXAMPLES / "packages" / "HB" / quarter]), uploader="test", via="cli"
            ).accepted
        pipeline.compute_many(["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2014"], trigger="test")


@pytest.fixture(params=BACKENDS)
def departed(request, tmp_path):
    """A third ICO, HC, reports 2014Q1-Q3 and leaves: 2014Q4 has two ICOs (its statewide is hidden from ICO
    users), the year 2014 three. Built once per run, copied for each test."""
    yield from example_after(request, tmp_path, "hc_reported_2014", _a_third_ico_reports_three_quarters_and_leaves)


def _export(client, url):
    import pandas as pd

    r = client.get(url)
    assert r.status_code == 200, url
    return pd.read_csv(io.BytesIO(r.data), comment="#", dtype={"ico": str, "period": str})


def test_an_ico_user_cannot_get_another_icos_quarter_from_statewide_year_and_quarters(departed):
    from tests.conftest import login

    exact = exact_counts(departed)
    client = departed.test_client()
    login(client, "ha@example.org")
    seen = {}
    for frame in (_export(client, "/icos/HA/export.csv"), _export(client, "/exports/overview.csv?period=2014")):
        for row in frame.itertuples():
            for name in ("numerator", "denominator"):
                v = getattr(row, name)
                if v == v and v is not None:  # not NaN
                    seen[(row.measure_id, str(row.period), row.ico, name)] = int(v)
    assert any(k[2] == STATEWIDE for k in seen) and not any(k[2] in ("HB", "HC") for k in seen)
    assert not any(k[2] == STATEWIDE and k[1] == "2014Q4" for k in seen)  # two ICOs: hidden as before
    recovered, possible = [], []
    for mid in (m for m in REGISTRY if TIME_RULE[m] == QUARTERS):
        for name in ("numerator", "denominator"):
            parts = [(mid, f"2014Q{q}", STATEWIDE, name) for q in range(1, 4)] + [(mid, "2014Q4", "HA", name)]
            target = (mid, "2014Q4", "HB", name)
            total = (mid, "2014", STATEWIDE, name)
            if target not in exact:
                continue
            if exact[total] - sum(exact[p] for p in parts) == exact[target]:
                possible.append(target)  # the data allow the attack
            if total in seen and all(p in seen for p in parts):
                recovered.append(target)
    assert possible and recovered == []


def test_the_ico_page_states_no_statewide_figure_withheld_from_its_users(departed):
    """The statewide figure beside each of the ICO's own (its page's caption) follows the same withholding as its
    exports and the API: a figure withheld from the ICO's users is not stated on the page either."""
    import re

    from sqlalchemy import select

    from reporting.publication import figures
    from reporting.storage import db
    from reporting.storage.models import User
    from tests.conftest import login

    with departed.app_context():
        user = db.session.scalar(select(User).where(User.email == "ha@example.org"))
        withheld = figures.withheld_from(db.session, user)
    periods = sorted({p for _, p in withheld if "Q" in p})
    assert periods, "the fixture withholds some statewide quarter figures from ICO users"
    client = departed.test_client()
    login(client, "ha@example.org")
    for period in periods:
        page = client.get(f"/icos/HA?period={period}").get_data(as_text=True)
        for mid in REGISTRY:
            section = re.search(rf'<section class="multiple" id="m-{mid}".*?</section>', page, re.S)
            stated = section is not None and f"statewide {period}" in section.group(0)
            if (mid, period) in withheld:
                assert not stated, f"{mid} {period}: a withheld statewide figure is stated on the ICO page"
