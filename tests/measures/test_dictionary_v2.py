"""Data dictionary version 2: the survey's case-mix adjusters are optional columns of survey_responses.csv,
refused by name outside their sets, carried by the template; a version 1 package is accepted as before."""

import io
import zipfile

import pytest
from sqlalchemy import select

from reporting.storage.models import ROW_TABLES
from tests.ingest.test_malformed import as_package, base_files, ha, rows_of, set_cell, submit, write  # noqa: F401 (fixture)

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

S = "survey_responses.csv"
ADJUSTERS = ["general_health", "mental_health", "education", "proxy", "survey_language"]


def with_adjusters(files, columns=ADJUSTERS):
    """The example's survey file with adjuster columns, the same answers for every respondent."""
    values = {"general_health": "4", "mental_health": "2", "education": "6", "proxy": "Y", "survey_language": "spanish"}
    rows = rows_of(files[S])
    files[S] = write([rows[0] + list(columns)] + [r + [values[c] for c in columns] for r in rows[1:]])
    return files


def test_a_version_1_package_is_accepted_without_a_word_about_the_adjusters(ha, dbs):
    outcome = submit(ha, as_package(base_files()))
    assert outcome.accepted
    assert [f for f in outcome.report["failures"] if f["column"] in ADJUSTERS] == []
    stored = dbs.execute(
        select(ROW_TABLES["survey_responses"].c.general_health, ROW_TABLES["survey_responses"].c.proxy)
    ).all()
    assert stored and set(stored) == {(None, None)}


def test_a_version_2_package_keeps_its_adjusters(ha, dbs):
    outcome = submit(ha, as_package(with_adjusters(base_files())))
    assert outcome.accepted and outcome.report["failures"] == []
    t = ROW_TABLES["survey_responses"]
    stored = set(
        dbs.execute(select(t.c.general_health, t.c.mental_health, t.c.education, t.c.proxy, t.c.survey_language)).all()
    )
    assert stored == {(4, 2, 6, "Y", "spanish")}


def test_some_adjusters_but_not_all_warns_for_each_left_out(ha, dbs):
    outcome = submit(ha, as_package(with_adjusters(base_files(), ["general_health", "proxy"])))
    assert outcome.accepted
    assert sorted((f["column"], f["rule"], f["severity"]) for f in outcome.report["failures"]) == [
        ("education", "missing_column", "warning"),
        ("mental_health", "missing_column", "warning"),
        ("survey_language", "missing_column", "warning"),
    ]


@pytest.mark.parametrize(
    "column, value, allowed",
    [
        ("general_health", "6", "from 1 to 5"),
        ("mental_health", "0", "from 1 to 5"),
        ("education", "7", "from 1 to 6"),
        ("education", "2.5", "from 1 to 6"),
        ("proxy", "yes", "Y, N"),
        ("survey_language", "French", "english, spanish, other"),
    ],
)
def test_a_value_outside_its_set_is_refused_by_name(ha, dbs, column, value, allowed):
    files = with_adjusters(base_files())
    set_cell(S, 2, column, value)(files)
    outcome = submit(ha, as_package(files))
    assert not outcome.accepted
    failure = next(f for f in outcome.report["failures"] if f["rule"] == "invalid_value")
    assert (failure["file"], failure["row"], failure["column"], failure["value"]) == (S, 2, column, value)
    assert f"not allowed in {column}" in failure["message"] and allowed in failure["message"]


def test_the_template_carries_the_adjusters(world, client):
    from tests.conftest import login

    login(client, "ha@example.org")
    r = client.get("/submissions/template.zip")
    assert r.status_code == 200, r.status_code
    header = zipfile.ZipFile(io.BytesIO(r.data)).read(S).decode().splitlines()[0].split(",")
    assert header[-5:] == ADJUSTERS
    page = client.get("/submissions/dictionary").get_data(as_text=True)
    assert "general_health" in page and "1 excellent, 2 very good, 3 good, 4 fair, 5 poor" in page
