"""What a walk of the demo found, one test per finding, each on what the user sees."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import csrf_token, login
from tests.web.test_departed import departed  # noqa: F401  (fixture: a third ICO in 2014Q1-Q3)
from tests.web.test_programme_walk import two  # noqa: F401  (fixture: One Care and MI Health Link)

pytestmark = pytest.mark.one_backend  # its subject is pages: SQLite only (conftest)


def _selected_quarter(page: str) -> str:
    select_html = re.search(r'<select id="period".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]+)" selected>', select_html).group(1)


def _flashes(page: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S))


def test_the_upload_form_offers_a_quarter_it_accepts_and_asks_for_files_first(example):
    from reporting import pipeline

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 10, "REPORTING_TODAY": date(2015, 11, 10)})
    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")  # 2015Q3 in preview: HA's package in force is not replaced
    client = example.test_client()
    login(client, "ha@example.org")
    form = client.get("/submissions/upload").get_data(as_text=True)
    assert _selected_quarter(form) == "2015Q2"  # the newest quarter HA can send now, not 2015Q3 in preview

    for period in ("2015Q3", "2015Q2"):  # Upload with no file chosen: that is said first, whatever the quarter
        r = client.post(
            "/submissions/upload",
            data={"csrf_token": csrf_token(client, "/submissions/upload"), "period": period, "ico": "HA"},
            content_type="multipart/form-data",
        )
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "Choose the package&#39;s files first" in page, period
        assert "reviewer&#39;s permission" not in page and "needs a reviewer" not in page


def test_the_statewide_note_names_the_period_shown_only(departed):
    """Harbor Coast reported in 2014Q1-Q3 (three ICOs: statewide shown to HA), not in 2014Q4 (two: hidden)."""
    client = departed.test_client()
    login(client, "ha@example.org")
    shown = client.get("/icos/HA?period=2014Q2").get_data(as_text=True)
    assert "Statewide figures are not shown" not in shown
    hidden = client.get("/icos/HA?period=2014Q4").get_data(as_text=True)
    assert "Statewide figures are not shown for 2014Q4: fewer than three ICOs" in hidden
    overview = client.get("/overview?period=2014Q3").get_data(as_text=True)
    assert "Statewide figures are not shown" not in overview
    overview = client.get("/overview?period=2014Q4").get_data(as_text=True)
    assert "Statewide figures are not shown for 2014Q4: fewer than three ICOs" in overview


def test_the_gap_lists_browser_titles_name_the_measure_and_the_ico(example):
    client = example.test_client()
    login(client, "ha@example.org")
    gaps = client.get("/gaps/assessment_90d/HA/2015Q2").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", gaps, re.S).group(1)
    assert title.startswith("Gap list: Assessment within 90 days of enrollment, Health Alliance, 2015Q2")
    assert "assessment_90d" not in title and " HA " not in title
    upcoming = client.get("/upcoming/assessment_90d/HA").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", upcoming, re.S).group(1)
    assert "Health Alliance" in title and "assessment_90d" not in title


def test_rating_category_groups_are_named_as_their_programme_names_them(two):
    """MI Health Link's results by group showed MassHealth's rating categories ("C3 (community, high LTSS need)");
    it gives none (config/programmes/mi-health-link.toml), so its groups are named neutrally; One Care keeps its."""
    mi = two.test_client()
    login(mi, "mi@example.org")
    for path in ("/measures/fuh_30d?period=2015Q2", "/icos/MIA?period=2015Q2"):
        page = mi.get(path).get_data(as_text=True)
        assert "MI Health Link" in page, path
        assert "high LTSS need" not in page and "facility-based care" not in page, path
    by_group = mi.get("/measures/fuh_30d?period=2015Q2").get_data(as_text=True)
    assert "Rating category F1" in by_group and "Rating category C3" in by_group
    public = two.test_client().get("/public/mi-health-link/2015Q2/by-group?measure=fuh_30d")
    assert public.status_code == 200 and "high LTSS need" not in public.get_data(as_text=True)
    cms = two.test_client()
    login(cms, "cms@example.org")
    one_care = cms.get("/measures/fuh_30d?period=2015Q2&programme=ma-one-care").get_data(as_text=True)
    assert "C3 (community, high LTSS need)" in one_care and "Rating category C3" not in one_care


def test_the_ico_home_says_which_tier_its_share_met_reaches(example):
    """ "75 % earned back" beside "72.7 % met" said nothing of why: the tier (as the withhold report's table) does."""
    tiers = [(80, 100), (60, 75), (40, 50), (20, 25), (0, 0)]  # the demonstration's (rule set 2015 v1)
    seen = set()
    for email in ("ha@example.org", "hb@example.org"):
        client = example.test_client()
        login(client, email)
        card = re.search(r'id="home-withhold".*?</section>', client.get("/").get_data(as_text=True), re.S).group(0)
        earned = int(re.search(r"(\d+) % earned back", card).group(1))
        share = float(re.search(r"met \(([\d.]+) %\)", card).group(1))
        floor, tier_earned = next((f, e) for f, e in tiers if share >= f)
        assert tier_earned == earned
        assert f"The tier reached: a share met of {floor} % or more earns back {earned} % of the withhold." in card
        seen.add(earned)
    assert seen - {0}, seen  # a tier above the lowest is among them
