"""A Michigan plan's question reaches the homes that should show it, the measures page counts its programme's
measures, and a state reviewer refused another state's ICO is told why in their own terms (a user walk found MI
inquiries missing from both homes: the homes asked One Care for the period's open inquiries)."""

from __future__ import annotations

from measures import Period
from tests.conftest import login
from tests.web.test_programme_walk import two  # noqa: F401 (the fixture: One Care and two MI plans)


def test_an_mi_inquiry_shows_on_the_plan_s_home_and_the_mi_reviewer_s(two):
    from reporting import pipeline
    from reporting.review.inquiries import open_inquiry
    from reporting.storage import db
    from reporting.storage.models import User

    two.config["PUBLISH_MODE"] = "preview"
    with two.app_context():
        outcome = pipeline.run_cycle("2015Q3", trigger="test", wait_for_retries=0, programme="mi-health-link")
        assert outcome.status == "preview"
        with db.transaction() as s:
            mia = s.query(User).filter_by(email="mia@example.org").one()
            open_inquiry(s, mia, Period.parse("2015Q3"), "fuh_30d", "Our follow-up count looks low.")
        db.session.remove()

    plan = two.test_client()
    login(plan, "mia@example.org")
    home = plan.get("/").get_data(as_text=True)
    assert "1 open inquiry on 2015Q3" in home

    reviewer = two.test_client()
    login(reviewer, "mi@example.org")
    home = reviewer.get("/").get_data(as_text=True)
    waiting = home[home.index('id="home-waiting"') :]
    waiting = waiting[: waiting.index("</section>")]
    assert "2015Q3 edition" in waiting and "1 open inquiry" in waiting and "Nothing." not in waiting

    catalog = reviewer.get("/measures").get_data(as_text=True)
    assert "<h1>The 9 measures of MI Health Link</h1>" in catalog

    refused = reviewer.get("/icos/HA")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "(MI) ICOs: this ICO is another state" in text and "your own ICO" not in text


def test_inquiry_submission_and_deadline_pages_name_their_programme_and_the_menu_counts_its_inquiries(two):
    """A user walk found the inquiry, submission and deadlines-ahead pages without the programme banner every other
    page shows, and the menu's "Inquiries (2)" counting both programmes' open inquiries on a page of one."""
    import re

    from sqlalchemy import select

    from reporting import pipeline
    from reporting.review.inquiries import open_inquiry
    from reporting.storage import db
    from reporting.storage.models import Submission, User

    two.config["PUBLISH_MODE"] = "preview"
    with two.app_context():
        for programme in ("mi-health-link", "ma-one-care"):
            pipeline.run_cycle("2015Q3", trigger="test", wait_for_retries=0, programme=programme)
        with db.transaction() as s:
            mia = s.query(User).filter_by(email="mia@example.org").one()
            ha = s.query(User).filter_by(email="ha@example.org").one()
            mi_inquiry = open_inquiry(s, mia, Period.parse("2015Q3"), "fuh_30d", "Our follow-up count looks low.").id
            open_inquiry(s, ha, Period.parse("2015Q3"), None, "The whole edition looks off.")
            mi_submission = s.scalar(
                select(Submission.id)
                .join(Submission.organization)
                .where(Submission.period_code == "2015Q2")
                .where(Submission.organization.has(code="MIA"))
            )
        db.session.remove()

    def banner(page):
        found = re.search(r'<div class="note programme-banner".*?<strong data-programme="([^"]+)">', page, re.S)
        return found.group(1) if found else None

    cms = two.test_client()
    login(cms, "cms@example.org")
    for path in (f"/inquiries/{mi_inquiry}", f"/submissions/{mi_submission}"):
        assert banner(cms.get(path).get_data(as_text=True)) == "mi-health-link", path
    page = cms.get("/upcoming/assessment_90d/HA").get_data(as_text=True)
    assert banner(page) == "ma-one-care"
    for programme in ("mi-health-link", "ma-one-care"):
        page = cms.get(f"/overview?programme={programme}").get_data(as_text=True)
        assert 'aria-label="1 open">(1)</span>' in page, programme  # its own inquiry, not both
