"""result strata: results by group (each measure by rating category, enrollment method, age band, sex, race,
ethnicity and language) and data dictionary version 3 (the members' race, ethnicity and preferred language)

Revision ID: 0010_result_strata
Revises: 0009_programmes
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_result_strata"
down_revision = "0009_programmes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("race", "ethnicity", "language"):
        op.add_column("rows_members", sa.Column(name, sa.String(length=40), nullable=True))
    op.create_table(
        "result_strata",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("result_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period_code", sa.String(length=7), nullable=False),
        sa.Column("measure_id", sa.String(length=40), nullable=False),
        sa.Column("ico", sa.String(length=20), nullable=False),
        sa.Column("stratifier", sa.String(length=30), nullable=False),
        sa.Column("stratum", sa.String(length=40), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(length=10), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("difference", sa.Float(), nullable=True),
        sa.UniqueConstraint("run_id", "measure_id", "ico", "stratifier", "stratum"),
    )
    op.create_index("ix_result_strata_run_id", "result_strata", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_result_strata_run_id", table_name="result_strata")
    op.drop_table("result_strata")
    for name in ("language", "ethnicity", "race"):
        op.drop_column("rows_members", name)
