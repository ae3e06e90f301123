"""Two programmes in one installation, walked as their users see them: a Michigan state reviewer reaches MI Health
Link's plans only, and an MA ICO user One Care's only, on every page, export, report, open-data package and FHIR
answer; the public index lists both programmes and each programme's page shows its own published periods.

The worked example's ICOs (HA, HB) are One Care's; two MI Health Link plans (MIA, MIB) get a synthetic year
from the demo's simulation (members 21 and over, some 65 or older), so no figure of one is a figure of the other."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, PASSWORD, example_after, login

MI_PERIODS = ["2015Q1", "2015Q2", "2015Q3"]
MI = {"MIA": "Great Lakes Care Michigan", "MIB": "Peninsula Health Michigan"}
MA = {"HA": "Health Alliance", "HB": "Harbor Care"}
PUBLISHED = "2015Q2"


def _codes(mapping) -> re.Pattern:
    words = [re.escape(n) for n in mapping.values()] + [rf"\b{c}\b" for c in mapping]
    return re.compile("|".join(words))


def _mi_packages(folder: Path) -> dict[tuple[str, str], Path]:
    from reporting import demo

    out = {}
    for n, code in enumerate(MI):
        profile = demo.IcoProfile(code, MI[code], 260 + 60 * n, prefix="G", programme="mi-health-link")
        sim = demo.Simulation(profile, 77 + n)
        sim.enroll()
        for period in MI_PERIODS:
            target = folder / code / period
            target.mkdir(parents=True)
            for name, frame in sim.package(period).items():
                demo.write_csv(frame, target / f"{name}.csv", demo.FILES_COLUMNS[name])
            out[(code, period)] = target
    return out


def _two_programmes(app):
    from reporting import accounts, pipeline
    from reporting.cli_files import files_from_paths
    from reporting.storage import db

    with app.app_context():
        with db.transaction() as s:
            from reporting import programmes
            from reporting.rules.store import seed_programme

            seed_programme(s, programmes.get("mi-health-link"))  # what init-db does
            for code, name in MI.items():
                accounts.add_ico(
                    s, code=code, name=name, programme="mi-health-link", recipients=[f"q@{code}.example.org"]
                )
            accounts.create_user(s, email="mi@example.org", role="state_reviewer", state="MI", password=PASSWORD)
            accounts.create_user(s, email="mia@example.org", role="ico_submitter", ico="MIA", password=PASSWORD)
        with tempfile.TemporaryDirectory() as tmp:
            for (code, period), folder in _mi_packages(Path(tmp)).items():
                outcome = pipeline.accept_package(code, period, files_from_paths([folder]), uploader="test", via="cli")
                assert outcome.accepted, outcome.report["by_rule"][:3]
        pipeline.compute_many([*MI_PERIODS, "2015"], trigger="test", programme="mi-health-link")
        for programme in ("ma-one-care", "mi-health-link"):
            o = pipeline.run_cycle(PUBLISHED, trigger="test", wait_for_retries=0, programme=programme)
            assert o.status == "published"
        db.session.remove()


@pytest.fixture(params=BACKENDS)
def two(request, tmp_path):
    """The worked example (One Care) and two MI Health Link plans, 2015Q2 published in both programmes (built once
    per run, copied for each test with the mail its cycles sent)."""
    yield from example_after(request, tmp_path, "two_programmes", _two_programmes)


def _token(app, email):
    from tests.ingest.test_upload_paths import issue_token

    with app.app_context():
        return issue_token(app, email)


def _pages(ico: str) -> list[str]:
    return [
        "/",
        "/overview",
        f"/overview?period={PUBLISHED}",
        f"/icos/{ico}",
        f"/icos/{ico}?period={PUBLISHED}",
        "/measures/fuh_30d",
        "/measures/readmission_30d",
        "/withhold?year=2015",
        "/reports",
        "/inquiries",
        f"/exports/overview.csv?period={PUBLISHED}",
        f"/icos/{ico}/export.csv",
        "/measures/fuh_30d/export.csv",
        "/withhold/export.csv?year=2015",
    ]


def _walk(app, email, own_ico, others: re.Pattern, token_pages: list[str]):
    client = app.test_client()
    assert login(client, email).status_code == 302
    seen = {}
    for path in _pages(own_ico):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
        body = r.get_data(as_text=True)
        assert not others.search(body), (path, others.search(body).group(0))
        seen[path] = body
    # every PDF the reports page offers this user, read as text
    from pypdf import PdfReader

    for link in sorted(set(re.findall(r'href="(/artifacts/\d+)"', seen["/reports"]))):
        r = client.get(link)
        assert r.status_code == 200
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
        assert not others.search(text), (link, others.search(text).group(0))
    token = _token(app, email)
    for path in token_pages:
        r = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
        body = r.get_data(as_text=True)
        assert not others.search(body), (path, others.search(body).group(0))
    return client, seen


def _csv_rows(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the rule, not the database: one backend keeps it short
def test_a_michigan_reviewer_sees_mi_health_link_only(two):
    client, seen = _walk(
        two,
        "mi@example.org",
        "MIA",
        _codes(MA),
        [
            f"/api/v1/results?period={PUBLISHED}",
            "/api/v1/fhir/Measure",
            f"/api/v1/fhir/MeasureReport?period={PUBLISHED}",
        ],
    )
    assert 'data-programme="mi-health-link"' in seen["/overview"] and "MI Health Link" in seen["/overview"]
    assert "Massachusetts One Care" not in seen["/overview"]  # no choice of a programme they may not see
    rows = _csv_rows(seen[f"/exports/overview.csv?period={PUBLISHED}"])
    assert {r["programme"] for r in rows} == {"mi-health-link"} and {r["ico"] for r in rows} == {*MI, "STATEWIDE"}
    # One Care's pages, exports and FHIR are refused, not shown
    for path in ("/icos/HA", "/overview?programme=ma-one-care", "/icos/HA/export.csv"):
        assert client.get(path).status_code == 403, path
    token = _token(two, "mi@example.org")
    r = client.get(
        f"/api/v1/fhir/MeasureReport?programme=ma-one-care&period={PUBLISHED}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the rule, not the database: one backend keeps it short
def test_an_ma_ico_user_sees_one_care_only(two):
    client, seen = _walk(
        two,
        "ha@example.org",
        "HA",
        _codes(MI),
        [
            f"/api/v1/results?period={PUBLISHED}",
            "/api/v1/fhir/Measure",
            f"/api/v1/fhir/MeasureReport?period={PUBLISHED}",
        ],
    )
    assert 'data-programme="ma-one-care"' in seen[f"/icos/HA?period={PUBLISHED}"]
    for path in ("/icos/MIA", "/overview?programme=mi-health-link"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the rule, not the database: one backend keeps it short
def test_the_public_index_lists_programmes_and_each_page_its_own(two):
    client = two.test_client()
    index = client.get("/public").get_data(as_text=True)
    assert "Massachusetts One Care" in index and "MI Health Link" in index
    for programme, mine, others in (("mi-health-link", MI, MA), ("ma-one-care", MA, MI)):
        page = client.get(f"/public/{programme}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert f"{programme}-open-data-{PUBLISHED}.zip" in body
        r = client.get(f"/public/{programme}/{PUBLISHED}.zip")
        assert r.status_code == 200
        z = zipfile.ZipFile(io.BytesIO(r.data))
        rows = _csv_rows(z.read("results.csv").decode())
        assert {r["programme"] for r in rows} == {programme}
        assert {r["ico"] for r in rows} <= {*mine, "STATEWIDE"} and not _codes(others).search(
            z.read("results.csv").decode()
        )
        # the programme's statewide count pools its own plans only
        for mid in {r["measure_id"] for r in rows}:
            mrows = {r["ico"]: r for r in rows if r["measure_id"] == mid}
            plans = [mrows[c]["denominator"] for c in mine if c in mrows]
            if all(v not in ("", None) for v in plans) and mrows.get("STATEWIDE", {}).get("denominator"):
                assert int(mrows["STATEWIDE"]["denominator"]) == sum(int(v) for v in plans), mid
    assert client.get("/public/no-such-programme").status_code == 404
    assert client.get(f"/public/{PUBLISHED}.zip").status_code == 302  # an address from before programmes


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the rule, not the database
def test_the_statewide_note_names_the_programmes_own_quarters(two):
    """Two MI plans report, so MI's statewide figures are hidden from its plans' users: the note on their pages names
    MI's quarters, never One Care's (it named One Care's 2014 quarters on MI pages)."""
    client = two.test_client()
    login(client, "mia@example.org")
    page = client.get("/icos/MIA?period=2015Q2").get_data(as_text=True)  # the note names the period shown
    note = re.search(r"Statewide figures are not shown for ([^:]*):", page)
    assert note, "two plans report: the note is there"
    assert "2015Q2" in note.group(1) and "2014" not in note.group(1)


@pytest.mark.parametrize("two", ["sqlite"], indirect=True)  # the rule, not the database
def test_an_mi_ico_users_statewide_figures_are_withheld_on_mi_health_links_computations(two, monkeypatch):
    """An attack: the overview asked which statewide figures to withhold from an ICO user on One Care's runs (the
    default programme's), so an MI Health Link user's overview and export showed statewide figures that the API,
    FHIR and the scorecard withheld, and another MI plan's counts followed by subtraction."""
    from reporting.publication import figures

    asked = []
    real = figures.statewide_withheld
    monkeypatch.setattr(
        figures,
        "statewide_withheld",
        lambda session, runs: asked.append({r.programme_id for r in runs.values()}) or real(session, runs),
    )
    client = two.test_client()
    assert login(client, "mia@example.org").status_code == 302
    for path in (f"/overview?period={PUBLISHED}", f"/exports/overview.csv?period={PUBLISHED}", "/icos/MIA"):
        asked.clear()
        assert client.get(path).status_code == 200, path
        assert asked and all(p == {"mi-health-link"} for p in asked), (path, asked)
