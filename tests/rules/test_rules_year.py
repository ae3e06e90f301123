"""``?year=`` on the pages that take one: a value that is not a year of theirs answers a clear 400 (or the
dashboards' 404 naming the years with results), never another year's page and never a 500."""

import pytest

from tests.conftest import login

NOT_YEARS = [
    ("abc", "'abc' is not a period"),
    ("99999", "'99999' is not a period"),
    ("-1", "'-1' is not a period"),
    ("2015.0", "'2015.0' is not a period"),
    ("\uff12\uff10\uff11\uff15", "the digits 0-9"),
    ("2015Q1", "'2015Q1' is a quarter"),
]


@pytest.mark.parametrize("raw, message", NOT_YEARS, ids=[n[0] for n in NOT_YEARS])
def test_the_rules_page_refuses_what_is_not_a_year(world, raw, message):
    """/rules?year=abc silently showed the newest year's rules (2015), as if it had been asked for."""
    client = world.test_client()
    login(client, "cms@example.org")
    r = client.get("/rules/", query_string={"year": raw})
    page = r.get_data(as_text=True)
    assert r.status_code == 400, page[-2000:]
    assert message in page.replace("&#39;", "'")
    assert "In force: 2015" not in page


def test_the_rules_page_refuses_a_year_without_rules_and_names_those_with(world):
    client = world.test_client()
    login(client, "cms@example.org")
    r = client.get("/rules/?year=1850")
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "There are no rules for the year 1850 in Massachusetts One Care. Years with rules: 2015" in page
    assert "e.g. ?year=2015" in page
    ok = client.get("/rules/?year=2015")
    assert ok.status_code == 200 and "In force: 2015" in ok.get_data(as_text=True)
    assert client.get("/rules/").status_code == 200  # absent: the newest year


@pytest.mark.parametrize("raw", ["abc", "99999", "\uff12\uff10\uff11\uff15", "2015Q1", "1850"])
def test_the_withhold_pages_answer_a_clear_error_for_a_wrong_year(world, raw):
    client = world.test_client()
    login(client, "cms@example.org")
    for path in ("/withhold", "/withhold/export.csv"):
        r = client.get(path, query_string={"year": raw})
        assert r.status_code in (400, 404), (path, r.status_code)
        assert "year" in r.get_data(as_text=True).lower() or "period" in r.get_data(as_text=True).lower()


def _year_2016_in_force(app):
    from reporting.rules import store
    from reporting.storage import db

    with app.app_context():
        with db.transaction() as s:
            draft = store.start_year(s, 2016, "test")
            store.adopt(s, draft.id, "test")


def test_the_rules_page_opens_on_the_newest_year_with_results(example):
    """The demo opened on 2016 (the service date's year, rules in force, no result yet); 2015 has results."""
    _year_2016_in_force(example)
    client = example.test_client()
    login(client, "cms@example.org")
    page = client.get("/rules/").get_data(as_text=True)
    assert "<h1>Rules, 2015</h1>" in page
    assert '<option value="2016">2016</option>' in page  # a click away
    assert "<h1>Rules, 2016</h1>" in client.get("/rules/?year=2016").get_data(as_text=True)
    assert client.get("/rules/?year=1850").status_code == 400


def test_with_no_results_the_rules_page_opens_on_the_newest_year_in_force(world):
    _year_2016_in_force(world)
    client = world.test_client()
    login(client, "cms@example.org")
    assert "<h1>Rules, 2016</h1>" in client.get("/rules/").get_data(as_text=True)
