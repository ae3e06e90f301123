"""The validation report is one typed value (``ingest.report.Summary``); its stored and answered JSON keeps the
shape the API has always given (row counts closing the files list), and reads back the same."""

from reporting.ingest.report import Failure, Report, Summary, summarise


def test_the_summary_round_trips_through_its_stored_form():
    report = Report()
    report.add(Failure("members.csv", 3, "dob", "1890-01-01", "age_eligibility", "error", "too old"))
    files = [{"name": "members.csv", "sha256": "ab" * 32, "bytes": 120}]
    summary = summarise(report, verdict="rejected", files=files, period="2015Q2", ico="HA")
    assert (summary.errors, summary.warnings, summary.rows) == (1, 0, {})
    assert summary.as_json()["files"] == files and Summary.from_json(summary.as_json()) == summary
    accepted = summarise(Report(), verdict="accepted", files=files, period="2015Q2", ico="HA", rows={"members": 2})
    stored = accepted.as_json()
    assert stored["files"][-1] == {"rows": {"members": 2}} and stored["files"][:-1] == files
    back = Summary.from_json(stored)
    assert back.files == files and back.rows == {"members": 2} and back == accepted
