"""case-mix: data dictionary version 2 (the survey's case-mix adjusters), adjusted survey results and
their comparison with statewide, and the rule set field that makes benchmarks and withhold use them

Revision ID: 0008_case_mix
Revises: 0007_review_loop
Create Date: 2026-12-03 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_case_mix"
down_revision = "0007_review_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy of rule_sets would drop the old table, and the foreign keys'
    # ON DELETE CASCADE would empty rule_measures and rule_tiers with it.
    for name, kind in (
        ("general_health", sa.Integer()),
        ("mental_health", sa.Integer()),
        ("education", sa.Integer()),
        ("proxy", sa.String(length=40)),
        ("survey_language", sa.String(length=40)),
    ):
        op.add_column("rows_survey_responses", sa.Column(name, kind, nullable=True))
    op.add_column("results", sa.Column("adjusted_value", sa.Float(), nullable=True))
    op.add_column("results", sa.Column("vs_statewide", sa.String(length=20), nullable=True))
    op.add_column("rule_sets", sa.Column("case_mix_adjusted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("rule_sets", "case_mix_adjusted")
    op.drop_column("results", "vs_statewide")
    op.drop_column("results", "adjusted_value")
    for name in ("survey_language", "proxy", "education", "mental_health", "general_health"):
        op.drop_column("rows_survey_responses", name)
