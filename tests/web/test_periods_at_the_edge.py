"""A period is read once where it arrives (an address, ``?period=``, a form, the API, a CLI option) into a
``Period``; anything else gets a clear message saying how to write one, never an error page without one."""

import pytest

from measures import Period
from reporting.errors import ReportingError
from reporting.periods import parse
from tests.conftest import login

HOW = "write a quarter such as 2015Q3 or a year such as 2015"


def test_one_reading_of_a_period():
    assert parse(" 2015q3 ") == Period.parse("2015Q3") and parse("2015").code == "2015"
    period = Period.parse("2014Q4")
    assert parse(period) is period  # a Period passes through
    for bad in ("2015Q5", "Q3", "", "2015-07", None):
        with pytest.raises(ReportingError, match=HOW):
            parse(bad)
    with pytest.raises(ReportingError, match="is a year; packages are submitted per quarter"):
        parse("2015", quarter_only=True)


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)  # reading at the edge: no database in it
def test_addresses_and_query_strings(example):
    client = example.test_client()
    login(client, "cms@example.org")
    r = client.get("/gaps/fuh_7d/HA/2015q2")
    assert r.status_code == 200 and "2015Q2" in r.get_data(as_text=True)
    r = client.get("/gaps/fuh_7d/HA/2015Q9")
    assert r.status_code == 404 and f"&#39;2015Q9&#39; is not a period: {HOW}" in r.get_data(as_text=True)
    r = client.get("/submissions/history/HA/last-quarter")
    assert r.status_code == 404 and "is not a period" in r.get_data(as_text=True)
    r = client.get("/overview?period=2015-Q3")
    assert r.status_code == 400 and HOW in r.get_data(as_text=True)
    assert client.get("/overview?period=2015q3").status_code == 200
    assert client.get("/overview?period=2016Q1").status_code == 404  # a period, with no results
    assert client.get("/inquiries?period=nope").status_code == 400
    assert client.get("/public/2015Q9.zip").status_code == 404


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_api_and_the_command_line(example):
    from tests.ingest.test_upload_paths import issue_token

    with example.app_context():
        token = issue_token(example, "cms@example.org")
    r = example.test_client().get("/api/v1/results?period=20153", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and HOW in r.get_json()["message"], r.get_json()
    r = example.test_client().get("/api/v1/results", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and "Give the period" in r.get_json()["message"]
    runner = example.test_cli_runner()
    r = runner.invoke(args=["compute", "--period", "2015Q9"])
    assert r.exit_code == 2 and HOW in r.output
    r = runner.invoke(args=["scorecard", "--ico", "HA", "--period", "2015", "-o", "x.pdf"])
    assert r.exit_code == 2 and "is a year; packages are submitted per quarter" in r.output
    r = runner.invoke(args=["results", "--period", " 2015q2 ", "--format", "csv"])
    assert r.exit_code == 0 and ",2015Q2," in r.output


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_every_year_option_of_the_command_line_is_read_as_a_period_is(example, tmp_path):
    """``--year`` of ``withhold``, ``rules show`` and ``rules propose`` was click's INT: ``٢٠١٤`` and ``２０１４``
    passed as 2014. Each is read by ``periods.parse_year``: ASCII digits, a year and not a quarter."""
    runner = example.test_cli_runner()
    draft = tmp_path / "draft.csv"
    draft.write_text("measure_id,benchmark\nfuh_7d,50\n")
    commands = (["withhold"], ["rules", "show"], ["rules", "propose", "--from", str(draft)])
    for command in commands:
        for raw in ("٢٠١٤", "２０１４", "2014Q1", "20145"):
            r = runner.invoke(args=[*command, "--year", raw])
            assert r.exit_code == 2, (command, raw, r.output)
            assert "Invalid value for '--year'" in r.output, (command, raw, r.output)
            assert "ASCII" in r.output or "not a period" in r.output or "is a quarter" in r.output, r.output
    assert "digits 0-9" in runner.invoke(args=["withhold", "--year", "٢٠١٤"]).output
    r = runner.invoke(args=["withhold", "--year", " 2014 "])
    assert r.exit_code == 0 and "HA" in r.output, r.output
    r = runner.invoke(args=["rules", "show", "--year", "2015"])
    assert r.exit_code == 0 and "fuh_7d" in r.output, r.output


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_withhold_year_is_read_as_a_period_is(example):
    """``?year=`` on the withhold page and its export was read by ``int``: ٢٠١٤ passed as 2014, and -1 or 9999
    gave a page titled "Quality withhold, -1". It is read as a period is, and must be a year with results."""
    client = example.test_client()
    login(client, "cms@example.org")
    assert client.get("/withhold?year=2014").status_code == 200
    for raw in ("٢٠١٤", "２０１４", "-1", "1", "20145", "2014Q1"):
        for url in (f"/withhold?year={raw}", f"/withhold/export.csv?year={raw}"):
            r = client.get(url)
            assert r.status_code == 400, (url, r.status_code)
            text = r.get_data(as_text=True)
            assert "ASCII" in text or "not a period" in text or "per calendar year" in text, (url, text[:300])
    r = client.get("/withhold?year=9999")
    assert r.status_code == 404 and "Years with results: 2015, 2014" in r.get_data(as_text=True)
    assert client.get("/withhold/export.csv").status_code == 400


@pytest.mark.parametrize("example_url", ["sqlite"], indirect=True)
def test_the_public_table_is_offered_for_a_published_period_only(example):
    """The overview offered "Public table (suppressed)" for a period never published, and the link was a 404."""
    from reporting import pipeline

    client = example.test_client()
    login(client, "cms@example.org")
    assert "Public table (suppressed)" not in client.get("/overview?period=2015Q2").get_data(as_text=True)
    assert client.get("/exports/public.csv?period=2015Q2").status_code == 404
    with example.app_context():
        pipeline.run_cycle("2015Q2", trigger="test")  # PUBLISH_MODE=auto: published at once
    page = client.get("/overview?period=2015Q2").get_data(as_text=True)
    assert "Public table (suppressed)" in page
    assert client.get("/exports/public.csv?period=2015Q2").status_code == 200
