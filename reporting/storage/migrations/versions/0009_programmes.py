"""programmes: every ICO, result run, edition and rule set belongs to one programme (docs/programmes.md);
editions are numbered per (programme, period) and rule sets versioned per (programme, year). An existing
installation's rows become the default programme's, ma-one-care, in place: nothing is lost or recomputed.

Revision ID: 0009_programmes
Revises: 0008_case_mix
Create Date: 2026-12-03 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_programmes"
down_revision = "0008_case_mix"
branch_labels = None
depends_on = None

DEFAULT = "ma-one-care"
_IN_FORCE = sa.text("status = 'in_force'")


def _programme_column() -> sa.Column:
    return sa.Column("programme_id", sa.String(length=40), nullable=False, server_default=DEFAULT)


def upgrade() -> None:
    # A plain ADD COLUMN where no constraint changes (SQLite has it, and keeps the rows and the tables that
    # refer to these). Editions and rule sets change their unique keys, which SQLite can only do by copying the
    # table: env.py turns SQLite's foreign keys off for the migration, so dropping the old table neither
    # cascades into rule_measures/rule_tiers nor is refused for the artifacts and deliveries of an edition.
    op.add_column("organizations", _programme_column())
    op.create_index("ix_organizations_programme_id", "organizations", ["programme_id"])
    op.add_column("result_runs", _programme_column())
    op.create_index("ix_result_runs_programme_id_period_code", "result_runs", ["programme_id", "period_code"])
    with op.batch_alter_table("editions") as batch:
        batch.add_column(_programme_column())
        batch.drop_constraint("uq_editions_period_code", type_="unique")
        batch.create_unique_constraint("uq_editions_programme_id", ["programme_id", "period_code", "number"])
    op.drop_index("uq_rule_sets_in_force", table_name="rule_sets")
    with op.batch_alter_table("rule_sets") as batch:
        batch.add_column(_programme_column())
        batch.drop_constraint("uq_rule_sets_year", type_="unique")
        batch.create_unique_constraint("uq_rule_sets_programme_id", ["programme_id", "year", "version"])
    op.create_index(
        "uq_rule_sets_in_force",
        "rule_sets",
        ["programme_id", "year"],
        unique=True,
        sqlite_where=_IN_FORCE,
        postgresql_where=_IN_FORCE,
    )


def downgrade() -> None:
    op.drop_index("uq_rule_sets_in_force", table_name="rule_sets")
    with op.batch_alter_table("rule_sets") as batch:
        batch.drop_constraint("uq_rule_sets_programme_id", type_="unique")
        batch.create_unique_constraint("uq_rule_sets_year", ["year", "version"])
        batch.drop_column("programme_id")
    op.create_index(
        "uq_rule_sets_in_force", "rule_sets", ["year"], unique=True, sqlite_where=_IN_FORCE, postgresql_where=_IN_FORCE
    )
    with op.batch_alter_table("editions") as batch:
        batch.drop_constraint("uq_editions_programme_id", type_="unique")
        batch.create_unique_constraint("uq_editions_period_code", ["period_code", "number"])
        batch.drop_column("programme_id")
    op.drop_index("ix_result_runs_programme_id_period_code", table_name="result_runs")
    op.drop_column("result_runs", "programme_id")
    op.drop_index("ix_organizations_programme_id", table_name="organizations")
    op.drop_column("organizations", "programme_id")
