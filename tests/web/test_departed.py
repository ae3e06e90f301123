"""Issue 17: an ICO that leaves the demonstration is shown as such everywhere, in one wording: the
overview (a note, and its withhold row with the months covered), the reviewers' submissions grid, its own
page, the withhold page and the statewide PDF. Here a third ICO, Harbor Coast, takes part in 2014Q1-Q3
(active to 2014-09-30) and leaves."""

from datetime import date

import pytest

from reporting import pipeline
from reporting.cli_files import files_from_paths
from tests.conftest import BACKENDS, EXAMPLES, example_after, login
from tests.rendering.test_pdf import rendered

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

LEFT = "left the demonstration after 2014Q3"


def _harbor_coast_takes_part_and_leaves(app):
    from reporting import accounts
    from reporting.storage import db

    with app.app_context():
        with db.transaction() as s:
            accounts.add_ico(s, code="HC", name="Harbor Coast", state="MA", active_to=date(2014, 9, 30), actor="test")
        for quarter in ("2014Q1", "2014Q2", "2014Q3"):
            assert pipeline.accept_package(
                "HC", quarter, files_from_paths([EXAMPLES / "packages" / "HA" / quarter]), uploader="test", via="cli"
            ).accepted
        pipeline.compute_many(["2014Q1", "2014Q2", "2014Q3", "2014Q4", "2014", "2015Q1"], trigger="test")


@pytest.fixture(params=BACKENDS)
def departed(request, tmp_path):
    """The worked example with Harbor Coast's three quarters (built once per run, copied for each test)."""
    yield from example_after(request, tmp_path, "hc_left", _harbor_coast_takes_part_and_leaves)


def test_a_departed_ico_is_named_as_such_on_every_page(departed):
    client = departed.test_client()
    login(client, "cms@example.org")
    overview = client.get("/overview?period=2014Q4").get_data(as_text=True)
    assert f"Harbor Coast {LEFT}" in overview
    assert 'data-ico="HC"' not in overview  # no column of its own
    year = client.get("/overview?period=2014").get_data(as_text=True)
    assert "covers January to September 2014" in year and f"({LEFT})" in year
    grid = client.get("/submissions/").get_data(as_text=True)
    assert LEFT in grid and "not participating" not in grid
    own = client.get("/icos/HC").get_data(as_text=True)
    assert LEFT in own and ">missing<" not in own
    withhold = client.get("/withhold?year=2014").get_data(as_text=True)
    assert "Harbor Coast" in withhold and "This year's withhold covers January to September 2014" in withhold


def test_the_statewide_report_says_who_left(departed, tmp_path):
    _, text = rendered(departed, tmp_path, "statewide-departed", "report", "--kind", "statewide", "--period", "2014Q4")
    assert f"Harbor Coast {LEFT}" in " ".join(text.split())
    assert "covers January to September" in " ".join(text.split())


def test_a_departed_ico_has_no_deadlines_ahead(departed):
    client = departed.test_client()
    login(client, "cms@example.org")
    assert "/upcoming/assessment_90d/HC" not in client.get("/icos/HC").get_data(as_text=True)
    assert "/upcoming/assessment_90d/HC" not in client.get("/measures/assessment_90d").get_data(as_text=True)
    r = client.get("/upcoming/assessment_90d/HC")
    assert r.status_code == 404 and LEFT in r.get_data(as_text=True)


def test_a_departed_ico_submits_no_package_for_a_quarter_after_it_left(departed, dbs):
    """Fallon's upload form offered 2015Q4 after it left after 2015Q3 (a walk through the demo); the pipeline
    refuses it by name from any edge, and the form lists only the quarters it took part in."""
    from reporting.errors import ReportingError

    with departed.app_context():
        with pytest.raises(ReportingError, match=f"Harbor Coast {LEFT}: it submits no package for 2014Q4"):
            pipeline.accept_package(
                "HC", "2014Q4", files_from_paths([EXAMPLES / "packages" / "HA" / "2014Q4"]), uploader="test", via="cli"
            )
        # its own quarters can still be sent again
        assert pipeline.accept_package(
            "HC", "2014Q3", files_from_paths([EXAMPLES / "packages" / "HA" / "2014Q3"]), uploader="test", via="cli"
        ).accepted
    from reporting import accounts
    from tests.conftest import PASSWORD

    accounts.create_user(dbs, email="hc@example.org", role="ico_submitter", password=PASSWORD, ico="HC", actor="test")
    dbs.commit()
    client = departed.test_client()
    login(client, "hc@example.org")
    form = client.get("/submissions/upload").get_data(as_text=True)
    assert '<option value="2014Q3"' in form and '<option value="2014Q4"' not in form


