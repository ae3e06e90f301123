"""Each role's first page says what needs attention (issue 15): the right items, in order, nothing of another
ICO; the overview's at-a-glance grid; e-mails that carry the report's headline figures and no member data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from measures import REGISTRY
from reporting.storage.models import Result, ResultRun, ResultUnits
from tests.conftest import ask, login
from tests.smtp_server import smtp  # noqa: F401  (fixture)

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)


def page_of(app, email, path="/"):
    client = app.test_client()
    login(client, email)
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return client, r.get_data(as_text=True)


def test_ico_home_items_in_order_and_nothing_of_another_ico(example, dbs):
    client, page = page_of(example, "ha@example.org")
    order = [
        page.index(f'id="{i}"') for i in ("home-due", "home-edition", "home-withhold", "home-shortfalls", "home-moves")
    ]
    assert order == sorted(order)
    assert "Harbor" not in page and ">HB<" not in page
    assert "Next quarter due" in page and ("days left" in page or "days late" in page)
    # Not met in the newest quarter, furthest first, each linking to a member list that exists.
    gaps = [float(g) for g in re.findall(r'<td class="num"[^>]*>([\d.]+) points</td>', page)]
    assert gaps == sorted(gaps, reverse=True) and gaps
    for link in re.findall(r'href="(/gaps/[^"]+)"', page):
        assert client.get(link).status_code == 200, link
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == "2015Q3", ResultRun.is_current))
    assert "Not met in 2015Q3" in page
    lists = set(
        dbs.scalars(select(ResultUnits.measure_id).where(ResultUnits.run_id == run.id, ResultUnits.ico == "HA"))
    )
    assert all(m.split("/")[2] in lists for m in re.findall(r'href="(/gaps/[^"]+)"', page))
    assert "What changed since 2015Q2" in page


def test_reviewer_home_scoped_to_the_reviewers_state(example):
    _, cms = page_of(example, "cms@example.org")
    order = [cms.index(f'id="{i}"') for i in ("home-late", "home-waiting", "home-tiers", "home-moves")]
    assert order == sorted(order) and 'id="home-deliveries"' not in cms
    assert "Largest changes, 2015Q2 → 2015Q3" in cms
    _, ri = page_of(example, "ri@example.org")
    assert "Health Alliance" not in ri and "Harbor" not in ri and "<td>HA</td>" not in ri
    _, admin = page_of(example, "admin@example.org")
    assert 'id="home-deliveries"' in admin


def test_reviewer_home_lists_editions_waiting_and_open_inquiries(example):
    from reporting import pipeline

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 3})
    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")
    client = example.test_client()
    login(client, "ha@example.org")

    ask(client, "2015Q3", "fuh_7d", "Why?")
    _, cms = page_of(example, "cms@example.org")
    assert "2015Q3 edition 1: in preview until" in cms and "1 open inquiry" in cms
    _, ha = page_of(example, "ha@example.org")
    assert "In preview" in ha and "1 open inquiry" in ha


def test_the_overview_grid_uses_the_badge_words_and_colours(example):
    _, page = page_of(example, "cms@example.org", "/overview?period=2015Q2")
    grid = page[page.index('id="glance"') : page.index("</table>", page.index('id="glance"'))]
    cells = re.findall(
        r'<td (?:data-label="[^"]*" )?class="status-([a-z-]+)"><a href="[^"]+" aria-label="([^"]+)">', grid
    )
    assert len(cells) == len(REGISTRY) * 3
    assert {c for c, _ in cells} <= {"met", "not-met", "na", "no-benchmark"}
    for css, label in cells:
        word = label.rsplit(", ", 1)[1]
        assert css == word.replace(" ", "-").replace("met-by-gap-closure", "met").lower(), label


def test_report_emails_carry_the_headline_figures_and_no_member_data(example, smtp, dbs):
    from reporting import pipeline
    from reporting.publication.benchmarks import MET, MET_GAP, NOT_MET, benchmark_status
    from reporting.rules.store import current_rules

    example.config.update(smtp.config())
    with example.app_context():
        assert pipeline.run_cycle("2015Q1", trigger="test").status == "published"  # changes need it published
        assert pipeline.run_cycle("2015Q2", trigger="test").status == "published"
    message = smtp.recorder.by_recipient()["reports@ha.example.org"][-1]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    rules = current_rules(dbs)
    run = dbs.scalar(select(ResultRun).where(ResultRun.period_code == "2015Q2", ResultRun.is_current))
    results = {r.measure_id: r for r in dbs.scalars(select(Result).where(Result.run_id == run.id, Result.ico == "HA"))}
    statuses = [
        benchmark_status(
            m, results.get(m), rules.benchmarks.get((m, 2015)), None, rules.withhold.get(2015, {}).get(m, False)
        )
        for m in REGISTRY
    ]
    met = sum(s in (MET, MET_GAP) for s in statuses)
    not_met = sum(s == NOT_MET for s in statuses)
    assert re.search(
        rf'<span data-figure="met">{met}</span> measures met, <span data-figure="not_met">{not_met}</span> not met',
        html,
    )
    assert f"HA: {met} measures met, {not_met} not met" in text
    assert "Largest changes since the previous quarter" in html and "->" in text
    # No member id of the worked example in any message.
    from reporting.engine.store import frame_from_bytes
    from reporting.storage.models import ResultUnits

    ids = set()
    for row in dbs.scalars(select(ResultUnits).where(ResultUnits.run_id == run.id)):
        frame = frame_from_bytes(row.content)
        if "member_id" in frame:
            ids |= {str(v) for v in frame["member_id"] if len(str(v)) >= 4}
    assert ids, "the worked example's member lists hold member ids"
    for messages in smtp.recorder.by_recipient().values():
        for m in messages:
            body = m.get_body(("plain",)).get_content() + m.get_body(("html",)).get_content()
            assert not any(re.search(rf"\b{re.escape(i)}\b", body) for i in ids)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_homes_moves_are_the_headlines_as_the_pdf_and_e_mail_state_them(example):
    """A survey measure moves by its case-mix adjusted scores where both quarters have one (figures.headline_change)."""
    from reporting.homes import moves
    from reporting.storage import db

    with example.app_context():
        _, found = moves(db.session, ["HA"], "2015Q3")
        current = select(ResultRun.id).where(ResultRun.is_current)
        rows = {
            r.period_code: r
            for r in db.session.scalars(
                select(Result).where(Result.ico == "HA", Result.measure_id == "flu_vaccine", Result.run_id.in_(current))
            )
        }
    [flu] = [m for m in found if m.measure_id == "flu_vaccine"]
    before, now = rows["2015Q2"], rows["2015Q3"]
    assert before.adjusted_value is not None and now.adjusted_value is not None
    assert (flu.before, flu.now) == (before.adjusted_value, now.adjusted_value) != (before.value, now.value)


def test_an_inquiry_left_open_by_a_publication_anyway_still_waits_on_the_reviewers_home(example):
    """An ICO questions a figure in preview; a CMS reviewer publishes the period anyway, with a reason, while the
    inquiry is still open. The menu still counts it (Inquiries (1)) and the ICO's home says "waiting for a
    reviewer", so the reviewer's home lists it under "Waiting for you" too (it said "Nothing.")."""
    from reporting import pipeline
    from tests.conftest import csrf_token

    example.config.update({"PUBLISH_MODE": "preview", "PREVIEW_DAYS": 3})
    with example.app_context():
        pipeline.run_cycle("2015Q3", trigger="test")
    ha = example.test_client()
    login(ha, "ha@example.org")
    ask(ha, "2015Q3", "fuh_7d", "Why?")
    cms, page = page_of(example, "cms@example.org")
    assert "2015Q3 edition 1: in preview until" in page and "1 open inquiry" in page
    r = cms.post(
        "/inquiries/publish/2015Q3",
        follow_redirects=True,
        data={"csrf_token": csrf_token(cms, "/account"), "reason": "The board meets tomorrow."},
    )
    assert "2015Q3 published" in r.get_data(as_text=True)
    page = cms.get("/").get_data(as_text=True)
    waiting = page[page.index('id="home-waiting"') : page.index('id="home-tiers"')]
    assert "Nothing." not in waiting
    assert re.search(r"2015Q3 edition \d+: published, <a [^>]*status=open[^>]*>1 open inquiry</a>", waiting), waiting
    assert "Inquiries" in page and "(1)" in page  # the menu's count, which the home now agrees with
    _, ri = page_of(example, "ri@example.org")  # a reviewer of another state: not theirs
    ri_waiting = ri[ri.index('id="home-waiting"') : ri.index('id="home-tiers"')]
    assert "Nothing." in ri_waiting
