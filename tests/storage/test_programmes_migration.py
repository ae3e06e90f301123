"""Migration 0009_programmes: an installation from before programmes upgrades in place. Its ICOs, result runs,
editions, rule sets (with their measures and tiers), artifacts and deliveries are all still there, unchanged,
and belong to ma-one-care; editions and rule sets are then keyed per programme."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from reporting.storage import MIGRATIONS
from tests.conftest import BACKENDS, _drop_pg_database, _pg_database


def _alembic(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path, run_tag):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        name = f"reporting_mig_{run_tag}"
        yield _pg_database(name)
        _drop_pg_database(name)


TABLES = (
    "organizations",
    "result_runs",
    "results",
    "editions",
    "rule_sets",
    "rule_measures",
    "rule_tiers",
    "artifacts",
    "deliveries",
)


def _snapshot(connection) -> dict:
    return {t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t} ORDER BY id")).all())) for t in TABLES}


def test_an_installation_at_0008_upgrades_in_place_as_ma_one_care(old_database):
    url = old_database
    command.upgrade(_alembic(url), "0008_case_mix")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO organizations (id, code, name, state, enabled, created_at) "
                "VALUES (1, 'CCA', 'Commonwealth Care Alliance', 'MA', true, '2014-01-01')"
            )
        )
        c.execute(
            text(
                "INSERT INTO result_runs (id, period_code, started_at, status, is_current, trigger, code_version, "
                "spec_version, inputs, inputs_digest, error) VALUES (1, '2014Q3', '2014-11-01', 'done', true, 'cli', "
                "'', '1', '{}', '', '')"
            )
        )
        c.execute(
            text(
                "INSERT INTO results (id, run_id, period_code, measure_id, measure_version, ico, denominator, status, "
                "elements, extras) VALUES (1, 1, '2014Q3', 'fuh_7d', '1', 'CCA', 40, 'reported', '{}', '{}')"
            )
        )
        c.execute(
            text(
                "INSERT INTO editions (id, period_code, number, run_id, status, revised, created_at, approved_by, "
                "rule_versions, publish_reason) VALUES (1, '2014Q3', 1, 1, 'published', false, '2014-11-02', '', "
                "'{}', '')"
            )
        )
        c.execute(
            text(
                "INSERT INTO artifacts (id, edition_id, run_id, kind, ico, period_code, audience, filename, sha256, "
                "size, pages, created_at, content, preview) VALUES (1, 1, 1, 'scorecard', 'CCA', '2014Q3', 'ico', "
                "'s.pdf', 'x', 3, 1, '2014-11-02', :content, false)"
            ),
            {"content": b"pdf"},
        )
        c.execute(
            text(
                "INSERT INTO deliveries (id, edition_id, artifact_id, recipient, reason, status, attempts, "
                "claimed_by, message_id, last_error, subject, body, stage) VALUES (1, 1, 1, 'a@example.org', 'ico', 'sent', "
                "1, '', '', '', '', '', '')"
            )
        )
        before = _snapshot(c)
    assert before["rule_sets"] and before["rule_measures"] and before["rule_tiers"]  # seeded by 0003

    command.upgrade(_alembic(url), "0010_result_strata")  # programme_id is then the last column of the keyed tables

    with engine.begin() as c:
        after = _snapshot(c)
        for table in ("organizations", "result_runs", "editions", "rule_sets"):
            assert set(c.execute(text(f"SELECT programme_id FROM {table}")).scalars()) == {"ma-one-care"}, table
        for table in TABLES:  # every row is still there with every value; the keyed tables gained the programme
            keyed = table in ("organizations", "result_runs", "editions", "rule_sets")
            got = [row[:-1] for row in after[table]] if keyed else after[table]
            assert sorted(got) == before[table], table
        # editions are numbered per programme and period now: another programme's 2014Q3 may have edition 1
        c.execute(
            text(
                "INSERT INTO editions (id, period_code, number, run_id, status, revised, created_at, approved_by, "
                "publish_reason, programme_id) VALUES (2, '2014Q3', 1, 1, 'published', false, '2015-01-01', '', '', "
                "'mi-health-link')"
            )
        )
        c.execute(
            text(
                "INSERT INTO rule_sets (id, year, version, status, note, created_by, created_at, adopted_by, "
                "programme_id) VALUES (100, 2014, 1, 'in_force', '', '', '2015-01-01', '', 'mi-health-link')"
            )
        )
    with pytest.raises(IntegrityError), engine.begin() as c:  # but one rule set in force per programme and year
        c.execute(
            text(
                "INSERT INTO rule_sets (id, year, version, status, note, created_by, created_at, adopted_by, "
                "programme_id) VALUES (101, 2014, 2, 'in_force', '', '', '2015-01-01', '', 'mi-health-link')"
            )
        )
    engine.dispose()