def test_a_departed_icos_home_shows_its_last_edition_and_says_it_left(departed, dbs):
    """#27: Harbor Coast's home showed the newest preview (2015Q1), a quarter after it left; it shows the edition
    of its own last quarter (2014Q3) and says that it left. Health Alliance's home still shows the newest."""
    import re
    from datetime import timedelta

    from sqlalchemy import select

    from reporting import accounts
    from reporting.publication import editions
    from reporting.storage.models import ResultRun, utcnow
    from tests.conftest import PASSWORD

    def run_of(period):
        return dbs.scalar(select(ResultRun.id).where(ResultRun.period_code == period, ResultRun.is_current))

    editions.create(dbs, "2014Q3", run_of("2014Q3"), publish=True, actor="test")
    editions.open_preview(dbs, "2015Q1", run_of("2015Q1"), utcnow() + timedelta(days=7), "test")
    accounts.create_user(dbs, email="hc@example.org", role="ico_submitter", password=PASSWORD, ico="HC", actor="test")
    dbs.commit()

    def edition_card(email):
        client = departed.test_client()
        login(client, email)
        page = client.get("/").get_data(as_text=True)
        return re.search(r'id="home-edition".*?</section>', page, re.S).group(0)

    hc = edition_card("hc@example.org")
    assert "Last edition" in hc and '<p class="big">2014Q3</p>' in hc, hc
    assert f"Harbor Coast {LEFT}: this is the edition of its last quarter" in hc
    assert "2015Q1" not in hc and "In preview" not in hc
    ha = edition_card("ha@example.org")
    assert "Newest edition" in ha and '<p class="big">2015Q1</p>' in ha and "In preview" in ha and LEFT not in ha


def test_a_departed_icos_pages_show_no_preview_of_a_period_after_it_left(departed, dbs):
    """Fallon's home, a quarter after it left, still showed the banner "2015Q4 is in preview ... Question a result
    or the whole edition" (a walk through the demo): an ICO user is told only of previews of periods its ICO took
    part in, on every page; and an ICO's home shows its own programme's editions only (MI Health Link's newer
    preview is not Health Alliance's). A page tells of its own programme's previews only, in one notice naming
    every period (a reviewer saw four banners, both programmes' 2015 and 2015Q4, on every page)."""
    import re
    from datetime import timedelta

    from sqlalchemy import select

    from reporting import accounts
    from reporting.publication import editions
    from reporting.storage.models import ResultRun, utcnow
    from tests.conftest import PASSWORD

    def run_of(period):
        return dbs.scalar(select(ResultRun.id).where(ResultRun.period_code == period, ResultRun.is_current))

    editions.create(dbs, "2014Q3", run_of("2014Q3"), publish=True, actor="test")
    editions.open_preview(dbs, "2014", run_of("2014"), utcnow() + timedelta(days=7), "test")  # HC's first 9 months
    editions.open_preview(dbs, "2015Q1", run_of("2015Q1"), utcnow() + timedelta(days=7), "test")
    mi = ResultRun(programme_id="mi-health-link", period_code="2015Q2", status="done", finished_at=utcnow())
    dbs.add(mi)
    dbs.flush()
    editions.open_preview(dbs, "2015Q2", mi.id, utcnow() + timedelta(days=7), "test")
    accounts.create_user(dbs, email="hc@example.org", role="ico_submitter", password=PASSWORD, ico="HC", actor="test")
    dbs.commit()

    def seen(email, path):
        client = departed.test_client()
        login(client, email)
        page = client.get(path).get_data(as_text=True)
        notice = r'<div class="note preview-banner" role="status" data-programme="(.*?)"><strong>(?:.*? i|I)n preview: (.*?)</strong>'
        banners = re.findall(notice, page, re.S)
        card = re.search(r'id="home-edition".*?</section>', page, re.S)
        return banners, card.group(0) if card else ""

    for path in ("/", "/icos/HC", "/overview?period=2014Q3"):
        banners, _ = seen("hc@example.org", path)
        assert banners == [("ma-one-care", "2014")], (path, banners)  # the year it took part in, not 2015Q1
    _, card = seen("hc@example.org", "/")
    assert '<p class="big">2014Q3</p>' in card and "2015Q1" not in card and "2015Q2" not in card
    banners, card = seen("ha@example.org", "/")
    assert banners == [("ma-one-care", "2015Q1 and 2014")], banners  # one notice, the newest period first
    assert '<p class="big">2015Q1</p>' in card and "2015Q2" not in card  # not MI Health Link's preview
    banners, _ = seen("cms@example.org", "/overview?period=2014Q3")
    assert banners == [("ma-one-care", "2015Q1 and 2014")], banners  # a reviewer: the page's programme's, not MI's
    banners, _ = seen("cms@example.org", "/?programme=mi-health-link")
    assert banners == [("mi-health-link", "2015Q2")], banners  # ... and MI Health Link's on its pages


