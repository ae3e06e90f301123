"""Issue 28 #1: a period written in digits of another script (Arabic-Indic ``٢٠١٥Q3``, full-width ``２０１５Q3``)
was read as its own, rogue period: accepted, computed and counted again in the real 2015Q3. Periods are ASCII
only, everywhere a period is read: the attack is refused by name on every way in and nothing is stored."""

import io

import pytest
from sqlalchemy import func, select

from measures import Period
from reporting.errors import ReportingError
from reporting.periods import parse
from reporting.storage.models import ReportingPeriod, Result, ResultRun, Submission
from tests.conftest import EXAMPLES, csrf_token, login
from tests.ingest.test_upload_paths import issue_token, zip_of

ROGUE = ["٢٠١٥Q3", "２０１５Q3", "𝟚𝟘𝟙𝟝Q3", "۲۰۱۵Q3"]  # Arabic-Indic, full-width, mathematical, Persian
PKG = EXAMPLES / "packages" / "HA" / "2015Q3"


@pytest.mark.parametrize("code", ROGUE + ["٢٠١٥", "2015Q٣"])
def test_the_one_reading_refuses_digits_of_other_scripts_by_name(code):
    with pytest.raises(ValueError, match="0-9"):
        Period.parse(code)
    with pytest.raises(ReportingError) as caught:
        parse(code)
    message = caught.value.message
    assert "is not a period" in message and "ASCII digits 0-9" in message and " digit " in message
    assert parse(" 2015q3 ").code == "2015Q3" and parse("2015").code == "2015"


def _results(dbs, code="2015Q3"):
    """The newest run's results of a period, as (measure, ICO, numerator, denominator)."""
    run = dbs.scalar(select(func.max(ResultRun.id)).where(ResultRun.period_code == code))
    return sorted(
        dbs.execute(
            select(Result.measure_id, Result.ico, Result.numerator, Result.denominator).where(Result.run_id == run)
        ).all()
    )


def _nothing_stored(dbs, before_submissions):
    assert dbs.scalar(select(func.count()).select_from(Submission)) == before_submissions
    codes = set(dbs.scalars(select(ReportingPeriod.code)))
    assert codes and all(c.isascii() for c in codes), codes
    assert all(c.isascii() for c in dbs.scalars(select(Submission.period_code)))


def test_a_rogue_period_is_refused_on_the_web_the_api_and_the_command_line(example, dbs):
    from reporting import pipeline

    before_results = _results(dbs)
    assert before_results
    before = dbs.scalar(select(func.count()).select_from(Submission))
    client = example.test_client()
    login(client, "ha@example.org")
    token = issue_token(example, "ha@example.org")
    runner = example.test_cli_runner()
    for code in ROGUE[:2]:
        # The upload page: the form comes back with the reason, naming the character.
        data = {
            "csrf_token": csrf_token(client, "/submissions/upload"),
            "period": code,
            "ico": "HA",
            "files": (io.BytesIO(zip_of(PKG)), "ha.zip"),
        }
        r = client.post("/submissions/upload", data=data, content_type="multipart/form-data")
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "is not a period" in page and "ASCII digits 0-9" in page, page[-2000:]
        # The API: a JSON error that says the same.
        r = client.post(
            "/api/v1/submissions",
            headers={"Authorization": f"Bearer {token}"},
            content_type="multipart/form-data",
            data={"period": code, "package": (io.BytesIO(zip_of(PKG)), "ha.zip")},
        )
        assert 400 <= r.status_code < 500, r.get_data(as_text=True)
        assert "ASCII digits 0-9" in r.get_data(as_text=True)
        # The command line: a usage error, exit code 2, nothing submitted.
        out = runner.invoke(args=["submit", "--ico", "HA", "--period", code, str(PKG)])
        assert out.exit_code == 2 and "ASCII digits 0-9" in out.output, out.output
        # An address with the rogue period is a clear 404, not a page of a period that does not exist.
        r = client.get(f"/submissions/history/HA/{code}")
        assert r.status_code == 404 and "ASCII digits 0-9" in r.get_data(as_text=True)
        _nothing_stored(dbs, before)
    # The service's own way in refuses it too (no edge can hand the pipeline a rogue code).
    with example.app_context():
        with pytest.raises(ReportingError, match="ASCII digits 0-9"):
            pipeline.accept_package("HA", ROGUE[0], [], uploader="test", via="cli")
        with pytest.raises(ReportingError, match="ASCII digits 0-9"):
            pipeline.compute(ROGUE[1], trigger="test")
        pipeline.compute("2015Q3", trigger="test")
    _nothing_stored(dbs, before)
    dbs.expire_all()
    assert _results(dbs) == before_results
