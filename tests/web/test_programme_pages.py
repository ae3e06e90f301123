"""The pages follow the programme shown, as each user sees them: an MI Health Link submitter's submissions pages,
upload form and data dictionary give MI's eligibility (21 and over), periods (from 2015Q1) and measures, a One Care
submitter's One Care's; the site's name in the header and the browser title is the programme's (neutral where none
is shown); a reviewer's submissions and reports follow the programme they choose; exports name the programme."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from tests.conftest import PASSWORD, login
from tests.web.test_programme_walk import PUBLISHED, two  # noqa: F401 (the fixture: One Care and two MI plans)

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


def _people(app):
    from reporting import accounts
    from reporting.storage import db

    with app.app_context(), db.transaction() as s:
        accounts.add_ico(s, code="CCA", name="Commonwealth Care Alliance", programme="ma-one-care")
        accounts.add_ico(s, code="AMC", name="AmeriHealth Caritas Michigan", programme="mi-health-link")
        accounts.create_user(s, email="cca@example.org", role="ico_submitter", ico="CCA", password=PASSWORD)
        accounts.create_user(s, email="amc@example.org", role="ico_submitter", ico="AMC", password=PASSWORD)
        accounts.create_user(s, email="admin@example.org", role="admin", password=PASSWORD)


def _page(client, path) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _quarters(page: str) -> list[str]:
    select = re.search(r'<select id="period".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="(\d{4}Q\d)"', select)


def test_an_mi_submitter_sees_mi_health_link_s_rules_and_a_one_care_submitter_one_care_s(app):
    from reporting import programmes

    app.config["REPORTING_TODAY"] = date(2016, 1, 20)
    _people(app)
    mi_measures = [m.title for m in programmes.get("mi-health-link").measure_set.values()]
    one_care_only = [
        m.title
        for mid, m in programmes.get("ma-one-care").measure_set.items()
        if mid not in programmes.get("mi-health-link").measures
    ]
    assert one_care_only

    amc = app.test_client()
    sign_in = _page(amc, "/login")
    assert "<title>Sign in · Financial Alignment Initiative Quality Reporting</title>" in sign_in
    assert "state demonstrations" in sign_in and "One Care" not in sign_in  # the service's, not one programme's
    login(amc, "amc@example.org")
    upload = _page(amc, "/submissions/upload")
    assert _quarters(upload) == [f"2015Q{q}" for q in (4, 3, 2, 1)]  # MI's quarters, none of One Care's 2014
    assert "MI Health Link: quarters from <strong>2015Q1</strong>" in upload
    assert "aged <strong>21 and over</strong>" in upload and "21 to 64" not in upload
    assert "<title>Upload a package · MI Health Link Quality Reporting</title>" in upload
    assert '<div class="brand"><a href="/">MI Health Link Quality Reporting</a></div>' in upload
    dictionary = _page(amc, "/submissions/dictionary")
    assert '<span id="ages">21 and over</span>' in dictionary and "21..64" not in dictionary
    assert "age on enrollment_start is 21 and over (MI Health Link eligibility)" in dictionary
    assert '<span id="first-period">2015Q1</span>' in dictionary and "2015Q1 = 1 January to 31 March 2015" in dictionary
    assert "2014Q3" not in dictionary
    shown = re.search(r'<span id="programme-measures">(.*?)</span>', dictionary, re.S).group(1).split("; ")
    assert shown == mi_measures and not any(t in dictionary for t in one_care_only)
    grid = _page(amc, "/submissions/")
    assert "Status by quarter: MI Health Link" in grid
    xlsx = amc.get("/submissions/template.xlsx")
    assert "mi-health-link-package-template.xlsx" in xlsx.headers["Content-Disposition"]

    cca = app.test_client()
    login(cca, "cca@example.org")
    upload = _page(cca, "/submissions/upload")
    quarters = _quarters(upload)
    assert quarters[-1] == "2014Q1" and quarters[0] == "2015Q4" and len(quarters) == 8
    assert "aged <strong>21 to 64</strong>" in upload
    dictionary = _page(cca, "/submissions/dictionary")
    assert '<span id="ages">21 to 64</span>' in dictionary and '<span id="first-period">2014Q1</span>' in dictionary
    assert all(t in dictionary for t in one_care_only)
    assert "<title>Data dictionary · Massachusetts One Care Quality Reporting</title>" in dictionary

    # an administrator uploads for the ICOs of the programme chosen, in its quarters
    admin = app.test_client()
    login(admin, "admin@example.org")
    upload = _page(admin, "/submissions/upload?programme=mi-health-link")
    assert "AmeriHealth Caritas Michigan" in upload and "Commonwealth Care Alliance" not in upload
    assert _quarters(upload)[-1] == "2015Q1"
    upload = _page(admin, "/submissions/upload?programme=ma-one-care")
    assert "Commonwealth Care Alliance" in upload and "AmeriHealth" not in upload
    assert _quarters(upload)[-1] == "2014Q1"


def _rows(table: str) -> list[list[str]]:
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_a_reviewer_s_submissions_reports_and_exports_follow_the_programme_chosen(two):
    from reporting import accounts
    from reporting.storage import db

    with two.app_context(), db.transaction() as s:
        accounts.create_user(s, email="ma@example.org", role="state_reviewer", state="MA", password=PASSWORD)
    cms = two.test_client()
    login(cms, "cms@example.org")

    grid = _page(cms, "/submissions/?programme=mi-health-link")
    assert "Status by quarter: MI Health Link" in grid and "MI Health Link Quality Reporting" in grid
    head = _rows(re.search(r"<thead>.*?</thead>", grid, re.S).group(0))[0]
    assert head[1] == "2015Q1" and "2014Q4" not in head
    assert "Great Lakes Care Michigan (MIA)" in grid and "Health Alliance" not in grid
    grid = _page(cms, "/submissions/?programme=ma-one-care")
    head = _rows(re.search(r"<thead>.*?</thead>", grid, re.S).group(0))[0]
    assert head[1] == "2014Q1" and "Health Alliance (HA)" in grid and "Great Lakes" not in grid

    # the reports list: a programme column, the programme chosen only
    for programme, name, other in (
        ("mi-health-link", "MI Health Link", "Massachusetts One Care"),
        ("ma-one-care", "Massachusetts One Care", "MI Health Link"),
    ):
        page = _page(cms, f"/reports?programme={programme}")
        table = re.search(r'<table class="data[^"]*" id="reports">.*?</table>', page, re.S).group(0)
        rows = _rows(table)
        assert rows[0][0] == "Programme" and len(rows) > 1
        assert {r[0] for r in rows[1:]} == {name}, {r[0] for r in rows[1:]}
        assert f'data-programme="{programme}"' in table and other not in table
    # a state reviewer: their state's programme's reports only, even when asking for another's
    ma = two.test_client()
    login(ma, "ma@example.org")
    table = re.search(r'<table class="data[^"]*" id="reports">.*?</table>', _page(ma, "/reports"), re.S).group(0)
    assert {r[0] for r in _rows(table)[1:]} == {"Massachusetts One Care"}
    assert ma.get("/reports?programme=mi-health-link").status_code == 403

    # exports name the programme they are of, not One Care
    for programme, name in (("mi-health-link", "MI Health Link"), ("ma-one-care", "Massachusetts One Care")):
        _page(cms, f"/overview?programme={programme}")
        body = _page(cms, f"/exports/overview.csv?period={PUBLISHED}")
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        said = {r["about_export"] for r in rows}
        assert said == {f"{name} quality measures: Overview"}, said


def test_the_mi_scorecard_compares_with_mi_health_link_s_own_periods(two):
    """MI Health Link began in 2015Q1: its 2015Q2 scorecard compares with 2015Q1 and has no year-ago column
    (2014Q2 is before the programme); One Care's 2015Q2 scorecard compares with 2015Q1 and 2014Q2."""
    from pypdf import PdfReader

    cms = two.test_client()
    login(cms, "cms@example.org")
    texts = {}
    for programme, code in (("mi-health-link", "MIA"), ("ma-one-care", "HA")):
        page = _page(cms, f"/reports?programme={programme}")
        link = re.search(rf'href="(/artifacts/\d+)">[^<]*scorecard-{code}-{PUBLISHED}\.pdf<', page).group(1)
        pdf = PdfReader(io.BytesIO(cms.get(link).data))
        texts[code] = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    mi, ma = texts["MIA"], texts["HA"]
    # the e-mail that carried MIA's scorecard is signed by its programme
    import email
    import email.policy
    from pathlib import Path

    outbox = Path(two.config["OUTBOX_DIR"]).glob("*.eml")
    letters = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox]
    mia = [m for m in letters if str(m["To"]).lower() == "q@mia.example.org"]
    assert mia
    for m in mia:
        body = " ".join(part.get_content() for part in m.walk() if part.get_content_type().startswith("text/"))
        assert "MI Health Link Quality Reporting" in body and "One Care" not in body
        # the headline counts MI Health Link's nine measures, as its scorecard does
        counts = re.search(r"(\d+) measures? met, (\d+) not met, (\d+) NA", body)
        assert counts and sum(int(n) for n in counts.groups()) == 9, body
    assert "Change from 2015Q1" in mi and "Change from 2014" not in mi
    assert "Community living" not in mi and "Community living" in ma  # MI Health Link measures none of it
    assert "the change from 2015Q1 (MI Health Link has no 2014Q2)" in mi
    assert "Change from 2015Q1" in ma and "Change from 2014Q2" in ma


def test_the_programme_chooser_offers_the_other_programmes_not_the_one_shown(world):
    """The banner read "Programme: MI Health Link · Switch to [MI Health Link]": the chooser listed the programme
    already shown, selected. It offers the others only, and choosing one shows it, with the first on offer."""
    cms = world.test_client()
    login(cms, "cms@example.org")
    names = {"ma-one-care": "Massachusetts One Care (MA)", "mi-health-link": "MI Health Link (MI)"}
    for shown, other in (("mi-health-link", "ma-one-care"), ("ma-one-care", "mi-health-link")):
        page = _page(cms, f"/submissions/?programme={shown}")
        banner = re.search(r'<div class="note programme-banner".*?</div>', page, re.S).group(0)
        assert f'<strong data-programme="{shown}">' in banner
        choice = re.search(r'<label for="programme-choice">(.*?)</label>\s*<select[^>]*>(.*?)</select>', banner, re.S)
        assert choice.group(1) == "Switch to"
        assert re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', choice.group(2)) == [(other, names[other])]
        assert "selected" not in choice.group(2)
        switched = _page(cms, f"/submissions/?programme={other}")
        assert f'<strong data-programme="{other}">' in switched and f'<option value="{shown}">' in switched