def test_a_departed_icos_inquiry_form_lists_only_periods_it_took_part_in(departed, dbs):
    """Harbor Coast's "Question a result" form listed 2015Q1, in preview a quarter after it left, whose inquiry was
    then refused (422): the form lists the periods it took part in only; Health Alliance's lists both."""
    import re
    from datetime import timedelta

    from sqlalchemy import select

    from reporting import accounts
    from reporting.publication import editions
    from reporting.storage.models import ResultRun, utcnow
    from tests.conftest import PASSWORD

    def run_of(period):
        return dbs.scalar(select(ResultRun.id).where(ResultRun.period_code == period, ResultRun.is_current))

    editions.open_preview(dbs, "2014", run_of("2014"), utcnow() + timedelta(days=7), "test")  # HC's first 9 months
    editions.open_preview(dbs, "2015Q1", run_of("2015Q1"), utcnow() + timedelta(days=7), "test")
    accounts.create_user(dbs, email="hc@example.org", role="ico_submitter", password=PASSWORD, ico="HC", actor="test")
    dbs.commit()

    def offered(email):
        client = departed.test_client()
        login(client, email)
        page = client.get("/inquiries/new").get_data(as_text=True)
        return re.findall(r'<option value="(\d{4}(?:Q\d)?)"', page)

    assert offered("hc@example.org") == ["2014"]
    assert sorted(offered("ha@example.org")) == ["2014", "2015Q1"]


def test_a_departed_icos_user_opens_the_overview_on_its_last_quarter(departed):
    """Fallon's submitter opened the overview on 2015Q4, a quarter after Fallon left: an "At a glance" table of
    headers only and every measure's row without a value (a walk through the demo). The overview opens on the
    ICO's last quarter; a later quarter stays a choice, with its note."""
    from reporting import accounts
    from reporting.storage import db
    from tests.conftest import PASSWORD

    with departed.app_context():
        with db.transaction() as s:
            accounts.create_user(
                s, email="hc@example.org", role="ico_submitter", password=PASSWORD, ico="HC", actor="test"
            )
    client = departed.test_client()
    login(client, "hc@example.org")
    page = client.get("/overview").get_data(as_text=True)
    assert "Quality measures, 2014Q3" in page and 'data-ico="HC"' in page
    assert "By group, 2014Q3" in client.get("/measures/assessment_90d").get_data(as_text=True)  # not "none stored"
    later = client.get("/overview?period=2015Q1").get_data(as_text=True)
    assert "Quality measures, 2015Q1" in later and LEFT in later
    cms = departed.test_client()
    login(cms, "cms@example.org")
    assert "Quality measures, 2014Q3" not in cms.get("/overview").get_data(as_text=True)  # reviewers: as before
