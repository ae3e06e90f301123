"""Storage: the Alembic migrations build exactly the schema the models declare (on both databases),
and package rows survive the bulk write and read unchanged (blanks, quotes, commas, formula-like
text, non-ASCII)."""

import pandas as pd
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from measures.dictionary import FILES, typed
from reporting.storage.models import Base


def test_migrations_build_the_schema_the_models_declare(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] in ("remove_table", "add_table") and "apscheduler" in str(d))
        ]
    engine.dispose()
    assert diff == []


def test_rows_round_trip_through_bulk_write_and_read(app):
    from reporting.storage import db
    from reporting.storage.rows import read_rows, write_rows

    survey = typed(
        pd.DataFrame(
            {
                "response_id": ["R-1", "R-2", "R-3"],
                "member_id": ["M1", "", "Mé-3"],
                "survey_date": ["2015-04-02", "2015-05-30", "2015-06-30"],
                "rating_health_plan": ["10", "", "0"],
                "gnc_specialist": ["1", "2", ""],
                "gnc_care_tests": ["", "", ""],
                "gcq_urgent": ["4", "3", "2"],
                "gcq_routine": ["1", "1", "1"],
                "cc_records": ["", "", "4"],
                "cc_followup": ["2", "", ""],
                "flu_vaccine": ["Y", "", "N"],
            }
        ).replace("", None),
        FILES["survey_responses"],
    )
    members = typed(
        pd.DataFrame(
            {
                "member_id": ["A-1", "B,2", '=HYPERLINK("x")'],
                "birth_date": ["1960-01-31", "1951-12-01", "1990-02-28"],
                "sex": ["F", "M", "U"],
                "enrollment_start": ["2014-10-01", "2015-01-01", "2015-04-01"],
                "enrollment_end": [None, "2015-03-31", None],
                "enrollment_method": ["voluntary", "passive", "passive"],
                "rating_category": ["C1", "C2A", "F1"],
                "death_date": [None, "2015-03-31", None],
            }
        ),
        FILES["members"],
    )
    for frame in (survey, members):
        frame["row_number"] = range(2, 2 + len(frame))
    with app.app_context():
        with db.transaction() as session:
            assert write_rows(session, 41, {"survey_responses": survey, "members": members}) == 6
            write_rows(session, 42, {"members": members.iloc[:1]})
        with db.engine.connect() as connection:
            back = read_rows(connection, [41], ["survey_responses", "members"])
    for name, original in (("survey_responses", survey), ("members", members)):
        got = back[name].sort_values("row_number").reset_index(drop=True)
        assert list(got["submission_id"]) == [41] * len(original)
        for col in FILES[name].columns:
            expected = list(original[col.name].astype(object).where(original[col.name].notna(), None))
            actual = list(got[col.name].astype(object).where(got[col.name].notna(), None))
            assert actual == expected, (name, col.name, actual, expected)
