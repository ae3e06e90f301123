"""Issue 27 item 12: the service runs on its own date. ``REPORTING_TODAY`` decides what is due, late and
submittable, what the homes and the upload form show and which periods the scheduler takes up, and every page
says so while it is set; a value that is not a date stops the start-up with a message."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from reporting import create_app
from reporting.errors import ConfigError
from reporting.storage.models import Edition, JobRun
from tests.conftest import login

BANNER = "Service date: 2016-01-20 (set by REPORTING_TODAY)"


def _quarters_offered(page: str) -> list[str]:
    select_html = re.search(r'<select id="period".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select_html)


def test_home_upload_form_and_due_dates_follow_the_service_date(example):
    client = example.test_client()
    login(client, "ha@example.org")
    on_the_calendar = client.get("/").get_data(as_text=True)
    assert "Service date" not in on_the_calendar  # unset: the calendar's date, and no banner

    example.config["REPORTING_TODAY"] = date(2016, 1, 20)  # as the configuration check leaves it
    home = client.get("/").get_data(as_text=True)
    assert BANNER in home
    due = re.search(r'id="home-due".*?</section>', home, re.S).group(0)
    # 2015Q4 ended on 2015-12-31 and is due on 2016-02-29: 40 days left, nothing sent yet.
    assert "2015Q4" in due and "Due 2016-02-29" in due and "40 days left" in due and "not started" in due
    assert 'href="/submissions/upload">Upload</a>' in due  # 2015Q4 is over: it can be sent

    # Every ended quarter is in on 2015-11-10 (2015Q3 was accepted): the quarter in progress is the next one due.
    example.config["REPORTING_TODAY"] = date(2015, 11, 10)
    due = re.search(r'id="home-due".*?</section>', client.get("/").get_data(as_text=True), re.S).group(0)
    assert "2015Q4" in due and "Due 2016-02-29" in due and "111 days left" in due and "not started" in due
    # ... but not before it is over: the home says when it can be, and offers no upload yet.
    assert "upload opens on 2016-01-01, once the quarter is over" in due and "/submissions/upload" not in due
    example.config["REPORTING_TODAY"] = date(2016, 1, 20)

    upload = client.get("/submissions/upload").get_data(as_text=True)
    assert BANNER in upload
    offered = _quarters_offered(upload)
    assert offered[0] == "2015Q4" and offered[-1] == "2014Q1" and len(offered) == 8, offered

    # Every page says the date it runs on, the reviewer's too.
    reviewer = example.test_client()
    login(reviewer, "cms@example.org")
    for path in ("/", "/overview", "/submissions/", "/measures"):
        assert BANNER in reviewer.get(path).get_data(as_text=True), path


def test_an_upload_for_a_quarter_not_over_on_the_service_date_is_refused(example):
    from reporting import pipeline
    from reporting.cli_files import files_from_paths
    from tests.conftest import EXAMPLES

    example.config["REPORTING_TODAY"] = date(2015, 9, 15)  # 2015Q3 ends on 2015-09-30
    folder = EXAMPLES / "packages" / "HA" / "2015Q3"
    with example.app_context():
        with pytest.raises(Exception) as refused:
            pipeline.accept_package("HA", "2015Q3", files_from_paths([folder]), uploader="test", via="cli")
    assert "2015Q3 has not ended yet" in refused.value.message
    assert "the latest quarter you can submit is 2015Q2" in refused.value.message


def test_the_scheduler_takes_up_the_periods_due_on_the_service_date(example, dbs):
    from reporting.jobs import tasks

    # On 2014-06-01 nothing is due for its cycle yet (2014Q1 is due 2014-05-31, its cycle 14 days later); on the
    # calendar's date every example quarter would be.
    example.config["REPORTING_TODAY"] = date(2014, 6, 1)
    with example.app_context():
        tasks.quarterly_cycle()
    run = dbs.scalars(select(JobRun).where(JobRun.job == "quarterly_cycle")).one()
    assert run.status == "done" and run.summary == "no period due", (run.status, run.summary)
    assert dbs.scalars(select(Edition)).all() == []
    # Three weeks later 2014Q1's cycle is due, and only it.
    from reporting import clock
    from reporting.publication import calendar

    example.config["REPORTING_TODAY"] = date(2014, 6, 20)
    with example.app_context():
        assert calendar.due_for_cycle(clock.today()) == ["2014Q1"]


@pytest.mark.parametrize("value", ["2016-02-30", "15/02/2016", "2016-2-15", "yesterday"])
def test_a_value_that_is_not_a_date_is_refused_at_start_up(value, tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTING_TODAY", value)
    with pytest.raises(ConfigError) as refused:
        create_app(
            {
                "REPORTING_ENV": "test",
                "SECRET_KEY": "k",
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            }
        )
    assert f"REPORTING_TODAY={value!r} is not a date: write it as YYYY-MM-DD" in refused.value.message


def test_a_date_is_read_once_and_the_demo_runs_in_early_2016(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTING_TODAY", "2016-03-15")
    app = create_app(
        {
            "REPORTING_ENV": "test",
            "SECRET_KEY": "k",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        }
    )
    assert app.config["REPORTING_TODAY"] == date(2016, 3, 15)
    from reporting import clock

    with app.app_context():
        assert clock.today() == date(2016, 3, 15)
    from reporting.demo import DEMO_TODAY

    start = (Path(__file__).resolve().parents[2] / "scripts" / "start.sh").read_text()
    assert f"REPORTING_TODAY=${{REPORTING_TODAY-{DEMO_TODAY}}}" in start
    assert date.fromisoformat(DEMO_TODAY).year == 2016 and date.fromisoformat(DEMO_TODAY).month <= 4
