"""Data dictionary version 3: the members' race, ethnicity and preferred language are optional columns of
members.csv (blank = unknown), refused by name outside their sets, carried by the template; a package without
them is accepted as before, without a word about them."""

import io
import zipfile

import pytest
from sqlalchemy import select

from reporting.storage.models import ROW_TABLES
from tests.ingest.test_malformed import as_package, base_files, ha, rows_of, set_cell, submit, write  # noqa: F401 (fixture)

pytestmark = pytest.mark.one_backend  # its subject is not the storage: SQLite only (conftest)

M = "members.csv"
NEW = ["race", "ethnicity", "language"]


def with_demographics(files, values=("black", "hispanic", "spanish")):
    """The example's members file with the three columns; the first member's left blank (unknown)."""
    rows = rows_of(files[M])
    body = [r + (["", "", ""] if i == 0 else list(values)) for i, r in enumerate(rows[1:])]
    files[M] = write([rows[0] + NEW] + body)
    return files


def test_a_package_without_the_columns_is_accepted_without_a_word_about_them(ha, dbs):
    outcome = submit(ha, as_package(base_files()))
    assert outcome.accepted
    assert [f for f in outcome.report["failures"] if f["column"] in NEW] == []
    t = ROW_TABLES["members"]
    assert set(dbs.execute(select(t.c.race, t.c.ethnicity, t.c.language)).all()) == {(None, None, None)}


def test_a_version_3_package_keeps_them_and_blank_is_unknown(ha, dbs):
    outcome = submit(ha, as_package(with_demographics(base_files(), ("declined", "not_hispanic", "declined"))))
    assert outcome.accepted and outcome.report["failures"] == []
    t = ROW_TABLES["members"]
    stored = set(dbs.execute(select(t.c.race, t.c.ethnicity, t.c.language)).all())
    assert stored == {(None, None, None), ("declined", "not_hispanic", "declined")}


@pytest.mark.parametrize(
    "column, value, allowed",
    [
        ("race", "Black", "american_indian_alaska_native, asian, black, native_hawaiian_pacific_islander, white"),
        ("race", "hispanic", "multiple, other, declined"),
        ("ethnicity", "latino", "hispanic, not_hispanic, declined"),
        ("language", "portuguese", "english, spanish, other, declined"),
    ],
)
def test_a_value_outside_its_set_is_refused_by_name(ha, dbs, column, value, allowed):
    files = with_demographics(base_files())
    set_cell(M, 3, column, value)(files)
    outcome = submit(ha, as_package(files))
    assert not outcome.accepted
    failure = next(f for f in outcome.report["failures"] if f["rule"] == "invalid_value")
    assert (failure["file"], failure["row"], failure["column"], failure["value"]) == (M, 3, column, value)
    assert f"not allowed in {column}" in failure["message"] and allowed in failure["message"]


def test_the_template_and_the_dictionary_page_carry_them(world, client):
    from tests.conftest import login

    login(client, "ha@example.org")
    header = zipfile.ZipFile(io.BytesIO(client.get("/submissions/template.zip").data)).read(M).decode()
    assert header.splitlines()[0].split(",")[-3:] == NEW
    page = client.get("/submissions/dictionary").get_data(as_text=True)
    assert "native_hawaiian_pacific_islander" in page and "preferred language" in page
